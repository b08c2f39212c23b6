package redact

import (
	"net/url"
	"strings"
	"testing"
)

// The properties hold for secrets without '*': Mask is "***", so a secret
// containing "***" can be formed again by the replacement itself
// (Secrets("xx***yyyyyyyyyy", "x***yyyyy"); not a realistic key or token).

func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

// standalone reports an occurrence of sec in s with no word byte
// (isWordByte) on either side.
func standalone(s, sec string) bool {
	for i := 0; i+len(sec) <= len(s); i++ {
		if s[i:i+len(sec)] == sec && (i == 0 || !isWordByte(s[i-1])) && (i+len(sec) == len(s) || !isWordByte(s[i+len(sec)])) {
			return true
		}
	}
	return false
}

// FuzzSecretsNeverLeak: text with a known secret put in as it is, query-
// escaped and path-escaped, anywhere: Secrets and Cut never return the
// secret (nor its encodings) when it is at least MinInWord long, nor a
// stand-alone one when it is a short alphanumeric placeholder; Cut never
// ends with a start of a long secret of MinTail or more bytes; and a text
// with no secret and no field or element that names one (no "secret",
// "token" nor quoted process output in any case) comes back unchanged.
func FuzzSecretsNeverLeak(f *testing.F) {
	f.Add("request failed: ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", uint8(17), uint8(3), uint8(200))
	f.Add("user test: testing contest test", "test", uint8(0), uint8(1), uint8(2))
	f.Add("x", "x", uint8(1), uint8(2), uint8(3))
	f.Add("body Action=AssumeRole&ExternalId=&X=1", "IQoJb3JpZ2luX2Vj/EXAMPLE+TOKEN==", uint8(35), uint8(1), uint8(40))
	f.Add("abc", "0123456789abcdef0123456789abcdef", uint8(3), uint8(0), uint8(20))
	f.Add("a b+c%2F", "a b+c/d e", uint8(3), uint8(2), uint8(5))
	f.Fuzz(func(t *testing.T, text, sec string, at, how, cut uint8) {
		if sec == "" || strings.Contains(sec, "*") {
			return
		}
		lower := strings.ToLower(text)
		if !strings.Contains(lower, "secret") && !strings.Contains(lower, "token") &&
			!strings.Contains(text, "parse failed of process output: ") &&
			!containsAnyForm(text, sec) {
			if got := Secrets(text, sec); got != text {
				t.Fatalf("Secrets(%q, %q) = %q, want the text unchanged", text, sec, got)
			}
			if got := Secrets(text); got != text {
				t.Fatalf("Secrets(%q) = %q, want the text unchanged", text, got)
			}
		}
		enc := sec
		switch how % 3 {
		case 1:
			enc = url.QueryEscape(sec)
		case 2:
			enc = url.PathEscape(sec)
		}
		i := int(at) % (len(text) + 1)
		s := text[:i] + enc + text[i:]
		if how&4 != 0 {
			s += enc
		}
		out := Secrets(s, "decoy-not-present-000", sec)
		long := len(sec) >= MinInWord
		if long {
			for _, v := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec)} {
				if strings.Contains(out, v) {
					t.Fatalf("Secrets(%q, %q) = %q, still holds %q", s, sec, out, v)
				}
			}
		} else if isWord(sec) && standalone(out, sec) {
			t.Fatalf("Secrets(%q, %q) = %q, still holds a stand-alone %q", s, sec, out, sec)
		}
		// Cut: the text cut short anywhere.
		c := s[:int(cut)%(len(s)+1)]
		co := Cut(c, sec)
		if long {
			for _, v := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec)} {
				if strings.Contains(co, v) {
					t.Fatalf("Cut(%q, %q) = %q, still holds %q", c, sec, co, v)
				}
			}
			for n := MinTail; n < len(sec); n++ {
				if strings.HasSuffix(co, sec[:n]) {
					t.Fatalf("Cut(%q, %q) = %q, ends with the secret's start %q", c, sec, co, sec[:n])
				}
			}
		} else if isWord(sec) && standalone(co, sec) {
			t.Fatalf("Cut(%q, %q) = %q, still holds a stand-alone %q", c, sec, co, sec)
		}
	})
}

// containsAnyForm reports whether text holds sec in one of the forms
// Secrets masks: as it is, percent-encoded (either case), JSON-escaped.
func containsAnyForm(text, sec string) bool {
	q, p := url.QueryEscape(sec), url.PathEscape(sec)
	for _, v := range []string{sec, q, p, lowerHex(q), lowerHex(p), strings.ReplaceAll(sec, "/", `\/`)} {
		if strings.Contains(text, v) {
			return true
		}
	}
	return false
}

// secretFieldForms are fields that name a secret, each with what closes
// its value; the value is put between them.
var secretFieldForms = [][2]string{
	{`"SecretAccessKey": "`, `"`},
	{`'SessionToken': '`, `'`},
	{`{"Token":"`, `"}`},
	{`aws_secret_access_key = `, "\n"},
	{`aws_session_token=`, ` `},
	{`AWS_SECRET_ACCESS_KEY=`, `;`},
	{`secretAccessKey: `, `,`},
	{`X-Amz-Security-Token: `, "\r\n"},
	{`?X-Amz-Security-Token=`, `&X-Amz-Date=1`},
	{`<SecretAccessKey>`, `</SecretAccessKey>`},
	{`<SessionToken>`, `</SessionToken>`},
	{`parse failed of process output: `, `, error: bad`},
}

// FuzzFieldsMaskTheValueOfASecretField: an unknown value of a field that
// names a secret (JSON, dict, ini, environment, YAML, header, query, STS
// XML, quoted process output) is masked wherever the field stands in other
// text, also glued to a prefix (MY_AWS_SECRET_ACCESS_KEY=…, which was
// not masked): the output holds fewer copies of the value than the input.
func FuzzFieldsMaskTheValueOfASecretField(f *testing.F) {
	f.Add("err: ", "wJalr/XUtn+FEMI==", " and more", uint8(0))
	f.Add("", "x", "", uint8(3))
	f.Add("a=b&", "FQoG/abc+d==", "<x>", uint8(8))
	f.Fuzz(func(t *testing.T, before, value, after string, form uint8) {
		fm := secretFieldForms[int(form)%len(secretFieldForms)]
		if value == "" || strings.ContainsAny(value, "\"'\t\n\v\f\r ,&;}<*\\") || strings.Contains(value, fm[1]) {
			return // not a value this form delimits (a '\' ends one: \"…\")
		}
		in := before + fm[0] + value + fm[1] + after
		out := Secrets(in)
		if strings.Count(out, value) >= strings.Count(in, value) {
			t.Fatalf("Secrets(%q) = %q: value %q not masked", in, out, value)
		}
	})
}
