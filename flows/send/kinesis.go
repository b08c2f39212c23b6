package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
)

// KinesisAPI is the part of *kinesis.Client the sender uses.
type KinesisAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// FirehoseAPI is the part of *firehose.Client the sender uses.
type FirehoseAPI interface {
	PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, optFns ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

// FlowSender is a Sender that also exposes its flow's backoff.
type FlowSender interface {
	Sender
	Backoff() *Backoff
}

// NewKinesis returns a Sender that puts batches into a Kinesis stream with
// PutRecords. Entries carry their batch partition keys; no explicit hash key.
func NewKinesis(api KinesisAPI, stream string, o Options) FlowSender {
	if c, ok := api.(*kinesis.Client); ok {
		opts := c.Options()
		if o.Region == "" {
			o.Region = opts.Region
		}
		if o.Endpoint == "" && opts.BaseEndpoint != nil {
			o.Endpoint = *opts.BaseEndpoint
		}
	}
	k := &kinesisCaller{api: api, stream: stream}
	k.pool.New = func() any { s := make([]types.PutRecordsRequestEntry, 0, batch.KinesisMaxRecords); return &s }
	retryer := RetryerNoQuota()
	k.optFns = []func(*kinesis.Options){func(o *kinesis.Options) { o.Retryer = retryer }}
	if o.FastCodec {
		k.respBufs.New = func() any { return new(bytes.Buffer) }
		k.bodies = &bodyPool{}
		base := k.optFns
		k.optFns = append(base[:len(base):len(base)], newPutRecordsCodecOption(&k.respBufs, o.CBOR, k.bodies))
		if o.CBOR {
			k.jsonOptFns = append(base[:len(base):len(base)], newPutRecordsCodecOption(&k.respBufs, false, k.bodies))
		}
	}
	s := newSender(k, "KinesisStream:"+stream, "stream", stream, o)
	k.log, k.endpoint = s.log, s.endpoint
	return s
}

type kinesisCaller struct {
	api      KinesisAPI
	stream   string
	pool     sync.Pool // *[]types.PutRecordsRequestEntry
	respBufs sync.Pool // *bytes.Buffer, FastCodec responses
	optFns   []func(*kinesis.Options)
	bodies   *bodyPool // FastCodec request bodies, recycled after each call
	// jsonOptFns, set when optFns send CBOR: the JSON codec the caller
	// turns to for good (jsonOnly) once a destination refuses CBOR.
	jsonOptFns []func(*kinesis.Options)
	jsonOnly   atomic.Bool
	log        *slog.Logger
	endpoint   string
}

// cborRefused reports whether err says the destination cannot read a CBOR
// request: a Kinesis-compatible server without the Java SDK's protocol.
func cborRefused(err error) (string, bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); code {
		case "SerializationException", "UnknownOperationException", "UnsupportedMediaTypeException":
			return code, true
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusUnsupportedMediaType {
		return "HTTP 415", true
	}
	return "", false
}

func (k *kinesisCaller) call(ctx context.Context, b *batch.Batch, idx []int, codes, msgs []string) error {
	sp := k.pool.Get().(*[]types.PutRecordsRequestEntry)
	req := (*sp)[:0]
	for _, i := range idx {
		e := &b.Entries[i]
		// PartitionKey points at the entry's own Key field: no allocation.
		req = append(req, types.PutRecordsRequestEntry{Data: e.Data, PartitionKey: &e.Key})
	}
	defer func() {
		clear(req)
		*sp = req[:0]
		k.pool.Put(sp)
	}()
	if k.bodies != nil {
		var release func()
		ctx, release = holdBody(ctx)
		defer release()
	}
	opts, cbor := k.optFns, k.jsonOptFns != nil
	if cbor && k.jsonOnly.Load() {
		opts, cbor = k.jsonOptFns, false
	}
	in := &kinesis.PutRecordsInput{StreamName: aws.String(k.stream), Records: req}
	out, err := k.api.PutRecords(ctx, in, opts...)
	if code, refused := cborRefused(err); cbor && refused {
		// The same call again in JSON at once: the sender never sees the
		// refusal (it would take it for an invalid record and halve).
		if k.jsonOnly.CompareAndSwap(false, true) {
			k.log.Warn(fmt.Sprintf("%s refused a PutRecords request in CBOR (application/x-amz-cbor-1.1, %s): sending JSON (application/x-amz-json-1.1) from now on; set AWS_CBOR_DISABLE=true in the agent's environment to start with JSON.", k.endpoint, code))
		}
		out, err = k.api.PutRecords(ctx, in, k.jsonOptFns...)
	}
	if err != nil {
		return fmt.Errorf("PutRecords %s: %w", k.stream, err)
	}
	if len(out.Records) != len(idx) {
		return fmt.Errorf("PutRecords %s: %d result entries for %d records", k.stream, len(out.Records), len(idx))
	}
	for i := range out.Records {
		r := &out.Records[i]
		// An entry without ErrorCode was accepted (SequenceNumber and ShardId
		// are not needed, and FastCodec does not decode them).
		if r.ErrorCode != nil && *r.ErrorCode != "" {
			codes[i] = *r.ErrorCode
			msgs[i] = aws.ToString(r.ErrorMessage)
		}
	}
	return nil
}

// NewFirehose returns a Sender that puts batches into a Firehose delivery
// stream with PutRecordBatch.
func NewFirehose(api FirehoseAPI, deliveryStream string, o Options) FlowSender {
	if c, ok := api.(*firehose.Client); ok {
		opts := c.Options()
		if o.Region == "" {
			o.Region = opts.Region
		}
		if o.Endpoint == "" && opts.BaseEndpoint != nil {
			o.Endpoint = *opts.BaseEndpoint
		}
	}
	f := &firehoseCaller{api: api, stream: deliveryStream}
	f.pool.New = func() any { s := make([]fhtypes.Record, 0, batch.FirehoseMaxRecords); return &s }
	retryer := RetryerNoQuota()
	f.optFns = []func(*firehose.Options){func(o *firehose.Options) { o.Retryer = retryer }}
	if o.FastCodec {
		f.respBufs.New = func() any { return new(bytes.Buffer) }
		f.bodies = &bodyPool{}
		f.optFns = append(f.optFns, newPutRecordBatchCodecOption(&f.respBufs, f.bodies))
	}
	return newSender(f, "DeliveryStream:"+deliveryStream, "delivery stream", deliveryStream, o)
}

type firehoseCaller struct {
	api      FirehoseAPI
	stream   string
	pool     sync.Pool // *[]fhtypes.Record
	respBufs sync.Pool // *bytes.Buffer, FastCodec responses
	optFns   []func(*firehose.Options)
	bodies   *bodyPool // FastCodec request bodies, recycled after each call
}

func (f *firehoseCaller) call(ctx context.Context, b *batch.Batch, idx []int, codes, msgs []string) error {
	sp := f.pool.Get().(*[]fhtypes.Record)
	req := (*sp)[:0]
	for _, i := range idx {
		req = append(req, fhtypes.Record{Data: b.Entries[i].Data})
	}
	defer func() {
		clear(req)
		*sp = req[:0]
		f.pool.Put(sp)
	}()
	if f.bodies != nil {
		var release func()
		ctx, release = holdBody(ctx)
		defer release()
	}
	out, err := f.api.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(f.stream), Records: req}, f.optFns...)
	if err != nil {
		return fmt.Errorf("PutRecordBatch %s: %w", f.stream, err)
	}
	if len(out.RequestResponses) != len(idx) {
		return fmt.Errorf("PutRecordBatch %s: %d result entries for %d records", f.stream, len(out.RequestResponses), len(idx))
	}
	for i := range out.RequestResponses {
		r := &out.RequestResponses[i]
		if r.ErrorCode != nil && *r.ErrorCode != "" {
			codes[i] = *r.ErrorCode
			msgs[i] = aws.ToString(r.ErrorMessage)
		}
	}
	return nil
}
