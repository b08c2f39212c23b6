package awsclient_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// fakeIMDS plays EC2 instance metadata (IMDSv2: token required).
type fakeIMDS struct {
	*httptest.Server
	calls     atomic.Int32
	v1Refused atomic.Int32
}

const imdsToken = "imds-session-token-xyz"

func newFakeIMDS(t *testing.T, region string) *fakeIMDS {
	f := &fakeIMDS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			_, _ = w.Write([]byte(imdsToken))
			return
		}
		if r.Header.Get("X-Aws-Ec2-Metadata-Token") != imdsToken {
			f.v1Refused.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/latest/dynamic/instance-identity/document":
			if region == "" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			_, _ = w.Write([]byte(`{"region":"` + region + `","instanceId":"i-0123456789abcdef0","accountId":"123456789012"}`))
		case "/latest/meta-data/instance-id":
			_, _ = w.Write([]byte("i-0123456789abcdef0"))
		case "/latest/meta-data/iam/security-credentials/":
			_, _ = w.Write([]byte("agent-role"))
		case "/latest/meta-data/iam/security-credentials/agent-role":
			_, _ = w.Write([]byte(`{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAFROMIMDS",` +
				`"SecretAccessKey":"imdsSecretKey/abc","Token":"imdsSessionToken",` +
				`"Expiration":"` + time.Now().Add(6*time.Hour).UTC().Format(time.RFC3339) + `",` +
				`"LastUpdated":"` + time.Now().UTC().Format(time.RFC3339) + `"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func TestRegionResolutionOrder(t *testing.T) {
	tests := map[string]struct {
		cfgRegion   string
		cfgEndpoint string
		env         map[string]string
		profile     string // region in the default profile
		imdsRegion  string // "" = no IMDS server
		want        string
		wantIMDS    bool // IMDS must (true) or must not (false) be asked
	}{
		"kinesis.region beats env and profile": {
			cfgRegion: "eu-west-1", env: map[string]string{"AWS_REGION": "us-west-2"}, profile: "ap-south-1",
			imdsRegion: "eu-north-1", want: "eu-west-1",
		},
		"AWS_REGION": {
			env: map[string]string{"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "ca-central-1"}, profile: "ap-south-1",
			imdsRegion: "eu-north-1", want: "us-west-2",
		},
		"AWS_DEFAULT_REGION": {
			env: map[string]string{"AWS_DEFAULT_REGION": "ca-central-1"}, profile: "ap-south-1",
			imdsRegion: "eu-north-1", want: "ca-central-1",
		},
		"profile region": {profile: "ap-south-1", imdsRegion: "eu-north-1", want: "ap-south-1"},
		"instance metadata last": {
			imdsRegion: "eu-north-1", want: "eu-north-1", wantIMDS: true,
		},
		"region of an AWS kinesis.endpoint host beats env": {
			cfgEndpoint: "kinesis.sa-east-1.amazonaws.com", env: map[string]string{"AWS_REGION": "us-west-2"},
			want: "sa-east-1",
		},
		// Java's SDK v1 signs a host that names no region for us-east-1,
		// whatever AWS_REGION says (LocalStack streams live there).
		"local kinesis.endpoint names no region": {
			cfgEndpoint: "http://127.0.0.1:4567", env: map[string]string{"AWS_REGION": "us-west-2"},
			want: "us-east-1",
		},
		"local kinesis.endpoint with kinesis.region": {
			cfgEndpoint: "http://127.0.0.1:4567", cfgRegion: "eu-west-3", env: map[string]string{"AWS_REGION": "us-west-2"},
			want: "eu-west-3",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.profile != "" {
				p := filepath.Join(t.TempDir(), "config")
				if err := os.WriteFile(p, []byte("[default]\nregion = "+tc.profile+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				t.Setenv("AWS_CONFIG_FILE", p)
			}
			var opts []awsclient.Option
			var imds *fakeIMDS
			if tc.imdsRegion != "" {
				imds = newFakeIMDS(t, tc.imdsRegion)
				t.Setenv("AWS_EC2_METADATA_DISABLED", "")
				opts = append(opts, awsclient.WithIMDSEndpoint(imds.URL))
			}
			cfg := baseConfig()
			cfg.KinesisRegion, cfg.KinesisEndpoint = tc.cfgRegion, tc.cfgEndpoint
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDTEST", "secret"
			c := mustNew(t, cfg, opts...)
			if c.Region() != tc.want {
				t.Errorf("Region() = %q, want %q", c.Region(), tc.want)
			}
			for _, r := range []string{c.Kinesis.Options().Region, c.Firehose.Options().Region, c.CloudWatch.Options().Region} {
				if r != tc.want {
					t.Errorf("a client uses region %q, want %q for all three", r, tc.want)
				}
			}
			if imds != nil && (imds.calls.Load() > 0) != tc.wantIMDS {
				t.Errorf("IMDS calls = %d, want asked=%v", imds.calls.Load(), tc.wantIMDS)
			}
		})
	}
}

func TestIMDSRegionUsesSessionToken(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	imds := newFakeIMDS(t, "eu-north-1")
	c := mustNew(t, baseConfig(), awsclient.WithIMDSEndpoint(imds.URL))
	if c.Region() != "eu-north-1" {
		t.Fatalf("region %q", c.Region())
	}
	if imds.v1Refused.Load() != 0 {
		t.Errorf("%d requests without the IMDSv2 token", imds.v1Refused.Load())
	}
}

// silentIMDS is instance metadata in a container on EC2 with a metadata
// hop limit of 1: the token request's answer never arrives, and IMDSv1 is
// refused (a review of amazon-cloudwatch-agent#323).
func silentIMDS(t *testing.T) []awsclient.Option {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(s.Close)
	return []awsclient.Option{awsclient.WithIMDSEndpoint(s.URL)}
}

func TestNoRegionIsAnError(t *testing.T) {
	tests := map[string]func(t *testing.T) []awsclient.Option{
		"metadata disabled": func(t *testing.T) []awsclient.Option { return nil },
		"metadata without region": func(t *testing.T) []awsclient.Option {
			t.Setenv("AWS_EC2_METADATA_DISABLED", "")
			return []awsclient.Option{awsclient.WithIMDSEndpoint(newFakeIMDS(t, "").URL)}
		},
		"metadata unreachable": func(t *testing.T) []awsclient.Option {
			t.Setenv("AWS_EC2_METADATA_DISABLED", "")
			s := httptest.NewServer(http.NotFoundHandler())
			s.Close()
			return []awsclient.Option{awsclient.WithIMDSEndpoint(s.URL)}
		},
		// The error says what to change.
		"metadata silent": func(t *testing.T) []awsclient.Option { return silentIMDS(t) },
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			opts := setup(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := baseConfig()
			cfg.Flows = []config.Flow{{Kind: config.Kinesis}} // its default endpoint needs a region
			_, err := awsclient.New(ctx, cfg, opts...)
			if !errors.Is(err, awsclient.ErrNoRegion) {
				t.Fatalf("err = %v, want ErrNoRegion", err)
			}
			if hop := strings.Contains(err.Error(), "modify-instance-metadata-options --instance-id <id> --http-put-response-hop-limit 2"); hop != (name == "metadata silent") {
				t.Fatalf("err = %v: hop-limit hint %v", err, hop)
			}
		})
	}
}

func TestFirehoseAndCloudWatchEndpointHostsNameTheirRegion(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-west-1"
	cfg.FirehoseEndpoint = "https://firehose.us-east-2.amazonaws.com"
	cfg.CloudWatch.Endpoint = "monitoring.ap-northeast-1.amazonaws.com"
	c := mustNew(t, cfg)
	if got := c.Firehose.Options().Region; got != "us-east-2" {
		t.Errorf("firehose region %s", got)
	}
	if got := c.CloudWatch.Options().Region; got != "ap-northeast-1" {
		t.Errorf("cloudwatch region %s", got)
	}
	if got := c.Endpoint(awsclient.CloudWatchService); got != "https://monitoring.ap-northeast-1.amazonaws.com" {
		t.Errorf("cloudwatch endpoint %s", got)
	}
	if c.Region() != "eu-west-1" || c.Kinesis.Options().Region != "eu-west-1" {
		t.Errorf("kinesis region %s", c.Region())
	}
}

func TestKinesisRegionKeyBeatsEndpointHostRegion(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-west-1"
	cfg.KinesisEndpoint = "https://kinesis.us-east-1.amazonaws.com"
	c := mustNew(t, cfg)
	if c.Kinesis.Options().Region != "eu-west-1" {
		t.Errorf("kinesis signs for %s, want the kinesis.region eu-west-1", c.Kinesis.Options().Region)
	}
}

func TestDefaultEndpointsFollowRegion(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-central-1"
	c := mustNew(t, cfg)
	want := map[awsclient.Service]string{
		awsclient.KinesisService:    "https://kinesis.eu-central-1.amazonaws.com",
		awsclient.FirehoseService:   "https://firehose.eu-central-1.amazonaws.com",
		awsclient.CloudWatchService: "https://monitoring.eu-central-1.amazonaws.com",
		awsclient.STSService:        "https://sts.eu-central-1.amazonaws.com",
	}
	for svc, w := range want {
		if got := c.Endpoint(svc); got != w {
			t.Errorf("Endpoint(%s) = %q, want %q", svc, got, w)
		}
		if c.EndpointOverridden(svc) {
			t.Errorf("%s reported as overridden", svc)
		}
	}
}

func TestInstanceIDComesFromInstanceMetadataOverIMDSv2(t *testing.T) {
	imds := newFakeIMDS(t, "eu-north-1")
	cfg := &config.Config{KinesisRegion: "eu-north-1", AWSAccessKeyID: "AKIDX", AWSSecretAccessKey: "s"}
	c, err := awsclient.New(context.Background(), cfg, awsclient.WithIMDSEndpoint(imds.URL))
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.InstanceID(context.Background())
	if err != nil || id != "i-0123456789abcdef0" {
		t.Fatalf("InstanceID = %q, %v; want i-0123456789abcdef0", id, err)
	}
	if imds.v1Refused.Load() != 0 {
		t.Fatal("an IMDSv1 request (no token) was made")
	}
}

// A Firehose-only configuration whose firehose.endpoint names no region
// (LocalStack) needs no region anywhere, as with Java's SDK: every client
// in use has an endpoint of its own, signed for us-east-1. It used to fail
// with ErrNoRegion off EC2.
func TestALocalFirehoseOnlyConfigurationNeedsNoRegion(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.Flows = []config.Flow{{Kind: config.Firehose}}
	cfg.FirehoseEndpoint = "http://127.0.0.1:4566"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := awsclient.New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := c.ServiceRegion(awsclient.FirehoseService); got != "us-east-1" {
		t.Errorf("firehose signs for %q, want us-east-1", got)
	}
}

// A Firehose-only configuration without firehose.endpoint (the AWS
// documentation's minimal example, Docker images run off EC2), where no
// region is found: Java's Firehose client always went to us-east-1 and
// the agent started; this one refused to start (exit 1, a crash loop
// after an upgrade) while --validate said "Configuration OK". It goes to
// us-east-1 with a WARN naming what goes there now, whatever region
// cloudwatch.endpoint names. From a replay of users' agent.json files,
// and a review.
func TestAFirehoseOnlyConfigurationWithoutARegionStartsForUSEast1AsJava(t *testing.T) {
	for name, tc := range map[string]struct {
		cwEndpoint, fhEndpoint string
		metrics                bool
		warn, notWarn          string
	}{
		"metrics":                       {metrics: true, warn: "Firehose goes to us-east-1 (as with the Java agent; set kinesis.region or firehose.endpoint to choose); CloudWatch metrics go to us-east-1 (as with the Java agent;"},
		"no metrics":                    {warn: "Firehose goes to us-east-1", notWarn: "CloudWatch"},
		"cloudwatch.endpoint elsewhere": {cwEndpoint: "https://monitoring.eu-west-1.amazonaws.com", metrics: true, warn: "Firehose goes to us-east-1", notWarn: "CloudWatch"},
		"firehose.endpoint local":       {fhEndpoint: "http://127.0.0.1:4566", metrics: true, warn: "CloudWatch metrics go to us-east-1", notWarn: "Firehose goes"},
	} {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			cfg := baseConfig()
			cfg.Flows = []config.Flow{{Kind: config.Firehose}}
			cfg.CloudWatch.EmitMetrics = tc.metrics
			cfg.CloudWatch.Endpoint = tc.cwEndpoint
			cfg.FirehoseEndpoint = tc.fhEndpoint
			var logs strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := awsclient.New(ctx, cfg, awsclient.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatalf("New: %v (Java starts and sends to us-east-1)", err)
			}
			if got := c.ServiceRegion(awsclient.FirehoseService); got != "us-east-1" {
				t.Errorf("firehose signs for %q, want us-east-1", got)
			}
			if want := "https://firehose.us-east-1.amazonaws.com"; tc.fhEndpoint == "" && c.Endpoint(awsclient.FirehoseService) != want {
				t.Errorf("firehose endpoint %q, want %s", c.Endpoint(awsclient.FirehoseService), want)
			}
			if !strings.Contains(logs.String(), "No AWS region found") || !strings.Contains(logs.String(), tc.warn) ||
				tc.notWarn != "" && strings.Contains(logs.String(), tc.notWarn) {
				t.Errorf("the WARN should say %q and not %q:\n%s", tc.warn, tc.notWarn, logs.String())
			}
		})
	}
}

// The same configuration on EC2 where the instance metadata does not
// answer in time (a container with a hop limit of 1): it is refused, with
// the hop-limit hint, as before; started for us-east-1, Firehose went
// elsewhere than the instance's region for the life of the process, and
// the log never said the metadata failed. From a review.
func TestAFirehoseOnlyConfigurationIsRefusedWhenTheInstanceMetadataIsSilent(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.Flows = []config.Flow{{Kind: config.Firehose}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := awsclient.New(ctx, cfg, silentIMDS(t)...)
	if !errors.Is(err, awsclient.ErrNoRegion) || !strings.Contains(err.Error(), "--http-put-response-hop-limit 2") {
		t.Fatalf("err = %v, want ErrNoRegion with the hop-limit hint", err)
	}
}

// A stop while the region is looked up in the instance metadata (a host
// that answers slowly, or not at all) is a stop, not a missing region: New
// returns the context's error, which the agent's main exits 0 on.
func TestAStopDuringTheRegionLookupIsAStopNotAMissingRegion(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	asked := make(chan struct{}, 8)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- struct{}{}
		<-r.Context().Done()
	}))
	defer hang.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-asked; cancel() }()
	cfg := baseConfig()
	cfg.Flows = []config.Flow{{Kind: config.Kinesis}}
	_, err := awsclient.New(ctx, cfg, awsclient.WithIMDSEndpoint(hang.URL))
	if !errors.Is(err, context.Canceled) || errors.Is(err, awsclient.ErrNoRegion) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
