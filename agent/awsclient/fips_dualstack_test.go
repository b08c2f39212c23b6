package awsclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// endpointVariant is one way to ask the SDK for FIPS or dual-stack
// endpoints: an environment variable or a profile line.
type endpointVariant struct {
	name   string
	set    func(t *testing.T)
	source string // how the start-up WARN names it
}

func endpointVariants() []endpointVariant {
	env := func(k string) func(*testing.T) {
		return func(t *testing.T) { t.Setenv(k, "true") }
	}
	profile := func(line string) func(*testing.T) {
		return func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(f, []byte("[default]\n"+line+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_CONFIG_FILE", f)
		}
	}
	return []endpointVariant{
		{"env AWS_USE_FIPS_ENDPOINT", env("AWS_USE_FIPS_ENDPOINT"), "AWS_USE_FIPS_ENDPOINT (environment variable)"},
		{"env AWS_USE_DUALSTACK_ENDPOINT", env("AWS_USE_DUALSTACK_ENDPOINT"), "AWS_USE_DUALSTACK_ENDPOINT (environment variable)"},
		{"profile use_fips_endpoint", profile("use_fips_endpoint = true"), `use_fips_endpoint (profile \"default\")`},
		{"profile use_dualstack_endpoint", profile("use_dualstack_endpoint = true"), `use_dualstack_endpoint (profile \"default\")`},
	}
}

// ignoredWarnings are the WARN lines saying a FIPS or dual-stack setting
// is ignored for agent.json's endpoints.
func ignoredWarnings(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "ignored for the endpoints set in agent.json") {
			out = append(out, l)
		}
	}
	return out
}

// The Java agent's SDK reads neither AWS_USE_FIPS_ENDPOINT /
// AWS_USE_DUALSTACK_ENDPOINT nor the profile's use_fips_endpoint /
// use_dualstack_endpoint, so an agent.json with kinesis.endpoint (and the
// others) works whatever they say. SDK v2's endpoint rules refuse a custom
// endpoint with either ("FIPS and custom endpoint are not supported"):
// every call failed. The endpoints set are used as they are, with one WARN
// naming the setting and where it was read.
func TestFIPSAndDualStackSettingsLeaveTheEndpointsSetInAgentJSONAsTheyAreWithOneWarning(t *testing.T) {
	for _, v := range endpointVariants() {
		t.Run(v.name, func(t *testing.T) {
			isolateEnv(t)
			v.set(t)
			srv := newFakeAWS(t, nil)
			stsSrv := newFakeSTS(t, make(chan url.Values, 10), make(chan string, 10))
			cfg := baseConfig()
			cfg.KinesisRegion = "us-east-1"
			cfg.KinesisEndpoint, cfg.FirehoseEndpoint, cfg.CloudWatch.Endpoint, cfg.STSEndpoint = srv.URL, srv.URL, srv.URL, stsSrv.URL
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
			cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
			var logs logBuffer
			c := mustNew(t, cfg, awsclient.WithLogger(logs.logger()))

			if err := describe(t, c); err != nil {
				t.Fatalf("kinesis.endpoint with %s: %v", v.name, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := c.Firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("d")})
			if err != nil && strings.Contains(err.Error(), "resolve service endpoint") {
				t.Errorf("firehose.endpoint with %s: %v", v.name, err)
			}
			_, err = c.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace:  aws.String("AWSKinesisAgent"),
				MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}},
			})
			if err != nil && strings.Contains(err.Error(), "resolve service endpoint") {
				t.Errorf("cloudwatch.endpoint with %s: %v", v.name, err)
			}
			var got []string
			for _, r := range srv.requests() {
				got = append(got, r.Target+r.Path)
			}
			joined := strings.Join(got, " ")
			for _, want := range []string{"Kinesis_20131202.DescribeStreamSummary", "Firehose_20150804.DescribeDeliveryStream", "GraniteServiceVersion20100801"} {
				if !strings.Contains(joined, want) {
					t.Errorf("no %s request at the configured endpoint; got %v", want, got)
				}
			}
			if n := len(stsSrv.requests()); n != 1 {
				t.Errorf("%d AssumeRole calls at sts.endpoint, want 1", n)
			}
			for _, svc := range []awsclient.Service{awsclient.KinesisService, awsclient.FirehoseService, awsclient.CloudWatchService} {
				if ep := c.Endpoint(svc); ep != srv.URL {
					t.Errorf("%s endpoint logged as %q, want %q", svc, ep, srv.URL)
				}
			}

			warns := ignoredWarnings(logs.String())
			if len(warns) != 1 {
				t.Fatalf("%d WARNs about the ignored setting, want 1:\n%s", len(warns), logs.String())
			}
			for _, want := range []string{v.source, "kinesis.endpoint", "firehose.endpoint", "cloudwatch.endpoint", "sts.endpoint"} {
				if !strings.Contains(warns[0], want) {
					t.Errorf("WARN does not name %s: %s", want, warns[0])
				}
			}
		})
	}
}

// urlRecorder is an HTTP client that records the scheme and host of every request
// and answers none (the FIPS hosts need not be reached).
type urlRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *urlRecorder) Do(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Scheme+"://"+r.URL.Host)
	h.mu.Unlock()
	return nil, errors.New("not sent (test)")
}

func (h *urlRecorder) last(t *testing.T) string {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.hosts) == 0 {
		t.Fatal("no request")
	}
	return h.hosts[len(h.hosts)-1]
}

// With no endpoint in agent.json the settings keep working as the SDK
// makes them (a legitimate way to reach the FIPS and dual-stack hosts),
// and the start-up line, Endpoint (which errors and the preflight quote)
// name the host the calls really go to: they used to name the plain host
// (kinesis.us-east-1.amazonaws.com) while the calls went to
// kinesis-fips.us-east-1.amazonaws.com.
func TestFIPSAndDualStackSettingsWithoutAnEndpointInAgentJSONAreLoggedWithTheHostReallyUsed(t *testing.T) {
	want := map[string]map[awsclient.Service]string{
		"fips": {
			awsclient.KinesisService:    "https://kinesis-fips.us-east-1.amazonaws.com",
			awsclient.FirehoseService:   "https://firehose-fips.us-east-1.amazonaws.com",
			awsclient.CloudWatchService: "https://monitoring-fips.us-east-1.amazonaws.com",
			awsclient.STSService:        "https://sts-fips.us-east-1.amazonaws.com",
		},
		"dualstack": {
			awsclient.KinesisService:    "https://kinesis.us-east-1.api.aws",
			awsclient.FirehoseService:   "https://firehose.us-east-1.api.aws",
			awsclient.CloudWatchService: "https://monitoring.us-east-1.api.aws",
			awsclient.STSService:        "https://sts.us-east-1.api.aws",
		},
	}
	for _, v := range endpointVariants() {
		t.Run(v.name, func(t *testing.T) {
			isolateEnv(t)
			v.set(t)
			hosts := want["fips"]
			if strings.Contains(v.name, "DUALSTACK") || strings.Contains(v.name, "dualstack") {
				hosts = want["dualstack"]
			}
			cfg := baseConfig()
			cfg.KinesisRegion = "us-east-1"
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
			var logs logBuffer
			rec := &urlRecorder{}
			c := mustNew(t, cfg, awsclient.WithLogger(logs.logger()), awsclient.WithHTTPClient(rec), awsclient.WithMaxAttempts(1))
			for svc, h := range hosts {
				if got := c.Endpoint(svc); got != h {
					t.Errorf("%s endpoint %q, want %q", svc, got, h)
				}
			}
			if line := logs.String(); !strings.Contains(line, "kinesisEndpoint="+hosts[awsclient.KinesisService]) {
				t.Errorf("start-up line does not name %s:\n%s", hosts[awsclient.KinesisService], line)
			}
			if w := ignoredWarnings(logs.String()); len(w) != 0 {
				t.Errorf("WARN with no endpoint in agent.json: %v", w)
			}

			// The hosts logged are those the clients really call.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = describe(t, c)
			if got := rec.last(t); got != c.Endpoint(awsclient.KinesisService) {
				t.Errorf("kinesis called %q, logged %q", got, c.Endpoint(awsclient.KinesisService))
			}
			_, _ = c.Firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("d")})
			if got := rec.last(t); got != c.Endpoint(awsclient.FirehoseService) {
				t.Errorf("firehose called %q, logged %q", got, c.Endpoint(awsclient.FirehoseService))
			}
			_, _ = c.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace:  aws.String("AWSKinesisAgent"),
				MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}},
			})
			if got := rec.last(t); got != c.Endpoint(awsclient.CloudWatchService) {
				t.Errorf("cloudwatch called %q, logged %q", got, c.Endpoint(awsclient.CloudWatchService))
			}

			// assumeRoleARN without sts.endpoint: AssumeRole goes where
			// Endpoint(sts) says.
			cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
			rec2 := &urlRecorder{}
			c2 := mustNew(t, cfg, awsclient.WithHTTPClient(rec2), awsclient.WithMaxAttempts(1))
			_ = describe(t, c2)
			if got := rec2.last(t); got != c2.Endpoint(awsclient.STSService) || got != hosts[awsclient.STSService] {
				t.Errorf("AssumeRole called %q, logged %q, want %q", got, c2.Endpoint(awsclient.STSService), hosts[awsclient.STSService])
			}
		})
	}
}

// A FIPS pseudo-region (kinesis.region or AWS_REGION fips-us-east-1,
// us-east-1-fips) stands for its region with FIPS on, as the SDK reads it:
// an endpoint set in agent.json is used as it is (the SDK turned FIPS on
// again at every call from the name, and every call failed), and without
// one the host logged is the FIPS host called (the start-up line named
// kinesis.fips-us-east-1.amazonaws.com, which does not exist). From a
// review.
func TestAFIPSPseudoRegionLeavesAnEndpointAsItIsAndIsLoggedWithTheHostCalled(t *testing.T) {
	for _, r := range []string{"fips-us-east-1", "us-east-1-fips"} {
		t.Run(r+"/endpoint", func(t *testing.T) {
			isolateEnv(t)
			srv := newFakeAWS(t, nil)
			cfg := baseConfig()
			cfg.KinesisRegion, cfg.KinesisEndpoint = r, srv.URL
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
			if err := describe(t, mustNew(t, cfg, awsclient.WithMaxAttempts(1))); err != nil {
				t.Fatalf("kinesis.endpoint with kinesis.region %s: %v", r, err)
			}
		})
		t.Run(r+"/default", func(t *testing.T) {
			isolateEnv(t)
			cfg := baseConfig()
			cfg.KinesisRegion = r
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
			rec := &urlRecorder{}
			c := mustNew(t, cfg, awsclient.WithHTTPClient(rec), awsclient.WithMaxAttempts(1))
			_ = describe(t, c)
			if got, logged := rec.last(t), c.Endpoint(awsclient.KinesisService); got != logged || got != "https://kinesis-fips.us-east-1.amazonaws.com" {
				t.Fatalf("called %q, logged %q; want both https://kinesis-fips.us-east-1.amazonaws.com", got, logged)
			}
		})
	}
}
