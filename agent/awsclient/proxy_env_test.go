package awsclient_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// A proxy URL net/http cannot parse (a bad percent escape), or reads as
// another host (an unescaped / or # in the password: host "http"), was
// dropped without a word and the agent went direct. New tells it at
// ERROR, naming the variable, with the password masked, and how to write
// it, and goes on (the Java agent ignores these variables: an upgrade must
// not stop starting over one set for other programs).
func TestAMalformedProxyURLIsAnErrorLineNamingTheVariableWithoutThePassword(t *testing.T) {
	for _, tc := range []struct {
		name, variable, value, shown, password string
	}{
		{"bad percent escape", "HTTPS_PROXY", "http://corp:50%off@127.0.0.1:3128", "http://corp:***@127.0.0.1:3128", "50%off"},
		{"unescaped slash and hash", "https_proxy", "http://corp:Pa/ss#w0rd@proxy.example:3128", "http://corp:***@proxy.example:3128", "Pa/ss#w0rd"},
		{"unescaped hash only", "HTTP_PROXY", "http://corp:Pa#w0rd@proxy.example:3128", "http://corp:***@proxy.example:3128", "Pa#w0rd"},
		{"slash in the user", "http_proxy", "http://corp/x:secretpw@proxy.example:3128", "http://corp/x:***@proxy.example:3128", "secretpw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateEnv(t)
			t.Setenv(tc.variable, tc.value)
			cfg := baseConfig()
			cfg.KinesisRegion = "eu-west-1"
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var logs logBuffer
			if _, err := awsclient.New(ctx, cfg, awsclient.WithLogger(logs.logger())); err != nil {
				t.Fatalf("New refused %s=%s (the Java agent ignores it): %v", tc.variable, tc.value, err)
			}
			msg := logs.String()
			if !strings.Contains(msg, "level=ERROR") {
				t.Errorf("no ERROR line:\n%s", msg)
			}
			for _, want := range []string{tc.variable + "=" + tc.shown, "%2F", "%23", "%25", "%40"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, tc.password) {
				t.Errorf("error shows the password %q:\n%s", tc.password, msg)
			}
		})
	}
}

// Valid proxy settings start, with one INFO line naming the proxy (the
// password masked) and what bypasses it.
func TestTheProxyInUseIsLoggedAtStartWithItsPasswordMasked(t *testing.T) {
	isolateEnv(t)
	t.Setenv("HTTPS_PROXY", "http://corp:Pa%2Fss%23w0rd@127.0.0.1:3128")
	t.Setenv("no_proxy", ".internal.example,10.0.0.0/8")
	var logs logBuffer
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-west-1"
	mustNew(t, cfg, awsclient.WithLogger(logs.logger()))
	out := logs.String()
	for _, want := range []string{"level=INFO", "http://corp:***@127.0.0.1:3128 (HTTPS_PROXY)", ".internal.example,10.0.0.0/8 (no_proxy)"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Pa%2Fss") {
		t.Errorf("log shows the password:\n%s", out)
	}
}

// Values net/http accepts stay accepted (no scheme, a trailing slash,
// socks5, an escaped password).
func TestProxyURLsThatNetHTTPReadsRightAreAccepted(t *testing.T) {
	for _, v := range []string{"proxy.example:3128", "127.0.0.1:3128", "http://proxy.example:3128/", "socks5://127.0.0.1:1080",
		"http://corp:50%25off@127.0.0.1:3128", "https://u%40corp:p%23w@proxy.example"} {
		env := map[string]string{"HTTPS_PROXY": v}
		if _, err := awsclient.ProxyFromEnvironment(func(k string) string { return env[k] }); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}

// A password with digits before an unescaped / or # is cut there by the
// URL parser, which takes "user:digits" for the host and port: the error
// must not quote that "host" (the start of the password).
func TestAProxyErrorNeverQuotesTheStartOfThePassword(t *testing.T) {
	for _, raw := range []string{"http://corp:2024/Spring@proxy:3128", "http://corp:1234#x@proxy:3128", "corp:2024/Spring@proxy:3128", "http://corp:5678?y@proxy:3128"} {
		_, err := awsclient.ProxyFromEnvironment(func(n string) string {
			if n == "HTTPS_PROXY" {
				return raw
			}
			return ""
		})
		if err == nil {
			t.Fatalf("%s: no error", raw)
		}
		for _, secret := range []string{"2024", "1234", "5678", "Spring"} {
			if strings.Contains(raw, secret) && strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error shows %q of the password: %v", raw, secret, err)
			}
		}
	}
}
