package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// A proxy that refuses CONNECT (its allow-list) was reported as a bare
// "Forbidden", read as an IAM denial. The error names the proxy (never
// its password), the host and the status, and where to look.
func TestAProxyRefusingCONNECTIsNamedWithTheHostAndTheStatus(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			http.Error(w, "blocked by policy", http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	pu.User = url.UserPassword("corp", "ProxyPassw0rd")
	tr := buildHTTPClient(&config.Config{}).GetTransport()
	tr.Proxy = http.ProxyURL(pu)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://kinesis.us-east-1.amazonaws.com/", nil)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the request went through")
	}
	want := "the proxy " + pu.Host + " refused CONNECT to kinesis.us-east-1.amazonaws.com:443: 403 Forbidden (check the proxy's allow-list for *.amazonaws.com)"
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "ProxyPassw0rd") {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}
