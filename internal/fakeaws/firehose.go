package fakeaws

// Firehose: the SDK speaks awsJson1.1 (POST /, Content-Type
// application/x-amz-json-1.1, X-Amz-Target Firehose_20150804.<Op>). The
// server decodes PutRecordBatch, checks the service limits (500 records,
// 4 MiB per call, 1,000 KiB per record), stores records per delivery stream,
// and can fail chosen entries (FailedPutCount) or whole calls.
// DescribeDeliveryStream answers ACTIVE for known streams.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Firehose limits enforced by the server (AWS PutRecordBatch quotas).
const (
	FirehoseMaxBatchRecords = 500
	FirehoseMaxBatchBytes   = 4 << 20
	FirehoseMaxRecordBytes  = 1000 * 1024
	firehoseTargetPrefix    = "Firehose_20150804."
	firehoseAccount         = "000000000000"
)

// FirehoseFault is what to do with one PutRecordBatch call.
type FirehoseFault struct {
	Delay time.Duration
	// Status, when non-zero, fails the whole call with this HTTP status and
	// Code (default ServiceUnavailableException for 5xx, else
	// InvalidArgumentException).
	Status int
	Code   string
	// FailEntries are entry indices answered with ErrorCode (default
	// ServiceUnavailableException) instead of being stored.
	FailEntries []int
	ErrorCode   string
}

// FirehosePlan chooses the fault for PutRecordBatch call number call (from 1)
// with n records.
type FirehosePlan func(call, n int) FirehoseFault

// Firehose is an http.Handler serving a minimal Kinesis Data Firehose.
type Firehose struct {
	mu      sync.Mutex
	streams map[string][][]byte
	plan    FirehosePlan
	perCall []int
	errs    []string
	nextID  int64
	changed chan struct{}
}

// NewFirehose returns a server knowing the given delivery streams.
func NewFirehose(streams ...string) *Firehose {
	f := &Firehose{streams: map[string][][]byte{}, changed: make(chan struct{})}
	for _, s := range streams {
		f.streams[s] = nil
	}
	return f
}

// AddStream makes a delivery stream known.
func (f *Firehose) AddStream(name string) {
	f.mu.Lock()
	if _, ok := f.streams[name]; !ok {
		f.streams[name] = nil
	}
	f.mu.Unlock()
}

// SetPlan sets the fault plan (nil: no faults).
func (f *Firehose) SetPlan(p FirehosePlan) {
	f.mu.Lock()
	f.plan = p
	f.mu.Unlock()
}

// Records returns the records stored for stream, in arrival order.
func (f *Firehose) Records(stream string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.streams[stream]...)
}

// Calls is the number of PutRecordBatch calls received.
func (f *Firehose) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.perCall)
}

// RecordsPerCall returns the record count of each PutRecordBatch call.
func (f *Firehose) RecordsPerCall() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.perCall...)
}

// Errors returns the requests the server rejected as malformed or over a
// limit (message per rejection).
func (f *Firehose) Errors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.errs...)
}

// WaitForRecords waits until stream holds at least n records or ctx ends,
// and returns the records.
func (f *Firehose) WaitForRecords(ctx context.Context, stream string, n int) ([][]byte, error) {
	for {
		f.mu.Lock()
		recs := f.streams[stream]
		ch := f.changed
		f.mu.Unlock()
		if len(recs) >= n {
			return append([][]byte(nil), recs...), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return append([][]byte(nil), recs...), fmt.Errorf("firehose %s: %d records, want %d: %w", stream, len(recs), n, ctx.Err())
		}
	}
}

type fhRecord struct {
	Data []byte // base64 in JSON
}

type fhPutRecordBatchInput struct {
	DeliveryStreamName string
	Records            []fhRecord
}

type fhResponseEntry struct {
	RecordId     string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

// ServeHTTP implements http.Handler.
func (f *Firehose) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || !strings.HasPrefix(target, firehoseTargetPrefix) {
		f.reject(w, http.StatusBadRequest, "UnknownOperationException", "unknown target "+target)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		f.reject(w, http.StatusBadRequest, "SerializationException", "content type "+ct)
		return
	}
	if r.Header.Get("Authorization") == "" {
		f.reject(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.reject(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	switch op := strings.TrimPrefix(target, firehoseTargetPrefix); op {
	case "PutRecordBatch":
		f.putRecordBatch(w, r, body)
	case "DescribeDeliveryStream":
		f.describe(w, body)
	default:
		f.reject(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+op)
	}
}

func (f *Firehose) putRecordBatch(w http.ResponseWriter, r *http.Request, body []byte) {
	var in fhPutRecordBatchInput
	if err := json.Unmarshal(body, &in); err != nil {
		f.reject(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	_, known := f.streams[in.DeliveryStreamName]
	f.perCall = append(f.perCall, len(in.Records))
	call := len(f.perCall)
	plan := f.plan
	f.mu.Unlock()
	var fault FirehoseFault
	if plan != nil {
		fault = plan(call, len(in.Records))
	}
	if fault.Delay > 0 {
		select {
		case <-time.After(fault.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if !known {
		writeFHError(w, http.StatusBadRequest, "ResourceNotFoundException",
			"Firehose "+in.DeliveryStreamName+" under account "+firehoseAccount+" not found.")
		return
	}
	switch n := len(in.Records); {
	case n == 0 || n > FirehoseMaxBatchRecords:
		f.reject(w, http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to 500 and greater than or equal to 1 (got "+strconv.Itoa(n)+")")
		return
	}
	total := 0
	for i, rec := range in.Records {
		if len(rec.Data) > FirehoseMaxRecordBytes {
			f.reject(w, http.StatusBadRequest, "ValidationException",
				fmt.Sprintf("1 validation error detected: Value at 'records.%d.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000 (got %d)", i+1, len(rec.Data)))
			return
		}
		total += len(rec.Data)
	}
	if total > FirehoseMaxBatchBytes {
		f.reject(w, http.StatusBadRequest, "InvalidArgumentException",
			fmt.Sprintf("Records size exceeds 4 MB limit (got %d bytes)", total))
		return
	}
	if fault.Status != 0 {
		code := fault.Code
		if code == "" {
			code = "InvalidArgumentException"
			if fault.Status >= 500 {
				code = "ServiceUnavailableException"
			}
		}
		writeFHError(w, fault.Status, code, "injected by fakeaws")
		return
	}
	failed := map[int]bool{}
	for _, i := range fault.FailEntries {
		failed[i] = true
	}
	errCode := fault.ErrorCode
	if errCode == "" {
		errCode = "ServiceUnavailableException"
	}
	resp := struct {
		FailedPutCount   int
		Encrypted        bool
		RequestResponses []fhResponseEntry
	}{RequestResponses: make([]fhResponseEntry, len(in.Records))}
	f.mu.Lock()
	for i, rec := range in.Records {
		if failed[i] {
			resp.FailedPutCount++
			resp.RequestResponses[i] = fhResponseEntry{ErrorCode: errCode, ErrorMessage: "Slow down."}
			continue
		}
		f.nextID++
		f.streams[in.DeliveryStreamName] = append(f.streams[in.DeliveryStreamName], rec.Data)
		resp.RequestResponses[i] = fhResponseEntry{RecordId: "rec-" + strconv.FormatInt(f.nextID, 10)}
	}
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	writeFHJSON(w, http.StatusOK, resp)
}

func (f *Firehose) describe(w http.ResponseWriter, body []byte) {
	var in struct{ DeliveryStreamName string }
	if err := json.Unmarshal(body, &in); err != nil {
		f.reject(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	_, known := f.streams[in.DeliveryStreamName]
	f.mu.Unlock()
	if !known {
		writeFHError(w, http.StatusBadRequest, "ResourceNotFoundException",
			"Firehose "+in.DeliveryStreamName+" under account "+firehoseAccount+" not found.")
		return
	}
	writeFHJSON(w, http.StatusOK, map[string]any{
		"DeliveryStreamDescription": map[string]any{
			"DeliveryStreamName":   in.DeliveryStreamName,
			"DeliveryStreamARN":    "arn:aws:firehose:us-east-1:" + firehoseAccount + ":deliverystream/" + in.DeliveryStreamName,
			"DeliveryStreamStatus": "ACTIVE",
			"DeliveryStreamType":   "DirectPut",
			"VersionId":            "1",
			"CreateTimestamp":      float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
			"Destinations":         []any{},
			"HasMoreDestinations":  false,
		},
	})
}

func (f *Firehose) reject(w http.ResponseWriter, status int, code, msg string) {
	f.mu.Lock()
	f.errs = append(f.errs, code+": "+msg)
	f.mu.Unlock()
	writeFHError(w, status, code, msg)
}

func writeFHError(w http.ResponseWriter, status int, code, msg string) {
	writeFHJSON(w, status, map[string]string{"__type": code, "message": msg})
}

func writeFHJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
