package awsclient

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// credsProvider returns its credentials, or blocks until released when
// block is set (a credential endpoint that hangs).
type credsProvider struct {
	block   atomic.Bool
	release chan struct{}
	token   atomic.Value // string
}

func (p *credsProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if p.block.Load() {
		select {
		case <-p.release:
		case <-ctx.Done():
			return aws.Credentials{}, ctx.Err()
		}
	}
	return aws.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "secretKeyOfTheSession0", SessionToken: p.token.Load().(string),
		CanExpire: true, Expires: time.Now().Add(time.Hour)}, nil
}

// Redact runs inside log calls on the send path: it never waits for a
// credential fetch (it did, up to 2 s per line, past the send's own
// deadline), and still masks a token it saw before the cache moved on.
func TestRedactNeverWaitsForACredentialFetchAndMasksTokensSeenBefore(t *testing.T) {
	p := &credsProvider{release: make(chan struct{})}
	p.token.Store("FirstSessionToken0123456789")
	cache := aws.NewCredentialsCache(p)
	c := &Clients{AWS: aws.Config{Credentials: cache}}
	if _, err := cache.Retrieve(context.Background()); err != nil { // as signing the failed call did
		t.Fatal(err)
	}
	if got := c.Redact("token FirstSessionToken0123456789 quoted"); strings.Contains(got, "FirstSessionToken") {
		t.Fatalf("cached token not masked: %q", got)
	}
	// The cache moves on to new credentials; the old token may still be
	// quoted by a server about a request signed with it.
	cache.Invalidate()
	p.token.Store("SecondSessionToken987654321")
	if _, err := cache.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := c.Redact("old FirstSessionToken0123456789 new SecondSessionToken987654321")
	if strings.Contains(got, "FirstSessionToken") || strings.Contains(got, "SecondSessionToken") {
		t.Fatalf("a token seen before or now not masked: %q", got)
	}
	// The credential endpoint hangs and nothing valid is cached.
	cache.Invalidate()
	p.block.Store(true)
	done := make(chan string, 1)
	go func() { done <- c.Redact("SecondSessionToken987654321 again") }()
	select {
	case got := <-done:
		if strings.Contains(got, "SecondSessionToken") {
			t.Errorf("remembered token not masked while the fetch hangs: %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Redact waited for a hanging credential fetch")
	}
	close(p.release)
}
