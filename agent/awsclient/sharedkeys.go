package awsclient

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// sharedFileRereadAfter is how long keys read from the shared credentials
// or config file are used before the file is read again (Java's
// ProfileCredentialsProvider: checked every 5 minutes).
const sharedFileRereadAfter = 5 * time.Minute

// sharedFileSource starts the Source of credentials the SDK read as static
// keys of a profile in the shared credentials or config file.
const sharedFileSource = "SharedConfigCredentials"

// sharedFileKeys is the default credential chain with a profile's static
// keys read again every sharedFileRereadAfter. The SDK reads them once and
// never lets them expire, so session keys that a helper rewrites in the
// file before they expire (IAM Roles Anywhere's `aws_signing_helper
// update`, a cron job running `aws sts assume-role`, aws-vault) were used
// until every call failed with ExpiredToken, until a restart. The
// chain's other sources renew themselves and pass through unchanged.
type sharedFileKeys struct {
	load func(context.Context) (aws.CredentialsProvider, error) // the chain, resolved afresh

	mu       sync.Mutex
	chain    aws.CredentialsProvider
	fromFile bool // the last credentials came from the shared file
}

// Retrieve reads the shared file again if the last credentials came from
// it, and gives credentials from the file an expiry sharedFileRereadAfter
// ahead, so that the cache around it asks again by then. (aws.CredentialsCache
// calls it one at a time.)
func (s *sharedFileKeys) Retrieve(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fromFile {
		// A file being rewritten, or gone: keep what was read before.
		if chain, err := s.load(ctx); err == nil {
			s.chain = chain
		}
	}
	c, err := s.chain.Retrieve(ctx)
	s.fromFile = err == nil && strings.HasPrefix(c.Source, sharedFileSource)
	if s.fromFile && !c.CanExpire {
		c.CanExpire = true
		// The cache renews ExpiryWindow before Expires.
		c.Expires = time.Now().Add(sharedFileRereadAfter + defaultChainRefreshWindow)
	}
	return c, err
}

// credentialsDropper drops the cached credentials when a call is refused
// for an expired token, so that the next attempt resolves them again (the
// shared file rewritten meanwhile, an assumed role renewed) instead of
// waiting out the cache's window. At most once every dropEvery: a clock
// skewed against AWS's would otherwise make every failed call fetch new
// credentials.
type credentialsDropper struct {
	cache atomic.Pointer[aws.CredentialsCache]
	last  atomic.Int64 // unix nanos of the last drop
	every time.Duration
}

const dropEvery = 10 * time.Second

// expiredTokenCodes are the error codes of a call signed with credentials
// that have expired.
var expiredTokenCodes = map[string]bool{"ExpiredTokenException": true, "ExpiredToken": true}

func (d *credentialsDropper) drop() {
	c := d.cache.Load()
	if c == nil {
		return
	}
	now := time.Now().UnixNano()
	if last := d.last.Load(); last != 0 && now-last < int64(d.every) || !d.last.CompareAndSwap(last, now) {
		return
	}
	c.Invalidate()
}

// apiOption adds the middleware that watches every call's outcome.
func (d *credentialsDropper) apiOption(s *middleware.Stack) error {
	const id = "kinesisAgentDropExpiredCredentials"
	if _, ok := s.Deserialize.Get(id); ok {
		return nil
	}
	return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc(id,
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			var ae smithy.APIError
			if err != nil && errors.As(err, &ae) && expiredTokenCodes[ae.ErrorCode()] {
				d.drop()
			}
			return out, md, err
		}), middleware.Before)
}
