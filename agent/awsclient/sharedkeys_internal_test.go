package awsclient

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

type keysFrom struct {
	id, source string
}

func (k keysFrom) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: k.id, SecretAccessKey: "s", Source: k.source}, nil
}

// Keys from the shared credentials file are read again once they were read
// five minutes ago (Java's ProfileCredentialsProvider); credentials from
// other sources pass through, and the chain is not resolved again for them.
func TestSharedFileKeysAreReadAgainAfterFiveMinutes(t *testing.T) {
	for _, tc := range []struct {
		source string
		reread bool
	}{
		{sharedFileSource + ": /root/.aws/credentials", true},
		{"EC2RoleProvider", false},
		{"EnvConfigCredentials", false},
	} {
		loads := 0
		s := &sharedFileKeys{chain: keysFrom{"OLD", tc.source}, load: func(context.Context) (aws.CredentialsProvider, error) {
			loads++
			return keysFrom{"NEW", tc.source}, nil
		}}
		ctx := context.Background()
		if c, _ := s.Retrieve(ctx); c.AccessKeyID != "OLD" {
			t.Fatalf("%s: first call gave %s", tc.source, c.AccessKeyID)
		}
		if c, _ := s.Retrieve(ctx); c.AccessKeyID != "OLD" || loads != 0 {
			t.Fatalf("%s: read again at once (%d loads)", tc.source, loads)
		}
		s.mu.Lock()
		s.readAt = time.Now().Add(-sharedFileRereadAfter) // five minutes on
		s.mu.Unlock()
		c, _ := s.Retrieve(ctx)
		if got := c.AccessKeyID == "NEW"; got != tc.reread || (loads == 1) != tc.reread {
			t.Fatalf("%s: after five minutes gave %s (%d loads), want read again: %v", tc.source, c.AccessKeyID, loads, tc.reread)
		}
	}
}
