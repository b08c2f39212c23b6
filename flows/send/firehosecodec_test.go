package send

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

func fhReference(p []byte) (int32, []string, error) {
	return refAnswer(p, "FailedPutCount", "RequestResponses")
}

func fhFast(p []byte) (int32, []string, error) {
	var o firehose.PutRecordBatchOutput
	if err := decodePutRecordBatchOutput(p, &o); err != nil {
		return 0, nil, err
	}
	var out []string
	for _, r := range o.RequestResponses {
		out = append(out, fmt.Sprintf("%s|%s", ptr(r.ErrorCode), ptr(r.ErrorMessage)))
	}
	return aws.ToInt32(o.FailedPutCount), out, nil
}

var fhCodecSeeds = []string{
	`{"Encrypted":false,"FailedPutCount":0,"RequestResponses":[{"RecordId":"49546986683135544286507457936321625675700192471156785154"}]}`,
	`{"FailedPutCount":1,"RequestResponses":[{"RecordId":"1"},{"ErrorCode":"ServiceUnavailableException","ErrorMessage":"Slow down."}],"Encrypted":true}`,
	` { "RequestResponses" : [ { "ErrorCode" : null , "ErrorMessage" : null , "RecordId" : "9" } ] , "FailedPutCount" : 0 , "Encrypted" : null } `,
	`{"FailedPutCount":1,"RequestResponses":[{"ErrorCode":"InternalFailure","ErrorMessage":"quote \" backslash \\ unicode \u00e9 \n","X":{"a":[1,2,{"b":null}],"c":true}}],"Extra":[[],{}],"N":-1.5e3}`,
	`{"FailedPutCount":0,"RequestResponses":[]}`,
	`{"RequestResponses":null}`,
	`{}`,
}

func TestFirehoseCodecDecodesLikeEncodingJSON(t *testing.T) {
	decodesLikeEncodingJSON(t, fhReference, fhFast, fhCodecSeeds,
		[]string{``, `{`, `{"RequestResponses":[}`, `{"FailedPutCount":x}`, `[]`, `{"RequestResponses":[{"ErrorCode":"a}]}`, `{} x`})
}

func FuzzFirehoseCodecDecode(f *testing.F) {
	for _, s := range fhCodecSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) { fuzzAnswer(t, fhReference, fhFast, p) })
}

// An answer with FailedPutCount 0 first is counted, not decoded, and the
// shared all-succeeded entries are never written by a later member.
func TestFirehoseCodecTrustsAZeroFailedPutCountWithoutDecodingEntries(t *testing.T) {
	body := []byte(`{"Encrypted":false,"FailedPutCount":0,"RequestResponses":[{"RecordId":"1"},{"RecordId":"2"},{"RecordId":"3"}]}`)
	var o firehose.PutRecordBatchOutput
	allocs := testing.AllocsPerRun(100, func() {
		o = firehose.PutRecordBatchOutput{}
		if err := decodePutRecordBatchOutput(body, &o); err != nil {
			t.Fatal(err)
		}
	})
	if len(o.RequestResponses) != 3 || aws.ToInt32(o.FailedPutCount) != 0 {
		t.Fatalf("%d entries, FailedPutCount %d; want 3 and 0", len(o.RequestResponses), aws.ToInt32(o.FailedPutCount))
	}
	if allocs > 1 {
		t.Errorf("%.1f allocations per decode, want at most 1 (the count)", allocs)
	}
	var out firehose.PutRecordBatchOutput
	doc := `{"FailedPutCount":0,"RequestResponses":[{},{}],"FailedPutCount":1,"RequestResponses":[{"ErrorCode":"ServiceUnavailableException"},{}]}`
	if err := decodePutRecordBatchOutput([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.RequestResponses[0].ErrorCode) != "ServiceUnavailableException" {
		t.Fatalf("the repeated member's entries were not decoded: %+v", out.RequestResponses)
	}
	var next firehose.PutRecordBatchOutput
	if err := decodePutRecordBatchOutput(body, &next); err != nil {
		t.Fatal(err)
	}
	for i, r := range next.RequestResponses {
		if r.ErrorCode != nil {
			t.Fatalf("a later all-success answer reports entry %d failed with %q", i, *r.ErrorCode)
		}
	}
}

// The request body equals the SDK's own serialization (as JSON values) and
// carries the same target and content type; both decode the same answer.
func TestFirehoseCodecRequestMatchesSDK(t *testing.T) {
	srv, calls := recordingServer(t, `{"Encrypted":false,"FailedPutCount":1,"RequestResponses":[{"RecordId":"1"},{"ErrorCode":"InternalFailure","ErrorMessage":"m"}]}`)
	c := firehose.NewFromConfig(kinesistest.Config(), func(o *firehose.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = RetryerNoQuota()
	})
	in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(`d"s\tream`), Records: []fhtypes.Record{
		{Data: []byte("hello\n")},
		{Data: []byte{0, 1, 2, 0xff}},
		{Data: []byte{}},
	}}
	var outs []*firehose.PutRecordBatchOutput
	codec := newPutRecordBatchCodecOption(&sync.Pool{New: func() any { return new(bytes.Buffer) }}, nil)
	for _, opts := range [][]func(*firehose.Options){nil, {codec}} {
		out, err := c.PutRecordBatch(context.Background(), in, opts...)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	sameSerialization(t, calls())
	for _, o := range outs {
		if aws.ToInt32(o.FailedPutCount) != 1 || aws.ToString(o.RequestResponses[1].ErrorCode) != "InternalFailure" || o.RequestResponses[0].ErrorCode != nil {
			t.Fatalf("decoded %+v", o)
		}
	}
	// The second call really went through the codec: it does not decode
	// RecordId, the SDK does.
	if outs[0].RequestResponses[0].RecordId == nil || outs[1].RequestResponses[0].RecordId != nil {
		t.Fatalf("RecordId %v then %v: the codec was not used for the second call",
			outs[0].RequestResponses[0].RecordId, outs[1].RequestResponses[0].RecordId)
	}
}
