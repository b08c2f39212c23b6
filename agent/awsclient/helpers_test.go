package awsclient_test

import (
	"context"
	"io"
	"log/slog"
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
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// isolateEnv removes every AWS setting of the machine and the developer
// from the SDK's view: no region, no credentials, no profile files, no CA
// bundle, no FIPS or dual-stack endpoints, no proxy, instance metadata
// disabled.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_CA_BUNDLE", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL_FIREHOSE", "AWS_ENDPOINT_URL_CLOUDWATCH",
		"AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_SDK_UA_APP_ID",
		"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULTS_MODE",
		"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_ACCOUNT_ID", "AWS_ACCOUNT_ID_ENDPOINT_MODE",
		"AWS_AUTH_SCHEME_PREFERENCE", "AWS_ENABLE_ENDPOINT_DISCOVERY", "AWS_EC2_METADATA_V1_DISABLED",
		"AWS_DISABLE_REQUEST_COMPRESSION", "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES",
		"AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION", "AWS_DISABLE_CLOCK_SKEW_CORRECTION",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EXECUTION_ENV",
		"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// baseConfig is a Config as the loader returns it with defaults.
func baseConfig() *config.Config {
	return &config.Config{
		MaxConnections:    50,
		ConnectionTimeout: 10 * time.Second,
		SocketTimeout:     50 * time.Second,
		ConnectionTTL:     -1,
	}
}

// seen is one request the fake AWS server received.
type seen struct {
	Method, Path  string
	Target        string // X-Amz-Target
	Authorization string
	Token         string // X-Amz-Security-Token
	UserAgent     string
	ContentType   string
	Body          []byte
	Host          string
}

// fakeAWS is an httptest server that records requests and answers with
// respond (default: 200 "{}").
type fakeAWS struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []seen
	respond func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newFakeAWS(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeAWS {
	f := &fakeAWS{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{
			Method: r.Method, Path: r.URL.Path, Target: r.Header.Get("X-Amz-Target"),
			Authorization: r.Header.Get("Authorization"), Token: r.Header.Get("X-Amz-Security-Token"),
			UserAgent: r.Header.Get("User-Agent"), ContentType: r.Header.Get("Content-Type"), Body: body, Host: r.Host,
		})
		f.mu.Unlock()
		if f.respond != nil {
			f.respond(w, r, body)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// jsonError answers like an awsJson1.1 service error.
func jsonError(status int, code, msg string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"__type":"`+code+`","message":"`+msg+`"}`)
	}
}

// credentialKeyID extracts the access key id from a SigV4 Authorization header.
func credentialKeyID(auth string) string {
	const p = "Credential="
	i := strings.Index(auth, p)
	if i < 0 {
		return ""
	}
	rest := auth[i+len(p):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[:j]
	}
	return rest
}

// credentialRegion extracts the signing region from a SigV4 Authorization header.
func credentialRegion(auth string) string {
	const p = "Credential="
	i := strings.Index(auth, p)
	if i < 0 {
		return ""
	}
	parts := strings.Split(strings.SplitN(auth[i+len(p):], ",", 2)[0], "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// logBuffer captures slog output at debug level.
type logBuffer struct{ syncbuf.Buffer }

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func mustNew(t *testing.T, cfg *config.Config, opts ...awsclient.Option) *awsclient.Clients {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := awsclient.New(ctx, cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
