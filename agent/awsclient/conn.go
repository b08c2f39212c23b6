package awsclient

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// net/http writes an HTTP/1.1 request body by io.Copy into the connection
// (persistConnWriter.ReadFrom), behind an io.LimitReader that hides any
// WriterTo of the body. A *tls.Conn has no ReadFrom, so every request
// allocated a fresh 32 KiB copy buffer: 62.5 of the 159 MB allocated per
// million raw lines (docs/PERFORMANCE.md). Connections dialled here have a
// ReadFrom that copies through a pooled buffer instead.
//
// A *tls.Conn also writes each TLS record (at most 16 KiB of plaintext)
// with its own write(2): 17 system calls for a 270 KB PutRecords body, each
// a TCP segment train of its own. While a body is copied, the records are
// gathered and written 4 at a time (coalesceSize), which took raw-line
// system CPU from 0.15-0.23 to 0.13-0.16 s per million lines.

const (
	// copyBufferSize is one TLS record's worth of plaintext: each Write to
	// a *tls.Conn of this size is one record.
	copyBufferSize = 16 << 10
	// coalesceSize holds 4 full TLS records (16 KiB of plaintext plus at
	// most 256 bytes of header, padding and tag each).
	coalesceSize = 4 * (16<<10 + 256)
)

// bufferPool recycles byte buffers of one size.
type bufferPool struct {
	size int
	p    sync.Pool
}

func (bp *bufferPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, bp.size)
	return &b
}

func (bp *bufferPool) put(b *[]byte) { bp.p.Put(b) }

// pooledCopyConn is a TLS connection whose ReadFrom copies through a pooled
// buffer and writes the resulting TLS records in batches. Everything else
// is the wrapped connection's.
type pooledCopyConn struct {
	net.Conn                 // the *tls.Conn
	raw          *gatherConn // under the *tls.Conn
	copyBufs     *bufferPool // copyBufferSize
	coalesceBufs *bufferPool // coalesceSize
	copying      atomic.Bool // in ReadFrom
}

// Close closes the connection. During a body copy it closes the network
// connection at once, as a *tls.Conn does when Close interrupts a Write:
// the TLS close_notify would wait for the gathered records, which a peer
// that stopped reading never takes (net/http closes a cancelled request's
// connection this way, holding its own lock).
func (c *pooledCopyConn) Close() error {
	if c.copying.Load() {
		return c.raw.Conn.Close()
	}
	return c.Conn.Close()
}

// ReadFrom copies r into the connection until EOF or an error.
func (c *pooledCopyConn) ReadFrom(r io.Reader) (int64, error) {
	c.copying.Store(true)
	defer c.copying.Store(false)
	b := c.copyBufs.get()
	defer c.copyBufs.put(b)
	g := c.coalesceBufs.get()
	defer c.coalesceBufs.put(g)
	c.raw.gather((*g)[:0])
	// writerOnly keeps io.CopyBuffer from finding this ReadFrom again.
	n, err := io.CopyBuffer(writerOnly{c.Conn}, r, *b)
	if ferr := c.raw.release(); err == nil {
		err = ferr
	}
	return n, err
}

// gatherConn is the network connection under a *tls.Conn. Between gather
// and release, writes are appended to a buffer and written when it is
// full; release writes the rest. Writes of the TLS layer are serialized by
// it, but may come from another goroutine (alerts), hence the lock.
type gatherConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte // nil: write through
	err error  // of a gathered write
}

func (c *gatherConn) gather(buf []byte) {
	c.mu.Lock()
	c.buf, c.err = buf, nil
	c.mu.Unlock()
}

// release writes what was gathered, stops gathering, and returns the first
// write error since gather.
func (c *gatherConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	c.buf = nil
	return c.err
}

func (c *gatherConn) flushLocked() {
	if len(c.buf) > 0 && c.err == nil {
		_, c.err = c.Conn.Write(c.buf)
	}
	c.buf = c.buf[:0]
}

func (c *gatherConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		return c.Conn.Write(p)
	}
	if len(c.buf)+len(p) > cap(c.buf) {
		c.flushLocked()
	}
	if c.err != nil {
		return 0, c.err
	}
	if len(p) > cap(c.buf) {
		n, err := c.Conn.Write(p)
		c.err = err
		return n, err
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

type writerOnly struct{ io.Writer }

// connSet holds the open connections of the clients' HTTP pools. Closing
// it closes them, which ends net/http's two goroutines per pooled
// connection; those otherwise outlived the agent's Run until the server
// or the idle timeout closed the connection (a process that runs the
// agent again, or embeds it, kept them).
type connSet struct {
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

// track wraps dial so that its connections are in s; once s is closed it
// dials nothing.
func (s *connSet) track(dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, set: s}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			c.Close()
			return nil, net.ErrClosed
		}
		if s.conns == nil {
			s.conns = map[*trackedConn]struct{}{}
		}
		s.conns[tc] = struct{}{}
		return tc, nil
	}
}

// close closes every connection and every later one.
func (s *connSet) close() {
	s.mu.Lock()
	conns := s.conns
	s.conns, s.closed = nil, true
	s.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

// withPooledCopy returns bc with an https dialer whose connections copy
// request bodies through pooled buffers and write their TLS records in
// batches (pooledCopyConn). It captures the transport's TLS
// configuration, dialer and handshake timeout, so it must be the last
// transport option applied (after the SDK's AWS_CA_BUNDLE).
//
// The TLS handshake is net/http's own (addTLS): the transport's TLS
// configuration cloned, ServerName from the dialled host when unset, the
// certificate verified against it, TLSHandshakeTimeout, and the
// httptrace handshake hooks. The SDK applies socketTimeoutMillis (its read
// timeout) by wrapping DialContext when the client is built, which a
// DialTLSContext bypasses, so the dialer applies the same rolling read
// deadline itself (the agent always sets socketTimeoutMillis before this
// runs). Plain http:// and an https:// target behind an http:// proxy still
// go through DialContext and net/http's own TLS (and copy as before).
//
// Service clients change the dialer and handshake timeout only in a
// non-legacy SDK defaults mode, which the agent pins to legacy (New): the
// agent.json keys decide, for http:// and https:// alike.
//
// Every connection it dials is in conns, which closes them when the
// clients are closed (net/http's pools are per copy of the transport,
// each service client's own, out of reach).
func withPooledCopy(bc *awshttp.BuildableClient, conns *connSet) *awshttp.BuildableClient {
	readTimeout, ok := bc.GetReadTimeout()
	if !ok {
		readTimeout = 0
	}
	return bc.WithTransportOptions(func(tr *http.Transport) {
		copyBufs := &bufferPool{size: copyBufferSize}
		coalesceBufs := &bufferPool{size: coalesceSize}
		dial := tr.DialContext
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		dial = conns.track(dial)
		tr.DialContext = dial
		var tlsCfg *tls.Config
		if tr.TLSClientConfig != nil {
			tlsCfg = tr.TLSClientConfig.Clone()
		} else {
			tlsCfg = &tls.Config{}
		}
		if readTimeout > 0 {
			// http:// (and a proxy's connection): the SDK's own read
			// timeout rolls with each Read only, so this wrapper also
			// pushes the deadline forward when a request is written.
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &readDeadlineConn{Conn: c, timeout: readTimeout}, nil
			}
		}
		handshakeTimeout := tr.TLSHandshakeTimeout
		tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if readTimeout > 0 {
				raw = &readDeadlineConn{Conn: raw, timeout: readTimeout}
			}
			g := &gatherConn{Conn: raw}
			tc, err := clientHandshake(ctx, g, addr, tlsCfg, handshakeTimeout)
			if err != nil {
				return nil, err
			}
			return &pooledCopyConn{Conn: tc, raw: g, copyBufs: copyBufs, coalesceBufs: coalesceBufs}, nil
		}
	})
}

// readDeadlineConn fails a read that waits longer than timeout for its
// first byte, with the SDK's own error (as its read timeout does): a slow
// but progressing answer survives, a silent connection fails once. Every
// write pushes the deadline forward too: net/http starts a connection's
// read when it goes idle, and a request sent on it later must get the
// whole timeout for its answer (Java's SO_TIMEOUT runs only while it
// waits), or an answer in time fails and the SDK sends the call again.
type readDeadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *readDeadlineConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, &awshttp.ResponseTimeoutError{TimeoutDur: c.timeout}
	}
	return n, err
}

// Write pushes the read deadline forward: the wait for an answer counts
// from the end of the request, not from when the idle read began.
func (c *readDeadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// clientHandshake runs the TLS client handshake on raw as net/http does,
// closing raw on failure.
func clientHandshake(ctx context.Context, raw net.Conn, addr string, base *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	cfg := base.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			raw.Close()
			return nil, err
		}
		cfg.ServerName = host
	}
	tc := tls.Client(raw, cfg)
	hctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.TLSHandshakeStart != nil {
		trace.TLSHandshakeStart()
	}
	err := tc.HandshakeContext(hctx)
	if err != nil && hctx.Err() != nil && ctx.Err() == nil {
		err = tlsHandshakeTimeoutError{} // not the caller's deadline
	}
	if trace != nil && trace.TLSHandshakeDone != nil {
		if err != nil {
			trace.TLSHandshakeDone(tls.ConnectionState{}, err)
		} else {
			trace.TLSHandshakeDone(tc.ConnectionState(), nil)
		}
	}
	if err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}

// tlsHandshakeTimeoutError is net/http's error for TLSHandshakeTimeout.
type tlsHandshakeTimeoutError struct{}

func (tlsHandshakeTimeoutError) Timeout() bool   { return true }
func (tlsHandshakeTimeoutError) Temporary() bool { return true }
func (tlsHandshakeTimeoutError) Error() string   { return "net/http: TLS handshake timeout" }
