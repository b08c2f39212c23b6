package awsclient

import (
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// containerToken holds the authorization token of the container
// credential endpoint (AWS_CONTAINER_AUTHORIZATION_TOKEN, or the contents
// of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, which EKS Pod Identity
// rotates): a secret that an endpoint's error answer may quote, and that
// must then not reach a log line or an error.
type containerToken struct {
	env  string
	path string

	mu     sync.Mutex
	mod    time.Time
	size   int64
	tokens []string // of the file, newest last (a rotated one is still masked)
}

func newContainerToken(getenv func(string) string) *containerToken {
	return &containerToken{
		env:  strings.TrimSpace(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")),
		path: strings.TrimSpace(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")),
	}
}

// secrets returns the token of the variable and the file's current and
// last contents; the file is read again only when it changed.
func (t *containerToken) secrets() []string {
	if t == nil {
		return nil
	}
	var s []string
	if t.env != "" {
		s = append(s, t.env)
	}
	if t.path == "" {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if fi, err := os.Stat(t.path); err == nil && fi.Mode().IsRegular() && fi.Size() <= 64<<10 &&
		(!fi.ModTime().Equal(t.mod) || fi.Size() != t.size) {
		if b, err := os.ReadFile(t.path); err == nil {
			t.mod, t.size = fi.ModTime(), fi.Size()
			if tok := strings.TrimSpace(string(b)); tok != "" && (len(t.tokens) == 0 || t.tokens[len(t.tokens)-1] != tok) {
				t.tokens = append(t.tokens, tok)
				if len(t.tokens) > 2 {
					t.tokens = t.tokens[1:]
				}
			}
		}
	}
	return append(s, t.tokens...)
}

// containerEndpointHost is the host the SDK's container credentials come
// from (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: ECS's 169.254.170.2;
// AWS_CONTAINER_CREDENTIALS_FULL_URI's host), or "" when neither is set.
func containerEndpointHost(getenv func(string) string) string {
	if getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" {
		return "169.254.170.2"
	}
	if full := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full != "" {
		if u, err := url.Parse(full); err == nil && u.Host != "" {
			return u.Host
		}
		return "(AWS_CONTAINER_CREDENTIALS_FULL_URI)"
	}
	return ""
}
