package status

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// scrape returns the Content-Type and body of GET /metrics.
func scrape(t *testing.T, s *Server) (string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics %d: %s", rec.Code, rec.Body)
	}
	return rec.Header().Get("Content-Type"), rec.Body.String()
}

func newTestServer(t *testing.T, flows []*flowstats.Flow, opts ...Option) *Server {
	t.Helper()
	s, err := New("127.0.0.1:0", false, flows, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

const awkward = "a\"q\\b\nn" // a quote, a backslash and a newline

const latencyMetric = "kinesis_agent_send_latency_seconds"

// goldenServer is the scenario of testdata/metrics.golden: four flows in
// no particular order (one with awkward names, two with the same
// destination), values that format as exponents, a negative counter, and
// latencies on, just above and beyond the bucket bounds.
func goldenServer(t *testing.T) *Server {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	start := clock.t.Add(-1234567891 * time.Microsecond)
	fz := flowstats.New("kinesis:z:/var/log/*.log", "z", false)
	fa := flowstats.New("fh:"+awkward+":/x/*", awkward, true)
	fb := flowstats.New("fh:a:/x/*", "a", true)
	fb2 := flowstats.New("fh:a:/w/*", "a", true)
	fz.RecordsParsed.Store(1000000)
	fz.BytesParsed.Store(123456789012)
	fz.RecordsSent.Store(1)
	fz.BytesSent.Store(1 << 53)
	fz.RecordSendErrors.Store(-1)
	fz.ConsecutiveErrors.Store(2)
	fz.LastSuccess.Store(clock.t.Add(-1500 * time.Millisecond))
	fz.SetFile(flowstats.FileState{FileID: "1", Path: "/var/log/a.log", Size: 5000, ReadOffset: 4000, AckedOffset: 3000,
		OldestUnacked: clock.t.Add(-42123 * time.Millisecond)})
	fa.Calls.Store(99999999)
	fb.RecordsTruncated.Store(12345678)
	fb2.SetFile(flowstats.FileState{FileID: "2", Path: "/w/b", Size: 10, ReadOffset: 10, AckedOffset: 10})

	lat := NewLatencyObserver()
	for _, c := range []flowstats.Call{
		{Destination: "KinesisStream:z", Attempted: 2, Sent: 2, Latency: 5 * time.Millisecond},
		{Destination: "KinesisStream:z", Attempted: 2, Sent: 2, Latency: 5*time.Millisecond + 1},
		{Destination: "KinesisStream:z", Attempted: 2, Sent: 2, Latency: 61 * time.Second},
		{Destination: "KinesisStream:z", Attempted: 2, Sent: 1, Failed: 1, Latency: 333 * time.Millisecond},
		{Destination: "DeliveryStream:" + awkward, ServiceError: true, Failed: 1, Latency: 2500 * time.Millisecond},
		{Destination: "DeliveryStream:a", Latency: 0},
		{Destination: "DeliveryStream:a", Latency: 10 * time.Second},
		{Destination: "DeliveryStream:a", Latency: 30*time.Second + 7},
	} {
		lat.ObserveCall(c)
	}
	return newTestServer(t, []*flowstats.Flow{fz, fa, fb, fb2}, WithLatency(lat), WithClock(clock.Now), WithStartTime(start))
}

// testdata/metrics.golden was written by github.com/prometheus/client_golang
// v1.25.0 (promhttp) for goldenServer, before the agent wrote the format
// itself; the output must stay byte for byte the same.
func TestMetricsMatchesClientGolangOutput(t *testing.T) {
	want, err := os.ReadFile("testdata/metrics.golden")
	if err != nil {
		t.Fatal(err)
	}
	ct, body := scrape(t, goldenServer(t))
	if ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if body != string(want) {
		got, wantLines := strings.Split(body, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(got), len(wantLines)) {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Fatalf("line %d:\n got %q\nwant %q", i+1, g, w)
			}
		}
	}
	if err := checkExposition(body); err != nil {
		t.Error(err)
	}
}

func TestMetricsWithoutFlowsOrLatencyHasOnlyUptime(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	s := newTestServer(t, nil, WithLatency(NewLatencyObserver()), WithClock(clock.Now), WithStartTime(clock.t.Add(-90*time.Second)))
	_, body := scrape(t, s)
	want := "# HELP kinesis_agent_uptime_seconds Seconds since the agent started.\n" +
		"# TYPE kinesis_agent_uptime_seconds gauge\n" +
		"kinesis_agent_uptime_seconds 90\n"
	if body != want {
		t.Errorf("got\n%s\nwant\n%s", body, want)
	}
}

func TestMetricsEscapeLabelValues(t *testing.T) {
	f := flowstats.New("kinesis:"+awkward+":/l/*", awkward, false)
	f.RecordsSent.Store(5)
	lat := NewLatencyObserver()
	lat.ObserveCall(flowstats.Call{Destination: "KinesisStream:" + awkward, Latency: time.Second})
	_, body := scrape(t, newTestServer(t, []*flowstats.Flow{f}, WithLatency(lat)))
	for _, want := range []string{
		`kinesis_agent_records_sent_total{destination="a\"q\\b\nn",flow="kinesis:a\"q\\b\nn:/l/*"} 5`,
		`kinesis_agent_send_latency_seconds_count{destination="KinesisStream:a\"q\\b\nn",outcome="success"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := checkExposition(body); err != nil {
		t.Error(err)
	}
	// The parsed values are the original ones.
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if strings.HasPrefix(line, "kinesis_agent_records_sent_total{") {
			_, labels, _, err := parseSample(line)
			if err != nil {
				t.Fatal(err)
			}
			if labels["destination"] != awkward || labels["flow"] != f.ID {
				t.Errorf("labels %q", labels)
			}
		}
	}
}

func TestAppendEscapedAndAppendFloatFormatAsClientGolang(t *testing.T) {
	// HELP text: backslash and newline escaped, quotes kept.
	if got := string(appendEscaped(nil, "a\\b\nc\"d", false)); got != `a\\b\nc"d` {
		t.Errorf("help escaping: %s", got)
	}
	if got := string(appendEscaped(nil, "a\\b\nc\"d", true)); got != `a\\b\nc\"d` {
		t.Errorf("label value escaping: %s", got)
	}
	// Invalid UTF-8 (client_golang's MustNewConstMetric and WithLabelValues
	// panicked on it) becomes U+FFFD.
	if got := string(appendEscaped(nil, "x\xffy", true)); got != "x\uFFFDy" {
		t.Errorf("invalid UTF-8: %q", got)
	}
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {0.005, "0.005"}, {2.5, "2.5"}, {60, "60"},
		{1e6, "1e+06"}, {123456, "123456"}, {1.7672687985e+09, "1.7672687985e+09"},
		{math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}, {math.NaN(), "NaN"},
	} {
		if got := string(appendFloat(nil, c.v)); got != c.want {
			t.Errorf("appendFloat(%v) = %s, want %s", c.v, got, c.want)
		}
	}
}

func TestLatencyHistogramBucketsAreCumulative(t *testing.T) {
	lat := NewLatencyObserver()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]int{}
	for i := range 2000 {
		c := flowstats.Call{Destination: fmt.Sprintf("KinesisStream:s%d", i%3), Latency: time.Duration(rng.ExpFloat64() * float64(2*time.Second))}
		switch i % 5 {
		case 3:
			c.Failed = 1
		case 4:
			c.ServiceError = true
		}
		lat.ObserveCall(c)
		want[fmt.Sprintf("%s/%v/%v", c.Destination, c.ServiceError, c.Failed > 0)]++
	}
	_, body := scrape(t, newTestServer(t, nil, WithLatency(lat)))
	if err := checkExposition(body); err != nil {
		t.Fatal(err)
	}
	type series struct {
		le     []string
		counts []float64
		count  float64
		sum    float64
	}
	all := map[string]*series{}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		name, labels, v, err := parseSample(line)
		if err != nil || !strings.HasPrefix(name, latencyMetric) {
			continue
		}
		key := labels["destination"] + "/" + labels["outcome"]
		s := all[key]
		if s == nil {
			s = &series{}
			all[key] = s
		}
		switch strings.TrimPrefix(name, latencyMetric) {
		case "_bucket":
			s.le = append(s.le, labels["le"])
			s.counts = append(s.counts, v)
		case "_count":
			s.count = v
		case "_sum":
			s.sum = v
		}
	}
	if len(all) != 9 {
		t.Fatalf("%d series, want 9 (3 destinations x 3 outcomes): %v", len(all), all)
	}
	wantLE := []string{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"}
	total := 0.0
	for key, s := range all {
		if !slices.Equal(s.le, wantLE) {
			t.Errorf("%s: le %v", key, s.le)
		}
		for i := 1; i < len(s.counts); i++ {
			if s.counts[i] < s.counts[i-1] {
				t.Errorf("%s: bucket le=%s %v < le=%s %v", key, s.le[i], s.counts[i], s.le[i-1], s.counts[i-1])
			}
		}
		if s.counts[len(s.counts)-1] != s.count {
			t.Errorf("%s: +Inf bucket %v != _count %v", key, s.counts[len(s.counts)-1], s.count)
		}
		if s.sum <= 0 {
			t.Errorf("%s: sum %v", key, s.sum)
		}
		total += s.count
	}
	if total != 2000 {
		t.Errorf("total count %v, want 2000", total)
	}
	d := "KinesisStream:s1"
	for outcome, k := range map[string]string{"success": d + "/false/false", "partial": d + "/false/true", "error": d + "/true/false"} {
		if got := all[d+"/"+outcome].count; got != float64(want[k]) {
			t.Errorf("%s/%s count %v, want %d", d, outcome, got, want[k])
		}
	}
}

// TestLatencyObserveWhileScraping is meant for go test -race: writers
// observe until the scraper has scraped 50 times, so the two overlap.
func TestLatencyObserveWhileScraping(t *testing.T) {
	lat := NewLatencyObserver()
	f := flowstats.New("kinesis:s:/l/*", "s", false)
	s := newTestServer(t, []*flowstats.Flow{f}, WithLatency(lat))
	const writers, scrapes = 4, 50
	stop := make(chan struct{})
	scraped := make(chan error, 1)
	go func() {
		defer close(stop)
		for range scrapes {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			if err := checkExposition(rec.Body.String()); rec.Code != 200 || err != nil {
				scraped <- fmt.Errorf("scrape: %d %v", rec.Code, err)
				return
			}
		}
		scraped <- nil
	}()
	var wg sync.WaitGroup
	observed := make([][2]int, writers) // per writer: success, partial
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				lat.ObserveCall(flowstats.Call{Destination: fmt.Sprintf("KinesisStream:s%d", w), Failed: i % 2, Latency: time.Duration(i%100) * time.Millisecond})
				observed[w][i%2]++
				f.RecordsSent.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := <-scraped; err != nil {
		t.Fatal(err)
	}
	_, body := scrape(t, s)
	for w := range writers {
		t.Logf("writer %d: %v observations during %d scrapes", w, observed[w], scrapes)
		for i, outcome := range []string{"success", "partial"} {
			want := fmt.Sprintf("%s_count{destination=\"KinesisStream:s%d\",outcome=%q} %s\n", latencyMetric, w, outcome, strconv.FormatFloat(float64(observed[w][i]), 'g', -1, 64))
			if observed[w][i] > 0 && !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
}

var (
	sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+$`)
	helpLine   = regexp.MustCompile(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// checkExposition is a strict line-level check of the text format 0.0.4
// as this package writes it: the body ends with a newline; every family
// has exactly one HELP then one TYPE line before its samples; families
// are sorted by name and not repeated; every sample belongs to the
// current family (histograms: _bucket, _sum, _count), has well-formed,
// correctly escaped labels in alphabetical order and a float value;
// samples of a family are sorted by label values and not repeated.
func checkExposition(body string) error {
	if body == "" || !strings.HasSuffix(body, "\n") {
		return fmt.Errorf("body empty or without final newline: %q", body)
	}
	var (
		family, typ   string
		seen          = map[string]bool{}
		prevKey       []string
		prevSeries    = map[string]bool{}
		expectingType bool
	)
	for i, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		n := i + 1
		if m := helpLine.FindStringSubmatch(line); m != nil {
			if expectingType {
				return fmt.Errorf("line %d: HELP without TYPE before it for %s", n, family)
			}
			if seen[m[1]] {
				return fmt.Errorf("line %d: family %s repeated", n, m[1])
			}
			if family != "" && m[1] <= family {
				return fmt.Errorf("line %d: family %s after %s (not sorted)", n, m[1], family)
			}
			if !helpEscapes(m[2]) {
				return fmt.Errorf("line %d: bad escape in HELP %q", n, m[2])
			}
			family, typ, expectingType, prevKey, prevSeries = m[1], "", true, nil, map[string]bool{}
			seen[family] = true
			continue
		}
		if m := typeLine.FindStringSubmatch(line); m != nil {
			if !expectingType || m[1] != family {
				return fmt.Errorf("line %d: TYPE %s without its HELP right before", n, m[1])
			}
			typ, expectingType = m[2], false
			continue
		}
		if strings.HasPrefix(line, "#") {
			return fmt.Errorf("line %d: unexpected comment %q", n, line)
		}
		if expectingType || family == "" {
			return fmt.Errorf("line %d: sample before HELP and TYPE: %q", n, line)
		}
		if !sampleLine.MatchString(line) {
			return fmt.Errorf("line %d: malformed sample %q", n, line)
		}
		name, labels, _, err := parseSample(line)
		if err != nil {
			return fmt.Errorf("line %d: %v", n, err)
		}
		switch {
		case name == family:
			if typ == "histogram" {
				return fmt.Errorf("line %d: histogram sample without suffix", n)
			}
		case typ == "histogram" && (name == family+"_bucket" || name == family+"_sum" || name == family+"_count"):
			if _, ok := labels["le"]; ok != (name == family+"_bucket") {
				return fmt.Errorf("line %d: le label on the wrong sample", n)
			}
		default:
			return fmt.Errorf("line %d: sample %s in family %s", n, name, family)
		}
		// Sort key: the label values except le (in label-name order).
		names := labelOrder(line)
		var key []string
		for _, l := range names {
			if l != "le" {
				key = append(key, labels[l])
			}
		}
		if slices.Compare(key, prevKey) < 0 {
			return fmt.Errorf("line %d: samples not sorted by label values: %q after %q", n, key, prevKey)
		}
		series := name + "\x00" + strings.Join(key, "\x00") + "\x00" + labels["le"]
		if prevSeries[series] {
			return fmt.Errorf("line %d: series repeated", n)
		}
		prevSeries[series], prevKey = true, key
	}
	if expectingType {
		return fmt.Errorf("family %s has no TYPE", family)
	}
	return nil
}

// helpEscapes reports whether every backslash in a HELP text starts one
// of the escapes \\ and \n.
func helpEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 == len(s) || (s[i+1] != '\\' && s[i+1] != 'n') {
				return false
			}
			i++
		}
	}
	return true
}

// labelOrder returns the label names of a sample line in order (the
// line is well-formed); le must be last and the others sorted.
func labelOrder(line string) []string {
	_, rest, ok := strings.Cut(line, "{")
	if !ok {
		return nil
	}
	var names []string
	for rest != "" && rest[0] != '}' {
		eq := strings.IndexByte(rest, '=')
		names = append(names, rest[:eq])
		i := eq + 2
		for rest[i] != '"' {
			if rest[i] == '\\' {
				i++
			}
			i++
		}
		rest = strings.TrimPrefix(rest[i+1:], ",")
	}
	return names
}

// parseSample parses `name{l="v",...} value`, unescaping the label values;
// it rejects unknown escapes, unescaped quotes, newlines or backslashes,
// label names out of alphabetical order (le last) and bad values.
func parseSample(line string) (string, map[string]string, float64, error) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", nil, 0, fmt.Errorf("no value: %q", line)
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", nil, 0, fmt.Errorf("value of %q: %v", line, err)
	}
	head := line[:sp]
	name, rest, hasLabels := strings.Cut(head, "{")
	labels := map[string]string{}
	if !hasLabels {
		return name, labels, v, nil
	}
	var order []string
	for {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
			return "", nil, 0, fmt.Errorf("bad label in %q", line)
		}
		l := rest[:eq]
		if !labelName.MatchString(l) {
			return "", nil, 0, fmt.Errorf("bad label name %q in %q", l, line)
		}
		if _, dup := labels[l]; dup {
			return "", nil, 0, fmt.Errorf("label %s repeated in %q", l, line)
		}
		var val strings.Builder
		i := eq + 2
		for ; i < len(rest) && rest[i] != '"'; i++ {
			switch c := rest[i]; c {
			case '\\':
				i++
				if i == len(rest) {
					return "", nil, 0, fmt.Errorf("dangling backslash in %q", line)
				}
				switch rest[i] {
				case '\\':
					val.WriteByte('\\')
				case 'n':
					val.WriteByte('\n')
				case '"':
					val.WriteByte('"')
				default:
					return "", nil, 0, fmt.Errorf("unknown escape \\%c in %q", rest[i], line)
				}
			case '\n':
				return "", nil, 0, fmt.Errorf("raw newline in %q", line)
			default:
				val.WriteByte(c)
			}
		}
		if i == len(rest) {
			return "", nil, 0, fmt.Errorf("unterminated label value in %q", line)
		}
		labels[l] = val.String()
		order = append(order, l)
		rest = rest[i+1:]
		if rest == "}" {
			break
		}
		if !strings.HasPrefix(rest, ",") {
			return "", nil, 0, fmt.Errorf("junk after label %s in %q", l, line)
		}
		rest = rest[1:]
	}
	plain := slices.DeleteFunc(slices.Clone(order), func(s string) bool { return s == "le" })
	if !slices.IsSorted(plain) || (len(plain) != len(order) && order[len(order)-1] != "le") {
		return "", nil, 0, fmt.Errorf("labels not in order in %q", line)
	}
	return name, labels, v, nil
}

// The checker must reject what it is there to catch.
func TestCheckExpositionRejectsMalformedOutput(t *testing.T) {
	const ok = "# HELP a_x help\n# TYPE a_x counter\na_x{destination=\"d\",flow=\"f\"} 1\na_x{destination=\"e\",flow=\"a\"} 2\n" +
		"# HELP b_h h\n# TYPE b_h histogram\nb_h_bucket{le=\"1\"} 1\nb_h_bucket{le=\"+Inf\"} 1\nb_h_sum 0.5\nb_h_count 1\n" +
		"# HELP c c\n# TYPE c gauge\nc 1\n"
	if err := checkExposition(ok); err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	for name, bad := range map[string]string{
		"families unsorted":     strings.Replace(ok, "# HELP c c\n# TYPE c gauge\nc 1\n", "", 1) + "# HELP a_w w\n# TYPE a_w gauge\na_w 1\n",
		"family repeated":       ok + "# HELP a_x help\n# TYPE a_x counter\na_x 3\n",
		"no TYPE":               strings.Replace(ok, "# TYPE c gauge\n", "", 1),
		"two TYPEs":             strings.Replace(ok, "# TYPE c gauge\n", "# TYPE c gauge\n# TYPE c gauge\n", 1),
		"TYPE before HELP":      strings.Replace(ok, "# HELP c c\n# TYPE c gauge\n", "# TYPE c gauge\n# HELP c c\n", 1),
		"sample without family": "x 1\n" + ok,
		"foreign sample":        strings.Replace(ok, "c 1\n", "c 1\nd 1\n", 1),
		"samples unsorted":      strings.Replace(ok, `flow="a"} 2`, `flow="a"} 2`+"\n"+`a_x{destination="d",flow="g"} 3`, 1),
		"series repeated":       strings.Replace(ok, "c 1\n", "c 1\nc 2\n", 1),
		"raw newline in value":  strings.Replace(ok, `flow="f"`, "flow=\"f\ng\"", 1),
		"unescaped quote":       strings.Replace(ok, `flow="f"`, `flow="f"g"`, 1),
		"unknown escape":        strings.Replace(ok, `flow="f"`, `flow="f\t"`, 1),
		"labels out of order":   strings.Replace(ok, `{destination="d",flow="f"}`, `{flow="f",destination="d"}`, 1),
		"bad value":             strings.Replace(ok, "c 1\n", "c one\n", 1),
		"missing final newline": strings.TrimSuffix(ok, "\n"),
		"space in name":         strings.Replace(ok, "c 1\n", "c c 1\n", 1),
		"bad escape in HELP":    strings.Replace(ok, "# HELP c c\n", "# HELP c c\\t\n", 1),
	} {
		if err := checkExposition(bad); err == nil {
			t.Errorf("%s: accepted:\n%s", name, bad)
		}
	}
}
