package awsclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// The start-up's instance metadata calls (the region lookup in New,
// InstanceID for cloudwatch.tagInstance) leave no connection for Close to
// miss: the metadata client rebuilds its dialer, which drops connSet's
// tracking, so their pooled connections outlived Close. From a review.
func TestClosingTheClientsLeavesNoInstanceMetadataConnection(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	imds := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			_, _ = w.Write([]byte("tok"))
		case r.URL.Path == "/latest/dynamic/instance-identity/document":
			_, _ = w.Write([]byte(`{"region":"eu-north-1","instanceId":"i-0123456789abcdef0"}`))
		case r.URL.Path == "/latest/meta-data/instance-id":
			_, _ = w.Write([]byte("i-0123456789abcdef0"))
		default:
			http.NotFound(w, r)
		}
	}))
	open := countConns(imds)
	imds.Start()
	defer imds.Close()
	cfg := baseConfig() // no region: New asks the instance metadata
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDTEST", "secretTest"
	c := mustNew(t, cfg, awsclient.WithIMDSEndpoint(imds.URL))
	if c.Region() != "eu-north-1" {
		t.Fatalf("region %q", c.Region())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.InstanceID(ctx); err != nil { // cloudwatch.tagInstance
		t.Fatal(err)
	}
	c.Close()
	waitNoConns(t, open, "Close")
}
