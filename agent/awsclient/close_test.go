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
			open := countConns(srv)
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
			waitNoConns(t, open, "Close")
			if _, err := putOne(ctx, c); err == nil {
				t.Fatal("a call after Close succeeded")
			}
		})
	}
}

// countConns makes the unstarted srv count its open connections.
func countConns(srv *httptest.Server) func() int {
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
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(open)
	}
}

// waitNoConns waits until open counts none, for 10 s at most.
func waitNoConns(t *testing.T, open func() int, after string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := open(); n > 0; n = open() {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after %s the server still has %d connection(s) of the clients open", after, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
