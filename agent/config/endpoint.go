package config

import (
	"errors"
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
	written := s
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
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // (which quotes the URL again)
		}
		return "", fmt.Errorf("invalid endpoint %q: %v", written, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid endpoint %q: scheme must be http or https", written)
	}
	if u.Host == "" {
		return "", fmt.Errorf("invalid endpoint %q: no host", written)
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
// would refuse at start (or the SDK at every call). An endpoint key this
// configuration does not use (the Java agent never reads it: no Firehose
// flow, no assumeRoleARN, no metrics) is only warned about, and cleared.
func checkEndpoints(r *objReader, cfg *Config) error {
	firehose := false
	for _, f := range cfg.Flows {
		firehose = firehose || f.Kind == Firehose
	}
	for _, e := range []struct {
		key, host string
		v         *string
		unused    string // why it is not used; "" if it is
	}{
		{"kinesis.endpoint", "kinesis", &cfg.KinesisEndpoint, ""},
		{"firehose.endpoint", "firehose", &cfg.FirehoseEndpoint, cond(!firehose, "no flow sends to Firehose")},
		{"cloudwatch.endpoint", "monitoring", &cfg.CloudWatch.Endpoint, cond(!cfg.CloudWatch.EmitMetrics, `"cloudwatch.emitMetrics" is false`)},
		{"sts.endpoint", "sts", &cfg.STSEndpoint, cond(strings.TrimSpace(cfg.AssumeRoleARN) == "", `no "assumeRoleARN"`)},
	} {
		_, err := NormalizeEndpoint(*e.v)
		switch {
		case err == nil:
		case e.unused != "":
			cfg.warn(fmt.Sprintf("%s: key %q: %v; ignored, as this configuration does not use it (%s)", r.file, e.key, err, e.unused))
			*e.v = ""
		default:
			return &Error{File: r.file, Key: e.key, Msg: err.Error() + "; expected a URL such as https://" + e.host + ".us-east-1.amazonaws.com or a host name"}
		}
	}
	if reg := strings.TrimSpace(cfg.KinesisRegion); reg != "" && !validRegion(reg) {
		return &Error{File: r.file, Key: "kinesis.region", Msg: fmt.Sprintf("%q is not a region name: expected letters, digits and '-', such as us-east-1", reg)}
	}
	return nil
}

// cond is s if c, else "".
func cond(c bool, s string) string {
	if c {
		return s
	}
	return ""
}
