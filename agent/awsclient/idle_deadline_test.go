package awsclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// net/http's readLoop starts its read (Peek(1)) as soon as a connection
// goes idle. A call sent on a connection idle for most of
// socketTimeoutMillis gets the whole timeout for its answer, as Java's
// SO_TIMEOUT does; with a deadline set only when a read starts, an answer
// in time failed with a response timeout and the SDK sent the call again.
// The idle time (the sleep) is the scenario, not a wait for a condition.
func TestACallOnALongIdleConnectionGetsTheWholeSocketTimeout(t *testing.T) {
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			isolateEnv(t)
			var calls atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				calls.Add(1)
				if calls.Load() > 1 {
					time.Sleep(400 * time.Millisecond) // well inside the 1 s socket timeout
				}
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				_, _ = io.WriteString(w, `{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]}`)
			}))
			if scheme == "https" {
				srv.StartTLS()
				caBundle(t, srv)
			} else {
				srv.Start()
			}
			defer srv.Close()
			cfg := kinesisAt(srv.URL)
			cfg.SocketTimeout = time.Second
			c := mustNew(t, cfg, awsclient.WithMaxAttempts(1))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := putOne(ctx, c); err != nil {
				t.Fatal(err)
			}
			time.Sleep(800 * time.Millisecond) // connection idle, still in the pool
			start := time.Now()
			_, err := putOne(ctx, c)
			if err != nil {
				t.Fatalf("call answered in ~400 ms failed after %v with a 1 s socket timeout: %v", time.Since(start).Round(time.Millisecond), err)
			}
		})
	}
}
