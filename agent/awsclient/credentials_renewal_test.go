package awsclient_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

var expiresIn30s = func() string { return time.Now().Add(30 * time.Second).UTC().Format(time.RFC3339) }

// An assumed-role session is renewed when less than a minute is left
// (Java's STSAssumeRoleSessionCredentialsProvider), so that no call is
// signed with credentials that lapse on the way. (Instance-profile
// credentials get a 5-minute window, which the SDK applies only to
// credentials fetched with more than 15 minutes left: not testable here.)
func TestAssumedRoleIsRenewedAMinuteBeforeItExpires(t *testing.T) {
	isolateEnv(t)
	var calls atomic.Int32
	stsSrv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA%d</AccessKeyId>
<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials>
</AssumeRoleResult></AssumeRoleResponse>`, n, expiresIn30s())
	})
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint, cfg.STSEndpoint = "eu-west-1", newFakeAWS(t, nil).URL, stsSrv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
	cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
	c := mustNew(t, cfg)
	for i := 0; i < 2; i++ {
		if err := describe(t, c); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 2 { // Java: new session when < 60 s remain
		t.Errorf("%d AssumeRole calls, want 2: a session 30 s from expiry was reused", n)
	}
}
