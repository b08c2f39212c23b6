// Package fakeaws holds in-process test servers that decode the AWS SDK's
// real requests (aws-sdk-go-v2), for services that have no local emulator:
// Firehose (firehose*.go) and CloudWatch (cloudwatch*.go). Start them with
// httptest.NewServer and point the SDK client's BaseEndpoint at the URL.
//
// CloudWatch: the SDK speaks Smithy RPC-v2 CBOR
// (POST /service/GraniteServiceVersion20100801/operation/<Op>,
// Content-Type application/cbor, bodies of 10 KiB or more gzip-compressed).
// The server decodes PutMetricData, records namespace and datums, and replies
// 200 with an empty CBOR map. Failures and delays can be injected.
package fakeaws

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatchPutMetricDataPath is the RPC-v2 CBOR path of PutMetricData.
const CloudWatchPutMetricDataPath = "/service/GraniteServiceVersion20100801/operation/PutMetricData"

// CWStatisticSet is a decoded StatisticValues member.
type CWStatisticSet struct {
	SampleCount, Sum, Minimum, Maximum float64
}

// CWDimension is one decoded dimension.
type CWDimension struct {
	Name, Value string
}

// CWDatum is one decoded MetricDatum.
type CWDatum struct {
	Namespace  string // of the request that carried it
	MetricName string
	Unit       string
	Dimensions []CWDimension // in request order
	Value      *float64
	Stats      *CWStatisticSet
	Values     []float64
	Counts     []float64
	Timestamp  *time.Time
}

// Dim returns the value of dimension name and whether it is present.
func (d CWDatum) Dim(name string) (string, bool) {
	for _, x := range d.Dimensions {
		if x.Name == name {
			return x.Value, true
		}
	}
	return "", false
}

// DimString renders the dimensions sorted by name as "a=1,b=2".
func (d CWDatum) DimString() string {
	parts := make([]string, 0, len(d.Dimensions))
	for _, x := range d.Dimensions {
		parts = append(parts, x.Name+"="+x.Value)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// CWRequest is one decoded PutMetricData call.
type CWRequest struct {
	Namespace string
	Datums    []CWDatum
	Gzipped   bool
	BodyBytes int  // bytes on the wire
	Failed    bool // the server answered with an injected failure
}

// CloudWatchFailure is an injected error reply.
type CloudWatchFailure struct {
	Status  int    // HTTP status; 0 = 500
	Code    string // error type; "" = "InternalServiceFault"
	Message string
}

// CloudWatch is a fake CloudWatch PutMetricData endpoint. It is an
// http.Handler; the zero value is not usable, use NewCloudWatch.
type CloudWatch struct {
	mu       sync.Mutex
	requests []CWRequest
	failure  *CloudWatchFailure
	failN    int // >0: fail only the next failN calls; <0: fail all while failure set
	delay    time.Duration
	waiting  int // calls held by the delay now
	notify   chan struct{}
	bad      []string // undecodable requests
}

// NewCloudWatch returns an empty server.
func NewCloudWatch() *CloudWatch {
	return &CloudWatch{notify: make(chan struct{})}
}

// FailWith makes every following call fail with f until Recover.
func (c *CloudWatch) FailWith(f CloudWatchFailure) {
	c.mu.Lock()
	c.failure, c.failN = &f, -1
	c.mu.Unlock()
}

// FailNext makes the next n calls fail with f.
func (c *CloudWatch) FailNext(n int, f CloudWatchFailure) {
	c.mu.Lock()
	c.failure, c.failN = &f, n
	c.mu.Unlock()
}

// Recover stops injecting failures.
func (c *CloudWatch) Recover() {
	c.mu.Lock()
	c.failure, c.failN = nil, 0
	c.mu.Unlock()
}

// SetDelay delays every reply by d (0 = none). A delayed call ends early
// when the client goes away.
func (c *CloudWatch) SetDelay(d time.Duration) {
	c.mu.Lock()
	c.delay = d
	c.mu.Unlock()
}

// Waiting returns how many calls the delay (SetDelay) holds now.
func (c *CloudWatch) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiting
}

// Requests returns a copy of the recorded calls (failed ones included,
// marked Failed).
func (c *CloudWatch) Requests() []CWRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CWRequest(nil), c.requests...)
}

// Datums returns the datums of all successful calls, in arrival order.
func (c *CloudWatch) Datums() []CWDatum {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []CWDatum
	for _, r := range c.requests {
		if !r.Failed {
			out = append(out, r.Datums...)
		}
	}
	return out
}

// Errors returns descriptions of requests the server could not decode.
func (c *CloudWatch) Errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bad...)
}

// WaitFor polls until cond holds for the recorded requests or ctx ends;
// it reports whether cond held.
func (c *CloudWatch) WaitFor(ctx context.Context, cond func([]CWRequest) bool) bool {
	for {
		c.mu.Lock()
		ok := cond(c.requests)
		ch := c.notify
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ServeHTTP implements http.Handler.
func (c *CloudWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/") {
		c.reject(w, http.StatusNotFound, "UnknownOperationException", "unsupported request "+r.Method+" "+r.URL.Path)
		return
	}
	if r.URL.Path != CloudWatchPutMetricDataPath {
		c.reject(w, http.StatusBadRequest, "UnknownOperationException", "only PutMetricData is implemented")
		return
	}
	req, err := decodeCWRequest(r)
	if err != nil {
		c.reject(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
		return
	}

	c.mu.Lock()
	delay := c.delay
	var fail *CloudWatchFailure
	if c.failure != nil && c.failN != 0 {
		f := *c.failure
		fail = &f
		if c.failN > 0 {
			c.failN--
			if c.failN == 0 {
				c.failure = nil
			}
		}
	}
	c.mu.Unlock()

	if delay > 0 {
		c.mu.Lock()
		c.waiting++
		c.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
		if r.Context().Err() != nil {
			return
		}
	}

	req.Failed = fail != nil
	c.mu.Lock()
	c.requests = append(c.requests, req)
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()

	if fail != nil {
		status, code := fail.Status, fail.Code
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if code == "" {
			code = "InternalServiceFault"
		}
		writeCWError(w, status, code, fail.Message)
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(cbor.Encode(cbor.Map{}))
}

func (c *CloudWatch) reject(w http.ResponseWriter, status int, code, msg string) {
	c.mu.Lock()
	c.bad = append(c.bad, msg)
	c.mu.Unlock()
	writeCWError(w, status, code, msg)
}

func writeCWError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(cbor.Map{
		"__type":  cbor.String("com.amazonaws.cloudwatch#" + code),
		"message": cbor.String(msg),
	}))
}

func decodeCWRequest(r *http.Request) (CWRequest, error) {
	var out CWRequest
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return out, fmt.Errorf("read body: %w", err)
	}
	out.BodyBytes = len(raw)
	body := raw
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		out.Gzipped = true
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return out, fmt.Errorf("gzip: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return out, fmt.Errorf("gunzip: %w", err)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/cbor" {
		return out, fmt.Errorf("content-type %q, want application/cbor", ct)
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return out, fmt.Errorf("cbor: %w", err)
	}
	m, ok := v.(cbor.Map)
	if !ok {
		return out, fmt.Errorf("body is %T, want map", v)
	}
	if ns, ok := m["Namespace"].(cbor.String); ok {
		out.Namespace = string(ns)
	} else {
		return out, fmt.Errorf("missing Namespace")
	}
	list, _ := m["MetricData"].(cbor.List)
	for i, item := range list {
		dm, ok := item.(cbor.Map)
		if !ok {
			return out, fmt.Errorf("MetricData[%d] is %T", i, item)
		}
		d, err := decodeCWDatum(dm)
		if err != nil {
			return out, fmt.Errorf("MetricData[%d]: %w", i, err)
		}
		d.Namespace = out.Namespace
		out.Datums = append(out.Datums, d)
	}
	return out, nil
}

func decodeCWDatum(m cbor.Map) (CWDatum, error) {
	var d CWDatum
	name, ok := m["MetricName"].(cbor.String)
	if !ok {
		return d, fmt.Errorf("missing MetricName")
	}
	d.MetricName = string(name)
	if u, ok := m["Unit"].(cbor.String); ok {
		d.Unit = string(u)
	}
	if dims, ok := m["Dimensions"].(cbor.List); ok {
		for _, x := range dims {
			dm, ok := x.(cbor.Map)
			if !ok {
				return d, fmt.Errorf("dimension is %T", x)
			}
			n, _ := dm["Name"].(cbor.String)
			v, _ := dm["Value"].(cbor.String)
			d.Dimensions = append(d.Dimensions, CWDimension{Name: string(n), Value: string(v)})
		}
	}
	if v, ok := m["Value"]; ok {
		f, err := cbor.AsFloat64(v)
		if err != nil {
			return d, fmt.Errorf("Value: %w", err)
		}
		d.Value = &f
	}
	if sv, ok := m["StatisticValues"].(cbor.Map); ok {
		var s CWStatisticSet
		for k, dst := range map[string]*float64{"SampleCount": &s.SampleCount, "Sum": &s.Sum, "Minimum": &s.Minimum, "Maximum": &s.Maximum} {
			v, ok := sv[k]
			if !ok {
				return d, fmt.Errorf("StatisticValues.%s missing", k)
			}
			f, err := cbor.AsFloat64(v)
			if err != nil {
				return d, fmt.Errorf("StatisticValues.%s: %w", k, err)
			}
			*dst = f
		}
		d.Stats = &s
	}
	for k, dst := range map[string]*[]float64{"Values": &d.Values, "Counts": &d.Counts} {
		if l, ok := m[k].(cbor.List); ok {
			for _, x := range l {
				f, err := cbor.AsFloat64(x)
				if err != nil {
					return d, fmt.Errorf("%s: %w", k, err)
				}
				*dst = append(*dst, f)
			}
		}
	}
	if ts, ok := m["Timestamp"]; ok {
		t, err := cbor.AsTime(ts)
		if err != nil {
			return d, fmt.Errorf("Timestamp: %w", err)
		}
		d.Timestamp = &t
	}
	return d, nil
}
