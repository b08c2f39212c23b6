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
