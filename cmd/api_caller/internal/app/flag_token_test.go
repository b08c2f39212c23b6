package app_test

import (
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
