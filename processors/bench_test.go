package processors

import (
	"encoding/json"
	"strings"
	"testing"
)

var airlineFields = []string{"cost", "trip_class", "show_to_affiliates", "return_date", "origin", "number_of_changes",
	"gate", "found_at", "duration", "distance", "destination", "depart_date", "actual", "record_id"}

const airlineLine = "4613,0,false,2026-12-02,LED,0,Pobeda,2026-11-20T08:13:22,95,1199,KZN,2026-12-01,true,0c9a2b7e-5f1d-4c3a-9b8e-2d7f6a1c4e90\n"

func benchChain(b *testing.B, rec string, opts ...Option) {
	c, err := Build(opts, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	in := []byte(rec)
	dst := make([]byte, 0, 4096)
	out, res := c.Process(dst[:0], in)
	if res != Converted {
		b.Fatalf("%v: %s", res, out)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst, _ = c.Process(dst[:0], in)
	}
}

func BenchmarkCSVToJSONAirline(b *testing.B) {
	benchChain(b, airlineLine, csvOpt(airlineFields, ""))
}

func BenchmarkCSVToJSONAirlinePretty(b *testing.B) {
	o := csvOpt(airlineFields, "")
	o.JSONFormat = "PRETTYPRINT"
	benchChain(b, airlineLine, o)
}

func BenchmarkCSVToJSONAirlineRegexDelimiter(b *testing.B) {
	benchChain(b, airlineLine, csvOpt(airlineFields, `\s*,\s*`))
}

func BenchmarkLogToJSONCombinedApache(b *testing.B) {
	benchChain(b, apacheCombined+"\n", logOpt("COMBINEDAPACHELOG"))
}

func BenchmarkLogToJSONCommonApache(b *testing.B) {
	benchChain(b, apacheCombined+"\n", logOpt("COMMONAPACHELOG"))
}

func BenchmarkLogToJSONSyslog(b *testing.B) {
	benchChain(b, "Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds)\n", logOpt("SYSLOG"))
}

func BenchmarkSingleLine(b *testing.B) {
	benchChain(b, "{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n", Option{Name: "SINGLELINE"})
}

func BenchmarkAddMetadata(b *testing.B) {
	benchChain(b, airlineLine, Option{Name: "ADDMETADATA", Metadata: json.RawMessage(`{"host":"h1","env":"prod"}`)})
}

func BenchmarkChainCSVThenAddMetadata(b *testing.B) {
	benchChain(b, airlineLine, csvOpt(airlineFields, ""), Option{Name: "ADDMETADATA", Metadata: json.RawMessage(`{"host":"h1"}`)})
}

func BenchmarkInvalidUTF8CSV(b *testing.B) {
	benchChain(b, "4613,0,\xff,2026-12-02\n", csvOpt(airlineFields, ""))
}

// Tab-separated: the delimiter is a byte JSON escapes.
func BenchmarkCSVToJSONAirlineTab(b *testing.B) {
	benchChain(b, strings.ReplaceAll(airlineLine, ",", "\t"), csvOpt(airlineFields, `\t`))
}
