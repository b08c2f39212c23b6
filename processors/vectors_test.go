package processors

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func mustChain(t testing.TB, opts ...Option) *Chain {
	t.Helper()
	c, err := Build(opts, Deps{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return c
}

func names(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, "column"+string(rune('0'+i)))
	}
	return out
}

func csvOpt(fields []string, delim string) Option {
	o := Option{Name: "CSVTOJSON", CustomFieldNames: fields, HasCustomFieldNames: true}
	if delim != "" {
		o.Delimiter, o.HasDelimiter = delim, true
	}
	return o
}

func logOpt(format string) Option { return Option{Name: "LOGTOJSON", LogFormat: format} }

const (
	apacheCombined = `123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450 "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"`
	apacheCommon   = `{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450"}` + "\n"
	errLog7a       = `{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}` + "\n"
)

// TestSpecVectors reproduces every DataConverterTest vector of spec §6.10
// byte for byte.
func TestSpecVectors(t *testing.T) {
	Q := `\\n`
	tests := []struct {
		name string
		opt  Option
		in   string
		want string
		res  Result
	}{
		{"1 brackets", Option{Name: "ADDBRACKETS"}, "hello there!! :)", "{hello there!! :)}", Converted},
		{"2 singleline escape", Option{Name: "SINGLELINE", ParseOptions: []string{"ESCAPE_NEW_LINE"}},
			"{\n   \"a\": {\n           \"b\": 1,\n           \"c\": null,\n           \"d\": true\n    },\n   \"e\": \"f\",\n   \"g\": 2\n     }\n",
			`{` + Q + `"a": {` + Q + `"b": 1,` + Q + `"c": null,` + Q + `"d": true` + Q + `},` + Q + `"e": "f",` + Q + `"g": 2` + Q + "}\n", Converted},
		{"3a csv raw LF inside", csvOpt(names(4), ""), "value1, value2,valu\ne3,    value4\n",
			`{"column1":"value1","column2":" value2","column3":"valu\ne3","column4":"    value4"}` + "\n", Converted},
		{"3b csv fewer", csvOpt(names(4), ""), "value1, value2,value3\n",
			`{"column1":"value1","column2":" value2","column3":"value3","column4":null}` + "\n", Converted},
		{"3c csv more", csvOpt(names(4), ""), "value1,value2,value3,value4,value5\n",
			`{"column1":"value1","column2":"value2","column3":"value3","column4":"value4"}` + "\n", Converted},
		{"4 csv tab", csvOpt(names(4), `\t`), "value1\t value2\tvalue3\t    value4\n",
			`{"column1":"value1","column2":" value2","column3":"value3","column4":"    value4"}` + "\n", Converted},
		{"5 combined", logOpt("COMBINEDAPACHELOG"), apacheCombined + ` "ANY_RANDOM_DATA"`,
			`{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450","referer":null,"agent":"Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"}` + "\n", Converted},
		{"6a common with extra", logOpt("COMMONAPACHELOG"), apacheCombined, apacheCommon, Converted},
		{"6b common", logOpt("COMMONAPACHELOG"), `123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450`, apacheCommon, Converted},
		{"6c common hostname", logOpt("COMMONAPACHELOG"), `lj1036.inktomisearch.com - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450`,
			strings.Replace(apacheCommon, "123.45.67.89", "lj1036.inktomisearch.com", 1), Converted},
		{"7a error log", logOpt("APACHEERRORLOG"), `[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico`, errLog7a, Converted},
		{"7b error log no tid", logOpt("APACHEERRORLOG"), `[Fri Sep 09 10:42:29 2011] [core:error] [pid 35708] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico`,
			strings.Replace(strings.Replace(errLog7a, "10:42:29.902022", "10:42:29", 1), `"4328636416"`, "null", 1), Converted},
		{"7c error log no module, client port", logOpt("APACHEERRORLOG"), `[Fri Sep 09 10:42:29.902022 2011] [error] [pid 35708:tid 4328636416] [client 72.15.99.187:12345] File does not exist: /usr/local/apache2/htdocs/favicon.ico`,
			strings.Replace(strings.Replace(errLog7a, `"core"`, "null", 1), `"72.15.99.187"`, `"72.15.99.187:12345"`, 1), Converted},
		{"8 common without bytes is skipped", logOpt("COMMONAPACHELOG"), `123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200`, "", Skipped},
		{"9 common custom names", Option{Name: "LOGTOJSON", LogFormat: "COMMONAPACHELOG", CustomFieldNames: names(7), HasCustomFieldNames: true},
			`123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450`,
			`{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200","column7":"10450"}` + "\n", Converted},
		{"10 matchPattern", Option{Name: "LOGTOJSON", LogFormat: "COMMONAPACHELOG", CustomFieldNames: names(6), HasCustomFieldNames: true,
			MatchPattern: `^([\d.]+) (\S+) (\S+) \[([\w:/]+\s[+\-]\d{4})\] "(.+?)" (\d{3})`, HasMatchPattern: true},
			`123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200`,
			`{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200"}` + "\n", Converted},
		{"11a syslog", logOpt("SYSLOG"), `Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) `,
			`{"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308","message":"Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) "}` + "\n", Converted},
		{"11b syslog no pid", logOpt("SYSLOG"), `Mar 12 12:01:02 server4 snort: Ports to decode telnet on: 21 23 25 119`,
			`{"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,"message":"Ports to decode telnet on: 21 23 25 119"}` + "\n", Converted},
		{"12 addmetadata", Option{Name: "ADDMETADATA", Metadata: json.RawMessage(`{"foo":{"bar":"bas"},"key":"value"}`)}, "This is the data",
			`{"metadata":{"foo":{"bar":"bas"},"key":"value"},"data":"This is the data"}` + "\n", Converted},
		// §10 items 29, 31, 32
		{"29 CRLF apache is skipped", logOpt("COMMONAPACHELOG"), `123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET / HTTP/1.0" 200 10450` + "\r\n", "", Skipped},
		{"31a csv trailing empty", csvOpt([]string{"a", "b", "c"}, ""), "1,2,\n", `{"a":"1","b":"2","c":null}` + "\n", Converted},
		{"31b csv quotes are data", csvOpt([]string{"a", "b", "c"}, ""), "\"x,y\",z\n", `{"a":"\"x","b":"y\"","c":"z"}` + "\n", Converted},
		{"32a control byte", csvOpt([]string{"a"}, ""), "x\x01y\n", `{"a":"x\u0001y"}` + "\n", Converted},
		{"32b slash and e-acute raw", csvOpt([]string{"a"}, ""), "/é<>&\x7f\u2028\n", "{\"a\":\"/é<>&\x7f\u2028\"}\n", Converted},
		{"32c prettyprint", Option{Name: "CSVTOJSON", CustomFieldNames: []string{"a"}, HasCustomFieldNames: true, JSONFormat: "PRETTYPRINT"}, "b\n", "{\n  \"a\" : \"b\"\n}\n", Converted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, tc.opt)
			prefix := []byte("PREFIX")
			out, res := c.Process(prefix, []byte(tc.in))
			if res != tc.res {
				t.Fatalf("result %v, want %v", res, tc.res)
			}
			if got := string(out[len(prefix):]); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
			if string(out[:len(prefix)]) != "PREFIX" {
				t.Fatal("dst prefix changed")
			}
		})
	}
}

func TestAddMetadataTimestampIsUTCMillis(t *testing.T) {
	c, err := Build([]Option{{Name: "ADDMETADATA", Timestamp: "TRUE", HasTimestamp: true,
		Metadata: json.RawMessage(`{"n":1.10,"e":1e2,"i":-0,"big":123456789012345678901234567890,"a":[1,{"x":[]}],"o":{}}`)}},
		Deps{Now: func() time.Time { return time.Date(2024, 5, 1, 14, 0, 30, 123456789, time.FixedZone("X", 7200)) }})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.Process(nil, []byte("d\n"))
	want := `{"ts":"2024-05-01T12:00:30.123Z","metadata":{"n":1.1,"e":100.0,"i":0,"big":123456789012345678901234567890,"a":[1,{"x":[]}],"o":{}},"data":"d"}` + "\n"
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

func TestPrettyPrintNestedLayout(t *testing.T) {
	c := mustChain(t, Option{Name: "ADDMETADATA", JSONFormat: "PRETTYPRINT",
		Metadata: json.RawMessage(`{"a":[{"b":1},2],"e":[],"o":{}}`)})
	out, _ := c.Process(nil, []byte("x\n"))
	want := "{\n  \"metadata\" : {\n    \"a\" : [ {\n      \"b\" : 1\n    }, 2 ],\n    \"e\" : [ ],\n    \"o\" : { }\n  },\n  \"data\" : \"x\"\n}\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}
