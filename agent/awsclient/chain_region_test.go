package awsclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// The region found in the instance metadata is also the region of the STS
// calls the default chain makes (web identity, a profile's role_arn), as
// Java's SDK builds those STS clients with the default region chain, which
// ends with the instance metadata. They had no region: every credential
// fetch failed with "Missing Region" for ever (EKS IRSA without AWS_REGION,
// a cross-account profile on EC2).
func TestTheInstanceMetadataRegionReachesTheCredentialChainsSTSCalls(t *testing.T) {
	for name, setup := range map[string]func(t *testing.T, dir string){
		"web identity": func(t *testing.T, dir string) {
			tok := filepath.Join(dir, "token")
			if err := os.WriteFile(tok, []byte("eyJhbGciOiJub25lIn0.e30."), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok)
			t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/agent")
		},
		"profile role_arn with source_profile": func(t *testing.T, dir string) {
			f := filepath.Join(dir, "config")
			body := "[default]\nrole_arn = arn:aws:iam::123456789012:role/agent\nsource_profile = base\n\n" +
				"[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = baseSecret\n"
			if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_CONFIG_FILE", f)
		},
	} {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
			// The chain's STS calls (which, built by the SDK, follow
			// AWS_ENDPOINT_URL_STS) reach a local server that refuses them.
			var mu sync.Mutex
			var auth []string
			stsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				auth = append(auth, r.Header.Get("Authorization"))
				mu.Unlock()
				w.WriteHeader(http.StatusForbidden)
			}))
			defer stsSrv.Close()
			t.Setenv("AWS_ENDPOINT_URL_STS", stsSrv.URL)
			setup(t, t.TempDir())
			imds := newFakeIMDS(t, "eu-west-3")

			cfg := baseConfig()
			cfg.Flows = []config.Flow{{Kind: config.Kinesis, Destination: "s"}}
			c, err := awsclient.New(context.Background(), cfg, awsclient.WithIMDSEndpoint(imds.URL))
			if err != nil {
				t.Fatal(err)
			}
			if c.Region() != "eu-west-3" {
				t.Fatalf("region %q, want eu-west-3 (instance metadata)", c.Region())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err = c.AWS.Credentials.Retrieve(ctx)
			if err == nil {
				t.Fatal("credentials retrieved from an STS that refuses everything")
			}
			if strings.Contains(err.Error(), "Missing Region") {
				t.Fatalf("the chain's STS call has no region although the agent runs in eu-west-3: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(auth) == 0 {
				t.Fatalf("no STS call was made: %v", err)
			}
			// AssumeRole is signed (for the region); AssumeRoleWithWebIdentity is not.
			if a := auth[0]; a != "" && !strings.Contains(a, "/eu-west-3/sts/aws4_request") {
				t.Fatalf("STS call signed %q, want for eu-west-3", a)
			}
		})
	}
}

// A Firehose-only agent.json with firehose.endpoint (what a Java user
// outside us-east-1 sets) and metrics left on, on a host with no region
// anywhere, starts as the Java agent does: with the region the endpoint
// names (us-east-1, as Java, for a host that names none), metrics there
// too. It was refused with "no AWS region".
func TestAFirehoseOnlyConfigurationWithItsEndpointAndMetricsStartsWithoutARegion(t *testing.T) {
	for ep, want := range map[string]string{
		"https://firehose.eu-west-1.amazonaws.com": "eu-west-1",
		"http://127.0.0.1:4566":                    "us-east-1",
	} {
		t.Run(ep, func(t *testing.T) {
			isolateEnv(t)
			cfg := baseConfig()
			cfg.CloudWatch.EmitMetrics = true // the loader's default
			cfg.Flows = []config.Flow{{Kind: config.Firehose, Destination: "d"}}
			cfg.FirehoseEndpoint = ep
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := awsclient.New(ctx, cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := c.ServiceRegion(awsclient.CloudWatchService); got != want {
				t.Errorf("metrics go to %s, want %s", got, want)
			}
			if got := c.ServiceRegion(awsclient.FirehoseService); got != want {
				t.Errorf("firehose signs for %s, want %s", got, want)
			}
		})
	}
	// A Kinesis flow without its endpoint still needs a real region.
	isolateEnv(t)
	cfg := baseConfig()
	cfg.CloudWatch.EmitMetrics = true
	cfg.Flows = []config.Flow{{Kind: config.Firehose, Destination: "d"}, {Kind: config.Kinesis, Destination: "s"}}
	cfg.FirehoseEndpoint = "https://firehose.eu-west-1.amazonaws.com"
	if _, err := awsclient.New(context.Background(), cfg); err == nil {
		t.Error("a Kinesis flow without kinesis.endpoint started with a region guessed from firehose.endpoint")
	}
}

// hostRecorder is an HTTP client that records where a call would go and
// sends nothing.
type hostRecorder struct{ hosts []string }

func (h *hostRecorder) Do(r *http.Request) (*http.Response, error) {
	h.hosts = append(h.hosts, r.URL.Host)
	return nil, errors.New("not sent")
}

// The endpoints are agent.json's, as for the Java agent (its SDK reads no
// AWS_ENDPOINT_URL*): an AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_KINESIS left
// in the service's environment, or a profile's endpoint_url, sent the
// records elsewhere while the start-up line named the regional endpoint.
func TestEndpointURLsFromTheEnvironmentOrAProfileAreNotFollowed(t *testing.T) {
	const stray = "http://127.0.0.1:9"
	for name, setup := range map[string]func(t *testing.T){
		"AWS_ENDPOINT_URL":         func(t *testing.T) { t.Setenv("AWS_ENDPOINT_URL", stray) },
		"AWS_ENDPOINT_URL_KINESIS": func(t *testing.T) { t.Setenv("AWS_ENDPOINT_URL_KINESIS", stray) },
		"profile endpoint_url": func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(f, []byte("[default]\nendpoint_url = "+stray+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_CONFIG_FILE", f)
		},
	} {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			setup(t)
			cfg := baseConfig()
			cfg.KinesisRegion = "eu-west-1"
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secretExample"
			cfg.Flows = []config.Flow{{Kind: config.Kinesis, Destination: "s"}}
			c, err := awsclient.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			rec := &hostRecorder{}
			c.Kinesis.ListShards(context.Background(), &kinesis.ListShardsInput{StreamName: aws.String("s")},
				func(o *kinesis.Options) { o.HTTPClient = rec })
			if len(rec.hosts) == 0 || rec.hosts[0] != "kinesis.eu-west-1.amazonaws.com" {
				t.Fatalf("the call would go to %v, want kinesis.eu-west-1.amazonaws.com (start-up line: %s)", rec.hosts, c.Endpoint(awsclient.KinesisService))
			}
		})
	}
}
