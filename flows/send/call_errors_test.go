package send

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	smithy "github.com/aws/smithy-go"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
)

// failingCalls fails every call with err.
type failingCalls struct{ err error }

func (f failingCalls) PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return nil, f.err
}

// logOfOneFailedCall sends one record through a sender whose calls fail
// with err, and returns the log of that first call (its backoff ends Send).
func logOfOneFailedCall(err error) *logBuf {
	var logs logBuf
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stop := func(context.Context, time.Duration, <-chan struct{}) error { cancel(); return context.Canceled }
	bo := NewBackoff(100*time.Millisecond, time.Second).WithClock(func() float64 { return 0.5 }, stop)
	s := NewKinesis(failingCalls{err}, "s", Options{Backoff: bo, Logger: newLogger(&logs), Region: "us-east-1"})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bld.Add([]byte("a\n"), tracked(1))
	_ = s.Send(ctx, bld.Flush(time.Now()))
	return &logs
}

// An AccessDenied from the credential provider (STS AssumeRole for
// assumeRoleARN, refused before any request to the stream) says so:
// without it the ERROR reads as the stream refusing the agent (the
// start-up check says "(while getting credentials)" too). From a review of
// the Java agent's issues (awslabs/amazon-kinesis-agent#176).
func TestADeniedAssumeRoleIsNamedAsTheCredentialsNotTheStream(t *testing.T) {
	logs := logOfOneFailedCall(fmt.Errorf("operation error Kinesis: PutRecords, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, %w",
		&smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2:role/r"}))
	if logs.count("ERROR", "Cannot send to stream s in region us-east-1 at endpoint https://kinesis.us-east-1.amazonaws.com (SDK default): AccessDenied: User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2:role/r (while getting credentials). Will keep retrying") != 1 {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// A call refused because this host's clock is off (Kinesis: "Signature
// expired") says so; the SDK corrects its offset from the answer, so one
// call is refused. From a review of aws-sdk-go-v2's issues (#2321).
func TestASignatureExpiredErrorPointsAtTheHostsClock(t *testing.T) {
	logs := logOfOneFailedCall(fmt.Errorf("operation error Kinesis: PutRecords, https response error StatusCode: 400, %w",
		&smithy.GenericAPIError{Code: "InvalidSignatureException", Message: "Signature expired: 20261123T010000Z is now earlier than 20261123T011000Z (20261123T011500Z - 5 min.)"}))
	if logs.count("ERROR", "InvalidSignatureException: Signature expired") != 1 || logs.count("ERROR", "this host's clock is off") != 1 {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// A host clock ahead of AWS by more than 5 minutes gets SigV4's other
// message, "Signature not yet current": the same hint. From a review.
func TestASignatureNotYetCurrentErrorPointsAtTheHostsClock(t *testing.T) {
	logs := logOfOneFailedCall(fmt.Errorf("operation error Kinesis: PutRecords, https response error StatusCode: 400, %w",
		&smithy.GenericAPIError{Code: "InvalidSignatureException", Message: "Signature not yet current: 20261123T012100Z is still later than 20261123T011500Z (20261123T011000Z + 5 min.)"}))
	if logs.count("ERROR", "InvalidSignatureException: Signature not yet current") != 1 || logs.count("ERROR", "this host's clock is off") != 1 {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// STS throttling the assumed role's renewal is not the stream's throttling:
// it was counted and reported as "records throttled" of the stream. It is
// logged as what it is. From a review.
func TestAThrottledAssumeRoleIsNotReportedAsTheStreamsThrottling(t *testing.T) {
	logs := logOfOneFailedCall(fmt.Errorf("operation error Kinesis: PutRecords, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 400, %w",
		&smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}))
	if logs.count("", "throttled") != 0 || logs.count("ERROR", "Retriable send error (Throttling: Rate exceeded (while getting credentials))") != 1 {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// invalidWhenBad rejects a whole call as invalid when it holds a record
// beginning with "BAD", as Kinesis does a call with one record it cannot
// take, and accepts every other call; it counts the calls.
type invalidWhenBad struct{ calls, accepted atomic.Int64 }

func (f *invalidWhenBad) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.calls.Add(1)
	for _, e := range in.Records {
		if bytes.HasPrefix(e.Data, []byte("BAD")) {
			return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "1 validation error detected"}
		}
	}
	f.accepted.Add(int64(len(in.Records)))
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i].SequenceNumber = aws.String("1")
	}
	return out, nil
}

// One record the service rejects as invalid among 500: halving isolates it,
// and the call size doubles back after each call accepted whole, so the 499
// others go in a few dozen calls (509 before, one record a call once it
// was isolated). From a review of other Kinesis shippers' issues.
func TestCallsGrowBackAfterAnInvalidRecordIsIsolated(t *testing.T) {
	api := &invalidWhenBad{}
	s := NewKinesis(api, "s", Options{Backoff: NewBackoff(time.Millisecond, 2*time.Millisecond)})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	c := tracked(500)
	var b *batch.Batch
	for i, r := range lines(500, "ok") {
		if i == 0 {
			r = []byte("BAD-0\n")
		}
		if full := bld.Add(r, c); full != nil {
			b = full
		}
	}
	if b == nil || len(b.Entries) != 500 {
		t.Fatalf("batch %v", b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Send(ctx, b) }()
	for deadline := time.Now().Add(30 * time.Second); c.Outstanding() > 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("%d records outstanding after %d calls", c.Outstanding(), api.calls.Load())
		}
	}
	calls := api.calls.Load()
	cancel()
	<-done
	if api.accepted.Load() != 499 || calls > 40 {
		t.Fatalf("the 499 valid records took %d calls (%d accepted), want at most 40", calls, api.accepted.Load())
	}
}

// Firehose's answers for a delivery stream that cannot take records until
// its configuration changes (its KMS key unusable; a Kinesis stream as its
// source) name the destination once a minute, as the stream's do, instead
// of a generic retriable error every 10 s. From a review.
func TestFirehoseConfigurationErrorsNameTheDestination(t *testing.T) {
	for _, code := range []string{"InvalidKMSResourceException", "InvalidSourceException"} {
		logs := logOfOneFailedCall(fmt.Errorf("operation error Firehose: PutRecordBatch, https response error StatusCode: 400, %w",
			&smithy.GenericAPIError{Code: code, Message: "the delivery stream cannot take records"}))
		if logs.count("ERROR", "Cannot send to stream s in region us-east-1 at endpoint https://kinesis.us-east-1.amazonaws.com (SDK default): "+code) != 1 {
			t.Errorf("%s: log:\n%s", code, logs.String())
		}
	}
}
