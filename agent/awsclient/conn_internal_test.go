package awsclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// countingConn counts the writes that reach the network.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// testCertificate returns net/http/httptest's certificate (for 127.0.0.1,
// ::1 and example.com) and a pool that trusts it.
func testCertificate() (tls.Certificate, *x509.CertPool) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return srv.TLS.Certificates[0], roots
}

// tlsPair dials a TLS server that hands every byte it reads to got, and
// returns the client side built as the agent's dialer builds it.
func tlsPair(t testing.TB, got chan<- []byte) (*pooledCopyConn, *countingConn) {
	t.Helper()
	return tlsPairServing(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		got <- b
	})
}

// tlsPairServing dials a TLS server that runs serve on its one connection.
func tlsPairServing(t testing.TB, serve func(net.Conn)) (*pooledCopyConn, *countingConn) {
	t.Helper()
	cert, roots := testCertificate()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: raw}
	g := &gatherConn{Conn: cc}
	tc := tls.Client(g, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	return &pooledCopyConn{Conn: tc, raw: g,
		copyBufs: &bufferPool{size: copyBufferSize}, coalesceBufs: &bufferPool{size: coalesceSize}}, cc
}

// A request body's TLS records reach the network 4 at a time, intact and
// in order (a *tls.Conn writes each 16 KiB record with its own write(2));
// writes outside a body copy go through at once.
func TestBodyTLSRecordsAreWrittenInBatches(t *testing.T) {
	got := make(chan []byte, 1)
	c, cc := tlsPair(t, got)
	body := make([]byte, 300<<10)
	for i := range body {
		body[i] = byte(i * 7)
	}
	before := cc.writes.Load()
	// net/http's view of the body: a LimitReader (no WriterTo).
	n, err := c.ReadFrom(io.LimitReader(bytes.NewReader(body), int64(len(body))))
	if err != nil || n != int64(len(body)) {
		t.Fatalf("ReadFrom: %d bytes, %v", n, err)
	}
	records := (len(body) + 16<<10 - 1) / (16 << 10) // 19
	if w := cc.writes.Load() - before; w > int64((records+3)/4) {
		t.Errorf("%d TLS records took %d writes, want at most %d", records, w, (records+3)/4)
	}

	before = cc.writes.Load()
	if _, err := c.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	if w := cc.writes.Load() - before; w != 1 {
		t.Errorf("a write outside a body copy took %d network writes, want 1 at once", w)
	}
	c.Close()
	select {
	case b := <-got:
		if want := append(body, "tail"...); !bytes.Equal(b, want) {
			t.Fatalf("server read %d bytes, not the %d written", len(b), len(want))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server read nothing")
	}
}

// A write error while records are gathered is returned by ReadFrom, for a
// body that fills the gather buffer (the error comes back through the TLS
// layer) and for one smaller than 4 records (only the final flush writes),
// and the connection writes nothing more.
func TestGatheredWriteErrorIsReturned(t *testing.T) {
	for _, size := range []int{200 << 10, 10 << 10} {
		t.Run(strconv.Itoa(size>>10)+"KiB", func(t *testing.T) {
			got := make(chan []byte, 1)
			c, cc := tlsPair(t, got)
			cc.Conn.Close() // the network connection is gone under the TLS layer
			_, err := c.ReadFrom(io.LimitReader(bytes.NewReader(make([]byte, size)), int64(size)))
			if err == nil {
				t.Fatal("ReadFrom over a closed connection returned no error")
			}
			if _, err := c.Write([]byte("x")); err == nil {
				t.Fatal("a write after the failed copy succeeded")
			}
		})
	}
}

// Close during a body copy whose gathered records the peer does not take
// returns at once and fails the copy (a *tls.Conn's close_notify would
// wait 5 s for the gathered flush; net/http closes a cancelled request's
// connection holding its own lock).
func TestCloseInterruptsABlockedBodyCopy(t *testing.T) {
	cert, roots := testCertificate()
	client, server := net.Pipe() // writes block until the peer reads
	defer server.Close()
	handshook := make(chan error, 1)
	go func() { // handshake, then never read again
		handshook <- tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}}).Handshake()
	}()
	g := &gatherConn{Conn: client}
	tc := tls.Client(g, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-handshook; err != nil {
		t.Fatal(err)
	}
	c := &pooledCopyConn{Conn: tc, raw: g,
		copyBufs: &bufferPool{size: copyBufferSize}, coalesceBufs: &bufferPool{size: coalesceSize}}

	copied := make(chan error, 1)
	go func() {
		_, err := c.ReadFrom(io.LimitReader(bytes.NewReader(make([]byte, 10<<10)), 10<<10))
		copied <- err
	}()
	// Wait until the copy is blocked in its final flush.
	deadline := time.Now().Add(10 * time.Second)
	for !c.copying.Load() || g.mu.TryLock() {
		if c.copying.Load() {
			g.mu.Unlock()
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy never blocked writing")
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close waited for the blocked flush")
	}
	select {
	case err := <-copied:
		if err == nil {
			t.Fatal("the interrupted copy reported success")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the copy did not end after Close")
	}
}

// A TLS handshake that outlasts TLSHandshakeTimeout fails with net/http's
// handshake-timeout error, not as if the caller's deadline had passed.
func TestTLSHandshakeTimeoutIsReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept, never answer
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	c := withPooledCopy(buildHTTPClient(&config.Config{}).WithTransportOptions(func(tr *http.Transport) {
		tr.TLSHandshakeTimeout = 200 * time.Millisecond
	}), &connSet{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+ln.Addr().String(), bytes.NewReader([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(req)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "TLS handshake timeout") {
		t.Fatalf("err %v, want net/http's TLS handshake timeout", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the caller's deadline passed first")
	}
}

// connectProxy is an HTTP proxy that tunnels every CONNECT to target and
// counts the tunnels.
func connectProxy(target string, tunnels *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		// Hijack first and answer on the raw connection; client bytes the
		// server has already buffered are in rw and go up first.
		down, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			up.Close()
			down.Close()
			return
		}
		tunnels.Add(1)
		go func() { _, _ = io.Copy(up, rw.Reader); up.Close() }()
		_, _ = io.Copy(down, up)
		down.Close()
	})
}

// HTTPS through an http:// or https:// proxy still works with the agent's
// TLS dialer (which dials an https:// proxy itself; net/http adds TLS to
// the target inside the tunnel).
func TestHTTPSThroughAProxy(t *testing.T) {
	for _, proxyScheme := range []string{"http", "https"} {
		t.Run(proxyScheme, func(t *testing.T) {
			bodies := make(chan int, 2)
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				bodies <- int(n)
			}))
			defer srv.Close()
			var tunnels atomic.Int64
			proxy := httptest.NewUnstartedServer(connectProxy(srv.Listener.Addr().String(), &tunnels))
			if proxyScheme == "https" {
				proxy.StartTLS()
			} else {
				proxy.Start()
			}
			defer proxy.Close()
			proxyURL, _ := url.Parse(proxy.URL)
			roots := x509.NewCertPool()
			roots.AddCert(srv.Certificate()) // the same test certificate for both servers

			c := withPooledCopy(buildHTTPClient(&config.Config{}).WithTransportOptions(func(tr *http.Transport) {
				tr.TLSClientConfig.RootCAs = roots
				tr.Proxy = http.ProxyURL(proxyURL)
			}), &connSet{})
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(make([]byte, 100<<10)))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if n := <-bodies; n != 100<<10 {
				t.Fatalf("server read %d bytes, want %d", n, 100<<10)
			}
			if tunnels.Load() != 1 {
				t.Fatalf("%d proxy tunnels, want 1: the request did not go through the proxy", tunnels.Load())
			}
		})
	}
}
