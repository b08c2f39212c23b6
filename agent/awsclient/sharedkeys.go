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

// sharedFileKeys is the default credential chain (the SDK's cache around
// it) with a profile's static keys read again every sharedFileRereadAfter.
// The SDK reads them once and never lets them expire, so session keys that
// a helper rewrites in the file before they expire (IAM Roles Anywhere's
// `aws_signing_helper update`, a cron job running `aws sts assume-role`,
// aws-vault) were used until every call failed with ExpiredToken, until a
// restart. Credentials from the chain's other sources pass through as the
// SDK's cache gives them (no second cache: its expiry window would count
// them expired early, and Redact would miss their session token).
type sharedFileKeys struct {
	load func(context.Context) (aws.CredentialsProvider, error) // the chain, resolved afresh

	mu       sync.Mutex
	chain    aws.CredentialsProvider
	fromFile bool      // the last credentials came from the shared file
	readAt   time.Time // when the file was last read
	stale    bool      // read the file again at the next call
}

// Retrieve gives the chain's credentials, reading the shared file again
// first when the last ones came from it and were read
// sharedFileRereadAfter ago (or a call was refused for an expired token).
// It is called for every request: without a reread due, it costs a lock.
func (s *sharedFileKeys) Retrieve(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	if s.fromFile && (s.stale || time.Since(s.readAt) >= sharedFileRereadAfter) && ctx.Err() == nil {
		// A file being rewritten, or gone: keep what was read before.
		if chain, err := s.load(ctx); err == nil {
			s.chain = chain
		}
		s.readAt, s.stale = time.Now(), false
	}
	chain := s.chain
	s.mu.Unlock()
	c, err := chain.Retrieve(ctx)
	if err == nil {
		s.mu.Lock()
		if file := strings.HasPrefix(c.Source, sharedFileSource); file != s.fromFile {
			s.fromFile, s.readAt = file, time.Now()
		}
		s.mu.Unlock()
	}
	return c, err
}

// Invalidate makes the next call resolve the credentials again.
func (s *sharedFileKeys) Invalidate() {
	s.mu.Lock()
	s.stale = true
	chain := s.chain
	s.mu.Unlock()
	if c, ok := chain.(interface{ Invalidate() }); ok {
		c.Invalidate()
	}
}

// credentialsDropper drops the cached credentials when a call is refused
// for an expired token, so that the next attempt resolves them again (the
// shared file rewritten meanwhile, an assumed role renewed) instead of
// waiting out the cache's window. At most once every dropEvery: a clock
// skewed against AWS's would otherwise make every failed call fetch new
// credentials.
type credentialsDropper struct {
	cache atomic.Pointer[invalidator]
	last  atomic.Int64 // unix nanos of the last drop
	every time.Duration
}

const dropEvery = 10 * time.Second

// expiredTokenCodes are the error codes of a call signed with credentials
// that have expired.
var expiredTokenCodes = map[string]bool{"ExpiredTokenException": true, "ExpiredToken": true}

// invalidator is a credentials provider whose cached credentials can be
// dropped (aws.CredentialsCache, sharedFileKeys).
type invalidator interface{ Invalidate() }

func (d *credentialsDropper) drop() {
	p := d.cache.Load()
	if p == nil {
		return
	}
	c := *p
	now := time.Now().UnixNano()
	if last := d.last.Load(); last != 0 && now-last < int64(d.every) || !d.last.CompareAndSwap(last, now) {
		return
	}
	c.Invalidate()
}

// apiOption adds the middleware that watches every call's outcome.
func (d *credentialsDropper) apiOption(s *middleware.Stack) error {
	return afterEachAttempt(s, "kinesisAgentDropExpiredCredentials", middleware.Before, func(_ middleware.DeserializeOutput, err error) {
		var ae smithy.APIError
		if err != nil && errors.As(err, &ae) && expiredTokenCodes[ae.ErrorCode()] {
			d.drop()
		}
	})
}
