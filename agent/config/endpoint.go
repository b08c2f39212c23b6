package config

import (
	"fmt"
	"net/url"
	"strings"
)

// NormalizeEndpoint trims s and gives a scheme-less value "https://".
// Only http and https with a host are accepted; "" stays "". The
// configuration checks its endpoint keys with it at load (so --validate
// refuses what the start would), and the AWS clients use its result.
func NormalizeEndpoint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	if strings.Contains(s, "@") {
		// Before parsing: a secret key with a '/' in it makes the parse
		// fail with an error quoting the text.
		return "", fmt.Errorf("invalid endpoint: user information (user:password@) is not allowed")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid endpoint %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid endpoint %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("invalid endpoint %q: no host", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("invalid endpoint: user information is not allowed")
	}
	return strings.TrimRight(s, "/"), nil
}

// validRegion reports whether r can be a region name: a host label
// (letters, digits, '-', at most 63), as the SDK checks it at every call
// ("invalid input region") while the start succeeded.
func validRegion(r string) bool {
	if r == "" || len(r) > 63 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkEndpoints refuses, at load, an endpoint or region the AWS clients
// would refuse at start (or the SDK at every call).
func checkEndpoints(r *objReader, cfg *Config) error {
	for _, e := range []struct{ key, v string }{
		{"kinesis.endpoint", cfg.KinesisEndpoint},
		{"firehose.endpoint", cfg.FirehoseEndpoint},
		{"cloudwatch.endpoint", cfg.CloudWatch.Endpoint},
		{"sts.endpoint", cfg.STSEndpoint},
	} {
		if _, err := NormalizeEndpoint(e.v); err != nil {
			return &Error{File: r.file, Key: e.key, Msg: err.Error() + "; expected a URL such as https://kinesis.us-east-1.amazonaws.com or a host name"}
		}
	}
	if reg := strings.TrimSpace(cfg.KinesisRegion); reg != "" && !validRegion(reg) {
		return &Error{File: r.file, Key: "kinesis.region", Msg: fmt.Sprintf("%q is not a region name: expected letters, digits and '-', such as us-east-1", reg)}
	}
	return nil
}
