package awsclient_test

import (
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// Session keys in the shared credentials file are rewritten by a helper
// before they expire (IAM Roles Anywhere's `aws_signing_helper update`, a
// cron job running `aws sts assume-role`, aws-vault). The SDK read them
// once and never let them expire: once the old token expired every call
// failed with ExpiredToken until a restart. The file is now read again
// every 5 minutes, as Java's ProfileCredentialsProvider does
// (TestSharedFileKeysAreReadAgainAfterFiveMinutes), and at once after a
// call refused for an expired token.
func TestKeysRewrittenInTheSharedCredentialsFileAreUsedOnceTheOldOnesExpire(t *testing.T) {
	isolateEnv(t)
	credFile := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	write := func(id string) {
		content := "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = secret" + id +
			"\naws_session_token = token" + id + "\n"
		if err := os.WriteFile(credFile, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ASIAOLDSESSION")
	var expired atomic.Bool
	srv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if expired.Load() && strings.Contains(r.Header.Get("Authorization"), "ASIAOLDSESSION") {
			jsonError(400, "ExpiredTokenException", "The security token included in the request is expired")(w, r, body)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte("{}"))
	})
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	c := mustNew(t, cfg)
	if err := describe(t, c); err != nil {
		t.Fatal(err)
	}

	write("ASIANEWSESSION") // the helper renews the session
	expired.Store(true)     // and the old one expires
	_ = describe(t, c)      // signed with the old keys, refused
	if err := describe(t, c); err != nil {
		t.Fatalf("after the shared file was rewritten and a call was refused for an expired token: %v", err)
	}
	reqs := srv.requests()
	if got := credentialKeyID(reqs[len(reqs)-1].Authorization); got != "ASIANEWSESSION" {
		t.Fatalf("signed with %s, want the rewritten file's ASIANEWSESSION", got)
	}
}
