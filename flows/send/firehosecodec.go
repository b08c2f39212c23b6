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
type putRecordBatchCodec struct{ codec }

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
	return setBody(req, firehoseTarget, jsonContentType, body, holder, c.bodies)
}

func (c *putRecordBatchCodec) DeserializeResponse(ctx context.Context, schema *smithy.OperationSchema, reg *smithy.TypeRegistry, resp *smithyhttp.Response, out smithy.Deserializable) error {
	po, ok := out.(*firehose.PutRecordBatchOutput)
	if !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return c.ClientProtocol.DeserializeResponse(ctx, schema, reg, resp, out)
	}
	return decodeResponse(c.respBufs, resp, func(p []byte) error { return decodePutRecordBatchOutput(p, po) })
}

// putRecordBatchAnswer: FailedPutCount and RequestResponses; RecordId and
// Encrypted are skipped.
var putRecordBatchAnswer = answerShape[fhtypes.PutRecordBatchResponseEntry]{
	op: "PutRecordBatch", count: "FailedPutCount", entries: "RequestResponses",
	max: batch.FirehoseMaxRecords, succeeded: make([]fhtypes.PutRecordBatchResponseEntry, batch.FirehoseMaxRecords),
	errs: func(e *fhtypes.PutRecordBatchResponseEntry) (code, msg **string) {
		return &e.ErrorCode, &e.ErrorMessage
	},
}

// decodePutRecordBatchOutput reads the fields of a PutRecordBatch answer
// the sender needs.
func decodePutRecordBatchOutput(p []byte, out *firehose.PutRecordBatchOutput) error {
	return decodeAnswer(p, &putRecordBatchAnswer, &out.FailedPutCount, &out.RequestResponses)
}

// newPutRecordBatchCodecOption installs the codec on a Firehose client's
// call (per call, as newPutRecordsCodecOption).
func newPutRecordBatchCodecOption(respBufs *sync.Pool, bodies *bodyPool) func(*firehose.Options) {
	c := codec{respBufs: respBufs, bodies: bodies}
	return func(o *firehose.Options) {
		installCodec(&o.Protocol, &o.APIOptions, c, func(c codec) smithyhttp.ClientProtocol { return &putRecordBatchCodec{c} })
	}
}
