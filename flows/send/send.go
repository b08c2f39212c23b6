// Package send delivers batches to Kinesis Data Streams (PutRecords) and
// Kinesis Data Firehose (PutRecordBatch) and acknowledges every delivered
// entry on its chunk (record.Chunk.Ack), which is what lets flows/ack move a
// file's checkpoint.
//
// Send blocks until every entry of the batch has been accepted by the
// destination, or its context ends. There is no retry limit and nothing is
// ever dropped (Java parity, spec §5.4): a failed call is retried whole,
// a partially failed call is retried with only its failed entries, with the
// same partition keys. A call the service rejects as invalid as a whole is
// retried in halves until the rejected record is alone, so that the rest of
// the batch is delivered. Before every call the flow's shared Backoff is
// applied (spec §5.5). Errors are logged without flooding: throttling as a
// summary line per interval, a missing stream or denied access at most once
// a minute, other errors at most once per ErrorLogInterval per error code.
//
// The package owns no goroutines; concurrency (Java's sending thread pool)
// belongs to the caller, which may call Send concurrently for one flow.
package send

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/awserr"
)

// Sender delivers batches.
type Sender interface {
	// Send returns nil once every entry of b has been accepted and
	// acknowledged (Entry.Chunk.Ack), or ctx.Err() when ctx ends first;
	// entries not yet accepted then stay unacknowledged (their bytes are read
	// again after a restart). Send does not Release b.
	Send(ctx context.Context, b *batch.Batch) error
}

// Options configure a sender. Every field is optional.
type Options struct {
	// Backoff is the flow's shared backoff (NewBackoff with the flow's
	// retryInitialBackoffMillis and retryMaxBackoffMillis); when nil, one
	// with the defaults. Share one Sender (or one Backoff) per flow.
	Backoff *Backoff
	Stats   *flowstats.Flow
	// Observer receives one Call per API call.
	Observer flowstats.CallObserver
	// Logger for send errors (component AsyncPublisher[<flowId>]).
	Logger *slog.Logger
	// Now is the clock for latencies and log intervals (default time.Now).
	Now func() time.Time
	// Redact masks the secrets (secret key, session token) in text a
	// service sent back before it is logged; AWS signature errors quote
	// the signed request. Default: none.
	Redact func(string) string
	// CredentialSource names where credentials come from
	// (awsclient.Clients.CredentialSource), for errors getting them.
	CredentialSource string
	// Region and Endpoint name the destination in error lines; taken from
	// the SDK client when it is one of the SDK's and these are empty.
	Region, Endpoint string
	// ThrottleLogInterval: throttled records are summarised once per
	// interval (default 30 s).
	ThrottleLogInterval time.Duration
	// UnusableLogInterval: missing stream / access denied at most once per
	// interval (default 1 min).
	UnusableLogInterval time.Duration
	// ErrorLogInterval: any other error code at most once per interval
	// (default 10 s).
	ErrorLogInterval time.Duration
	// FastCodec: encode PutRecords (Kinesis) and PutRecordBatch (Firehose)
	// requests and decode their answers with this package's codecs instead
	// of the SDK's generic awsJson1.1 one, saving ~3 allocations and a body
	// copy per record. Everything else (signing, endpoints, retries,
	// errors) stays the SDK's.
	FastCodec bool
	// CBOR (with FastCodec, Kinesis only): PutRecords requests travel as
	// application/x-amz-cbor-1.1, record data as bytes instead of base64:
	// a quarter fewer bytes to encode, sign, encrypt and send. The AWS SDK
	// for Java, and so the Java agent, speaks CBOR to Kinesis by default.
	// Answers are decoded by their Content-Type either way.
	CBOR bool
}

// Error classes, by AWS error code.
var (
	throttleCodes = map[string]bool{
		"ProvisionedThroughputExceededException": true, "ThrottlingException": true, "Throttling": true,
		"LimitExceededException": true, "ServiceUnavailableException": true, "ServiceUnavailable": true,
		"KMSThrottlingException": true, "RequestLimitExceeded": true, "TooManyRequestsException": true,
		"SlowDown": true,
	}
	unusableCodes = map[string]bool{
		"ResourceNotFoundException": true, "AccessDeniedException": true, "AccessDenied": true,
		"UnrecognizedClientException": true, "InvalidSignatureException": true, "ExpiredTokenException": true,
		"ExpiredToken": true, "InvalidClientTokenId": true, "MissingAuthenticationTokenException": true,
		"SignatureDoesNotMatch": true, "KMSAccessDeniedException": true, "KMSNotFoundException": true,
		"KMSDisabledException": true, "KMSInvalidStateException": true, "KMSOptInRequired": true,
		"ResourceInUseException": true,
		// Firehose: its KMS key unusable; CloudWatch Logs decompression on
		// (only CloudWatch Logs may send to it).
		"InvalidKMSResourceException": true, "InvalidSourceException": true,
	}
	// Codes a request cannot recover from by being sent again unchanged. We
	// still retry (never drop); the ERROR says so.
	invalidCodes = map[string]bool{
		"ValidationException": true, "InvalidArgumentException": true, "SerializationException": true,
		"RequestEntityTooLarge": true, // HTTP 413 (see callFailed)
	}
)

// call is one destination's API call over the entries idx of b. It fills
// codes[i] and msgs[i] (aligned with idx) with the error of entry idx[i],
// or "" when it was accepted; an error means the call failed as a whole.
type caller interface {
	call(ctx context.Context, b *batch.Batch, idx []int, codes, msgs []string) error
}

// sender is the destination-independent send loop.
type sender struct {
	api        caller
	dest       string // "KinesisStream:<name>" / "DeliveryStream:<name>"
	kind       string // "stream" / "delivery stream"
	name       string
	region     string
	endpoint   string
	backoff    *Backoff
	stats      *flowstats.Flow
	observer   flowstats.CallObserver
	log        *slog.Logger
	now        func() time.Time
	redactFn   func(string) string
	credSource string
	scratch    sync.Pool

	throttle    throttleSummary
	unusableLim rateLimiter
	errLim      rateLimiter
}

type scratch struct {
	pending []int
	codes   []string
	msgs    []string
}

func newSender(api caller, dest, kind, name string, o Options) *sender {
	s := &sender{api: api, dest: dest, kind: kind, name: name, region: o.Region, endpoint: o.Endpoint,
		backoff: o.Backoff, stats: o.Stats, observer: o.Observer, log: o.Logger, now: o.Now, redactFn: o.Redact,
		credSource: o.CredentialSource}
	if s.backoff == nil {
		s.backoff = NewBackoff(DefaultInitialBackoff, DefaultMaxBackoff)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.region == "" {
		s.region = "(unset)"
	}
	if s.endpoint == "" {
		s.endpoint = defaultEndpoint(kind, o.Region)
	}
	s.throttle.interval = durOr(o.ThrottleLogInterval, 30*time.Second)
	s.unusableLim.interval = durOr(o.UnusableLogInterval, time.Minute)
	s.errLim.interval = durOr(o.ErrorLogInterval, 10*time.Second)
	s.scratch.New = func() any { return &scratch{} }
	return s
}

// defaultEndpoint names the endpoint the SDK resolves when none is
// configured (for the error line only).
func defaultEndpoint(kind, region string) string {
	if region == "" {
		return "(SDK default)"
	}
	svc := "kinesis"
	if kind != "stream" {
		svc = "firehose"
	}
	host := "https://" + svc + "." + region + ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		host += ".cn"
	}
	return host + " (SDK default)"
}

func durOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Backoff returns the sender's (the flow's) backoff.
func (s *sender) Backoff() *Backoff { return s.backoff }

func (s *sender) Send(ctx context.Context, b *batch.Batch) error {
	n := len(b.Entries)
	if n == 0 {
		return nil
	}
	sc := s.scratch.Get().(*scratch)
	defer func() {
		clear(sc.codes) // drop references to response strings
		clear(sc.msgs)
		s.scratch.Put(sc)
	}()
	if cap(sc.pending) < n {
		sc.pending = make([]int, n)
		sc.codes = make([]string, n)
		sc.msgs = make([]string, n)
	}
	pending := sc.pending[:n]
	for i := range pending {
		pending[i] = i
	}
	retry := false
	// limit caps the entries per call. It only shrinks when the service
	// rejects a whole call as invalid: halving isolates the entry it cannot
	// accept, so that the others are delivered while that one is retried.
	// (Growing it back after calls accepted whole was tried: one invalid
	// record among 500 took 16-34 calls instead of 509, in as much backoff
	// time; but a front end's size limit, HTTP 413, was then refused every
	// other call, and invalid records spread through a batch took twice
	// the backoff.)
	limit := n
	for len(pending) > 0 {
		if err := s.backoff.Wait(ctx); err != nil {
			return err
		}
		part := pending[:min(len(pending), limit)]
		codes, msgs := sc.codes[:len(part)], sc.msgs[:len(part)]
		clear(codes)
		clear(msgs)
		start := s.now()
		err := s.api.call(ctx, b, part, codes, msgs)
		end := s.now()
		latency := end.Sub(start)
		if s.stats != nil {
			s.stats.Calls.Add(1)
			s.stats.RecordSendAttempts.Add(int64(len(part)))
			if retry {
				s.stats.RetriedRecords.Add(int64(len(part)))
			}
		}
		retry = true
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if invalid := s.callFailed(b, part, err, latency, end); invalid {
				if len(part) > 1 {
					limit = (len(part) + 1) / 2
				} else if len(pending) > 1 {
					// Isolated: move it behind the others, which go first.
					first := pending[0]
					copy(pending, pending[1:])
					pending[len(pending)-1] = first
				}
			}
			continue
		}
		failed := s.results(b, part, codes, msgs, latency, end)
		// pending = failed entries of this call, then the entries not yet sent.
		rest := len(pending) - len(part)
		copy(pending[len(failed):], pending[len(part):])
		pending = pending[:len(failed)+rest]
		if len(failed) == 0 {
			// Every entry of the call was accepted (when calls are split, others
			// may still be waiting: they are not failures).
			s.backoff.Success()
			s.noteThrottled(0, end) // flush a pending summary once throttling stops
		} else {
			// Java scores the request just made (remaining records of the
			// buffer it sent / that buffer's records): a retry whose every
			// record fails again counts a whole failure.
			s.backoff.Partial(len(failed), len(part))
		}
		if ctx.Err() != nil && len(pending) > 0 {
			return ctx.Err()
		}
	}
	return nil
}

// results acknowledges the accepted entries and returns the failed ones
// (compacted in place in pending).
func (s *sender) results(b *batch.Batch, pending []int, codes, msgs []string, latency time.Duration, now time.Time) []int {
	failed, sentBytes := 0, 0
	size := 0 // of the call's entries, as Batch.Bytes counts them (for bufferName)
	throttled := 0
	var firstCode, firstMsg string
	var run *record.Chunk
	runN := 0
	w := 0
	for i, idx := range pending {
		if codes[i] != "" {
			failed++
			size += entrySize(&b.Entries[idx])
			if throttleCodes[codes[i]] {
				throttled++
			} else if firstCode == "" {
				firstCode, firstMsg = codes[i], msgs[i]
			}
			pending[w] = idx
			w++
			continue
		}
		e := &b.Entries[idx]
		sentBytes += len(e.Data)
		size += entrySize(e)
		if e.Chunk != run {
			if run != nil {
				run.Ack(runN)
			}
			run, runN = e.Chunk, 0
		}
		runN++
	}
	if run != nil {
		run.Ack(runN)
	}
	sent := len(pending) - failed
	attempted := len(pending) // (pending is compacted to the failed entries below)
	if s.stats != nil {
		s.stats.RecordsSent.Add(int64(sent))
		s.stats.BytesSent.Add(int64(sentBytes))
		s.stats.RecordSendErrors.Add(int64(failed))
		if sent > 0 {
			// A call whose every entry failed (a disabled KMS key, all
			// throttled) delivered nothing: /healthz must not count it.
			s.stats.LastSuccess.Store(now)
		}
	}
	if s.observer != nil {
		s.observer.ObserveCall(flowstats.Call{Destination: s.dest, Attempted: len(pending), Sent: sent, Failed: failed,
			BytesSent: int64(sentBytes), Latency: latency})
	}
	if failed > 0 {
		s.log.Debug(bufferName(b, attempted, size) + " partial success: " + strconv.Itoa(sent) + " sent, " +
			strconv.Itoa(failed) + " failed; retrying the failed records")
	}
	if throttled > 0 {
		s.noteThrottled(throttled, now)
	}
	if firstCode != "" {
		s.entryError(bufferName(b, attempted, size), firstCode, firstMsg, failed-throttled, now)
	}
	return pending[:w]
}

// callFailed accounts and logs a call that failed as a whole; it reports
// whether the service rejected the request as invalid.
func (s *sender) callFailed(b *batch.Batch, part []int, err error, latency time.Duration, now time.Time) bool {
	attempted := len(part)
	s.backoff.Failure()
	if s.stats != nil {
		s.stats.ServiceErrors.Add(1)
	}
	if s.observer != nil {
		s.observer.ObserveCall(flowstats.Call{Destination: s.dest, Attempted: attempted, Failed: attempted,
			ServiceError: true, Latency: latency})
	}
	code, msg := "", err.Error()
	// The credential provider's (STS AssumeRole denied or throttled): not
	// the destination's answer.
	fromCredentials := awserr.FromCredentials(err)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
		if fromCredentials {
			// With the call that failed (STS: AssumeRole…), its HTTP
			// status and the credential source.
			code, msg = awserr.Credentials(err, s.credSource)
		}
		if code == "RequestTimeTooSkewed" || strings.Contains(msg, "Signature expired") || strings.Contains(msg, "Signature not yet current") {
			// (The SDK corrects its clock offset from the answer: the next
			// call is signed right.)
			msg = strings.TrimRight(msg, ". ") + " (this host's clock is off: check its time synchronisation, chronyd or ntpd)"
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestEntityTooLarge {
		// A front end (proxy, VPC endpoint policy, a local server) refused
		// the body's size: isolate by halving, as an invalid request.
		code = "RequestEntityTooLarge"
	}
	// Firehose: a delivery stream fed by a Kinesis stream takes no
	// PutRecordBatch ("This operation is not permitted on
	// KinesisStreamAsSource delivery stream type."): no record is at fault.
	kinesisSource := s.kind == "delivery stream" && code == "InvalidArgumentException" &&
		strings.Contains(msg, "on KinesisStreamAsSource delivery stream type")
	unusable := unusableCodes[code] || kinesisSource
	limKey := code
	if kinesisSource {
		limKey = "KinesisStreamAsSource" // (not the invalid calls' limit)
	}
	switch {
	case fromCredentials && !unusable:
		// (Not the stream's throttling, and nothing in the request is
		// invalid: logged as it is.)
		s.logRetriable(b, part, code, msg, now)
	case throttleCodes[code]:
		s.noteThrottled(attempted, now)
	case unusable:
		if ok, suppressed := s.unusableLim.allow(limKey, now); ok {
			s.log.Error(fmt.Sprintf("Cannot send to %s %s in region %s at endpoint %s: %s: %s. Will keep retrying%s.",
				s.kind, s.name, s.region, s.endpoint, code, strings.TrimRight(s.redact(msg), ". "), suppressedText(suppressed)))
		}
	case invalidCodes[code]:
		if ok, suppressed := s.unusableLim.allow(code, now); ok {
			s.log.Error(fmt.Sprintf("%s rejected by %s as invalid (%s: %s). Retrying in smaller calls to isolate "+
				"the records that cannot be accepted as sent; those are retried and never dropped, so the checkpoint "+
				"of their file cannot advance past them%s.",
				partName(b, part), s.dest, code, s.redact(msg), suppressedText(suppressed)))
		}
		return true
	default:
		s.logRetriable(b, part, code, msg, now)
	}
	return false
}

// logRetriable logs a failed call that is retried as it is (rate-limited
// per code).
func (s *sender) logRetriable(b *batch.Batch, part []int, code, msg string, now time.Time) {
	if code == "" {
		code = "error"
	}
	if ok, suppressed := s.errLim.allow(code, now); ok {
		s.log.Error(fmt.Sprintf("%s Retriable send error (%s: %s). Will retry%s.",
			partName(b, part), code, s.redact(msg), suppressedText(suppressed)))
	}
}

// redact masks secrets in service text about to be logged.
func (s *sender) redact(msg string) string {
	if s.redactFn == nil {
		return msg
	}
	return s.redactFn(msg)
}

// entryError logs the first non-throttling error of n entries that failed
// in the call named name (bufferName).
func (s *sender) entryError(name, code, msg string, n int, now time.Time) {
	lim := &s.errLim
	if unusableCodes[code] || invalidCodes[code] {
		lim = &s.unusableLim
	}
	if ok, suppressed := lim.allow("entry:"+code, now); ok {
		s.log.Error(fmt.Sprintf("%s: %d record(s) failed in %s (%s: %s). Will retry%s.",
			name, n, s.dest, code, s.redact(msg), suppressedText(suppressed)))
	}
}

func (s *sender) noteThrottled(records int, now time.Time) {
	if line, ok := s.throttle.add(records, now); ok {
		s.log.Warn(fmt.Sprintf("%s: %s. Retrying with backoff.", s.dest, line))
	}
}

// bufferName is Java's RecordBuffer(id=<n>,records=<n>,bytes=<n>) for the
// entries of b one call sent: records and bytes both of that set (Java's
// buffer holds the records still to send, its bytes theirs). It named the
// failed entries' count beside the whole batch's bytes.
func bufferName(b *batch.Batch, records, bytes int) string {
	return "RecordBuffer(id=" + strconv.FormatInt(b.ID, 10) + ",records=" + strconv.Itoa(records) +
		",bytes=" + strconv.Itoa(bytes) + ")"
}

// partName is bufferName for the entries part of b.
func partName(b *batch.Batch, part []int) string {
	size := b.Bytes
	if len(part) != len(b.Entries) {
		size = 0
		for _, i := range part {
			size += entrySize(&b.Entries[i])
		}
	}
	return bufferName(b, len(part), size)
}

// entrySize is what an entry counts in Batch.Bytes: its data, and its
// partition key (Kinesis; Firehose entries have none).
func entrySize(e *batch.Entry) int { return len(e.Data) + len(e.Key) }

func suppressedText(n int) string {
	if n == 0 {
		return ""
	}
	return " (" + strconv.Itoa(n) + " similar errors not logged)"
}

// throttleSummary turns throttling events into one line per interval.
type throttleSummary struct {
	interval time.Duration
	mu       sync.Mutex
	records  int
	calls    int
	since    time.Time
	last     time.Time
}

// add notes a throttled call of records; it returns the summary line when
// one is due (the first event, then at most once per interval).
// add(0, now) only emits a summary of earlier events that is due.
func (t *throttleSummary) add(records int, now time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if records > 0 {
		if t.calls == 0 {
			t.since = now
		}
		t.records += records
		t.calls++
	}
	if t.calls == 0 {
		return "", false
	}
	if !t.last.IsZero() && now.Sub(t.last) < t.interval {
		return "", false
	}
	line := strconv.Itoa(t.records) + " records throttled in " + strconv.Itoa(t.calls) + " calls"
	if !t.last.IsZero() {
		line += " in the last " + now.Sub(t.since).Round(time.Second).String()
	}
	t.last = now
	t.records, t.calls = 0, 0
	return line, true
}

// rateLimiter allows one event per key per interval and counts the rest.
type rateLimiter struct {
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	dropped  map[string]int
}

func (r *rateLimiter) allow(key string, now time.Time) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last, r.dropped = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := r.last[key]; ok && now.Sub(t) < r.interval {
		r.dropped[key]++
		return false, 0
	}
	r.last[key] = now
	n := r.dropped[key]
	r.dropped[key] = 0
	return true, n
}
