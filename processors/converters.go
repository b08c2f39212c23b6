package processors

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// ---- shared object writing -------------------------------------------------

// uniqueKeys maps a list of field names to the keys of a LinkedHashMap
// filled in list order: a repeated name keeps its first position and takes
// the value of its last occurrence.
func uniqueKeys(names []string) (keys []keyForms, src []int) {
	pos := map[string]int{}
	for i, n := range names {
		if j, ok := pos[n]; ok {
			src[j] = i
			continue
		}
		pos[n] = len(keys)
		keys = append(keys, newKeyForms(n))
		src = append(src, i)
	}
	return keys, src
}

func appendKey(dst []byte, k *keyForms, i int, pretty bool) []byte {
	if i > 0 {
		dst = append(dst, ',')
	}
	if pretty {
		dst = append(dst, '\n', ' ', ' ')
		return append(dst, k.pretty...)
	}
	return append(dst, k.compact...)
}

// appendClose ends a flat object of n entries and adds the record's '\n'.
func appendClose(dst []byte, n int, pretty bool) []byte {
	if pretty {
		if n == 0 {
			return append(dst, ' ', '}', '\n')
		}
		return append(dst, '\n', '}', '\n')
	}
	return append(dst, '}', '\n')
}

func trimNL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// ---- ADDBRACKETS ------------------------------------------------------------

type brackets struct{}

func (brackets) name() string { return "BracketsDataConverter" }

func (brackets) convert(dst, in []byte) ([]byte, outcome, error) {
	dst = append(dst, '{')
	dst = append(dst, in...)
	return append(dst, '}'), outOK, nil
}

// ---- SINGLELINE -------------------------------------------------------------

type singleLine struct {
	noTrim, escapeNewLine bool
}

func newSingleLine(o *Option) *singleLine {
	s := &singleLine{}
	for _, p := range o.ParseOptions {
		switch p {
		case "NO_TRIM":
			s.noTrim = true
		case "ESCAPE_NEW_LINE":
			s.escapeNewLine = true
		}
	}
	return s
}

func (*singleLine) name() string { return "SingleLineDataConverter" }

// javaTrim removes leading and trailing chars <= U+0020 (String.trim).
func javaTrim(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && b[i] <= ' ' {
		i++
	}
	for j > i && b[j-1] <= ' ' {
		j--
	}
	return b[i:j]
}

func (s *singleLine) convert(dst, in []byte) ([]byte, outcome, error) {
	// String.split("\n") drops trailing empty pieces: strip final '\n's,
	// then split on every '\n' (interior empty pieces are kept).
	end := len(in)
	for end > 0 && in[end-1] == '\n' {
		end--
	}
	text := in[:end]
	for first := true; ; first = false {
		piece := text
		i := bytes.IndexByte(text, '\n')
		if i >= 0 {
			piece, text = text[:i], text[i+1:]
		}
		if !first && s.escapeNewLine {
			dst = append(dst, '\\', '\\', 'n')
		}
		if !s.noTrim {
			piece = javaTrim(piece)
		}
		dst = append(dst, piece...)
		if i < 0 {
			break
		}
	}
	return append(dst, '\n'), outOK, nil
}

// ---- CSVTOJSON --------------------------------------------------------------

type csvConv struct {
	names  []string
	keys   []keyForms
	src    []int
	pretty bool
	lit    []byte // literal delimiter, nil when the regex is needed
	re     *javaregex.Regexp
	delim  string
	fields [][2]int
	need   int // fields read: those after are not kept (split)
}

func newCSV(names []string, re *javaregex.Regexp, pretty bool) *csvConv {
	c := &csvConv{pretty: pretty, re: re, delim: re.String(), names: names}
	c.keys, c.src = uniqueKeys(names)
	for _, col := range c.src {
		c.need = max(c.need, col+1)
	}
	if l, ok := re.Literal(); ok && l != "" {
		c.lit = []byte(l)
	}
	return c
}

func (c *csvConv) name() string {
	return "CSVToJSONDataConverter{ delimiter: [" + c.delim + "], fields: [" + strings.Join(c.names, ", ") + "]}"
}

// split fills c.fields with Java String.split(delimiter) semantics and
// reports whether the fields hold no byte JSON escapes (see needsEscape), so
// that their values can be copied between quotes as they are.
func (c *csvConv) split(s []byte) (plain bool) {
	f := c.fields[:0]
	if c.lit == nil {
		c.fields = c.re.SplitIndex(f, string(s))
		return !needsEscape(s)
	}
	if d := c.lit; len(d) == 1 {
		c.fields = splitByte(f, s, d[0], c.need)
		if escapeByte[d[0]] != 0 {
			// A tab, say: the fields may still be copied as they are.
			return !needsEscapeBut(s, d[0])
		}
		return !needsEscape(s)
	}
	start := 0
	for {
		if len(f) >= c.need {
			c.fields = restFields(f, s, start, func(r []byte) bool {
				for bytes.HasPrefix(r, c.lit) {
					r = r[len(c.lit):]
				}
				return len(r) > 0
			})
			return !needsEscape(s)
		}
		i := bytes.Index(s[start:], c.lit)
		if i < 0 {
			break
		}
		f = append(f, [2]int{start, start + i})
		start += i + len(c.lit)
	}
	c.fields = trimEmptyTail(append(f, [2]int{start, len(s)}))
	return !needsEscape(s)
}

// restFields ends a split stopped once it has the fields the converter
// reads (f), the rest of s starting at start: the fields after are not
// kept (a line of a million delimiters made 16 MB of field bounds), only
// whether one of them is not empty (nonEmpty), which decides whether Java's
// dropping of trailing empty fields reaches the fields kept. The field
// appended past them stands for the rest and is never read.
func restFields(f [][2]int, s []byte, start int, nonEmpty func([]byte) bool) [][2]int {
	if nonEmpty(s[start:]) {
		return append(f, [2]int{start, len(s)})
	}
	return trimEmptyTail(append(f, [2]int{start, start}))
}

// splitByte is split on a delimiter of one byte, eight bytes at a time:
// fields are short, and bytes.IndexByte's set-up per field costs more than
// the scan (BenchmarkCSVToJSONAirline).
func splitByte(f [][2]int, s []byte, d byte, need int) [][2]int {
	const (
		ones = 0x0101010101010101
		lows = 0x7f7f7f7f7f7f7f7f
	)
	delim := ones * uint64(d)
	// A word holds at most 8 delimiters: room is made once per word, not
	// checked per field.
	f = f[:cap(f)]
	n, i, start := 0, 0, 0
	for ; i+8 <= len(s); i += 8 {
		if n >= need {
			return restFields(f[:n], s, start, func(r []byte) bool {
				return slices.ContainsFunc(r, func(b byte) bool { return b != d })
			})
		}
		if n+8 > len(f) {
			f = slices.Grow(f[:n], 8)
			f = f[:cap(f)]
		}
		w := binary.LittleEndian.Uint64(s[i:]) ^ delim
		// The high bit of exactly the zero bytes of w: the delimiters.
		for m := ^((w&lows + lows) | w | lows); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			f[n] = [2]int{start, j}
			n++
			start = j + 1
		}
	}
	if n+8 > len(f) {
		f = slices.Grow(f[:n], 8)
		f = f[:cap(f)]
	}
	for ; i < len(s); i++ {
		if s[i] == d {
			f[n] = [2]int{start, i}
			n++
			start = i + 1
		}
	}
	f[n] = [2]int{start, len(s)}
	return trimEmptyTail(f[:n+1])
}

// trimEmptyTail drops trailing empty fields, as Java's String.split does,
// unless the delimiter was not found at all.
func trimEmptyTail(f [][2]int) [][2]int {
	if len(f) > 1 {
		n := len(f)
		for n > 0 && f[n-1][0] == f[n-1][1] {
			n--
		}
		f = f[:n]
	}
	return f
}

func (c *csvConv) convert(dst, in []byte) ([]byte, outcome, error) {
	s := trimNL(in)
	// A line without a byte JSON escapes (the usual case) has its values
	// copied between quotes, not scanned again field by field.
	raw := c.split(s)
	dst = append(dst, '{')
	for j := range c.keys {
		dst = appendKey(dst, &c.keys[j], j, c.pretty)
		if col := c.src[j]; col < len(c.fields) {
			v := s[c.fields[col][0]:c.fields[col][1]]
			if raw {
				dst = append(dst, '"')
				dst = append(dst, v...)
				dst = append(dst, '"')
			} else {
				dst = appendString(dst, v)
			}
		} else {
			dst = append(dst, "null"...)
		}
	}
	if cap(c.fields) > maxKeptFields {
		c.fields = nil // (one line of a million delimiters: 16 MB, not kept)
	}
	return appendClose(dst, len(c.keys), c.pretty), outOK, nil
}

// maxKeptFields is the most field bounds a CSVTOJSON converter keeps
// between records (64 KiB of them).
const maxKeptFields = 4096

// ---- LOGTOJSON --------------------------------------------------------------

var (
	fieldsCommon   = []string{"host", "ident", "authuser", "datetime", "request", "response", "bytes"}
	fieldsCombined = []string{"host", "ident", "authuser", "datetime", "request", "response", "bytes", "referer", "agent"}
	fieldsError    = []string{"timestamp", "module", "severity", "processid", "threadid", "client", "message"}
	fieldsSyslog   = []string{"timestamp", "hostname", "program", "processid", "message"}
)

// builtinRE2 turns a built-in Java pattern into Go syntax: `.` excludes
// Java's line terminators and `\s` includes \x0B. The built-in patterns use
// `\b` only next to ASCII characters the pattern itself requires, where
// Java's Unicode word boundary and Go's ASCII one agree.
func builtinRE2(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			if !inClass && p[i+1] == 's' {
				b.WriteString(`[\t\n\x0B\f\r ]`)
			} else {
				b.WriteByte(c)
				b.WriteByte(p[i+1])
			}
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '.' && !inClass:
			b.WriteString(`[^\n\r\x{85}\x{2028}\x{2029}]`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func builtinPattern(format string) (javaPattern string, fields []string) {
	switch format {
	case "COMMONAPACHELOG":
		return javaCommonApacheLog, fieldsCommon
	case "COMBINEDAPACHELOG":
		return strings.TrimSuffix(javaCommonApacheLog, ".*") + ` "([^"]+)" "([^"]+)".*`, fieldsCombined
	case "APACHEERRORLOG":
		return javaApacheErrorLog, fieldsError
	case "SYSLOG":
		return javaSyslog, fieldsSyslog
	case "RFC3339SYSLOG":
		return javaRFC3339Syslog, fieldsSyslog
	}
	return "", nil
}

// compileBuiltin compiles a built-in format's pattern (nil for an unknown
// format). It is compiled for each LOGTOJSON option that uses it, not at
// package init: the five compiled patterns held 340 KB of heap in every
// agent, LOGTOJSON or not (GODEBUG=inittrace=1).
func compileBuiltin(format string) *regexp.Regexp {
	jp, _ := builtinPattern(format)
	if jp == "" {
		return nil
	}
	return regexp.MustCompile(`^(?:` + builtinRE2(jp) + `)\z`)
}

type logParser struct {
	builtin *regexp.Regexp    // built-in pattern
	fast    int               // 0, or 7 / 9 groups: apacheFast applies
	re      *javaregex.Regexp // matchPattern
	names   []string
	dashNil bool // Apache family: "-" -> null
}

func newLogParser(o *Option) (*logParser, error) {
	if o.LogFormat == "" {
		return nil, keyErr(o, "Required configuration value missing: logFormat")
	}
	_, fields := builtinPattern(o.LogFormat)
	if fields == nil {
		return nil, enumErr(o, o.LogFormat, "logFormat", "COMMONAPACHELOG", "COMBINEDAPACHELOG", "APACHEERRORLOG", "SYSLOG", "RFC3339SYSLOG")
	}
	lp := &logParser{dashNil: strings.Contains(o.LogFormat, "APACHE")}
	if o.HasMatchPattern {
		if !o.HasCustomFieldNames || o.CustomFieldNames == nil {
			return nil, keyErr(o, "customFieldNames must be specified when matchPattern is specified")
		}
		re, err := javaregex.Compile(o.MatchPattern, 0)
		if err != nil {
			return nil, keyErr(o, "matchPattern: %v", err)
		}
		lp.re = re
		lp.names = o.CustomFieldNames
		return lp, nil
	}
	lp.builtin = compileBuiltin(o.LogFormat)
	lp.names = fields
	switch o.LogFormat {
	case "COMMONAPACHELOG":
		lp.fast = 7
	case "COMBINEDAPACHELOG":
		lp.fast = 9
	}
	if o.HasCustomFieldNames && o.CustomFieldNames != nil {
		if len(o.CustomFieldNames) != len(fields) {
			return nil, keyErr(o, "Invalid custom field names for the selected log format. Please modify the field names or specify the matchPattern")
		}
		lp.names = o.CustomFieldNames
	}
	return lp, nil
}

type logToJSON struct {
	lp     *logParser
	keys   []keyForms
	src    []int
	pretty bool
	log    *slog.Logger
	idx    []int
	// prefixTries counts the skipped records checked for a matchPattern
	// that matches their beginning only (see prefixHint), up to
	// prefixTriesMax; prefixTold: that was logged.
	prefixTries int
	prefixTold  bool
	bomTold     bool // a record matched without its byte order mark: told
}

// prefixTriesMax bounds the skipped records prefixHint checks.
const prefixTriesMax = 100

func newLogToJSON(lp *logParser, pretty bool, log *slog.Logger) *logToJSON {
	c := &logToJSON{lp: lp, pretty: pretty, log: log}
	c.keys, c.src = uniqueKeys(lp.names)
	return c
}

func (c *logToJSON) name() string { return "LogToJSONDataConverter" }

// match returns the byte offsets of the groups (pairs, -1 when absent).
func (c *logToJSON) match(s []byte) (idx []int, matched bool, ngroups int) {
	if n := c.lp.fast; n != 0 {
		if cap(c.idx) < 2*n {
			c.idx = make([]int, 2*n)
		}
		if apacheFast(s, n == 9, c.idx[:2*n]) {
			return c.idx[:2*n], true, n
		}
	}
	if c.lp.builtin != nil {
		idx = c.lp.builtin.FindSubmatchIndex(s)
		if idx == nil {
			return nil, false, 0
		}
		return idx[2:], true, len(idx)/2 - 1
	}
	idx, matched = c.lp.re.MatchIndex(c.idx, string(s))
	c.idx = idx
	return idx, matched, c.lp.re.NumGroups()
}

func (c *logToJSON) convert(dst, in []byte) ([]byte, outcome, error) {
	s := trimNL(in)
	idx, matched, ngroups := c.match(s)
	if !matched && len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF {
		// A UTF-8 byte order mark (.NET, Notepad, Excel write one first
		// in each file): the Java agent's pattern does not match it, and
		// it skips the first record of every such file. Matched without
		// it (a deliberate deviation: records Java drops are sent).
		if i, m, n := c.match(s[3:]); m {
			s, idx, matched, ngroups = s[3:], i, m, n
			if !c.bomTold {
				c.bomTold = true
				c.log.Info("LOGTOJSON matched a record after leaving out the UTF-8 byte order mark it begins with (the Java agent skips such records: the first of each file written with one)",
					"recordBytes", len(s)+3)
			}
		}
	}
	if !matched || ngroups != len(c.lp.names) {
		if !matched {
			c.prefixHint(s)
		}
		if c.log.Enabled(context.Background(), slog.LevelDebug) {
			reason := "Invalid log entry given the entry pattern"
			if matched {
				reason = fmt.Sprintf("The parsed fields don't match the given fields. %d fields are parsed, %d fields are required", ngroups, len(c.lp.names))
			}
			c.log.Debug("Getting exception while parsing record, record will be skipped",
				"reason", reason, "record", headForLog(s, 200))
		}
		return dst, outSkip, nil
	}
	dst = append(dst, '{')
	for j := range c.keys {
		dst = appendKey(dst, &c.keys[j], j, c.pretty)
		g := c.src[j]
		a, b := idx[2*g], idx[2*g+1]
		if a < 0 || (c.lp.dashNil && b-a == 1 && s[a] == '-') {
			dst = append(dst, "null"...)
			continue
		}
		dst = appendString(dst, s[a:b])
	}
	return appendClose(dst, len(c.keys), c.pretty), outOK, nil
}

// prefixHint tells, once, why LOGTOJSON skips records a user expects it
// to match: they end with a carriage return (CRLF line endings, a
// Windows-style writer: neither `.` nor `$` takes the \r, in Java as here,
// and a built-in format skips them too), or a custom matchPattern matches
// their beginning only. LOGTOJSON (as Java) needs a whole record matched,
// and a pattern that stops short (the AWS documentation's example, which
// ends before the size field) skips every record with only "N record
// parsed but skipped" to say so, the reason at DEBUG.
func (c *logToJSON) prefixHint(s []byte) {
	if c.prefixTold || c.prefixTries >= prefixTriesMax {
		return
	}
	c.prefixTries++
	if n := len(s); n > 0 && s[n-1] == '\r' {
		if _, matched, ngroups := c.match(s[:n-1]); matched && ngroups == len(c.lp.names) {
			c.prefixTold = true
			c.log.Warn("LOGTOJSON skips records that end with a carriage return (CRLF line endings): its pattern matches them without it, and the Java agent skips them too; put {\"optionName\": \"SINGLELINE\"} before LOGTOJSON to trim it, or end a custom matchPattern with \\r?",
				"recordBytes", n)
			return
		}
	}
	if c.lp.re == nil || c.lp.builtin != nil {
		return
	}
	if c.lp.re.LookingAt(s) {
		c.prefixTold = true
		c.log.Warn("LOGTOJSON's matchPattern matches the beginning of records it skips but not the whole of them: it must match a whole record, as in the Java agent (let it match up to the end of the line, e.g. end it with .*)",
			"matchPattern", c.lp.re.String(), "recordBytes", len(s))
	}
}

// headForLog returns at most n bytes of b, cut on a character boundary.
func headForLog(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n])
}

// ---- ADDMETADATA ------------------------------------------------------------

type addMetadata struct {
	metaPart []byte // "metadata":<value>
	withTS   bool
	pretty   bool
	now      func() time.Time
	tsKey    keyForms
	dataKey  keyForms
}

func newAddMetadata(meta value, withTS, pretty bool) *addMetadata {
	a := &addMetadata{withTS: withTS, pretty: pretty, now: time.Now,
		tsKey: newKeyForms("ts"), dataKey: newKeyForms("data")}
	k := newKeyForms("metadata")
	if pretty {
		a.metaPart = append(a.metaPart, k.pretty...)
	} else {
		a.metaPart = append(a.metaPart, k.compact...)
	}
	a.metaPart = appendValue(a.metaPart, &meta, pretty, 1)
	return a
}

func (*addMetadata) name() string { return "AddMetadataConverter" }

func (a *addMetadata) convert(dst, in []byte) ([]byte, outcome, error) {
	dst = append(dst, '{')
	i := 0
	if a.withTS {
		dst = appendKey(dst, &a.tsKey, i, a.pretty)
		dst = append(dst, '"')
		dst = a.now().UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
		dst = append(dst, '"')
		i++
	}
	if i > 0 {
		dst = append(dst, ',')
	}
	if a.pretty {
		dst = append(dst, '\n', ' ', ' ')
	}
	dst = append(dst, a.metaPart...)
	dst = appendKey(dst, &a.dataKey, 1, a.pretty)
	dst = appendString(dst, trimNL(in))
	return appendClose(dst, 2, a.pretty), outOK, nil
}
