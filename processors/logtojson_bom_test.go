package processors

import (
	"log/slog"
	"strings"
	"testing"
)

// A file written with a UTF-8 byte order mark (.NET, Notepad) begins its
// first line with it: LOGTOJSON matches that line without the mark (Java
// skips it, the first record of every such file), with or without
// SINGLELINE first, and tells so once.
func TestLogToJSONMatchesAFirstLineLedByAByteOrderMark(t *testing.T) {
	apache := `64.242.88.10 - - [07/Mar/2004:16:05:49 -0800] "GET /twiki/bin/edit/Main/Double_bounce_sender HTTP/1.1" 401 12846`
	for name, opts := range map[string][]Option{
		"built-in format":     {{Key: "k", Name: NameLogToJSON, LogFormat: "COMMONAPACHELOG"}},
		"SINGLELINE first":    {{Key: "s", Name: "SINGLELINE"}, {Key: "k", Name: NameLogToJSON, LogFormat: "COMMONAPACHELOG"}},
		"custom matchPattern": {{Key: "k", Name: NameLogToJSON, LogFormat: "COMMONAPACHELOG", MatchPattern: `^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\S+)$`, CustomFieldNames: []string{"host", "ident", "authuser", "datetime", "request", "response", "bytes"}}},
	} {
		t.Run(name, func(t *testing.T) {
			var logs strings.Builder
			c, err := Build(opts, Deps{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := c.Process(nil, []byte(apache+"\n"))
			if len(plain) == 0 {
				t.Fatal("the test line does not match")
			}
			want := string(plain)
			got, _ := c.Process(nil, []byte("\xef\xbb\xbf"+apache+"\n"))
			if string(got) != want {
				t.Fatalf("with a byte order mark: %q, want %q", got, want)
			}
			c.Process(nil, []byte("\xef\xbb\xbf"+apache+"\n"))
			if n := strings.Count(logs.String(), "byte order mark"); n != 1 {
				t.Fatalf("told %d times, want once:\n%s", n, logs.String())
			}
			if got, _ := c.Process(nil, []byte("\xef\xbb\xbfnot a log line\n")); len(got) != 0 {
				t.Fatalf("a line that does not match without its mark either was sent: %q", got)
			}
		})
	}
}
