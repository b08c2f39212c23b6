package send

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	smithycbor "github.com/aws/smithy-go/encoding/cbor"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/cborscan"
)

// Kinesis's CBOR protocol is its awsJson1.1 protocol with the documents in
// CBOR (RFC 8949): the same X-Amz-Target, the same member names, blobs as
// byte strings instead of base64 text. Both local emulators accept it
// (kinesalite stores the data of a CBOR put in a form its own GetRecords
// cannot give back: docs/COMPATIBILITY.md).
const cborContentType = cborscan.ContentType

var (
	cborRecords      = cborscan.AppendText(nil, "Records")
	cborData         = cborscan.AppendText(nil, "Data")
	cborPartitionKey = cborscan.AppendText(nil, "PartitionKey")
	cborStreamName   = cborscan.AppendText(nil, "StreamName")
)

// serializeCBOR writes pr (StreamName set, every entry with a partition key
// and no explicit hash key) in one exactly-sized buffer.
func (c *putRecordsCodec) serializeCBOR(ctx context.Context, pr *kinesis.PutRecordsInput, req *smithyhttp.Request) error {
	n := uint64(len(pr.Records))
	size := 1 + len(cborRecords) + cborscan.HeadLen(n) + len(cborStreamName) + cborscan.HeadLen(uint64(len(*pr.StreamName))) + len(*pr.StreamName)
	for i := range pr.Records {
		e := &pr.Records[i]
		size += 1 + len(cborData) + cborscan.HeadLen(uint64(len(e.Data))) + len(e.Data) +
			len(cborPartitionKey) + cborscan.HeadLen(uint64(len(*e.PartitionKey))) + len(*e.PartitionKey)
	}
	body, holder := startBody(ctx, c.bodies, size)
	body = cborscan.AppendHead(body, cborscan.Map, 2)
	body = append(body, cborRecords...)
	body = cborscan.AppendHead(body, cborscan.Array, n)
	for i := range pr.Records {
		e := &pr.Records[i]
		body = cborscan.AppendHead(body, cborscan.Map, 2)
		body = append(body, cborData...)
		body = cborscan.AppendBytes(body, e.Data)
		body = append(body, cborPartitionKey...)
		// Partition keys are ASCII (RANDOM digits, DETERMINISTIC hex):
		// valid CBOR text.
		body = cborscan.AppendText(body, *e.PartitionKey)
	}
	body = append(body, cborStreamName...)
	body = cborscan.AppendText(body, *pr.StreamName)
	return setBody(req, kinesisTarget, cborContentType, body, holder, c.bodies)
}

// isCBORResponse reports whether an answer's Content-Type is Kinesis's CBOR.
func isCBORResponse(resp *smithyhttp.Response) bool {
	return cborscan.IsContentType(resp.Header.Get("Content-Type"))
}

// answerErr names what a PutRecords answer lacked, and where.
func answerErr(r *cborscan.Reader, what string) error {
	return fmt.Errorf("PutRecords response: %w", r.Err(what))
}

// decodeCBORPutRecordsOutput reads the fields of a CBOR PutRecords answer
// the sender needs, as decodePutRecordsOutput does for JSON: the failed
// count and each entry's ErrorCode and ErrorMessage. An answer whose entries
// carry no ErrorCode is read without allocating (shared accepted entries).
func decodeCBORPutRecordsOutput(p []byte, out *kinesis.PutRecordsOutput) error {
	r := &cborscan.Reader{B: p}
	fail := func(what string) error { return answerErr(r, what) }
	n, ok := r.Container(cborscan.Map)
	if !ok {
		return fail("a map")
	}
	var scratch []byte
	for r.Next(&n) {
		var key []byte
		if key, scratch, ok = r.String(cborscan.Text, scratch); !ok {
			return fail("a member name")
		}
		switch string(key) {
		case "FailedRecordCount":
			if r.Nil() {
				continue
			}
			v, ok := r.Uint()
			if !ok || v > math.MaxInt32 {
				return fail("FailedRecordCount as an integer")
			}
			c := int32(v)
			out.FailedRecordCount = &c
		case "Records":
			if r.Nil() {
				continue
			}
			start := r.I
			count, failed, err := scanCBOREntries(r)
			if err != nil {
				return err
			}
			if !failed {
				// The entries decide, as in Java (and the JSON codec): none
				// has an ErrorCode, so every record was accepted, whatever
				// the count says.
				out.Records = putRecordsAnswer.succeeded[:count:count]
				continue
			}
			r.I = start
			list, err := decodeCBOREntries(r, count)
			if err != nil {
				return err
			}
			out.Records = list
		default:
			if !r.Skip() {
				return fail("a value of " + string(key))
			}
		}
	}
	if n != 0 || r.I != len(p) {
		return fail("the end of the answer")
	}
	return nil
}

// scanCBOREntries steps over the Records array, counting its entries and
// reporting whether any has an ErrorCode (a text, not null).
func scanCBOREntries(r *cborscan.Reader) (count int, failed bool, err error) {
	fail := func(what string) error { return answerErr(r, what) }
	n, ok := r.Container(cborscan.Array)
	if !ok {
		return 0, false, fail("the Records array")
	}
	for r.Next(&n) {
		if count++; count > putRecordsAnswer.max {
			return 0, false, fail(fmt.Sprintf("at most %d result entries", putRecordsAnswer.max))
		}
		if r.Nil() {
			continue
		}
		m, ok := r.Container(cborscan.Map)
		if !ok {
			return 0, false, fail("a result entry")
		}
		for r.Next(&m) {
			key, _, ok := r.String(cborscan.Text, nil)
			if !ok {
				return 0, false, fail("a member name")
			}
			if r.Nil() {
				continue
			}
			if string(key) == "ErrorCode" {
				failed = true // decodeCBOREntries reads it
			}
			if !r.Skip() {
				return 0, false, fail("a value of " + string(key))
			}
		}
		if m != 0 {
			return 0, false, fail("the end of a result entry")
		}
	}
	if n != 0 {
		return 0, false, fail("the end of the Records array")
	}
	return count, failed, nil
}

// decodeCBOREntries reads the Records array (already checked by
// scanCBOREntries: count entries) into result entries.
func decodeCBOREntries(r *cborscan.Reader, count int) ([]types.PutRecordsResultEntry, error) {
	fail := func(what string) error { return answerErr(r, what) }
	n, _ := r.Container(cborscan.Array)
	list := make([]types.PutRecordsResultEntry, 0, count)
	for r.Next(&n) {
		var e types.PutRecordsResultEntry
		if !r.Nil() {
			m, _ := r.Container(cborscan.Map)
			for r.Next(&m) {
				key, _, _ := r.String(cborscan.Text, nil)
				var dst **string
				switch string(key) {
				case "ErrorCode":
					dst = &e.ErrorCode
				case "ErrorMessage":
					dst = &e.ErrorMessage
				default:
					r.Skip()
					continue
				}
				if r.Nil() {
					*dst = nil // a repeated member replaces the earlier one
					continue
				}
				v, _, ok := r.String(cborscan.Text, nil)
				if !ok {
					return nil, fail(string(key) + " as text or null")
				}
				s := string(v)
				*dst = &s
			}
		}
		list = append(list, e)
	}
	return list, nil
}

// cborErrorAsJSON rewrites a CBOR error answer ({"__type": ..., "message":
// ...}, tagged or not) as the awsJson1.1 one, for the SDK's error decoding
// (typed errors, codes, messages) to read it as it reads every other answer.
// The body is always replaced by JSON: what is not such a map becomes {},
// so that the X-Amzn-ErrorType header, when present, names the error (the
// SDK parses the body before it looks at the header).
func cborErrorAsJSON(resp *smithyhttp.Response) {
	orig := resp.Body
	doc := map[string]string{}
	if raw, err := io.ReadAll(io.LimitReader(orig, 1<<20)); err == nil {
		if v, derr := smithycbor.Decode(raw); derr == nil {
			if m, ok := untag(v).(smithycbor.Map); ok {
				for _, k := range []string{"__type", "code", "message", "Message"} {
					if s, ok := untag(m[k]).(smithycbor.String); ok {
						doc[k] = string(s)
					}
				}
			}
		}
	}
	j, _ := json.Marshal(doc) // a map of strings always marshals
	resp.Header.Set("Content-Type", jsonContentType)
	resp.ContentLength = int64(len(j))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{bytes.NewReader(j), orig}
}

// untag returns the value under any tags (such as 55799, self-described
// CBOR, which Jackson writes with WRITE_TYPE_HEADER).
func untag(v smithycbor.Value) smithycbor.Value {
	for range cborscan.MaxDepth {
		t, ok := v.(*smithycbor.Tag)
		if !ok {
			break
		}
		v = t.Value
	}
	return v
}
