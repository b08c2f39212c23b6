package config

import (
	"strings"
	"testing"
)

// An endpoint or region the AWS clients refuse at start (or the SDK at
// every call: "invalid input region") is refused at load, naming the file
// and the key: --validate said "Configuration OK" for them. From a review.
func TestAnEndpointOrRegionTheClientsWouldRefuseIsRefusedAtLoad(t *testing.T) {
	const fflow = `{"filePattern": "/var/log/app/*.log", "deliveryStream": "d1"}`
	for _, tc := range []struct{ extra, key, flow string }{
		{`"kinesis.endpoint": "::bad url"`, "kinesis.endpoint", ""},
		{`"kinesis.endpoint": "::bad url"`, "kinesis.endpoint", fflow}, // (it names the region of every client)
		{`"firehose.endpoint": "ftp://firehose.example.com"`, "firehose.endpoint", fflow},
		{`"cloudwatch.endpoint": "https://"`, "cloudwatch.endpoint", ""},
		{`"sts.endpoint": "https://user:pw@sts.example.com", "assumeRoleARN": "arn:aws:iam::1:role/r"`, "sts.endpoint", ""},
		{`"kinesis.region": "not a region!"`, "kinesis.region", ""},
		{`"kinesis.region": "-us-east-1"`, "kinesis.region", ""},
	} {
		if tc.flow == "" {
			tc.flow = kflow + "}"
		}
		_, path, err := loadText(t, `{`+tc.extra+`, "flows":[`+tc.flow+`]}`)
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

// The Java agent reads sts.endpoint only with assumeRoleARN, builds the
// Firehose client only for a Firehose flow and the CloudWatch one only
// with metrics on, so a value it cannot parse in a key it never uses (an
// unrendered template here) starts and runs there. It was refused here;
// it is warned about and ignored now. From a review.
func TestAnEndpointKeyTheConfigurationDoesNotUseIsWarnedNotRefused(t *testing.T) {
	for _, tc := range []struct{ extra, key string }{
		{`"sts.endpoint": "https://sts.{{ region }}.amazonaws.com"`, "sts.endpoint"},
		{`"firehose.endpoint": "https://firehose.${AWS_REGION}.amazonaws.com"`, "firehose.endpoint"},
		{`"cloudwatch.endpoint": "https://{{ cw }}", "cloudwatch.emitMetrics": false`, "cloudwatch.endpoint"},
	} {
		cfg, path, err := loadText(t, `{`+tc.extra+`, "flows":[`+kflow+`}]}`)
		if err != nil {
			t.Errorf("%s (not used): refused: %v", tc.extra, err)
			continue
		}
		warned := false
		for _, w := range cfg.Warnings {
			warned = warned || strings.Contains(w, path) && strings.Contains(w, `"`+tc.key+`"`) && strings.Contains(w, "ignored")
		}
		if !warned {
			t.Errorf("%s: no warning naming the file and the key: %q", tc.extra, cfg.Warnings)
		}
		if cfg.FirehoseEndpoint+cfg.STSEndpoint+cfg.CloudWatch.Endpoint != "" {
			t.Errorf("%s: the value was kept for the clients", tc.extra)
		}
	}
}

// An endpoint error gives an example of its own key's service and quotes
// the value once, as written (it quoted it a second time inside the URL
// parser's text, with a scheme the user had not written, and gave a
// Kinesis URL as the example for every key). From a review.
func TestAnEndpointErrorGivesAnExampleOfItsOwnKeyAndQuotesTheValueOnce(t *testing.T) {
	_, _, err := loadText(t, `{"cloudwatch.endpoint": "monitoring.us-east-1.amazonaws.com:abc", "flows":[`+kflow+`}]}`)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if strings.Contains(msg, "kinesis.us-east-1") || !strings.Contains(msg, "https://monitoring.us-east-1.amazonaws.com or") {
		t.Errorf("not an example of cloudwatch.endpoint: %s", msg)
	}
	if n := strings.Count(msg, "monitoring.us-east-1.amazonaws.com:abc"); n != 1 || strings.Contains(msg, "https://monitoring.us-east-1.amazonaws.com:abc") {
		t.Errorf("the value is not quoted once as written: %s", msg)
	}
}

// An "assumeRoleARN" of blanks does not make the clients use STS
// (awsclient.New trims it: no assume-role provider, no STS client), so an
// invalid sts.endpoint beside it is as unused as without the key: warned
// about and cleared, not refused. checkEndpoints tests the untrimmed
// value and refused the start. From a review.
func TestABlankAssumeRoleARNLeavesAnInvalidSTSEndpointUnused(t *testing.T) {
	cfg, _, err := loadText(t, `{"sts.endpoint": "https://sts.{{ region }}.amazonaws.com", "assumeRoleARN": "  ", "flows":[`+kflow+`}]}`)
	if err != nil {
		t.Fatalf("refused, though the clients would not use sts.endpoint: %v", err)
	}
	if cfg.STSEndpoint != "" {
		t.Errorf("the invalid value was kept for the clients: %q", cfg.STSEndpoint)
	}
}
