// Package latenet injects lateness into HTTP connections for tests of
// races between a client's request writer and the server's answer: client
// writes that return a little after their bytes went out (Dial), and
// answers whose body comes a little after their headers (BodyWriter).
// The delays are the injected fault, not waits for a condition.
package latenet

import (
	"context"
	"net"
	"net/http"
	"time"
)

// lateWriteConn returns from every Write delay after the bytes went out.
type lateWriteConn struct {
	net.Conn
	delay time.Duration
}

func (c lateWriteConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	time.Sleep(c.delay)
	return n, err
}

// Dial is an http.Transport DialContext whose connections return from
// every Write delay after the bytes went out, so that a server can answer
// while the client's writer is still inside its last Write.
func Dial(delay time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return lateWriteConn{Conn: c, delay: delay}, nil
	}
}

// BodyWriter sends the answer's headers (status 200 unless WriteHeader was
// called) at the first Write and the body Delay later, so that the client
// reads the body after its writer has finished.
type BodyWriter struct {
	http.ResponseWriter
	Delay   time.Duration
	started bool
}

// WriteHeader sends the status line and headers at once.
func (w *BodyWriter) WriteHeader(code int) {
	w.started = true
	w.ResponseWriter.WriteHeader(code)
	w.ResponseWriter.(http.Flusher).Flush()
	time.Sleep(w.Delay)
}

func (w *BodyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}
