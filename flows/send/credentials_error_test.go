package send

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	smithy "github.com/aws/smithy-go"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
)

// deniedRole fails every call as the SDK does when the credential provider
// (STS AssumeRole for assumeRoleARN) is refused, before any request to the
// destination.
type deniedRole struct{}

func (deniedRole) PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return nil, fmt.Errorf("operation error Kinesis: PutRecords, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, %w",
		&smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2:role/r"})
}

// An AccessDenied from the credential provider says so: without it the
// ERROR reads as the stream refusing the agent (the start-up check says
// "(while getting credentials)" too). From a review of the Java agent's
// issues (awslabs/amazon-kinesis-agent#176).
func TestADeniedAssumeRoleIsNamedAsTheCredentialsNotTheStream(t *testing.T) {
	var logs logBuf
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The first failure's backoff ends Send.
	stop := func(context.Context, time.Duration, <-chan struct{}) error { cancel(); return context.Canceled }
	bo := NewBackoff(100*time.Millisecond, time.Second).WithClock(func() float64 { return 0.5 }, stop)
	s := NewKinesis(deniedRole{}, "s", Options{Backoff: bo, Logger: newLogger(&logs), Region: "us-east-1"})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	c := tracked(1)
	bld.Add([]byte("a\n"), c)
	_ = s.Send(ctx, bld.Flush(time.Now()))
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "Cannot send to stream s") {
			line = l
		}
	}
	if !strings.Contains(line, "AccessDenied: User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2:role/r (while getting credentials). Will keep retrying") {
		t.Fatalf("ERROR %q; log:\n%s", line, logs.String())
	}
}
