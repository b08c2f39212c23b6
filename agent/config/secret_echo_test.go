package config

import (
	"strings"
	"testing"
)

// A secret access key written without quotes (a hand-editing slip) that
// starts with t, f or n is not repeated by the syntax error, which used to
// quote the "unrecognized token" up to 40 characters. A short typo of
// true/false/null still is.
func TestSyntaxErrorDoesNotEchoAnUnquotedSecret(t *testing.T) {
	const secret = "tJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	_, _, err := loadText(t, `{"awsAccessKeyId":"AKIAIOSFODNN7EXAMPLE","awsSecretAccessKey": `+secret+`, "flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
	if err == nil {
		t.Fatal("expected a syntax error")
	}
	if strings.Contains(err.Error(), secret[:8]) || !strings.Contains(err.Error(), "13 characters") {
		t.Errorf("error echoes the secret access key, or does not say what it found: %v", err)
	}
	// Its first characters up to a '/' or '+' (a secret key holds both)
	// are not shown either, however few.
	for _, secret := range []string{"tK7wJalr/XUtnFEMI+K7MDENGbPxRfiCYEXAMPLE", "nK7+wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE"} {
		_, _, err = loadText(t, `{"awsAccessKeyId":"AKIAIOSFODNN7EXAMPLE","awsSecretAccessKey": `+secret+`, "flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
		if err == nil || strings.Contains(err.Error(), secret[:3]) {
			t.Errorf("error echoes the start of the secret access key %s...: %v", secret[:3], err)
		}
	}
	_, _, err = loadText(t, `{"flows":[{"filePattern":"/a/b","kinesisStream":"s","truncatedRecordTerminator":ture}]}`)
	if err == nil || !strings.Contains(err.Error(), "'ture'") {
		t.Errorf("a typo of true is not shown: %v", err)
	}
	_, _, err = loadText(t, "{\"flows\":[{\"filePattern\":\"/a/b\",\"kinesisStream\":\"s\",\"x\":nul /* a comment */}]}")
	if err == nil || !strings.Contains(err.Error(), "'nul'") {
		t.Errorf("a typo of null before a comment is not shown: %v", err)
	}
}

// A non-string awsAccessKeyId is reported by its type only, as the secret
// access key is; a number is still read as its text, as Java reads it.
func TestAccessKeyIDOfTheWrongTypeIsNotEchoed(t *testing.T) {
	_, _, err := loadText(t, `{"awsAccessKeyId":["AKIAIOSFODNN7EXAMPLE"], "flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
	if err == nil || strings.Contains(err.Error(), "AKIAIOSFODNN7EXAMPLE") || !strings.Contains(err.Error(), "<redacted>") {
		t.Errorf("error echoes the access key id: %v", err)
	}
	cfg, _, err := loadText(t, `{"awsAccessKeyId":12345, "flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
	if err != nil || cfg.AWSAccessKeyID != "12345" {
		t.Errorf("a number access key id: %v, %q", err, cfg.AWSAccessKeyID)
	}
}

// assumeRoleExternalId is a shared secret between the role's owner and the
// agent: a value of the wrong type is reported by its type only.
func TestExternalIDOfTheWrongTypeIsNotEchoed(t *testing.T) {
	for _, v := range []string{`["S3cretExternalId0123456789"]`, `{"id":"S3cretExternalId0123456789"}`} {
		_, _, err := loadText(t, `{"assumeRoleARN":"arn:aws:iam::1:role/r","assumeRoleExternalId":`+v+
			`,"flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
		if err == nil || strings.Contains(err.Error(), "S3cretExternalId") || !strings.Contains(err.Error(), "assumeRoleExternalId") {
			t.Errorf("%s: error echoes the external id or does not name the key: %v", v, err)
		}
	}
}

// awsSecretAccessKey is a string key: any scalar is read as its text, as
// Java's readString does (a number was refused); objects and arrays are
// refused by type, the value never shown.
func TestSecretKeyOfAnyScalarIsReadAsItsText(t *testing.T) {
	cfg, _, err := loadText(t, `{"awsAccessKeyId": "AKID", "awsSecretAccessKey": 12345, "flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
	if err != nil || cfg.AWSSecretAccessKey != "12345" {
		t.Fatalf("numeric secret key: %v, %q", err, cfg.AWSSecretAccessKey)
	}
	_, _, err = loadText(t, `{"awsAccessKeyId": "AKID", "awsSecretAccessKey": ["S3cr3tS3cr3t"], "flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`)
	if err == nil || strings.Contains(err.Error(), "S3cr3t") {
		t.Fatalf("array secret key: %v", err)
	}
}
