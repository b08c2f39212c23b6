package awsclient_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Closing the clients closes their pooled connections (HTTPS through the
// agent's own TLS dialer, plain HTTP through the SDK's): each kept two
// net/http goroutines and a descriptor after the agent's Run returned,
// until the server or the idle timeout ended it. A call after Close fails
// rather than dial again.
func TestClosingTheClientsClosesTheirPooledConnections(t *testing.T) {
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			isolateEnv(t)
			bodies := make(chan int, 4)
			srv := httptest.NewUnstartedServer(putRecordsServer(bodies))
			var mu sync.Mutex
			open := map[net.Conn]bool{}
			srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
				mu.Lock()
				defer mu.Unlock()
				switch s {
				case http.StateNew:
					open[c] = true
				case http.StateClosed, http.StateHijacked:
					delete(open, c)
				}
			}
			if scheme == "https" {
				srv.StartTLS()
				caBundle(t, srv)
			} else {
				srv.Start()
			}
			defer srv.Close()
			c := mustNew(t, kinesisAt(srv.URL))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := putOne(ctx, c); err != nil {
				t.Fatal(err)
			}
			<-bodies
			c.Close()
			deadline := time.Now().Add(10 * time.Second)
			for {
				mu.Lock()
				n := len(open)
				mu.Unlock()
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("10 s after Close the server still has %d connection(s) of the clients open", n)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := putOne(ctx, c); err == nil {
				t.Fatal("a call after Close succeeded")
			}
		})
	}
}
