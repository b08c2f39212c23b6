package awsclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Review of 04a031c. The default chain's credentials are now cached
// twice: the SDK's cache (ExpiryWindow 5 min) inside the new one (5 min
// again). aws.CredentialsCache hands on credentials whose Expires it has
// moved ExpiryWindow earlier, and the outer cache (whose provider,
// sharedFileKeys, hides the inner provider's AdjustExpiresBy and
// HandleFailToRefresh strategies) moves them 5 min earlier again:
// credentials from ECS/EKS container endpoints, web identity, SSO,
// credential_process (and instance metadata after its 15-min floor) count
// as expired 10 min before they expire. In that window every call goes
// through the wrapper's mutex to the inner cache, the credentials handed
// on report Expired(), and Redact, which takes only valid cached
// credentials (a cancelled context: it never waits), gets none, so a
// session token a server quotes is logged unmasked. The endpoint here
// serves keys 9 min from expiry, which puts the test inside that window
// without waiting.
// The wrapper that reads the shared file again was first a second cache
// around the SDK's, with the same 5-minute window: credentials of every
// other source (container, web identity, SSO, instance profile) counted as
// expired 10 minutes early, and Redact, which takes only valid cached
// credentials, then missed their session token in the log.
func TestCredentialsFromOtherSourcesAreNotTakenForExpiredEarlyAndTheirTokenIsRedacted(t *testing.T) {
	isolateEnv(t)
	var credCalls atomic.Int32
	ecs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		credCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"AccessKeyId":"ASIAFROMECS","SecretAccessKey":"ecsSecretKey/abc",` +
			`"Token":"ecsSessionTokenSECRET","Expiration":"` +
			time.Now().Add(9*time.Minute).UTC().Format(time.RFC3339) + `"}`))
	}))
	t.Cleanup(ecs.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.URL+"/creds")
	srv := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	c := mustNew(t, cfg)
	if err := describe(t, c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cr, err := c.AWS.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Expired() {
		t.Errorf("credentials valid for 9 more minutes (4 after the SDK's own 5-min window) are handed on as expired: Expires %v from now",
			time.Until(cr.Expires).Round(time.Second))
	}
	if got := c.Redact("server said: token ecsSessionTokenSECRET"); strings.Contains(got, "ecsSessionTokenSECRET") {
		t.Errorf("Redact left the cached session token in: %q", got)
	}
	t.Logf("container endpoint fetches: %d", credCalls.Load())
}
