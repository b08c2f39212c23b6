package awsclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// connectRecorder is an HTTPS proxy that records the hosts it is asked to
// CONNECT to and refuses them (no traffic leaves the machine).
type connectRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func newConnectRecorder(t *testing.T) *connectRecorder {
	p := &connectRecorder{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.hosts = append(p.hosts, r.Host)
		p.mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(p.Close)
	return p
}

// The region found in the instance metadata is also the region of the STS
// calls the default chain makes (web identity, a profile's role_arn), as
// Java's SDK builds those STS clients with the default region chain, which
// ends with the instance metadata. They had no region: every credential
// fetch failed with "Missing Region" for ever (EKS IRSA without AWS_REGION,
// a cross-account profile on EC2).
func TestTheInstanceMetadataRegionReachesTheCredentialChainsSTSCalls(t *testing.T) {
	// One proxy for every subtest: net/http reads HTTPS_PROXY once per
	// process. (Set earlier by another test or not, no call leaves the
	// machine that the host in the error does not name.)
	proxy := newConnectRecorder(t)
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
			t.Setenv("HTTPS_PROXY", proxy.URL)
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
				t.Fatal("credentials retrieved through a proxy that refuses everything")
			}
			if strings.Contains(err.Error(), "Missing Region") {
				t.Fatalf("the chain's STS call has no region although the agent runs in eu-west-3: %v", err)
			}
			if !strings.Contains(err.Error(), "https://sts.eu-west-3.amazonaws.com/") {
				t.Fatalf("the chain's STS call did not go to sts.eu-west-3.amazonaws.com: %v", err)
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
