// Package redact removes secrets (keys, tokens) from texts that come back
// from servers before they reach an error or a log line.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask is what a secret is replaced with.
const Mask = "***"

// MinInWord is the length from which a secret is replaced wherever it
// appears. A real secret is long (40 characters for an AWS secret key, 32
// for a Travelpayouts token); a shorter one is a placeholder ("x", "test"
// for a local endpoint) and is replaced only where it stands alone, so
// that "exceeded" does not become "e***ceeded".
const MinInWord = 8

// Secrets returns s with every non-empty secret replaced by Mask, as it
// is and percent-encoded (a server that quotes a request's query or form
// body: X-Amz-Security-Token=…%2F…, ExternalId=…), and with the value of
// every field that names a secret masked (Fields): a secret nobody knew
// yet, such as the output of a credential_process the SDK could not
// parse and quotes whole in its error.
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		switch {
		case sec == "":
		case len(sec) >= MinInWord:
			s = strings.ReplaceAll(s, sec, Mask)
			q, p := url.QueryEscape(sec), url.PathEscape(sec)
			// Also JSON with '/' escaped ("\/": nearly every secret key and
			// token has a '/') and lower-case percent-encoding (%2f).
			for _, enc := range [...]string{q, p, lowerHex(q), lowerHex(p), strings.ReplaceAll(sec, "/", `\/`)} {
				if enc != sec {
					s = strings.ReplaceAll(s, enc, Mask)
				}
			}
		default:
			s = word(s, sec)
		}
	}
	return Fields(s)
}

// secretField matches a field that names a secret and its value: JSON or
// a printed dict ("SecretAccessKey": "…", 'SessionToken': '…', "Token" of
// container credentials, SSO's "accessToken"), also inside a JSON string
// (\"SessionToken\": \"…\"), ini, YAML and environment
// (aws_secret_access_key = …), query and header (X-Amz-Security-Token=…,
// X-Amz-Security-Token: …, WebIdentityToken=…), also with a prefix
// (MY_AWS_SECRET_ACCESS_KEY=…, TF_VAR_aws_session_token=…). A value ends at a '\'
// (of \"…\") unless it escapes a '/' (JSON's "\/").
var secretField = regexp.MustCompile(`(?i)((?:\\?["'](?:secret_?access_?key|session_?token|token|access_?token|web_?identity_?token|x-amz-security-token)\\?["']|(?:aws_)?secret_?access_?key|(?:aws_)?session_?token|\bweb_?identity_?token|x-amz-security-token)\s*[:=]\s*(?:\\?["'])?)((?:[^"'\s,&;}\\]|\\/)+)`)

// secretElement matches the XML elements of STS answers that hold a
// secret.
var secretElement = regexp.MustCompile(`(?i)(<(?:SecretAccessKey|SessionToken)>)[^<]*`)

// processOutput matches the output of a credential_process the SDK quotes
// whole when it cannot parse it ("parse failed of process output: …,
// error: …"): never useful in a log, and in any format.
var processOutput = regexp.MustCompile(`(?s)(parse failed of process output: ).*(, error: )`)

// Fields masks the value of every field in s that names a secret (see
// secretField and secretElement), and the quoted output of a
// credential_process.
func Fields(s string) string {
	if !strings.ContainsAny(s, ":=<") {
		return s
	}
	s = processOutput.ReplaceAllString(s, "${1}"+Mask+"${2}")
	s = secretElement.ReplaceAllString(s, "${1}"+Mask)
	return secretField.ReplaceAllString(s, "${1}"+Mask)
}

// MinTail is the shortest start of a secret that Cut masks at the end of
// a text.
const MinTail = 4

// Cut is Secrets for a text that may have been cut short (a body whose
// read failed part-way): a tail that is the start of a secret of at least
// MinInWord characters is masked too, so that a secret across the cut does
// not show in part.
func Cut(s string, secrets ...string) string {
	s = Secrets(s, secrets...)
	for _, sec := range secrets {
		if len(sec) < MinInWord {
			continue
		}
		for n := min(len(sec)-1, len(s)); n >= MinTail; n-- {
			if strings.HasSuffix(s, sec[:n]) {
				s = s[:len(s)-n] + Mask
				break
			}
		}
	}
	return s
}

// word replaces the occurrences of sec in s that are not preceded or
// followed by a word byte (isWordByte).
func word(s, sec string) string {
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], sec)
		if j < 0 {
			break
		}
		j += i
		end := j + len(sec)
		b.WriteString(s[i:j])
		if (j == 0 || !isWordByte(s[j-1])) && (end == len(s) || !isWordByte(s[end])) {
			b.WriteString(Mask)
			i = end
		} else {
			// Not alone here; one alone may overlap it ("ba.a.a", "a.a").
			b.WriteByte(s[j])
			i = j + 1
		}
	}
	if i == 0 {
		return s
	}
	b.WriteString(s[i:])
	return b.String()
}

// isWordByte: letters, digits, and the '-' and '_' of names (a stream
// "test-stream" with the placeholder secret "test" is left as it is).
func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// lowerHex is s with the hex digits of its percent-escapes in lower case.
func lowerHex(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for _, j := range [2]int{i + 1, i + 2} {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}
