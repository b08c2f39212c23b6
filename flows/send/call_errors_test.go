package send

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

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

// A call refused because this host's clock is off says so: "Signature
// expired" (behind) and "Signature not yet current" (ahead, from a review).
// The SDK corrects its offset from the answer, so one call is refused.
// From a review of aws-sdk-go-v2's issues (#2321).
func TestASignatureTimeErrorPointsAtTheHostsClock(t *testing.T) {
	for _, msg := range []string{
		"Signature expired: 20261123T010000Z is now earlier than 20261123T011000Z (20261123T011500Z - 5 min.)",
		"Signature not yet current: 20261123T012100Z is still later than 20261123T011500Z (20261123T011000Z + 5 min.)",
	} {
		logs := logOfOneFailedCall(fmt.Errorf("operation error Kinesis: PutRecords, https response error StatusCode: 400, %w",
			&smithy.GenericAPIError{Code: "InvalidSignatureException", Message: msg}))
		if logs.count("ERROR", "InvalidSignatureException: "+msg[:20]) != 1 || logs.count("ERROR", "this host's clock is off") != 1 {
			t.Errorf("log:\n%s", logs.String())
		}
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

// Firehose's answers for a delivery stream that cannot take records until
// its configuration changes (its KMS key unusable; CloudWatch Logs
// decompression on, which only CloudWatch Logs may send to) name the
// destination once a minute, as the stream's do, instead of a generic
// retriable error every 10 s. From a review.
func TestFirehoseConfigurationErrorsNameTheDestination(t *testing.T) {
	for _, code := range []string{"InvalidKMSResourceException", "InvalidSourceException"} {
		logs := logOfOneFailedCall(fmt.Errorf("operation error Firehose: PutRecordBatch, https response error StatusCode: 400, %w",
			&smithy.GenericAPIError{Code: code, Message: "the delivery stream cannot take records"}))
		if logs.count("ERROR", "Cannot send to stream s in region us-east-1 at endpoint https://kinesis.us-east-1.amazonaws.com (SDK default): "+code) != 1 {
			t.Errorf("%s: log:\n%s", code, logs.String())
		}
	}
}

// failingBatches fails every PutRecordBatch with err.
type failingBatches struct{ err error }

func (f failingBatches) PutRecordBatch(context.Context, *firehose.PutRecordBatchInput, ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	return nil, f.err
}

// A delivery stream fed by a Kinesis stream takes no PutRecordBatch:
// Firehose answers InvalidArgumentException, which is no record's fault.
// It names the destination, as a missing one does, instead of halving the
// call to isolate "the records that cannot be accepted". From a review.
func TestAKinesisSourcedDeliveryStreamIsNamedAsTheDestination(t *testing.T) {
	var logs logBuf
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stop := func(context.Context, time.Duration, <-chan struct{}) error { cancel(); return context.Canceled }
	bo := NewBackoff(100*time.Millisecond, time.Second).WithClock(func() float64 { return 0.5 }, stop)
	err := fmt.Errorf("operation error Firehose: PutRecordBatch, https response error StatusCode: 400, %w",
		&smithy.GenericAPIError{Code: "InvalidArgumentException", Message: "This operation is not permitted on KinesisStreamAsSource delivery stream type."})
	s := NewFirehose(failingBatches{err}, "d", Options{Backoff: bo, Logger: newLogger(&logs), Region: "us-east-1"})
	bld := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0)})
	bld.Add([]byte("a\n"), tracked(1))
	_ = s.Send(ctx, bld.Flush(time.Now()))
	if logs.count("ERROR", "Cannot send to delivery stream d in region us-east-1") != 1 || logs.count("ERROR", "as invalid") != 0 {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// sequencedBatches fails the i-th PutRecordBatch with errs[i] (the last one
// from then on).
type sequencedBatches struct {
	errs []error
	n    atomic.Int64
}

func (f *sequencedBatches) PutRecordBatch(context.Context, *firehose.PutRecordBatchInput, ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	i := int(f.n.Add(1)) - 1
	return nil, f.errs[min(i, len(f.errs)-1)]
}

// The two kinds of Firehose InvalidArgumentException (a call with an
// invalid record; a delivery stream fed by a Kinesis stream) have their own
// once-a-minute ERRORs: one did not hide the other for a minute. From a
// review.
func TestAKinesisSourcedDeliveryStreamAfterAnInvalidCallIsNamed(t *testing.T) {
	var logs logBuf
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var sleeps atomic.Int64
	sleep := func(context.Context, time.Duration, <-chan struct{}) error {
		if sleeps.Add(1) >= 2 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	bo := NewBackoff(100*time.Millisecond, time.Second).WithClock(func() float64 { return 0.5 }, sleep)
	invalid := func(msg string) error {
		return fmt.Errorf("operation error Firehose: PutRecordBatch, https response error StatusCode: 400, %w",
			&smithy.GenericAPIError{Code: "InvalidArgumentException", Message: msg})
	}
	api := &sequencedBatches{errs: []error{invalid("Records size exceeds 4 MB limit"),
		invalid("This operation is not permitted on KinesisStreamAsSource delivery stream type.")}}
	s := NewFirehose(api, "d", Options{Backoff: bo, Logger: newLogger(&logs), Region: "us-east-1"})
	bld := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0)})
	bld.Add([]byte("a\n"), tracked(1))
	_ = s.Send(ctx, bld.Flush(time.Now()))
	if api.n.Load() != 2 || logs.count("ERROR", "as invalid") != 1 || logs.count("ERROR", "Cannot send to delivery stream d in region us-east-1") != 1 {
		t.Fatalf("%d calls; log:\n%s", api.n.Load(), logs.String())
	}
}

// An error getting credentials keeps where it came from: the SDK's code
// and message alone made an STS AssumeRole 403 with an empty body
// "UnknownError: UnknownError (while getting credentials)". It names the
// call, the HTTP status and the credential source, and the secrets are
// still masked. From a replay of proxy and credential reports.
func TestAnErrorGettingCredentialsNamesTheCallTheHTTPStatusAndTheSource(t *testing.T) {
	const secret = "SecretQuotedByTheAnswer0123456789"
	for _, tc := range []struct {
		name string
		api  *smithy.GenericAPIError
		want string
	}{
		{"empty body", &smithy.GenericAPIError{Code: "UnknownError", Message: "UnknownError"},
			"Retriable send error (error: STS: AssumeRole: HTTP 403 Forbidden: no error code or message in the answer (while getting credentials: assume role arn:aws:iam::2:role/r (long-lived: default credential chain))). Will retry"},
		{"with a message", &smithy.GenericAPIError{Code: "SignatureDoesNotMatch", Message: "bad signature for " + secret},
			"Cannot send to stream s in region us-east-1 at endpoint https://kinesis.us-east-1.amazonaws.com (SDK default): SignatureDoesNotMatch: STS: AssumeRole: HTTP 403 Forbidden: bad signature for *** (while getting credentials: assume role arn:aws:iam::2:role/r (long-lived: default credential chain)). Will keep retrying"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := &smithy.OperationError{ServiceID: "Kinesis", OperationName: "PutRecords",
				Err: fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w",
					&smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithyhttp.ResponseError{
						Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}}, Err: tc.api}})}
			var logs logBuf
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stop := func(context.Context, time.Duration, <-chan struct{}) error { cancel(); return context.Canceled }
			bo := NewBackoff(100*time.Millisecond, time.Second).WithClock(func() float64 { return 0.5 }, stop)
			s := NewKinesis(failingCalls{err}, "s", Options{Backoff: bo, Logger: newLogger(&logs), Region: "us-east-1",
				CredentialSource: "assume role arn:aws:iam::2:role/r (long-lived: default credential chain)",
				Redact:           func(m string) string { return strings.ReplaceAll(m, secret, "***") }})
			bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
			bld.Add([]byte("a\n"), tracked(1))
			_ = s.Send(ctx, bld.Flush(time.Now()))
			if logs.count("ERROR", tc.want) != 1 || strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "UnknownError") {
				t.Fatalf("want %q in log:\n%s", tc.want, logs.String())
			}
		})
	}
}
