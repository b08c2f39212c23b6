package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// countingClient counts requests per X-Amz-Target.
type countingClient struct {
	targets map[string]*atomic.Int32
	next    *http.Client
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	if n, ok := c.targets[r.Header.Get("X-Amz-Target")]; ok {
		n.Add(1)
	}
	return c.next.Do(r)
}

func TestPreflightAgainstKinesalite(t *testing.T) {
	isolateEnv(t)
	ep := kinesistest.Endpoint(t)
	counts := &countingClient{
		targets: map[string]*atomic.Int32{
			"Kinesis_20131202.DescribeStreamSummary":   {},
			"Firehose_20150804.DescribeDeliveryStream": {},
		},
		next: &http.Client{},
	}
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	cfg.KinesisEndpoint = ep
	cfg.FirehoseEndpoint = ep // kinesalite knows no Firehose: an error to report
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
	c := mustNew(t, cfg, awsclient.WithHTTPClient(counts))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("present"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	w := kinesis.NewStreamExistsWaiter(c.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("present")}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	counts.targets["Kinesis_20131202.DescribeStreamSummary"].Store(0)

	flows := []config.Flow{
		{Kind: config.Kinesis, Destination: "present"},
		{Kind: config.Kinesis, Destination: "missing"},
		{Kind: config.Kinesis, Destination: "present"},
		{Kind: config.Firehose, Destination: "fh-stream"},
		{Kind: config.Kinesis, Destination: "missing"},
		{Kind: config.Firehose, Destination: "fh-stream"},
	}
	errs := c.Preflight(ctx, flows)
	t.Logf("preflight errors: %v", errs)
	if len(errs) != 2 {
		t.Fatalf("%d errors, want 2 (missing, fh-stream): %v", len(errs), errs)
	}
	var pe *awsclient.PreflightError
	if !errors.As(errs[0], &pe) || pe.Destination != "missing" || pe.Code != "ResourceNotFoundException" || pe.DescribeDenied {
		t.Errorf("first error %v (%+v)", errs[0], pe)
	}
	msg := errs[0].Error()
	for _, want := range []string{`kinesis stream "missing"`, "us-east-1", ep, "ResourceNotFoundException", "missing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !errors.As(errs[1], &pe) || pe.Kind != config.Firehose || pe.Destination != "fh-stream" || pe.Code == "" {
		t.Errorf("second error %v", errs[1])
	}
	if !strings.Contains(errs[1].Error(), `firehose delivery stream "fh-stream"`) {
		t.Errorf("second error %q", errs[1])
	}
	if n := counts.targets["Kinesis_20131202.DescribeStreamSummary"].Load(); n != 2 {
		t.Errorf("%d DescribeStreamSummary calls, want 2 (one per distinct stream)", n)
	}
	if n := counts.targets["Firehose_20150804.DescribeDeliveryStream"].Load(); n != 1 {
		t.Errorf("%d DescribeDeliveryStream calls, want 1", n)
	}
	if errs := c.Preflight(ctx, flows[:1]); len(errs) != 0 {
		t.Errorf("existing stream reported: %v", errs)
	}
}

func TestPreflightReportsUnreachableEndpoint(t *testing.T) {
	isolateEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "http://" + l.Addr().String()
	l.Close()
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", ep
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKID", "secret"
	c := mustNew(t, cfg, awsclient.WithMaxAttempts(1))
	errs := c.Preflight(context.Background(), []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), ep) || !strings.Contains(errs[0].Error(), "connection refused") {
		t.Fatalf("errors %v", errs)
	}
}

// With no credentials anywhere, the SDK's error names only the chain's
// last source ("no EC2 IMDS role found"); the start-up check lists where
// the chain looked and what to set, as Java listed its providers
// (awslabs/amazon-kinesis-agent#94).
func TestPreflightWithNoCredentialsSaysWhereTheChainLookedAndWhatToSet(t *testing.T) {
	for _, assume := range []bool{false, true} { // (the role's long-lived credentials: a review)
		t.Run(fmt.Sprintf("assumeRoleARN=%v", assume), func(t *testing.T) {
			isolateEnv(t)
			srv := newFakeAWS(t, nil)
			cfg := baseConfig()
			cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
			if assume {
				cfg.AssumeRoleARN, cfg.STSEndpoint = "arn:aws:iam::123456789012:role/r", srv.URL
			}
			c := mustNew(t, cfg, awsclient.WithMaxAttempts(1))
			errs := c.Preflight(context.Background(), []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
			if len(errs) != 1 {
				t.Fatalf("errors %v", errs)
			}
			for _, w := range []string{"get credentials", "no credentials found", "AWS_ACCESS_KEY_ID", "~/.aws/credentials", "AWS_WEB_IDENTITY_TOKEN_FILE", "EC2 instance profile", "awsAccessKeyId"} {
				if !strings.Contains(errs[0].Error(), w) {
					t.Errorf("no %q in %v", w, errs[0])
				}
			}
			if len(srv.requests()) != 0 {
				t.Errorf("%d unsigned requests sent", len(srv.requests()))
			}
		})
	}
}

// Credentials the chain found and then could not get (an assumed role's
// STS unreachable, the instance profile's credentials failing, web
// identity's STS unreachable) are not "no credentials found": their own
// error is the news. From a review.
func TestPreflightWithCredentialsFoundButFailingDoesNotSayNoneWereFound(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		return "http://" + l.Addr().String()
	}
	for name, setup := range map[string]func(t *testing.T, cfg *config.Config) []awsclient.Option{
		"assumed role, STS unreachable": func(t *testing.T, cfg *config.Config) []awsclient.Option {
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
			cfg.AssumeRoleARN, cfg.STSEndpoint = "arn:aws:iam::123456789012:role/r", closed()
			return nil
		},
		"instance profile, credentials failing": func(t *testing.T, cfg *config.Config) []awsclient.Option {
			t.Setenv("AWS_EC2_METADATA_DISABLED", "")
			md := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/latest/api/token":
					_, _ = w.Write([]byte("token"))
				case strings.HasSuffix(r.URL.Path, "/security-credentials/"):
					_, _ = w.Write([]byte("myrole"))
				default:
					w.WriteHeader(http.StatusInternalServerError)
				}
			}))
			t.Cleanup(md.Close)
			return []awsclient.Option{awsclient.WithIMDSEndpoint(md.URL)}
		},
		"web identity, STS unreachable": func(t *testing.T, cfg *config.Config) []awsclient.Option {
			tok := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(tok, []byte("jwt"), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok)
			t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r")
			t.Setenv("AWS_ENDPOINT_URL_STS", closed())
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			srv := newFakeAWS(t, nil)
			cfg := baseConfig()
			cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
			c := mustNew(t, cfg, append(setup(t, cfg), awsclient.WithMaxAttempts(1))...)
			errs := c.Preflight(context.Background(), []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), "get credentials") || strings.Contains(errs[0].Error(), "no credentials found") {
				t.Fatalf("errors %v", errs)
			}
		})
	}
}

// A role allowed to send but not to describe (least privilege) failed the
// start-up check with a bare AccessDeniedException, read as "cannot send".
// The error now says which permission the check needs and that sending is
// not tested, and marks itself as a denied describe.
func TestADeniedDescribeNamesThePermissionAndSaysSendingIsNotTested(t *testing.T) {
	isolateEnv(t)
	deny := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized to perform: describe"}`))
	})
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	cfg.KinesisEndpoint, cfg.FirehoseEndpoint = deny.URL, deny.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
	c := mustNew(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := c.Preflight(ctx, []config.Flow{
		{Kind: config.Kinesis, Destination: "k"},
		{Kind: config.Firehose, Destination: "f"},
	})
	if len(errs) != 2 {
		t.Fatalf("%d errors, want 2: %v", len(errs), errs)
	}
	for i, want := range [][]string{
		{`kinesis stream "k"`, "AccessDeniedException", "needs kinesis:DescribeStreamSummary", "sending needs kinesis:PutRecords, which it does not test"},
		{`firehose delivery stream "f"`, "needs firehose:DescribeDeliveryStream", "sending needs firehose:PutRecordBatch"},
	} {
		var pe *awsclient.PreflightError
		if !errors.As(errs[i], &pe) || !pe.DescribeDenied {
			t.Errorf("error %d %v: not marked as a denied describe", i, errs[i])
		}
		for _, w := range want {
			if !strings.Contains(errs[i].Error(), w) {
				t.Errorf("error %d %q lacks %q", i, errs[i], w)
			}
		}
	}
}
