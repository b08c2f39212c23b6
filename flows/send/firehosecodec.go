package send

import (
	"context"
	"encoding/base64"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
)

// putRecordBatchCodec is putRecordsCodec for Firehose's PutRecordBatch:
// the request body written in one exactly-sized (pooled) buffer, the
// answer read into a pooled buffer and only FailedPutCount and each entry's
// ErrorCode/ErrorMessage decoded (RecordId and Encrypted are not used).
// Every other operation is delegated to the SDK's awsJson1.1 protocol.
type putRecordBatchCodec struct {
	smithyhttp.ClientProtocol
	respBufs *sync.Pool // *bytes.Buffer
	bodies   *bodyPool  // nil: bodies are not pooled
}

const firehoseTarget = "Firehose_20150804.PutRecordBatch"

func (c *putRecordBatchCodec) SerializeRequest(ctx context.Context, schema *smithy.OperationSchema, in smithy.Serializable, req *smithyhttp.Request) error {
	pr, ok := in.(*firehose.PutRecordBatchInput)
	if !ok || schema.ID().Name != "PutRecordBatch" || pr.DeliveryStreamName == nil {
		return c.ClientProtocol.SerializeRequest(ctx, schema, in, req)
	}
	size := len(`{"DeliveryStreamName":"","Records":[]}`) + 2*len(*pr.DeliveryStreamName)
	for i := range pr.Records {
		size += len(`{"Data":""},`) + base64.StdEncoding.EncodedLen(len(pr.Records[i].Data))
	}
	body, holder := startBody(ctx, c.bodies, size)
	body = append(body, `{"DeliveryStreamName":"`...)
	body = appendJSONString(body, *pr.DeliveryStreamName)
	body = append(body, `","Records":[`...)
	for i := range pr.Records {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"Data":"`...)
		body = appendBase64(body, pr.Records[i].Data)
		body = append(body, `"}`...)
	}
	body = append(body, `]}`...)
	return setJSONBody(req, firehoseTarget, body, holder, c.bodies)
}

func (c *putRecordBatchCodec) DeserializeResponse(ctx context.Context, schema *smithy.OperationSchema, reg *smithy.TypeRegistry, resp *smithyhttp.Response, out smithy.Deserializable) error {
	po, ok := out.(*firehose.PutRecordBatchOutput)
	if !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return c.ClientProtocol.DeserializeResponse(ctx, schema, reg, resp, out)
	}
	return decodeJSONResponse(c.respBufs, resp, func(p []byte) error { return decodePutRecordBatchOutput(p, po) })
}

// fhSucceeded backs the entries of all-success answers: read-only.
var fhSucceeded = make([]fhtypes.PutRecordBatchResponseEntry, batch.FirehoseMaxRecords)

// decodePutRecordBatchOutput reads the fields of a PutRecordBatch answer
// the sender needs. Unknown members are skipped.
func decodePutRecordBatchOutput(p []byte, out *firehose.PutRecordBatchOutput) error {
	s := jscan{b: p, op: "PutRecordBatch"}
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
		case "FailedPutCount":
			n, ok := s.integer()
			if !ok {
				return s.err("bad FailedPutCount")
			}
			v := int32(n)
			out.FailedPutCount = &v
		case "RequestResponses":
			if s.null() {
				continue
			}
			if out.FailedPutCount != nil && *out.FailedPutCount == 0 {
				// Every entry succeeded (FailedPutCount came first): count the
				// entries and point at shared zero-value results.
				n, ok := s.countArray()
				if !ok || n > batch.FirehoseMaxRecords {
					return s.err("bad RequestResponses array")
				}
				out.RequestResponses = fhSucceeded[:n:n]
				continue
			}
			if !s.consume('[') {
				return s.err("expected RequestResponses array")
			}
			// Always a fresh slice: a repeated member replaces the earlier one,
			// which may be the shared, read-only fhSucceeded entries.
			out.RequestResponses = make([]fhtypes.PutRecordBatchResponseEntry, 0, batch.FirehoseMaxRecords)
			for n := 0; ; n++ {
				if s.consume(']') {
					break
				}
				if n > 0 && !s.consume(',') {
					return s.err("expected , or ]")
				}
				var e fhtypes.PutRecordBatchResponseEntry
				if err := s.errorEntry(&e.ErrorCode, &e.ErrorMessage); err != nil {
					return err
				}
				out.RequestResponses = append(out.RequestResponses, e)
			}
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

// newPutRecordBatchCodecOption installs the codec on a Firehose client's
// call (per call, as newPutRecordsCodecOption).
func newPutRecordBatchCodecOption(respBufs *sync.Pool, bodies *bodyPool) func(*firehose.Options) {
	return func(o *firehose.Options) {
		if o.Protocol == nil {
			return
		}
		if _, already := o.Protocol.(*putRecordBatchCodec); already {
			return
		}
		o.Protocol = &putRecordBatchCodec{ClientProtocol: o.Protocol, respBufs: respBufs, bodies: bodies}
		if bodies != nil {
			o.APIOptions = append(o.APIOptions, addPayloadHash)
		}
	}
}
