// Package faultproxy is a reverse proxy for Kinesis test servers
// (kinesalite) that injects the faults no emulator produces: per-entry
// ProvisionedThroughputExceededException in PutRecords responses, whole-call
// 400 throttling and 500 errors, slow responses, dropped and refused
// connections. It counts PutRecords calls and the records of each.
//
// Per-entry failures are real: the proxy forwards the request with only the
// entries that are to succeed, then builds the response in the original
// order, with synthesized failures for the chosen entries and the server's
// answers for the rest, and FailedRecordCount adjusted. A failed entry is
// therefore never stored.
//
// Only PutRecords calls (X-Amz-Target Kinesis_20131202.PutRecords) are
// subject to faults; every other call passes through unchanged. PutRecords
// in CBOR (the Java SDK's and the agent's default) is translated to JSON on
// its way up and its answer back to CBOR (cbor.go).
package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// PutRecordsTarget is the X-Amz-Target of a Kinesis PutRecords call.
const PutRecordsTarget = "Kinesis_20131202.PutRecords"

// ThrottleCode is the error code of a throttled entry or call.
const ThrottleCode = "ProvisionedThroughputExceededException"

// Fault is what to do with one PutRecords call.
type Fault struct {
	// Delay before answering (the upstream call happens after it).
	Delay time.Duration
	// Drop closes the connection without an answer (the client sees a
	// transport error; nothing is stored).
	Drop bool
	// Status, when non-zero, answers the whole call with this status and an
	// error body without forwarding: 400 gives ProvisionedThroughputExceededException,
	// 500 InternalFailure, 503 ServiceUnavailable; Code overrides the code.
	Status int
	Code   string
	// FailEntries are indices (in the call's request) to answer with
	// ProvisionedThroughputExceededException; they are not forwarded.
	FailEntries []int
}

// Plan chooses the fault for PutRecords call number call (from 1) that
// carries n records. Return the zero Fault to forward unchanged.
type Plan func(call, n int) Fault

// Proxy is a running fault proxy.
type Proxy struct {
	srv    *httptest.Server
	rp     *httputil.ReverseProxy
	target *url.URL

	refuse  atomic.Bool
	refused atomic.Int64

	mu      sync.Mutex
	plan    Plan
	perCall []int
	faults  []Fault
	keys    [][]string
}

// New starts a proxy in front of the Kinesis endpoint target.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	p := &Proxy{target: u}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
		},
		ModifyResponse: p.modifyResponse,
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Listener = &refusingListener{Listener: p.srv.Listener, p: p}
	p.srv.Start()
	return p, nil
}

// SetRefuse makes the proxy reset every new connection at once (true) or
// serve again (false): the client sees connection errors for every call,
// PutRecords or not. Connections already open keep working until closed;
// clients normally open new ones after an error.
func (p *Proxy) SetRefuse(on bool) { p.refuse.Store(on) }

// Refused is the number of connections reset by SetRefuse.
func (p *Proxy) Refused() int { return int(p.refused.Load()) }

type refusingListener struct {
	net.Listener
	p *Proxy
}

func (l *refusingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.p.refuse.Load() {
			return c, err
		}
		// Count before the reset: the client sees the reset as soon as
		// Close runs and may read Refused before this goroutine resumes.
		l.p.refused.Add(1)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	}
}

// URL is the proxy's endpoint.
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// SetPlan sets the fault plan (nil: no faults).
func (p *Proxy) SetPlan(plan Plan) {
	p.mu.Lock()
	p.plan = plan
	p.mu.Unlock()
}

// Calls is the number of PutRecords calls received.
func (p *Proxy) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.perCall)
}

// RecordsPerCall returns the number of records of each PutRecords call, in
// arrival order.
func (p *Proxy) RecordsPerCall() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.perCall...)
}

// Faults returns the fault applied to each call.
func (p *Proxy) Faults() []Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Fault(nil), p.faults...)
}

// PartitionKeys returns the partition keys of each call's entries.
func (p *Proxy) PartitionKeys() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]string(nil), p.keys...)
}

type putRecordsRequest struct {
	StreamName string            `json:"StreamName,omitempty"`
	StreamARN  string            `json:"StreamARN,omitempty"`
	Records    []json.RawMessage `json:"Records"`
}

type putRecordsResponse struct {
	FailedRecordCount int               `json:"FailedRecordCount"`
	EncryptionType    string            `json:"EncryptionType,omitempty"`
	Records           []json.RawMessage `json:"Records"`
}

type ctxKey struct{}

// rewrite is the state carried from the request to the response.
type rewrite struct {
	n      int          // entries in the original request
	failed map[int]bool // original indices failed by the proxy
	stream string
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != PutRecordsTarget {
		p.rp.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if isCBOR(r.Header) {
		cw := newCBORWriter(w)
		defer cw.finish()
		w = cw
		if body, err = cborToJSON(body); err != nil {
			writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	}
	var req putRecordsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	keys := make([]string, len(req.Records))
	for i, raw := range req.Records {
		var e struct{ PartitionKey string }
		_ = json.Unmarshal(raw, &e)
		keys[i] = e.PartitionKey
	}
	p.mu.Lock()
	p.perCall = append(p.perCall, len(req.Records))
	p.keys = append(p.keys, keys)
	call := len(p.perCall)
	plan := p.plan
	p.mu.Unlock()
	var f Fault
	if plan != nil {
		f = plan(call, len(req.Records))
	}
	p.mu.Lock()
	p.faults = append(p.faults, f)
	p.mu.Unlock()

	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // reset, not a clean close
				}
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status != 0 {
		code := f.Code
		if code == "" {
			switch {
			case f.Status == http.StatusBadRequest:
				code = ThrottleCode
			case f.Status == http.StatusServiceUnavailable:
				code = "ServiceUnavailable"
			default:
				code = "InternalFailure"
			}
		}
		writeError(w, f.Status, code, "injected by faultproxy")
		return
	}
	rw := rewrite{n: len(req.Records), stream: req.StreamName}
	if len(f.FailEntries) > 0 {
		rw.failed = map[int]bool{}
		for _, i := range f.FailEntries {
			if i >= 0 && i < len(req.Records) {
				rw.failed[i] = true
			}
		}
		if len(rw.failed) == len(req.Records) {
			// Nothing to forward: answer every entry as throttled.
			writeJSON(w, http.StatusOK, p.merge(rw, nil))
			return
		}
		kept := make([]json.RawMessage, 0, len(req.Records)-len(rw.failed))
		for i, raw := range req.Records {
			if !rw.failed[i] {
				kept = append(kept, raw)
			}
		}
		req.Records = kept
		body, err = json.Marshal(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, rw))
	p.rp.ServeHTTP(w, r)
}

func (p *Proxy) modifyResponse(resp *http.Response) error {
	rw, ok := resp.Request.Context().Value(ctxKey{}).(rewrite)
	if !ok || len(rw.failed) == 0 || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var up putRecordsResponse
	if err := json.Unmarshal(body, &up); err != nil {
		return fmt.Errorf("faultproxy: upstream PutRecords response: %w", err)
	}
	out, err := json.Marshal(p.merge(rw, &up))
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	resp.Header.Del("Transfer-Encoding")
	resp.TransferEncoding = nil
	return nil
}

// merge interleaves synthesized failures with the upstream's answers.
func (p *Proxy) merge(rw rewrite, up *putRecordsResponse) putRecordsResponse {
	out := putRecordsResponse{Records: make([]json.RawMessage, 0, rw.n)}
	if up != nil {
		out.EncryptionType = up.EncryptionType
		out.FailedRecordCount = up.FailedRecordCount
	}
	msg, _ := json.Marshal(map[string]string{
		"ErrorCode":    ThrottleCode,
		"ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream " + rw.stream + " under account 000000000000.",
	})
	j := 0
	for i := 0; i < rw.n; i++ {
		if rw.failed[i] {
			out.Records = append(out.Records, msg)
			out.FailedRecordCount++
			continue
		}
		if up != nil && j < len(up.Records) {
			out.Records = append(out.Records, up.Records[j])
			j++
		}
	}
	return out
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// EntriesFail returns a Plan failing the given entry indices of call number
// call only.
func EntriesFail(call int, idx ...int) Plan {
	return func(c, n int) Fault {
		if c == call {
			return Fault{FailEntries: idx}
		}
		return Fault{}
	}
}

// FirstCalls returns a Plan applying f to the first n calls.
func FirstCalls(n int, f Fault) Plan {
	return func(c, _ int) Fault {
		if c <= n {
			return f
		}
		return Fault{}
	}
}
