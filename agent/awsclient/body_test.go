package awsclient_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/latenet"
)

// SDK-serialized bodies (bytes.Reader, which has WriteTo) must not lose
// their answer over HTTP/1.1 when the answer's headers arrive before
// net/http has finished with the body: the call was retried and the
// delivery stream got the batch twice (aws-sdk-go-v2 issues 1825, 2737).
func TestAnsweredPutRecordBatchIsNotSentAgainOverHTTP1(t *testing.T) {
	isolateEnv(t)
	srv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		lw := &latenet.BodyWriter{ResponseWriter: w, Delay: 20 * time.Millisecond}
		_, _ = lw.Write([]byte(`{"Encrypted":false,"FailedPutCount":0,"RequestResponses":[{"RecordId":"r1"}]}`))
	})
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	cfg.FirehoseEndpoint = srv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDTEST", "secretTest"
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = latenet.Dial(3 * time.Millisecond)
	})
	c := mustNew(t, cfg, awsclient.WithHTTPClient(hc))
	data := make([]byte, 200<<10) // several writes
	const calls = 5
	for i := 0; i < calls; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := c.Firehose.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{
			DeliveryStreamName: aws.String("d"),
			Records:            []fhtypes.Record{{Data: data}},
		})
		cancel()
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if got := len(srv.requests()); got != calls {
		t.Fatalf("server got %d requests for %d calls: answered calls were sent again", got, calls)
	}
}
