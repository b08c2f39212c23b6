package app

import (
	"strings"
	"testing"
)

// api_caller's log lines go through tokenHider: a line that quotes the
// token (in any form redact.Secrets knows) is written with it masked, and
// Write reports the whole line written.
func TestTokenHiderMasksTheTokenInEveryLine(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	var b strings.Builder
	h := tokenHider{&b, token}
	line := "2026-11-22 15:00:00 - ERROR - base URL \"" + token + "\": want http(s)://host\n"
	if n, err := h.Write([]byte(line)); err != nil || n != len(line) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(line))
	}
	if strings.Contains(b.String(), token) || !strings.Contains(b.String(), "base URL \"***\"") {
		t.Errorf("written %q", b.String())
	}
}
