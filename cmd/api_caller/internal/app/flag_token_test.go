package app_test

import (
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/app"
)

// A flag whose value is missing from a script (`--month $MONTH TOKEN` with
// MONTH unset, unquoted) takes the token as its value; the usage error
// then quotes it on stderr (the journal). run() fails the test when the
// token is printed.
func TestAFlagThatTookTheTokenAsItsValueDoesNotPrintIt(t *testing.T) {
	for name, args := range map[string][]string{
		"month":         {"--month", token},
		"interval":      {"--interval", token},
		"timeout":       {"--timeout", token},
		"trip duration": {"--trip-duration", token},
		"sample":        {"--sample", token},
		"seed":          {"--sample", "1", "--seed", token},
	} {
		t.Run(name, func(t *testing.T) {
			if code, out := run(t, noEnv, args...); code != app.ExitUsage {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
}

// The token given with a leading '-' is an unknown flag, whose name the
// flag package quotes; a typo of a flag is still named. From a review.
func TestATokenGivenAsAFlagIsNotPrinted(t *testing.T) {
	for name, args := range map[string][]string{
		"leading dash":   {"-" + token},
		"leading dashes": {"--" + token},
		"bad syntax":     {"---" + token},
	} {
		t.Run(name, func(t *testing.T) {
			if code, out := run(t, noEnv, args...); code != app.ExitUsage {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
	if _, out := run(t, noEnv, "--ouput-dir", "x"); !strings.Contains(out, "flag provided but not defined: -ouput-dir") {
		t.Errorf("a mistyped flag is not named:\n%s", out)
	}
}

// `api_caller --base-url $BASE $TRAVELPAYOUTS_TOKEN` with BASE unset and
// the token exported too: --base-url took the token, and its error quoted
// it; --out-dir made it a directory's name, printed in "rows have been
// saved into <token>/…". A flag whose value is the token is refused now,
// unnamed. From a review.
func TestAStringFlagThatTookTheExportedTokenIsRefusedWithoutPrintingIt(t *testing.T) {
	env := func(k string) string {
		if k == app.TokenEnv {
			return token
		}
		return ""
	}
	for _, flag := range []string{"--base-url", "--out-dir", "--origin"} {
		t.Run(flag, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, out := run(t, env, flag, token)
			if code != app.ExitUsage || !strings.Contains(out, flag+": its value is the API token") {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
}
