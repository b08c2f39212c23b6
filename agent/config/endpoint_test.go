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
