package redact

import "testing"

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
