package processors

import (
	"log/slog"
	"strings"
	"testing"
)

// CSVTOJSON's delimiter is a Java regular expression (String.split): "|"
// (pipe-separated files) matches an empty string and "." any character, so
// the fields are not the columns, silently, in Java and here. A delimiter
// that is a letter or digit ("0", "a") is a literal one, not warned (a
// review found "0" warned, with a hint Java refuses). An ADDMETADATA
// timestamp other than "true" or "false" (the Java README's "true/false"
// placeholder copied) adds no timestamp, silently. Both are warned at start
// and by --validate; ordinary delimiters are not. From a replay of Java
// agent users' questions.
func TestWarningsNameARegexDelimiterThatSplitsEveryCharacterAndAnUnknownTimestamp(t *testing.T) {
	csv := func(d string) Option {
		return Option{Key: "flows[0].dataProcessingOptions[0]", Name: NameCSVToJSON, CustomFieldNames: []string{"f1", "f2", "f3"},
			HasCustomFieldNames: true, Delimiter: d, HasDelimiter: true}
	}
	for _, tc := range []struct {
		opt  Option
		want string // "" = no warning
	}{
		{csv("|"), `flows[0].dataProcessingOptions[0]: delimiter "|" is a regular expression, as in the Java agent, and it matches an empty string or any character: the fields are not the columns; for a literal | write "delimiter": "\\|" in agent.json`},
		{csv("."), `delimiter "." is a regular expression`},
		{csv("^"), `delimiter "^" is a regular expression`},
		{csv(".*"), `delimiter ".*" is a regular expression`},
		{csv(","), ""},
		{csv("\t"), ""},
		{csv(`\|`), ""},
		{csv(`\s+`), ""},
		{csv("[,;]"), ""},
		{csv("::"), ""},
		{csv("0"), ""},
		{csv("a"), ""},
		{csv(`\.`), ""},
		{csv(" "), ""},
		{csv(`\w`), `delimiter "\\w" is a regular expression`},
		{Option{Key: "k", Name: NameAddMetadata, Timestamp: "true/false", HasTimestamp: true}, `k: timestamp "true/false" is neither "true" nor "false": no timestamp is added`},
		{Option{Key: "k", Name: NameAddMetadata, Timestamp: "yes", HasTimestamp: true}, `timestamp "yes" is neither`},
		{Option{Key: "k", Name: NameAddMetadata, Timestamp: "TRUE", HasTimestamp: true}, ""},
		{Option{Key: "k", Name: NameAddMetadata, Timestamp: "false", HasTimestamp: true}, ""},
		{Option{Key: "k", Name: NameAddMetadata}, ""},
	} {
		ws := Warnings([]Option{tc.opt})
		switch {
		case tc.want == "" && len(ws) > 0:
			t.Errorf("%s %q %q: warned %q", tc.opt.Name, tc.opt.Delimiter, tc.opt.Timestamp, ws)
		case tc.want != "" && (len(ws) != 1 || !strings.Contains(ws[0], tc.want)):
			t.Errorf("%s %q %q: warnings %q, want one with %q", tc.opt.Name, tc.opt.Delimiter, tc.opt.Timestamp, ws, tc.want)
		}
	}
	// The warning is true: "|" gives no columns.
	c, err := Build([]Option{csv("|")}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.Process(nil, []byte("a|b|c\n"))
	if strings.Contains(string(out), `"f2":"b"`) {
		t.Fatalf("delimiter | split into columns after all: %s", out)
	}
}

// A LOGTOJSON matchPattern that matches only the beginning of the records
// (the AWS Firehose documentation's example stops before the size field;
// awslabs/amazon-kinesis-agent#192's `^\[([^\]]+)\]`) skips every record,
// in Java and here, with only "N record parsed but skipped" at WARN and the
// reason at DEBUG. The first such record is told at WARN, once, with what
// to do; a pattern that matches whole records, or none at all, is not.
// From a replay of Java agent users' questions.
func TestALogToJSONPatternMatchingOnlyTheBeginningOfRecordsIsToldOnce(t *testing.T) {
	line := []byte(`64.242.88.10 - - [07/Mar/2004:16:05:49 -0800] "GET /twiki/bin/edit/Main/Double_bounce_sender?topicparent=Main.ConfigurationVariables HTTP/1.1" 401 12846` + "\n")
	for _, tc := range []struct {
		pattern string
		told    bool
	}{
		{`^([\d.]+) (\S+) (\S+) \[([\w:/]+\s[+\-]\d{4})\] "(.+?)" (\d{3})`, true},
		{`^([\d.]+) (\S+) (\S+) \[([\w:/]+\s[+\-]\d{4})\] "(.+?)" (\d{3}) \d+`, false},
		{`^(x+) (y) (z) (a) (b) (c)`, false},
	} {
		var logs strings.Builder
		c, err := Build([]Option{{Key: "k", Name: NameLogToJSON, LogFormat: "COMMONAPACHELOG", MatchPattern: tc.pattern, HasMatchPattern: true,
			CustomFieldNames: []string{"host", "ident", "authuser", "datetime", "request", "response"}, HasCustomFieldNames: true}},
			Deps{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			c.Process(nil, line)
		}
		n := strings.Count(logs.String(), "matchPattern matches the beginning of records it skips")
		if want := map[bool]int{true: 1, false: 0}[tc.told]; n != want {
			t.Errorf("%s: told %d times, want %d:\n%s", tc.pattern, n, want, logs.String())
		}
	}
}

// Records that end with a carriage return (CRLF line endings, a
// Windows-style writer) are skipped by LOGTOJSON, in Java as here, with a
// built-in format or a custom matchPattern: neither `.` nor `$` takes the
// \r. The first is told at WARN, once, with the way out (SINGLELINE first,
// or \r? in the pattern), not as a pattern that "matches the beginning"
// (whose advice, end it with .*, the pattern already follows).
func TestLogToJSONTellsOnceThatItSkipsRecordsEndingWithACarriageReturn(t *testing.T) {
	apache := `64.242.88.10 - - [07/Mar/2004:16:05:49 -0800] "GET /twiki/bin/edit/Main/Double_bounce_sender HTTP/1.1" 401 12846`
	for _, tc := range []struct {
		name string
		opt  Option
		line string
	}{
		{"built-in format", Option{Key: "k", Name: NameLogToJSON, LogFormat: "COMMONAPACHELOG"}, apache},
		{"custom matchPattern", Option{Key: "k", Name: NameLogToJSON, LogFormat: "COMMONAPACHELOG", MatchPattern: `^(\S+) (.*)$`, HasMatchPattern: true,
			CustomFieldNames: []string{"key", "value"}, HasCustomFieldNames: true}, "k1 v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			c, err := Build([]Option{tc.opt}, Deps{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if out, _ := c.Process(nil, []byte(tc.line+"\n")); len(out) == 0 {
				t.Fatalf("the line without \\r is skipped: the test's pattern is wrong")
			}
			for i := 0; i < 3; i++ {
				if out, _ := c.Process(nil, []byte(tc.line+"\r\n")); len(out) != 0 {
					t.Fatalf("a CRLF line converted (Java skips it): %s", out)
				}
			}
			if n := strings.Count(logs.String(), "skips records that end with a carriage return"); n != 1 {
				t.Errorf("told %d times, want 1:\n%s", n, logs.String())
			}
			if strings.Contains(logs.String(), "matches the beginning of records") {
				t.Errorf("told the pattern matches only the beginning:\n%s", logs.String())
			}
		})
	}
}
