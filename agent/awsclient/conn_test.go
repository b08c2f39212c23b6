package awsclient_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// putRecordsServer answers every PutRecords with one successful entry and
// sends the size of each request body it read on bodies.
func putRecordsServer(bodies chan<- int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		bodies <- int(n)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}`)
	})
}

// caBundle writes srv's certificate as a PEM file and points AWS_CA_BUNDLE
// at it: the only way the client can trust the test server.
func caBundle(t *testing.T, srv *httptest.Server) {
	t.Helper()
	var b bytes.Buffer
	if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", path)
}

// kinesisAt is the agent.json of these tests: Kinesis at endpoint (the
// SDK's default when empty) in us-east-1, static keys.
func kinesisAt(endpoint string) *config.Config {
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	cfg.KinesisEndpoint = endpoint
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDTEST", "secretTest"
	return cfg
}

// putOne sends one 300 KiB record (several TLS records and copy buffers)
// and returns the connection net/http wrote it to.
func putOne(ctx context.Context, c *awsclient.Clients) (net.Conn, error) {
	var conn net.Conn
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { conn = info.Conn },
	})
	_, err := c.Kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{
		StreamName: aws.String("s"),
		Records:    []ktypes.PutRecordsRequestEntry{{Data: bytes.Repeat([]byte("x"), 300<<10), PartitionKey: aws.String("k")}},
	})
	return conn, err
}

// Request bodies are copied into HTTPS connections through pooled buffers
// (net/http allocated a 32 KiB buffer per request for a *tls.Conn), and
// the server is trusted through AWS_CA_BUNDLE: proof that the dialer sees
// the SDK's final TLS configuration.
func TestRequestBodiesAreCopiedThroughPooledBuffers(t *testing.T) {
	isolateEnv(t)
	bodies := make(chan int, 4)
	srv := httptest.NewTLSServer(putRecordsServer(bodies))
	defer srv.Close()
	caBundle(t, srv)
	cfg := kinesisAt(srv.URL)
	c := mustNew(t, cfg)

	for i := 0; i < 2; i++ { // a new connection, then a reused one
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		conn, err := putOne(ctx, c)
		cancel()
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if _, ok := conn.(io.ReaderFrom); !ok {
			t.Fatalf("call %d: connection %T has no ReadFrom: net/http copies the body through a new 32 KiB buffer", i+1, conn)
		}
		if n := <-bodies; n < 300<<10 {
			t.Fatalf("call %d: server read a %d-byte body", i+1, n)
		}
	}
}

// socketTimeoutMillis fails a call whose answer does not come, over HTTPS
// (the agent's own dialer) and plain HTTP (the SDK's), with the SDK's
// response-timeout error.
func TestSocketTimeoutFailsASilentCall(t *testing.T) {
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			isolateEnv(t)
			release := make(chan struct{})
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				<-release // never answer
			}))
			if scheme == "https" {
				srv.StartTLS()
				caBundle(t, srv)
			} else {
				srv.Start()
			}
			defer srv.Close()
			defer close(release)
			cfg := kinesisAt(srv.URL)
			cfg.SocketTimeout = 300 * time.Millisecond
			c := mustNew(t, cfg, awsclient.WithMaxAttempts(1))

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := putOne(ctx, c)
			var timeout *awshttp.ResponseTimeoutError
			if !errors.As(err, &timeout) {
				t.Fatalf("silent server: err %v, want the SDK's response timeout", err)
			}
			if timeout.TimeoutDur != cfg.SocketTimeout {
				t.Errorf("timeout %v, want socketTimeoutMillis %v", timeout.TimeoutDur, cfg.SocketTimeout)
			}
		})
	}
}

// The agent's own TLS dialer verifies the server's certificate against the
// endpoint's host name, as net/http does: the test certificate is for
// 127.0.0.1 and example.com, not localhost.
func TestTLSDialerVerifiesTheEndpointHostName(t *testing.T) {
	isolateEnv(t)
	bodies := make(chan int, 4)
	srv := httptest.NewTLSServer(putRecordsServer(bodies))
	defer srv.Close()
	caBundle(t, srv)
	cfg := kinesisAt(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	c := mustNew(t, cfg, awsclient.WithMaxAttempts(1))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := putOne(ctx, c)
	var hostErr x509.HostnameError
	if !errors.As(err, &hostErr) {
		t.Fatalf("PutRecords to a certificate for another name: err %v, want a host-name verification error", err)
	}
	select {
	case n := <-bodies:
		t.Fatalf("server read a %d-byte body over an unverified connection", n)
	default:
	}
}

// AWS_DEFAULTS_MODE (or a profile's defaults_mode) does not change the
// agent's timeouts: service clients would replace the connect and TLS
// handshake timeouts of plain http:// connections only.
func TestDefaultsModeIsPinnedToLegacy(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_DEFAULTS_MODE", "in-region")
	cfg := kinesisAt("")
	c := mustNew(t, cfg)
	if m := c.Kinesis.Options().DefaultsMode; m != aws.DefaultsModeLegacy {
		t.Fatalf("Kinesis defaults mode %q, want %q", m, aws.DefaultsModeLegacy)
	}
}
