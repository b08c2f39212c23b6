package redact

import (
	"strings"
	"testing"
)

func TestSecretsMasksLongSecretsEverywhereAndShortOnesOnlyAsWholeWords(t *testing.T) {
	for _, c := range []struct{ in, secret, want string }{
		{"exceeded maximum number of attempts", "x", "exceeded maximum number of attempts"},
		{"secret x in the message, and (x)", "x", "secret *** in the message, and (***)"},
		{"x", "x", "***"},
		{"user test: testing contest test", "test", "user ***: testing contest ***"},
		{"sig=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYabc", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "sig=***abc"},
		{"token=0123456789abcdef0123456789abcdef&x=1", "0123456789abcdef0123456789abcdef", "token=***&x=1"},
		{"no secret here", "", "no secret here"},
	} {
		if got := Secrets(c.in, c.secret); got != c.want {
			t.Errorf("Secrets(%q, %q) = %q, want %q", c.in, c.secret, got, c.want)
		}
	}
}

func TestSecretsReplacesEverySecretGiven(t *testing.T) {
	got := Secrets("id AKIDEXAMPLE1234 key wJalrXUtnFEMIK7MDENG token ab", "wJalrXUtnFEMIK7MDENG", "ab", "")
	if want := "id AKIDEXAMPLE1234 key *** token ***"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Cut masks a tail that starts a secret (a text cut inside it), as well as
// every whole secret; a short start, or a short secret, is left.
func TestCutMasksASecretCutShortAtTheEnd(t *testing.T) {
	const sec = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ in, want string }{
		{"token " + sec[:20], "token ***"},
		{"token " + sec + " and " + sec[:5], "token *** and ***"},
		{"token " + sec[:3], "token " + sec[:3]},
		{"no secret here", "no secret here"},
		{"", ""},
	} {
		if got := Cut(tc.in, sec); got != tc.want {
			t.Errorf("Cut(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Cut("x tes", "test"); got != "x tes" {
		t.Errorf("a short secret's start masked: %q", got)
	}
}

// A secret nobody knew (the output of a credential_process the SDK could
// not parse, quoted whole in its error) is masked by the field that names
// it; a known secret is masked percent-encoded too (a server quoting a
// request's query: X-Amz-Security-Token=…%2F…). From a review.
func TestSecretsMasksSecretFieldsAndPercentEncodedSecrets(t *testing.T) {
	const tok = "IQoJb3JpZ2luX2Vj/EXAMPLE+TOKEN=="
	for _, c := range []struct{ in, want string }{
		{`parse failed of process output: {"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "PROCSECRETwJalr/XUtn+FEMI", "SessionToken": "PROCTOKENabc", "Expiration": "2030-01-01 00:00:00"}`,
			`parse failed of process output: {"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "***", "SessionToken": "***", "Expiration": "2030-01-01 00:00:00"}`},
		{`{"AccessKeyId":"A","SecretAccessKey":"s3cr3t","Token":"t0k3n","Expiration":"x"}`,
			`{"AccessKeyId":"A","SecretAccessKey":"***","Token":"***","Expiration":"x"}`},
		{"aws_secret_access_key = abc/def+ghi\naws_session_token=xyz", "aws_secret_access_key = ***\naws_session_token=***"},
		{"X-Amz-Security-Token: FQoG/abc+d==\r\nHost: h", "X-Amz-Security-Token: ***\r\nHost: h"},
		{"request was X-Amz-Security-Token=" + "IQoJb3JpZ2luX2Vj%2FEXAMPLE%2BTOKEN%3D%3D" + "&X-Amz-Date=1", "request was X-Amz-Security-Token=***&X-Amz-Date=1"},
		{"body Action=AssumeRole&ExternalId=" + "IQoJb3JpZ2luX2Vj%2FEXAMPLE%2BTOKEN%3D%3D", "body Action=AssumeRole&ExternalId=***"},
		{"path /IQoJb3JpZ2luX2Vj%2FEXAMPLE+TOKEN==", "path /***"},
		{`parse failed of process output: {'Version': 1, 'SecretAccessKey': 'PY/SECRET', 'SessionToken': 'PYTOKEN'}` + "\n, error: invalid character",
			"parse failed of process output: ***, error: invalid character"},
		{`{'AccessKeyId': 'A', 'SecretAccessKey': 'PY/SECRET', 'SessionToken': 'PYTOKEN'}`, `{'AccessKeyId': 'A', 'SecretAccessKey': '***', 'SessionToken': '***'}`},
		{"<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>wJal/rX+U</SecretAccessKey><SessionToken>FQo/G==</SessionToken></Credentials>",
			"<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>***</SecretAccessKey><SessionToken>***</SessionToken></Credentials>"},
		{"SecretAccessKey: abc/def", "SecretAccessKey: ***"},
		{"ExpiredTokenException: The security token included in the request is expired", "ExpiredTokenException: The security token included in the request is expired"},
		{"SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=abc", "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=abc"},
		{`{"NextToken": "abc"}`, `{"NextToken": "abc"}`},
		{"awsSecretAccessKey is set but awsAccessKeyId is not", "awsSecretAccessKey is set but awsAccessKeyId is not"},
		{"operation error Kinesis: PutRecords, StatusCode: 400", "operation error Kinesis: PutRecords, StatusCode: 400"},
	} {
		if got := Secrets(c.in, tok); got != c.want {
			t.Errorf("Secrets(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// A session token nobody knew (the default chain's, used for STS under
// assumeRoleARN; a web identity or SSO token) is masked by the field that
// names it in the other usual shapes too: a JSON echo of request headers,
// a JSON document quoted inside a JSON string (\"), and the form/JSON
// names of the other tokens of the default chain. From a review.
func TestSecretsMasksUnknownTokensInJSONQuotedAndEscapedFields(t *testing.T) {
	const tok = "FwoGZXIvYXdzEBYaDH/UNKNOWN+tok"
	for _, in := range []string{
		`{"headers": {"Host": "kinesis.us-east-1.amazonaws.com", "X-Amz-Security-Token": "` + tok + `"}}`,
		`api error InternalFailure: upstream said "{\"SessionToken\": \"` + tok + `\"}"`,
		`{\"SecretAccessKey\":\"` + tok + `\"}`,
		`Action=AssumeRoleWithWebIdentity&RoleArn=arn:aws:iam::1:role/r&WebIdentityToken=` + tok,
		`{"accessToken": "` + tok + `", "expiresAt": "2030-01-01T00:00:00Z"}`,
	} {
		if got := Secrets(in); strings.Contains(got, "UNKNOWN") {
			t.Errorf("token shown:\n in  %s\n out %s", in, got)
		}
	}
}

// A known secret (the agent.json secret key, the current session token)
// is masked in the other common escapings: JSON's "\/" (PHP and others
// escape '/', which nearly every secret key and token contains) and
// lower-case percent-encoding (%2f: .NET's UrlEncode, some proxies).
// From a review.
func TestSecretsMasksAKnownSecretJSONEscapedOrLowerCasePercentEncoded(t *testing.T) {
	const key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	const tok = "IQoJb3JpZ2luX2Vj/EXAMPLE+TOKEN=="
	for _, in := range []string{
		`{"echo":"` + strings.ReplaceAll(key, "/", `\/`) + `"}`,
		`{"echo":"` + strings.ReplaceAll(tok, "/", `\/`) + `"}`,
		"request: Tok=IQoJb3JpZ2luX2Vj%2fEXAMPLE%2bTOKEN%3d%3d",
	} {
		got := Secrets(in, key, tok)
		if strings.Contains(got, "EXAMPLE") {
			t.Errorf("secret shown:\n in  %s\n out %s", in, got)
		}
	}
}

// A short placeholder secret (LocalStack's documented "test"/"test" keys)
// is masked as a whole word, but a stream, role or file name that merely
// contains it as a hyphenated part is what the operator must read.
// From a review.
func TestSecretsKeepsNamesThatContainAShortSecretAsAHyphenatedPart(t *testing.T) {
	in := "ResourceNotFoundException: Stream test-stream under account 000000000000 not found."
	if got := Secrets(in, "test"); got != in {
		t.Errorf("Secrets(%q, \"test\") = %q", in, got)
	}
}

// A secret nobody knew yet (Fields), in JSON that escapes '/' as "\/"
// (PHP, many Java encoders; nearly every secret key and session token has
// a '/'): the whole value is masked. 5396d1d stopped the value at the
// first '\' (to end a value inside a JSON string, \"…\"), so everything
// after the secret's first '/' was printed; before it the whole value
// was masked. From a review.
func TestAnUnknownSecretWithJSONEscapedSlashesIsMaskedWhole(t *testing.T) {
	for _, s := range []string{
		`{"SecretAccessKey": "wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYEXAMPLEKEY"}`,
		`{"Token": "IQoJb3JpZ2luX2VjE\/\/wEaCXVzLWVhc3QtMSJHMEUCIQ"}`,
		`aws_secret_access_key = wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYEXAMPLEKEY`,
		`{\"SessionToken\": \"IQoJb3JpZ2luX2VjE\/\/wEaCXVzLWVhc3QtMSJHMEUCIQ\"}`,
	} {
		got := Secrets(s)
		for _, part := range []string{"K7MDENG", "bPxRfiCY", "wEaCXVzLWVhc3Qt"} {
			if strings.Contains(s, part) && strings.Contains(got, part) {
				t.Errorf("part of the secret shows:\n in: %s\nout: %s", s, got)
				break
			}
		}
	}
}

// A secret field glued to a prefix (an environment dump's
// MY_AWS_SECRET_ACCESS_KEY, Terraform's TF_VAR_aws_session_token) was not
// masked (a word boundary was required before the name); and a short
// secret standing alone right after an occurrence it overlaps was not
// either. Both found by fuzz targets.
func TestSecretsMasksPrefixedFieldsAndOverlappingShortSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"MY_AWS_SECRET_ACCESS_KEY=abcdef/ghij":  "MY_AWS_SECRET_ACCESS_KEY=***",
		"TF_VAR_aws_session_token=FQoG/abc+d==": "TF_VAR_aws_session_token=***",
	} {
		if got := Secrets(in); got != want {
			t.Errorf("Secrets(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Secrets("ba.a.a", "a.a"); got != "ba.***" {
		t.Errorf(`Secrets("ba.a.a", "a.a") = %q, want "ba.***"`, got)
	}
}
