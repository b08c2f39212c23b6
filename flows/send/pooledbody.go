package send

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Request bodies of the fast codec are reused across calls. A body may only
// go back to the pool once the HTTP transport can no longer read it: the
// net/http RoundTrip contract lets the transport keep reading a request body
// after the call has returned (a server that answers before it has read the
// whole request). pooledBody makes the hand-back safe without knowing what
// the transport does: every Read and Seek holds its mutex, and release only
// takes the buffer when it gets the mutex at once (TryLock); from then on
// reads fail, so a transport still writing that request stops (the server
// has answered it already and gets a short body). When a read holds the
// mutex, the buffer is simply left to the garbage collector.

var errBodyReleased = errors.New("send: request body read after its call returned")

// bodyPool recycles request body buffers.
type bodyPool struct {
	p      sync.Pool // *[]byte
	reused atomic.Int64
}

// get returns an empty buffer with capacity >= n.
func (bp *bodyPool) get(n int) []byte {
	if v, ok := bp.p.Get().(*[]byte); ok && cap(*v) >= n {
		bp.reused.Add(1)
		return (*v)[:0]
	}
	// A little headroom so that slightly larger batches reuse it.
	return make([]byte, 0, n+n/8)
}

func (bp *bodyPool) put(b []byte) {
	b = b[:0]
	bp.p.Put(&b)
}

// pooledBody is an io.ReadSeeker over a pooled buffer (bytes.Reader
// semantics, including Len: the unread length). It has no WriteTo on
// purpose: smithy's wrapper would expose it and return io.EOF once the SDK
// has closed the body, which over HTTP/1.1 makes net/http close the
// connection under the answer and the SDK send the call again
// (TestAnswerBeforeTheWriterFinishesDoesNotSendTheBatchAgain). The agent's
// clients also hide WriteTo of every body (agent/awsclient/body.go); this
// package does not rely on that: the codec's unpooled bodies are
// pooledBody values too, with a nil pool.
type pooledBody struct {
	mu   sync.Mutex
	buf  []byte // nil once released
	off  int64
	pool *bodyPool // nil: not pooled
}

func (r *pooledBody) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil {
		return 0, errBodyReleased
	}
	if r.off >= int64(len(r.buf)) {
		return 0, io.EOF
	}
	n := copy(p, r.buf[r.off:])
	r.off += int64(n)
	return n, nil
}

func (r *pooledBody) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil {
		return 0, errBodyReleased
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = int64(len(r.buf)) + offset
	default:
		return 0, errors.New("send: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("send: negative position")
	}
	r.off = abs
	return abs, nil
}

// Len is the number of unread bytes (smithy uses it for Content-Length).
func (r *pooledBody) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil || r.off >= int64(len(r.buf)) {
		return 0
	}
	return len(r.buf) - int(r.off)
}

// release hands the buffer back to the pool unless a read is in progress.
func (r *pooledBody) release() {
	if !r.mu.TryLock() {
		return
	}
	buf := r.buf
	r.buf = nil
	r.mu.Unlock()
	if buf != nil && r.pool != nil {
		r.pool.put(buf)
	}
}

// bodyHolder carries the request body of one PutRecords call from the codec
// (which builds it) back to the caller (which releases it after the call).
type bodyHolder struct {
	body *pooledBody
}

type bodyHolderKey struct{}

func withBodyHolder(ctx context.Context, h *bodyHolder) context.Context {
	return context.WithValue(ctx, bodyHolderKey{}, h)
}

// holdBody arms ctx for a call whose codec pools its request body: the
// codec leaves the body in the holder, and release, deferred by the caller,
// hands it back to the pool once the call has returned (see above for when
// that is safe).
func holdBody(ctx context.Context) (_ context.Context, release func()) {
	h := &bodyHolder{}
	return withBodyHolder(ctx, h), func() {
		if h.body != nil {
			h.body.release()
		}
	}
}

func bodyHolderFrom(ctx context.Context) *bodyHolder {
	h, _ := ctx.Value(bodyHolderKey{}).(*bodyHolder)
	return h
}

// sha256Hex returns the hex SHA-256 of the whole body, for SigV4: hashing
// the buffer directly spares the signer's io.Copy through a fresh 32 KiB
// buffer. ok is false once released.
func (r *pooledBody) sha256Hex() (hash string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil {
		return "", false
	}
	sum := sha256.Sum256(r.buf)
	return hex.EncodeToString(sum[:]), true
}

// payloadHash gives the SigV4 signer the hash of the call's pooled body
// (the signer skips its own hashing when the context has one). It is a
// Finalize middleware just before the SDK's ComputePayloadSHA256, so every
// attempt of the call sets it; it only acts when the request's stream is
// the pooled body of this call.
type payloadHash struct{}

const payloadHashID = "KinesisAgentPooledBodySHA256"

func (payloadHash) ID() string { return payloadHashID }

func (payloadHash) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	if h := bodyHolderFrom(ctx); ok && h != nil && h.body != nil && req.GetStream() == io.Reader(h.body) {
		if hash, ok := h.body.sha256Hex(); ok {
			ctx = v4.SetPayloadHash(ctx, hash)
		}
	}
	return next.HandleFinalize(ctx, in)
}

// addPayloadHash installs payloadHash before the SDK's payload hashing.
func addPayloadHash(s *middleware.Stack) error {
	sdkHash := (*v4.ComputePayloadSHA256)(nil).ID()
	if _, ok := s.Finalize.Get(sdkHash); !ok {
		return nil
	}
	if _, ok := s.Finalize.Get(payloadHashID); ok {
		return nil
	}
	return s.Finalize.Insert(payloadHash{}, sdkHash, middleware.Before)
}
