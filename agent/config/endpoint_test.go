package config

import (
	"strings"
	"testing"
)

// An endpoint or region the AWS clients refuse at start (or the SDK at
// every call: "invalid input region") is refused at load, naming the file
// and the key: --validate said "Configuration OK" for them. From a review.
func TestAnEndpointOrRegionTheClientsWouldRefuseIsRefusedAtLoad(t *testing.T) {
	for _, tc := range []struct{ extra, key string }{
		{`"kinesis.endpoint": "::bad url"`, "kinesis.endpoint"},
		{`"firehose.endpoint": "ftp://firehose.example.com"`, "firehose.endpoint"},
		{`"cloudwatch.endpoint": "https://"`, "cloudwatch.endpoint"},
		{`"sts.endpoint": "https://user:pw@sts.example.com", "assumeRoleARN": "arn:aws:iam::1:role/r"`, "sts.endpoint"},
		{`"kinesis.region": "not a region!"`, "kinesis.region"},
		{`"kinesis.region": "-us-east-1"`, "kinesis.region"},
	} {
		_, path, err := loadText(t, `{`+tc.extra+`, "flows":[`+kflow+`}]}`)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.key+":") {
			t.Errorf("%s: err %v, want one naming %s and %s", tc.extra, err, path, tc.key)
		}
		if strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: the password is in the error: %v", tc.extra, err)
		}
	}
	for _, ok := range []string{`"kinesis.endpoint": "http://127.0.0.1:4567"`, `"kinesis.endpoint": "kinesis.us-east-1.amazonaws.com"`,
		`"kinesis.region": " eu-west-3 "`, `"kinesis.region": "cn-north-1"`} {
		if _, _, err := loadText(t, `{`+ok+`, "flows":[`+kflow+`}]}`); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestNormalizeEndpoint(t *testing.T) {
	tests := map[string]struct {
		in, want string
		bad      bool
	}{
		"empty":       {"", "", false},
		"host only":   {"kinesis.us-east-1.amazonaws.com", "https://kinesis.us-east-1.amazonaws.com", false},
		"host port":   {"localhost:4567", "https://localhost:4567", false},
		"plain http":  {"http://127.0.0.1:4567", "http://127.0.0.1:4567", false},
		"https slash": {" https://example.com/ ", "https://example.com", false},
		"ftp":         {"ftp://example.com", "", true},
		"no host":     {"http://", "", true},
		"userinfo":    {"https://user:pw@example.com", "", true},
		// A secret key with '/' makes the URL unparsable: still not shown.
		"userinfo with slash": {"https://AKIA:wJalrXUtnFEMI/K7MDENGpw@kinesis.example.com", "", true},
		"bad escaping":        {"https://exa mple.com/%zz", "", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := NormalizeEndpoint(tc.in)
			if (err != nil) != tc.bad || got != tc.want {
				t.Errorf("NormalizeEndpoint(%q) = %q, %v", tc.in, got, err)
			}
			if err != nil && (strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "wJalr")) {
				t.Errorf("password in error: %v", err)
			}
		})
	}
}
