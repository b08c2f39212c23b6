package send

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// RetryerNoQuota returns the retryer of every PutRecords and PutRecordBatch
// call (set per call by NewKinesis and NewFirehose, whatever the client's
// own retryer, which other calls such as DescribeStream keep). It is the
// SDK's standard retryer with two changes:
//
//   - no client-side retry quota (ratelimit.None). The standard retryer's
//     shared token bucket runs dry under sustained throttling and then
//     fails calls at once with "retry quota exceeded" (aws-sdk-go-v2 issue
//     1665); a shipper owns its backoff instead;
//   - only transport-level failures (connection refused/reset, timeouts
//     while connecting or reading) are retried inside the SDK, up to 3
//     attempts with at most 1 s between them. Throttling and 5xx answers come
//     back to the sender at once, so that they are counted, logged and
//     backed off per flow (spec §5.5) and never hidden in SDK retries.
//
// A PutRecords call retried after a transport error may have been applied
// by the service already; the agent's delivery is at-least-once anyway.
func RetryerNoQuota() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.RateLimiter = ratelimit.None
		o.MaxAttempts = 3
		o.MaxBackoff = time.Second
		o.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.RetryableConnectionError{},
		}
	})
}
