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
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// net/http writes an HTTP/1.1 request body by io.Copy into the connection
// (persistConnWriter.ReadFrom), behind an io.LimitReader that hides any
// WriterTo of the body. A *tls.Conn has no ReadFrom, so every request
// allocated a fresh 32 KiB copy buffer: 62.5 of the 159 MB allocated per
// million raw lines (docs/PERFORMANCE.md). Connections dialled here have a
// ReadFrom that copies through a pooled buffer instead.

// copyBufferSize is one TLS record's worth of plaintext: each Write to a
// *tls.Conn of this size is one record and one write(2), as before.
const copyBufferSize = 16 << 10

type copyBufferPool struct{ p sync.Pool }

func (cp *copyBufferPool) get() *[]byte {
	if b, ok := cp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, copyBufferSize)
	return &b
}

func (cp *copyBufferPool) put(b *[]byte) { cp.p.Put(b) }

// pooledCopyConn is a connection whose ReadFrom copies through a pooled
// buffer. Everything else is the wrapped connection's.
type pooledCopyConn struct {
	net.Conn
	bufs *copyBufferPool
}

// ReadFrom copies r into the connection until EOF or an error.
func (c *pooledCopyConn) ReadFrom(r io.Reader) (int64, error) {
	b := c.bufs.get()
	defer c.bufs.put(b)
	// writerOnly keeps io.CopyBuffer from finding this ReadFrom again.
	return io.CopyBuffer(writerOnly{c.Conn}, r, *b)
}

type writerOnly struct{ io.Writer }

// withPooledCopy returns bc with an https dialer whose connections copy
// request bodies through pooled buffers. It captures the transport's TLS
// configuration, dialer and handshake timeout, so it must be the last
// transport option applied (after the SDK's AWS_CA_BUNDLE).
//
// The TLS handshake is net/http's own (addTLS): the transport's TLS
// configuration cloned, ServerName from the dialled host when unset, the
// certificate verified against it, TLSHandshakeTimeout, and the
// httptrace handshake hooks. The SDK applies socketTimeoutMillis (its read
// timeout) by wrapping DialContext when the client is built, which a
// DialTLSContext bypasses, so the dialer applies the same rolling read
// deadline itself. Plain http:// and an https:// target behind an http://
// proxy still go through DialContext and net/http's own TLS (and copy as
// before); service clients replace DialContext anyway.
func withPooledCopy(bc *awshttp.BuildableClient) *awshttp.BuildableClient {
	readTimeout, ok := bc.GetReadTimeout()
	if !ok {
		readTimeout = 0
	}
	return bc.WithTransportOptions(func(tr *http.Transport) {
		bufs := &copyBufferPool{}
		dial := tr.DialContext
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		var tlsCfg *tls.Config
		if tr.TLSClientConfig != nil {
			tlsCfg = tr.TLSClientConfig.Clone()
		} else {
			tlsCfg = &tls.Config{}
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
			tc, err := clientHandshake(ctx, raw, addr, tlsCfg, handshakeTimeout)
			if err != nil {
				return nil, err
			}
			return &pooledCopyConn{Conn: tc, bufs: bufs}, nil
		}
	})
}

// readDeadlineConn fails a read that waits longer than timeout for its
// first byte, with the SDK's own error (as its read timeout does): a slow
// but progressing answer survives, a silent connection fails once.
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
