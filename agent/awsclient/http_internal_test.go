package awsclient

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

func TestHTTPClientAppliesAgentKeys(t *testing.T) {
	tests := map[string]struct {
		cfg           config.Config
		connect, read time.Duration
		idlePerHost   int
		keepAlive     bool
		gzip          bool
	}{
		"java defaults": {
			cfg:     config.Config{ConnectionTimeout: 10 * time.Second, SocketTimeout: 50 * time.Second, MaxConnections: 50},
			connect: 10 * time.Second, read: 50 * time.Second, idlePerHost: 50,
		},
		"zero values fall back to java defaults": {
			connect: 10 * time.Second, read: 50 * time.Second, idlePerHost: 50,
		},
		"custom": {
			cfg: config.Config{ConnectionTimeout: 2 * time.Second, SocketTimeout: 7 * time.Second, MaxConnections: 200,
				UseTCPKeepAlive: true, UseHTTPGzip: true},
			connect: 2 * time.Second, read: 7 * time.Second, idlePerHost: 200, keepAlive: true, gzip: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := buildHTTPClient(&tc.cfg)
			d := c.GetDialer()
			if d.Timeout != tc.connect {
				t.Errorf("connect timeout %v, want %v", d.Timeout, tc.connect)
			}
			if (d.KeepAlive >= 0) != tc.keepAlive {
				t.Errorf("dialer KeepAlive %v, want enabled=%v", d.KeepAlive, tc.keepAlive)
			}
			if rt, ok := c.GetReadTimeout(); !ok || rt != tc.read {
				t.Errorf("read timeout %v %v, want %v", rt, ok, tc.read)
			}
			tr := c.GetTransport()
			if tr.MaxIdleConnsPerHost != tc.idlePerHost || tr.MaxIdleConns < tc.idlePerHost {
				t.Errorf("idle conns per host %d (total %d), want %d", tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tc.idlePerHost)
			}
			if tr.DisableCompression == tc.gzip {
				t.Errorf("DisableCompression %v with useHttpGzip %v", tr.DisableCompression, tc.gzip)
			}
			if tr.Proxy == nil {
				t.Error("no proxy function: HTTPS_PROXY would be ignored")
			}
		})
	}
}

// The agent speaks HTTP/1.1 even to a server that offers HTTP/2 (the Java
// agent's protocol; Go's HTTP/2 client copies every body through a buffer
// as large as the body).
func TestHTTPClientSpeaksHTTP1ToAServerOfferingHTTP2(t *testing.T) {
	protos := make(chan string, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos <- r.Proto
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	// A control client with Go's defaults negotiates HTTP/2 here, so the
	// server really offers it.
	if resp, err := srv.Client().Post(srv.URL, "text/plain", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if p := <-protos; p != "HTTP/2.0" {
		t.Fatalf("control client used %s; the test server does not offer HTTP/2", p)
	}

	c := buildHTTPClient(&config.Config{}).WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	})
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"Records":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if p := <-protos; p != "HTTP/1.1" {
		t.Errorf("agent client used %s, want HTTP/1.1", p)
	}
}
