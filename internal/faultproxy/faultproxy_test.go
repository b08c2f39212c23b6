package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

func TestMain(m *testing.M) { kinesistest.Main(m) }

func entries(n int) []types.PutRecordsRequestEntry {
	out := make([]types.PutRecordsRequestEntry, n)
	for i := range out {
		out[i] = types.PutRecordsRequestEntry{Data: []byte(fmt.Sprintf("r%d", i)), PartitionKey: aws.String(fmt.Sprintf("k%d", i))}
	}
	return out
}

func TestProxyFailsChosenEntriesWithoutStoringThem(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	direct := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, direct, 2)
	p, err := New(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := kinesistest.Client(t, p.URL())
	p.SetPlan(EntriesFail(1, 1, 3))
	out, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries(5)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 2 || len(out.Records) != 5 {
		t.Fatalf("failed=%d records=%d", aws.ToInt32(out.FailedRecordCount), len(out.Records))
	}
	for i, r := range out.Records {
		failed := i == 1 || i == 3
		if failed != (aws.ToString(r.ErrorCode) == ThrottleCode) || failed == (r.SequenceNumber != nil) {
			t.Fatalf("entry %d: %+v", i, r)
		}
	}
	got := kinesistest.WaitForRecords(t, direct, stream, 3, 5*time.Second)
	var s []string
	for _, g := range got {
		s = append(s, string(g))
	}
	sort.Strings(s)
	if fmt.Sprint(s) != "[r0 r2 r4]" {
		t.Fatalf("stored %v", s)
	}
	// All entries failed: nothing forwarded.
	p.SetPlan(EntriesFail(2, 0, 1))
	out, err = c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries(2)})
	if err != nil || aws.ToInt32(out.FailedRecordCount) != 2 {
		t.Fatalf("all failed: %v %+v", err, out)
	}
	if n := len(kinesistest.ReadAll(t, direct, stream)); n != 3 {
		t.Fatalf("stored %d after an all-failed call", n)
	}
	if pc := p.RecordsPerCall(); fmt.Sprint(pc) != "[5 2]" {
		t.Fatalf("per call %v", pc)
	}
	if k := p.PartitionKeys(); k[0][3] != "k3" {
		t.Fatalf("keys %v", k)
	}
}

func TestProxyWholeCallFaults(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	direct := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, direct, 1)
	p, _ := New(ep)
	defer p.Close()
	c := kinesis.NewFromConfig(kinesistest.Config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(p.URL())
		o.RetryMaxAttempts = 1
	})
	put := func() error {
		_, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries(2)})
		return err
	}
	p.SetPlan(FirstCalls(1, Fault{Status: 400}))
	var pt *types.ProvisionedThroughputExceededException
	if err := put(); !errors.As(err, &pt) {
		t.Fatalf("400: %v", err)
	}
	p.SetPlan(func(call, n int) Fault { return Fault{Status: 500} })
	var api smithy.APIError
	if err := put(); !errors.As(err, &api) || api.ErrorCode() != "InternalFailure" {
		t.Fatalf("500: %v", err)
	}
	p.SetPlan(func(call, n int) Fault { return Fault{Drop: true} })
	if err := put(); err == nil || errors.As(err, &api) {
		t.Fatalf("drop: %v, want a transport error", err)
	}
	p.SetPlan(func(call, n int) Fault { return Fault{Delay: 50 * time.Millisecond} })
	start := time.Now()
	if err := put(); err != nil || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delay: %v after %v", err, time.Since(start))
	}
	if got := len(kinesistest.ReadAll(t, direct, stream)); got != 2 {
		t.Fatalf("stored %d, want only the delayed call's 2", got)
	}
	if p.Calls() != 4 {
		t.Fatalf("calls %d", p.Calls())
	}
}

func TestProxyRefusesConnectionsUntilToldOtherwise(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	stream := kinesistest.CreateStream(t, kinesistest.Client(t, ep), 1)
	p, _ := New(ep)
	defer p.Close()
	p.SetRefuse(true)
	c := kinesis.NewFromConfig(kinesistest.Config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(p.URL())
		o.RetryMaxAttempts = 1
	})
	_, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries(1)})
	var api smithy.APIError
	if err == nil || errors.As(err, &api) || p.Refused() != 1 || p.Calls() != 0 {
		t.Fatalf("refused: err %v, refused %d, calls %d", err, p.Refused(), p.Calls())
	}
	p.SetRefuse(false)
	if _, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries(1)}); err != nil {
		t.Fatalf("after refusing: %v", err)
	}
}
