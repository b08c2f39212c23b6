package fakeaws

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"
)

func fhClient(url string) *firehose.Client {
	return firehose.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""),
		RetryMaxAttempts: 1,
	}, func(o *firehose.Options) { o.BaseEndpoint = aws.String(url) })
}

func TestFirehoseStoresSDKPutRecordBatchAndFailsChosenEntries(t *testing.T) {
	fh := NewFirehose("ds")
	srv := httptest.NewServer(fh)
	defer srv.Close()
	c := fhClient(srv.URL)
	ctx := context.Background()

	recs := []types.Record{{Data: []byte("a\n")}, {Data: []byte("b\n")}, {Data: []byte("c\n")}}
	out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("ds"), Records: recs})
	if err != nil || aws.ToInt32(out.FailedPutCount) != 0 || len(out.RequestResponses) != 3 || out.RequestResponses[0].RecordId == nil {
		t.Fatalf("put: %v %+v", err, out)
	}
	fh.SetPlan(func(call, n int) FirehoseFault { return FirehoseFault{FailEntries: []int{1}} })
	out, err = c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("ds"), Records: recs})
	if err != nil || aws.ToInt32(out.FailedPutCount) != 1 || aws.ToString(out.RequestResponses[1].ErrorCode) != "ServiceUnavailableException" {
		t.Fatalf("partial: %v %+v", err, out)
	}
	got, err := fh.WaitForRecords(ctx, "ds", 5)
	if err != nil || len(got) != 5 || string(bytes.Join(got, nil)) != "a\nb\nc\na\nc\n" {
		t.Fatalf("stored %q %v", got, err)
	}
	if pc := fh.RecordsPerCall(); len(pc) != 2 || pc[0] != 3 {
		t.Fatalf("per call %v", pc)
	}

	fh.SetPlan(func(call, n int) FirehoseFault { return FirehoseFault{Status: 500} })
	_, err = c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("ds"), Records: recs})
	var su *types.ServiceUnavailableException
	if !errors.As(err, &su) {
		t.Fatalf("500: %v", err)
	}
	fh.SetPlan(nil)

	d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("ds")})
	if err != nil || d.DeliveryStreamDescription.DeliveryStreamStatus != types.DeliveryStreamStatusActive {
		t.Fatalf("describe: %v", err)
	}
	_, err = c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown stream: %v", err)
	}
	_, err = c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("nope"), Records: recs})
	if !errors.As(err, &nf) {
		t.Fatalf("put to unknown stream: %v", err)
	}
}

func TestFirehoseEnforcesServiceLimits(t *testing.T) {
	fh := NewFirehose("ds")
	srv := httptest.NewServer(fh)
	defer srv.Close()
	c := fhClient(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	put := func(recs []types.Record) error {
		_, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("ds"), Records: recs})
		return err
	}
	// Exactly at the limits: accepted.
	at := make([]types.Record, 4)
	for i := range at {
		at[i] = types.Record{Data: make([]byte, FirehoseMaxRecordBytes)}
	}
	if err := put(at); err != nil {
		t.Fatalf("4 x 1000 KiB: %v", err)
	}
	for name, recs := range map[string][]types.Record{
		"record over 1000 KiB": {{Data: make([]byte, FirehoseMaxRecordBytes+1)}},
		"501 records": func() []types.Record {
			r := make([]types.Record, 501)
			for i := range r {
				r[i].Data = []byte("x")
			}
			return r
		}(),
		"over 4 MiB": {{Data: make([]byte, FirehoseMaxRecordBytes)}, {Data: make([]byte, FirehoseMaxRecordBytes)},
			{Data: make([]byte, FirehoseMaxRecordBytes)}, {Data: make([]byte, FirehoseMaxRecordBytes)}, {Data: make([]byte, 100000)}},
	} {
		var api smithy.APIError
		if err := put(recs); !errors.As(err, &api) || api.ErrorCode() == "" {
			t.Errorf("%s: %v, want an API error", name, err)
		}
	}
	if len(fh.Errors()) != 3 || !strings.Contains(strings.Join(fh.Errors(), "|"), "4 MB") {
		t.Fatalf("errors %q", fh.Errors())
	}
	if n := len(fh.Records("ds")); n != 4 {
		t.Fatalf("stored %d", n)
	}
}
