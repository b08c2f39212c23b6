package send

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
)

// putRecordsCodec replaces the SDK's generic awsJson1.1 (de)serialization
// for PutRecords only (every other operation is delegated). The SDK's
// schema serializer allocates per record (base64 string, keys) and copies
// the body; its deserializer allocates a result entry plus strings per
// record. This codec writes the request body in one exactly-sized
// allocation and reads the answer into a pooled buffer, decoding only
// FailedRecordCount and each entry's ErrorCode/ErrorMessage
// (SequenceNumber and ShardId are not decoded: the sender does not use them).
//
// It is installed per call through an option function, so the request body
// is never reused: the HTTP transport may still read a request body after
// the call has returned (net/http RoundTrip contract).
//
// With cbor set it writes the request as application/x-amz-cbor-1.1, as the
// AWS SDK for Java and so the Java agent do (cborcodec.go).
type putRecordsCodec struct {
	codec
	cbor bool
}

// codec is what this package's codecs share: the SDK protocol they
// delegate other operations to, and their buffers.
type codec struct {
	smithyhttp.ClientProtocol
	respBufs *sync.Pool // *bytes.Buffer
	// bodies, when set, recycles request bodies of calls made with a
	// bodyHolder in their context (see pooledbody.go).
	bodies *bodyPool
}

func (codec) agentCodec() {}

// installCodec puts the codec made by wrap in place of the client's
// protocol *proto for one call (the option function's client copy): not
// when there is none, or when it is already one of this package's codecs.
// Pooled bodies get their SigV4 payload hash from the pool's buffer.
func installCodec(proto *smithyhttp.ClientProtocol, apiOptions *[]func(*middleware.Stack) error, c codec, wrap func(codec) smithyhttp.ClientProtocol) {
	if *proto == nil {
		return
	}
	if _, already := (*proto).(interface{ agentCodec() }); already {
		return
	}
	c.ClientProtocol = *proto
	*proto = wrap(c)
	if c.bodies != nil {
		*apiOptions = append(*apiOptions, addPayloadHash)
	}
}

const kinesisTarget = "Kinesis_20131202.PutRecords"

func (c *putRecordsCodec) SerializeRequest(ctx context.Context, schema *smithy.OperationSchema, in smithy.Serializable, req *smithyhttp.Request) error {
	pr, ok := in.(*kinesis.PutRecordsInput)
	if !ok || schema.ID().Name != "PutRecords" || pr.StreamName == nil || pr.StreamARN != nil {
		return c.ClientProtocol.SerializeRequest(ctx, schema, in, req)
	}
	for i := range pr.Records {
		if e := &pr.Records[i]; e.PartitionKey == nil || e.ExplicitHashKey != nil {
			return c.ClientProtocol.SerializeRequest(ctx, schema, in, req)
		}
	}
	if c.cbor {
		return c.serializeCBOR(ctx, pr, req)
	}
	size := len(`{"Records":[],"StreamName":""}`) + 2*len(*pr.StreamName)
	for i := range pr.Records {
		e := &pr.Records[i]
		size += len(`{"Data":"","PartitionKey":""},`) + base64.StdEncoding.EncodedLen(len(e.Data)) + 6*len(*e.PartitionKey)
	}
	body, holder := startBody(ctx, c.bodies, size)
	body = append(body, `{"Records":[`...)
	for i := range pr.Records {
		e := &pr.Records[i]
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"Data":"`...)
		body = appendBase64(body, e.Data)
		body = append(body, `","PartitionKey":"`...)
		body = appendJSONString(body, *e.PartitionKey)
		body = append(body, `"}`...)
	}
	body = append(body, `],"StreamName":"`...)
	body = appendJSONString(body, *pr.StreamName)
	body = append(body, `"}`...)
	return setBody(req, kinesisTarget, jsonContentType, body, holder, c.bodies)
}

// startBody returns an empty request body of capacity size: from pool when
// the caller will release it after the call (a bodyHolder in ctx, which is
// then returned), else a fresh allocation.
func startBody(ctx context.Context, pool *bodyPool, size int) ([]byte, *bodyHolder) {
	holder := bodyHolderFrom(ctx)
	if holder != nil && (holder.body != nil || pool == nil) {
		holder = nil // serialized twice in one call: do not pool the second
	}
	if holder != nil {
		return pool.get(size), holder
	}
	return make([]byte, 0, size), nil
}

const jsonContentType = "application/x-amz-json-1.1"

// setBody makes body the request of target (X-Amz-Target) in contentType
// (awsJson1.1 or its CBOR form). A pooled body is left in holder for the
// caller to release.
func setBody(req *smithyhttp.Request, target, contentType string, body []byte, holder *bodyHolder, pool *bodyPool) error {
	req.Method = http.MethodPost
	if len(req.URL.Path) == 0 {
		req.URL.Path = "/"
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", contentType)
	var stream io.Reader
	if holder != nil {
		pb := &pooledBody{buf: body, pool: pool}
		holder.body = pb
		stream = pb
	} else {
		// Not pooled (no pool release), but like a pooled body without
		// WriteTo (pooledbody.go says why).
		stream = &pooledBody{buf: body}
	}
	sreq, err := req.SetStream(stream)
	if err != nil {
		return fmt.Errorf("set stream: %w", err)
	}
	*req = *sreq
	return nil
}

// maxPooledAnswer is the largest answer buffer kept for reuse: a full
// PutRecords answer is under 100 KB.
const maxPooledAnswer = 1 << 20

// decodeResponse reads a successful answer into a pooled buffer and
// decodes it with decode.
func decodeResponse(respBufs *sync.Pool, resp *smithyhttp.Response, decode func([]byte) error) error {
	buf := respBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			respBufs.Put(buf) // (a rare large answer is not kept for the agent's life)
		}
	}()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return &smithy.DeserializationError{Err: err}
	}
	if err := decode(buf.Bytes()); err != nil {
		return &smithy.DeserializationError{Err: err, Snapshot: append([]byte(nil), buf.Bytes()[:min(buf.Len(), 1024)]...)}
	}
	return nil
}

func (c *putRecordsCodec) DeserializeResponse(ctx context.Context, schema *smithy.OperationSchema, reg *smithy.TypeRegistry, resp *smithyhttp.Response, out smithy.Deserializable) error {
	po, ok := out.(*kinesis.PutRecordsOutput)
	if !ok {
		return c.ClientProtocol.DeserializeResponse(ctx, schema, reg, resp, out)
	}
	// The service answers in the request's format; a proxy in between may
	// not (its own errors): the answer's Content-Type decides.
	isCBOR := isCBORResponse(resp)
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		if isCBOR {
			cborErrorAsJSON(resp)
		}
		return c.ClientProtocol.DeserializeResponse(ctx, schema, reg, resp, out)
	}
	if isCBOR {
		return decodeResponse(c.respBufs, resp, func(p []byte) error { return decodeCBORPutRecordsOutput(p, po) })
	}
	return decodeResponse(c.respBufs, resp, func(p []byte) error { return decodePutRecordsOutput(p, po) })
}

// appendJSONString appends s escaped for the inside of a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// decodePutRecordsOutput reads the fields of a PutRecords answer the sender
// needs. Unknown members (EncryptionType, each entry's SequenceNumber and
// ShardId) are skipped.
func decodePutRecordsOutput(p []byte, out *kinesis.PutRecordsOutput) error {
	return decodeAnswer(p, &putRecordsAnswer, &out.FailedRecordCount, &out.Records)
}

// answerShape names the members of a batch call's answer (PutRecords or
// PutRecordBatch): the failed-entry count, the entry array and, in each
// entry, the error code and message.
type answerShape[E any] struct {
	op, count, entries string
	max                int
	succeeded          []E // shared, read-only all-success entries
	errs               func(*E) (code, msg **string)
}

var putRecordsAnswer = answerShape[types.PutRecordsResultEntry]{
	op: "PutRecords", count: "FailedRecordCount", entries: "Records",
	// A run of zero-value result entries (no ErrorCode: accepted), shared
	// read-only by every answer whose FailedRecordCount is 0.
	max: batch.KinesisMaxRecords, succeeded: make([]types.PutRecordsResultEntry, batch.KinesisMaxRecords),
	errs: func(e *types.PutRecordsResultEntry) (code, msg **string) { return &e.ErrorCode, &e.ErrorMessage },
}

var errorCodeKey = []byte("ErrorCode") // (no quote: a quote starts every JSON string, the scan would stop at each)

// decodeAnswer reads a batch call's answer into *count and *entries.
// Unknown members are skipped.
func decodeAnswer[E any](p []byte, sh *answerShape[E], count **int32, entries *[]E) error {
	s := jscan{b: p, op: sh.op}
	if !s.consume('{') {
		return s.err("expected object")
	}
	for first := true; ; first = false {
		if s.consume('}') {
			break
		}
		if !first && !s.consume(',') {
			return s.err("expected , or }")
		}
		key, ok := s.rawString()
		if !ok || !s.consume(':') {
			return s.err("expected member name")
		}
		switch string(key) {
		case sh.count:
			if s.null() {
				continue // as the SDK's decoder: the entries decide anyway
			}
			n, ok := s.integer()
			if !ok {
				return s.err("bad " + sh.count)
			}
			v := int32(n)
			*count = &v
		case sh.entries:
			if s.null() {
				continue
			}
			if *count != nil && **count == 0 {
				// Every entry succeeded (the service sends the count first):
				// count the entries and point at shared zero-value results
				// instead of decoding a million sequence numbers or record ids
				// (one scan, no allocation). The entries decide, not the
				// count, as in Java: an answer whose count says 0 while an
				// entry has an ErrorCode is decoded in full below.
				start := s.i
				n, ok := s.countArray()
				if !ok || n > sh.max {
					return s.err("bad " + sh.entries + " array")
				}
				if !bytes.Contains(s.b[start:s.i], errorCodeKey) {
					*entries = sh.succeeded[:n:n]
					continue
				}
				s.i = start
			}
			if !s.consume('[') {
				return s.err("expected " + sh.entries + " array")
			}
			// Always a fresh slice: a repeated member replaces the earlier one,
			// which may be the shared, read-only succeeded entries.
			list := make([]E, 0, sh.max)
			for n := 0; ; n++ {
				if s.consume(']') {
					break
				}
				if n > 0 && !s.consume(',') {
					return s.err("expected , or ]")
				}
				var e E
				code, msg := sh.errs(&e)
				if err := s.errorEntry(code, msg); err != nil {
					return err
				}
				list = append(list, e)
			}
			*entries = list
		default:
			if !s.skipValue(0) {
				return s.err("bad value of " + string(key))
			}
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return s.err("trailing data")
	}
	return nil
}

// errorEntry decodes one result entry (an object or null) of PutRecords or
// PutRecordBatch: its ErrorCode and ErrorMessage; other members are skipped.
func (s *jscan) errorEntry(code, msg **string) error {
	if s.null() {
		return nil
	}
	if !s.consume('{') {
		return s.err("expected result entry")
	}
	for first := true; ; first = false {
		if s.consume('}') {
			return nil
		}
		if !first && !s.consume(',') {
			return s.err("expected , or }")
		}
		key, ok := s.rawString()
		if !ok || !s.consume(':') {
			return s.err("expected member name")
		}
		switch string(key) {
		case "ErrorCode", "ErrorMessage":
			str, isNull, ok := s.stringOrNull()
			if !ok {
				return s.err("bad " + string(key))
			}
			var v *string
			if !isNull {
				v = &str
			}
			if key[5] == 'C' {
				*code = v
			} else {
				*msg = v
			}
		default:
			if !s.skipValue(0) {
				return s.err("bad value of " + string(key))
			}
		}
	}
}

// jscan is a minimal JSON scanner over a complete document.
type jscan struct {
	b  []byte
	i  int
	op string // the operation whose answer this is, for errors
}

func (s *jscan) err(msg string) error {
	return fmt.Errorf("%s response: %s at offset %d", s.op, msg, s.i)
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jscan) null() bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// rawString returns the bytes between the quotes of a string, escapes
// undecoded.
func (s *jscan) rawString() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.i
	// Fast path: the closing quote with no backslash before it (answers
	// are mostly SequenceNumber/ShardId strings without escapes).
	if q := bytes.IndexByte(s.b[start:], '"'); q >= 0 && bytes.IndexByte(s.b[start:start+q], '\\') < 0 {
		s.i = start + q + 1
		return s.b[start : start+q], true
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
		case '"':
			raw := s.b[start:s.i]
			s.i++
			return raw, true
		default:
			s.i++
		}
	}
	return nil, false
}

// stringOrNull decodes a string value (or null).
func (s *jscan) stringOrNull() (str string, isNull, ok bool) {
	if s.null() {
		return "", true, true
	}
	s.ws()
	start := s.i
	raw, ok := s.rawString()
	if !ok {
		return "", false, false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw), false, true
	}
	if err := json.Unmarshal(s.b[start:s.i], &str); err != nil {
		return "", false, false
	}
	return str, false, true
}

func (s *jscan) integer() (int64, bool) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		s.i++
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

// countArray skips an array and returns its number of elements.
func (s *jscan) countArray() (int, bool) {
	if !s.consume('[') {
		return 0, false
	}
	for n := 0; ; n++ {
		if s.consume(']') {
			return n, true
		}
		if n > 0 && !s.consume(',') {
			return 0, false
		}
		if !s.skipValue(1) {
			return 0, false
		}
	}
}

// skipValue skips any JSON value.
func (s *jscan) skipValue(depth int) bool {
	if depth > 64 {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.rawString()
		return ok
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		s.i++
		for n := 0; ; n++ {
			if s.consume(closer) {
				return true
			}
			if n > 0 && !s.consume(',') {
				return false
			}
			if c == '{' {
				if _, ok := s.rawString(); !ok || !s.consume(':') {
					return false
				}
			}
			if !s.skipValue(depth + 1) {
				return false
			}
		}
	default: // number, true, false, null
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.i > start
			}
			s.i++
		}
		return s.i > start
	}
}

// newPutRecordsCodecOption returns the per-call option installing the codec
// (CBOR requests when cbor is set). bodies may be nil (request bodies are not
// recycled).
func newPutRecordsCodecOption(respBufs *sync.Pool, cbor bool, bodies ...*bodyPool) func(*kinesis.Options) {
	c := codec{respBufs: respBufs}
	if len(bodies) > 0 {
		c.bodies = bodies[0]
	}
	return func(o *kinesis.Options) {
		installCodec(&o.Protocol, &o.APIOptions, c, func(c codec) smithyhttp.ClientProtocol { return &putRecordsCodec{codec: c, cbor: cbor} })
	}
}
