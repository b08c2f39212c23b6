package awsclient

import (
	"net/http"
	"os"
	"os/exec"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// The instance and container metadata services are reached directly even
// when HTTP_PROXY is set (Java's SDK: Proxy.NO_PROXY); the AWS endpoints
// still go through the proxy. net/http reads the proxy environment once
// per process, so the check runs in a child process of this test binary.
func TestInstanceMetadataBypassesTheHTTPProxy(t *testing.T) {
	if os.Getenv("AWSCLIENT_PROXY_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestInstanceMetadataBypassesTheHTTPProxy$", "-test.count=1")
		cmd.Env = append(os.Environ(), "AWSCLIENT_PROXY_CHILD=1",
			"HTTP_PROXY=http://proxy.invalid:3128", "HTTPS_PROXY=http://proxy.invalid:3128", "NO_PROXY=", "no_proxy=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	tr := buildHTTPClient(&config.Config{}).GetTransport()
	for url, proxied := range map[string]bool{
		"http://169.254.169.254/latest/api/token":     false, // EC2 instance metadata
		"http://169.254.170.2/v2/credentials/x":       false, // ECS container credentials
		"http://[fd00:ec2::254]/latest/api/token":     false, // EC2 instance metadata, IPv6
		"https://kinesis.us-east-1.amazonaws.com/":    true,
		"http://10.0.0.5:4567/":                       true,
		"https://sts.eu-west-1.amazonaws.com/?x=1":    true,
		"http://[fd00:ec3::254]/not-the-metadata-one": true,
	} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		u, err := tr.Proxy(req)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if (u != nil) != proxied {
			t.Errorf("%s: proxy %v, want proxied=%v", url, u, proxied)
		}
	}
}
