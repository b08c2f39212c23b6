package processors

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestProcessCases(t *testing.T) {
	pretty := func(o Option) Option { o.JSONFormat = "PRETTYPRINT"; return o }
	tests := []struct {
		name string
		opts []Option
		in   string
		want string
		res  Result
	}{
		// CSVTOJSON
		{"csv empty line is one empty field", []Option{csvOpt([]string{"a", "b"}, "")}, "\n", `{"a":"","b":null}` + "\n", Converted},
		{"csv only delimiters gives all null", []Option{csvOpt([]string{"a", "b"}, "")}, ",,\n", `{"a":null,"b":null}` + "\n", Converted},
		{"csv empty interior and leading fields", []Option{csvOpt([]string{"a", "b", "c"}, "")}, ",,x\n", `{"a":"","b":"","c":"x"}` + "\n", Converted},
		{"csv no trailing newline", []Option{csvOpt([]string{"a"}, "")}, "x", `{"a":"x"}` + "\n", Converted},
		{"csv only one newline stripped", []Option{csvOpt([]string{"a", "b"}, "")}, "x\n\n", `{"a":"x\n","b":null}` + "\n", Converted},
		{"csv CRLF keeps CR in last field", []Option{csvOpt([]string{"a", "b"}, "")}, "1,2\r\n", `{"a":"1","b":"2\r"}` + "\n", Converted},
		{"csv control bytes and non-ASCII", []Option{csvOpt([]string{"a", "b"}, "")}, "\x00\x1f\x7f\"\\,héllo 😀 \u2029\n", `{"a":"\u0000\u001F` + "\x7f" + `\"\\","b":"héllo 😀 ` + "\u2029" + `"}` + "\n", Converted},
		{"csv escapes", []Option{csvOpt([]string{"a"}, "")}, "\b\t\f\r\x0b\n", `{"a":"\b\t\f\r\u000B"}` + "\n", Converted},
		{"csv pipe regex splits every char", []Option{csvOpt([]string{"a", "b", "c"}, "|")}, "xyz\n", `{"a":"x","b":"y","c":"z"}` + "\n", Converted},
		{"csv escaped pipe literal", []Option{csvOpt([]string{"a", "b"}, `\|`)}, "x|y\n", `{"a":"x","b":"y"}` + "\n", Converted},
		{"csv dot makes all null", []Option{csvOpt([]string{"a", "b"}, ".")}, "xy\n", `{"a":null,"b":null}` + "\n", Converted},
		{"csv regex delimiter", []Option{csvOpt([]string{"a", "b", "c"}, `\s*;\s*`)}, "1 ; 2;3\n", `{"a":"1","b":"2","c":"3"}` + "\n", Converted},
		{"csv absent delimiter is a comma", []Option{csvOpt([]string{"a", "b", "c"}, "")}, "xyz\n", `{"a":"xyz","b":null,"c":null}` + "\n", Converted},
		{"csv multi-char literal", []Option{csvOpt([]string{"a", "b", "c"}, "::")}, "1::2:::3\n", `{"a":"1","b":"2","c":":3"}` + "\n", Converted},
		{"csv duplicate names keep first position, last value", []Option{csvOpt([]string{"a", "b", "a"}, "")}, "1,2,3\n", `{"a":"3","b":"2"}` + "\n", Converted},
		{"csv no names", []Option{csvOpt([]string{}, "")}, "1\n", "{}\n", Converted},
		{"csv no names pretty", []Option{pretty(csvOpt([]string{}, ""))}, "1\n", "{ }\n", Converted},
		{"csv pretty several", []Option{pretty(csvOpt([]string{"a", "b"}, ""))}, "1\n", "{\n  \"a\" : \"1\",\n  \"b\" : null\n}\n", Converted},
		// SINGLELINE
		{"singleline trims CRLF", []Option{{Name: "SINGLELINE"}}, "  a  \r\n  b\r\n", "ab\n", Converted},
		{"singleline no trim keeps CR", []Option{{Name: "SINGLELINE", ParseOptions: []string{"NO_TRIM"}}}, " a\r\n b\r\n", " a\r b\r\n", Converted},
		{"singleline interior empty lines kept with escape", []Option{{Name: "SINGLELINE", ParseOptions: []string{"ESCAPE_NEW_LINE"}}}, "a\n\nb\n\n\n", `a\\n\\nb` + "\n", Converted},
		{"singleline empty", []Option{{Name: "SINGLELINE"}}, "\n", "\n", Converted},
		{"singleline trims control chars as Java trim", []Option{{Name: "SINGLELINE"}}, "\x01a\x1f\n", "a\n", Converted},
		// LOGTOJSON
		{"log syslog keeps dash", []Option{logOpt("SYSLOG")}, "Mar 12 12:01:02 - snort: -\n", `{"timestamp":"Mar 12 12:01:02","hostname":"-","program":"snort","processid":null,"message":"-"}` + "\n", Converted},
		{"log rfc3339", []Option{logOpt("RFC3339SYSLOG")}, "2024-05-01T12:00:30.123+02:00 <1.2> host1 app[1]: hello\n", `{"timestamp":"2024-05-01T12:00:30.123+02:00","hostname":"host1","program":"app","processid":"1","message":"hello"}` + "\n", Converted},
		{"log pretty", []Option{pretty(logOpt("SYSLOG"))}, "Mar 12 12:01:02 h p: m\n", "{\n  \"timestamp\" : \"Mar 12 12:01:02\",\n  \"hostname\" : \"h\",\n  \"program\" : \"p\",\n  \"processid\" : null,\n  \"message\" : \"m\"\n}\n", Converted},
		{"log line separator in message is not matched by dot", []Option{logOpt("SYSLOG")}, "Mar 12 12:01:02 h p: a\u2028b\n", "", Skipped},
		{"log matchPattern with dash null for apache family", []Option{{Name: "LOGTOJSON", LogFormat: "APACHEERRORLOG", MatchPattern: `(\S+) (\S+)`, HasMatchPattern: true, CustomFieldNames: []string{"x", "y"}, HasCustomFieldNames: true}}, "- a\n", `{"x":null,"y":"a"}` + "\n", Converted},
		{"log matchPattern keeps dash for syslog family", []Option{{Name: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(\S+) (\S+)`, HasMatchPattern: true, CustomFieldNames: []string{"x", "y"}, HasCustomFieldNames: true}}, "- a\n", `{"x":"-","y":"a"}` + "\n", Converted},
		{"log matchPattern group count mismatch skips", []Option{{Name: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(\S+) (\S+)`, HasMatchPattern: true, CustomFieldNames: []string{"x"}, HasCustomFieldNames: true}}, "a b\n", "", Skipped},
		{"log matchPattern with look-ahead", []Option{{Name: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(\w+)(?=!)(.*)$`, HasMatchPattern: true, CustomFieldNames: []string{"x", "y"}, HasCustomFieldNames: true}}, "hey!you\n", `{"x":"hey","y":"!you"}` + "\n", Converted},
		// ADDBRACKETS keeps the newline inside
		{"brackets newline inside", []Option{{Name: "ADDBRACKETS"}}, "abc\n", "{abc\n}", Converted},
		// chains
		{"chain singleline then csv", []Option{{Name: "SINGLELINE"}, csvOpt([]string{"a", "b"}, "")}, " 1,\n2 \n", `{"a":"1","b":"2"}` + "\n", Converted},
		{"chain csv then addmetadata", []Option{csvOpt([]string{"a"}, ""), {Name: "ADDMETADATA", Metadata: json.RawMessage(`"m"`)}}, "1\n", `{"metadata":"m","data":"{\"a\":\"1\"}"}` + "\n", Converted},
		{"chain of three", []Option{{Name: "SINGLELINE", ParseOptions: []string{"NO_TRIM"}}, logOpt("SYSLOG"), {Name: "ADDBRACKETS"}}, "Mar 12 12:01:02 h p: \nm\n", `{{"timestamp":"Mar 12 12:01:02","hostname":"h","program":"p","processid":null,"message":"m"}` + "\n}", Converted},
		{"chain skip stops", []Option{logOpt("SYSLOG"), {Name: "ADDBRACKETS"}}, "nope\n", "", Skipped},
		{"chain log then brackets then singleline", []Option{logOpt("SYSLOG"), {Name: "ADDBRACKETS"}, {Name: "SINGLELINE"}}, "Mar 12 12:01:02 h p: m\n", `{{"timestamp":"Mar 12 12:01:02","hostname":"h","program":"p","processid":null,"message":"m"}}` + "\n", Converted},
		// no metadata option value -> null
		{"addmetadata absent metadata is null", []Option{{Name: "ADDMETADATA"}}, "x", `{"metadata":null,"data":"x"}` + "\n", Converted},
		{"addmetadata escaping in metadata", []Option{{Name: "ADDMETADATA", Metadata: json.RawMessage(`{"k\u00e9":"\ud83d\ude00\u0001\/","lone":"\ud800x","f":1.5e300,"g":1E-7,"h":12345678.9,"i":0.001,"neg":-0.0}`)}}, "x",
			`{"metadata":{"ké":"😀\u0001/","lone":"?x","f":1.5E300,"g":1.0E-7,"h":1.23456789E7,"i":0.001,"neg":-0.0},"data":"x"}` + "\n", Converted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, tc.opts...)
			out, res := c.Process(nil, []byte(tc.in))
			if res != tc.res {
				t.Fatalf("result %v, want %v (%v)", res, tc.res, c.LastError())
			}
			if string(out) != tc.want {
				t.Fatalf("got  %q\nwant %q", out, tc.want)
			}
			if tc.res == Converted && strings.Contains(tc.name, "csv") {
				if !json.Valid(bytes.TrimSuffix(out, []byte("\n"))) {
					t.Fatalf("invalid JSON %q", out)
				}
			}
		})
	}
}

func TestEmptyChainPassesRawBytes(t *testing.T) {
	for _, c := range []*Chain{nil, mustChain(t)} {
		if !c.Empty() {
			t.Fatal("not empty")
		}
		in := []byte("a\xff\r\n")
		out, res := c.Process([]byte("p"), in)
		if res != Converted || string(out) != "pa\xff\r\n" {
			t.Fatalf("%v %q", res, out)
		}
	}
}

func TestProcessReusesDstWithoutTouchingPrefix(t *testing.T) {
	c := mustChain(t, csvOpt([]string{"a"}, ""))
	buf := make([]byte, 0, 1024)
	buf, _ = c.Process(buf, []byte("1\n"))
	n := len(buf)
	buf, res := c.Process(buf, []byte("2\n"))
	if res != Converted || string(buf) != "{\"a\":\"1\"}\n{\"a\":\"2\"}\n" || n != 10 {
		t.Fatalf("%q", buf)
	}
}

func TestValidateErrorsUseJavaTextsPrefixedByKey(t *testing.T) {
	k := "flows[0].dataProcessingOptions[1]"
	tests := []struct {
		opt  Option
		want string
	}{
		{Option{Name: "LOGTOJSON", LogFormat: "COMMONAPACHELOG", MatchPattern: "(x)", HasMatchPattern: true}, "customFieldNames must be specified when matchPattern is specified"},
		{Option{Name: "LOGTOJSON", LogFormat: "COMMONAPACHELOG", CustomFieldNames: []string{"a"}, HasCustomFieldNames: true}, "Invalid custom field names for the selected log format. Please modify the field names or specify the matchPattern"},
		{Option{Name: "LOGTOJSON"}, "Required configuration value missing: logFormat"},
		{Option{Name: "LOGTOJSON", LogFormat: "apache"}, "Value(apache) is not legally accepted by key: logFormat. Legal values are COMMONAPACHELOG,COMBINEDAPACHELOG,APACHEERRORLOG,SYSLOG,RFC3339SYSLOG"},
		{Option{Name: "ADDEC2METADATA"}, "Required configuration value missing: logFormat"},
		{Option{Name: "ADDEC2METADATA", LogFormat: "SYSLOG", MatchPattern: "x", HasMatchPattern: true}, "customFieldNames must be specified when matchPattern is specified"},
		{Option{Name: "CSVTOJSON"}, "Required list missing: customFieldNames"},
		{Option{Name: "CSVTOJSON", CustomFieldNames: []string{"a"}, HasCustomFieldNames: true, JSONFormat: "pretty"}, "Value(pretty) is not legally accepted by key: jsonFormat. Legal values are COMPACT,PRETTYPRINT"},
		{Option{Name: "CSVTOJSON", CustomFieldNames: []string{"a"}, HasCustomFieldNames: true, Delimiter: "(", HasDelimiter: true}, "delimiter"},
		{Option{Name: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(?<=a+)b[`, HasMatchPattern: true, CustomFieldNames: []string{"a"}, HasCustomFieldNames: true}, "matchPattern"},
		{Option{Name: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `[a&&b]`, HasMatchPattern: true, CustomFieldNames: []string{"a"}, HasCustomFieldNames: true}, "intersection"},
		{Option{Name: "USINGPLUGGIN", ClassName: "org.example.Conv"}, "names a Java class"},
		{Option{Name: "FOO"}, "Value(FOO) is not legally accepted by key: optionName. Legal values are ADDMETADATA,ADDEC2METADATA,SINGLELINE,CSVTOJSON,LOGTOJSON,ADDBRACKETS,USINGPLUGGIN"},
		{Option{}, "Required configuration value missing: optionName"},
		{Option{Name: "ADDMETADATA", Metadata: json.RawMessage(`{"a":`)}, "metadata"},
	}
	for _, tc := range tests {
		tc.opt.Key = k
		err := Validate([]Option{{Name: "ADDBRACKETS", Key: "flows[0].dataProcessingOptions[0]"}, tc.opt})
		if err == nil {
			t.Errorf("%+v: no error", tc.opt)
			continue
		}
		if !strings.HasPrefix(err.Error(), k+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v:\n got  %v\n want %s: ...%s...", tc.opt, err, k, tc.want)
		}
		if _, berr := Build([]Option{tc.opt}, Deps{}); berr == nil {
			t.Errorf("Build accepted %+v", tc.opt)
		}
	}
	ok := []Option{
		{Name: "SINGLELINE", ParseOptions: []string{"NO_TRIM", "OTHER"}},
		{Name: "ADDBRACKETS"},
		{Name: "LOGTOJSON", LogFormat: "SYSLOG", MatchPattern: `(\w+)\1`, HasMatchPattern: true, CustomFieldNames: []string{"a"}, HasCustomFieldNames: true},
		{Name: "ADDEC2METADATA", LogFormat: "SYSLOG", MetadataTTL: "junk"},
		{Name: "ADDMETADATA", Timestamp: "yes", HasTimestamp: true},
	}
	if err := Validate(ok); err != nil {
		t.Fatal(err)
	}
}

func TestLogToJSONDebugLogsFirst200Bytes(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := Build([]Option{logOpt("SYSLOG")}, Deps{Logger: log, Context: context.Background()})
	if err != nil {
		t.Fatal(err)
	}
	rec := strings.Repeat("é", 150) + "\n" // 300 bytes
	if _, res := c.Process(nil, []byte(rec)); res != Skipped {
		t.Fatal(res)
	}
	s := buf.String()
	if !strings.Contains(s, "record will be skipped") || !strings.Contains(s, strings.Repeat("é", 100)) || strings.Contains(s, strings.Repeat("é", 101)) {
		t.Fatalf("log: %s", s)
	}
}

func TestConverterPanicFallsBackToRaw(t *testing.T) {
	c := &Chain{convs: []converter{panicky{}}}
	out, res := c.Process([]byte("p"), []byte("raw\xff\n"))
	if res != Fallback || string(out) != "praw\xff\n" || c.LastError() == nil {
		t.Fatalf("%v %q %v", res, out, c.LastError())
	}
}

type panicky struct{}

func (panicky) name() string { return "panicky" }
func (panicky) convert(dst, in []byte) ([]byte, outcome, error) {
	dst = append(dst, "partial"...)
	panic("boom")
}

func TestJavaDoubleFormat(t *testing.T) {
	for in, want := range map[string]string{
		"1e2": "100.0", "1.10": "1.1", "0.1": "0.1", "1e7": "1.0E7", "9999999.0": "9999999.0", "0.001": "0.001",
		"0.0001": "1.0E-4", "-1.5e-10": "-1.5E-10", "1e400": "Infinity", "-1e400": "-Infinity", "1e-400": "0.0", "123.456e1": "1234.56",
		"4.9e-324": "4.9E-324", "1.7976931348623157e308": "1.7976931348623157E308",
	} {
		if got := numberText(in, true); got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
}

func TestParseJavaInt(t *testing.T) {
	for in, want := range map[string]int64{"3600": 3600, "010": 8, "0x10": 16, "#10": 16, "-5": -5, "+7": 7, "0": 0} {
		if got, err := parseJavaInt(in); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1.5", "abc", "99999999999", "0x", "--1", `"60"`} {
		if _, err := parseJavaInt(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCSVExplicitEmptyDelimiterIsJavaEmptyRegex(t *testing.T) {
	o := csvOpt([]string{"a", "b", "c", "d"}, "")
	o.HasDelimiter = true // "delimiter": "" -> "xyz".split("") = [x, y, z]
	c := mustChain(t, o)
	out, _ := c.Process(nil, []byte("xyz\n"))
	if string(out) != `{"a":"x","b":"y","c":"z","d":null}`+"\n" {
		t.Fatalf("%s", out)
	}
}
