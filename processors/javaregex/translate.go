package javaregex

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Translation of java.util.regex syntax into two dialects at once:
//   - RE2 (Go regexp), used whenever every construct has an exact RE2
//     equivalent;
//   - .NET syntax for github.com/dlclark/regexp2 (a backtracking engine),
//     used when the pattern needs a Java-only construct (look-around,
//     back-references, possessive quantifiers, atomic groups, Java's `$`,
//     multi-line `^`, Unicode `\b`, ...).
// Constructs neither dialect reproduces exactly are rejected with an error
// that names them.

// mode selects how an end-of-pattern `$` is translated.
type mode int

const (
	modeSearch mode = iota // find / lookingAt
	modeFull               // matches(): the match must end at end of input
)

type jflags struct {
	i, m, s, d, x, u bool
}

type translation struct {
	re2, net string
	needNet  bool   // a construct RE2 cannot express exactly
	re2Bad   string // construct that prevents RE2 use (for messages)
	netBad   string // construct regexp2 cannot express exactly ("" = ok)
	groups   int
	names    map[string]int
}

type translator struct {
	src    []rune
	pos    int
	mode   mode
	re2    strings.Builder
	net    strings.Builder
	t      translation
	fstack []jflags
	f      jflags
	depth  int
	// start offsets of the last atom in both outputs (for possessive
	// quantifiers), -1 when there is none.
	atomRE2, atomNet int
	gstart           []atomPos
}

// SyntaxError is a pattern Java would reject or this package cannot
// reproduce.
type SyntaxError struct {
	Pattern string
	Msg     string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("regular expression %q: %s", e.Pattern, e.Msg)
}

func translate(pattern string, fl Flags, md mode) (*translation, error) {
	tr := &translator{src: []rune(pattern), mode: md, atomRE2: -1, atomNet: -1}
	tr.t.names = map[string]int{}
	if fl&Multiline != 0 {
		tr.f.m = true
	}
	if err := tr.run(); err != nil {
		return nil, &SyntaxError{Pattern: pattern, Msg: err.Error()}
	}
	tr.t.re2 = tr.re2.String()
	tr.t.net = tr.net.String()
	return &tr.t, nil
}

func (tr *translator) needNet(construct string) {
	if !tr.t.needNet {
		tr.t.re2Bad = construct
	}
	tr.t.needNet = true
}

func (tr *translator) netBad(construct string) {
	if tr.t.netBad == "" {
		tr.t.netBad = construct
	}
}

func (tr *translator) peek() (rune, bool) {
	if tr.pos < len(tr.src) {
		return tr.src[tr.pos], true
	}
	return 0, false
}

func (tr *translator) emit(re2, net string) {
	tr.re2.WriteString(re2)
	tr.net.WriteString(net)
}

func (tr *translator) markAtom() {
	tr.atomRE2 = tr.re2.Len()
	tr.atomNet = tr.net.Len()
}

// skipComments skips whitespace and #-comments in COMMENTS mode.
func (tr *translator) skipComments() {
	if !tr.f.x {
		return
	}
	for tr.pos < len(tr.src) {
		c := tr.src[tr.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\x0B' {
			tr.pos++
			continue
		}
		if c == '#' {
			for tr.pos < len(tr.src) && !isLineTerm(tr.src[tr.pos]) {
				tr.pos++
			}
			continue
		}
		return
	}
}

func isLineTerm(c rune) bool {
	return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029
}

func (tr *translator) run() error {
	for {
		tr.skipComments()
		c, ok := tr.peek()
		if !ok {
			break
		}
		tr.pos++
		switch c {
		case '(':
			if err := tr.openGroup(); err != nil {
				return err
			}
		case ')':
			if tr.depth == 0 {
				return fmt.Errorf("unmatched closing ')' near index %d", tr.pos-1)
			}
			tr.depth--
			tr.f = tr.fstack[len(tr.fstack)-1]
			tr.fstack = tr.fstack[:len(tr.fstack)-1]
			tr.emit(")", ")")
			// the group just closed is the atom for a following quantifier;
			// its start was recorded in the group stack of offsets.
			tr.atomRE2, tr.atomNet = tr.popAtom()
			if err := tr.quantifier(); err != nil {
				return err
			}
		case '|':
			tr.emit("|", "|")
			tr.atomRE2, tr.atomNet = -1, -1
		case '^':
			tr.markAtom()
			tr.caret()
		case '$':
			tr.markAtom()
			tr.dollar()
		case '.':
			tr.markAtom()
			switch {
			case tr.f.s:
				tr.emit(`[\x{0}-\x{10FFFF}]`, `[\s\S]`)
			case tr.f.d:
				tr.emit(`[^\n]`, `[^\n]`)
			default:
				tr.emit(`[^\n\r\x{85}\x{2028}\x{2029}]`, `[^\n\r\u0085\u2028\u2029]`)
			}
			if err := tr.quantifier(); err != nil {
				return err
			}
		case '[':
			tr.markAtom()
			if err := tr.class(); err != nil {
				return err
			}
			if err := tr.quantifier(); err != nil {
				return err
			}
		case '\\':
			tr.markAtom()
			if err := tr.escape(); err != nil {
				return err
			}
			if err := tr.quantifier(); err != nil {
				return err
			}
		case '*', '+', '?':
			return fmt.Errorf("dangling meta character '%c' near index %d", c, tr.pos-1)
		case '{':
			return fmt.Errorf("illegal repetition near index %d", tr.pos-1)
		default:
			tr.markAtom()
			tr.literal(c)
			if err := tr.quantifier(); err != nil {
				return err
			}
		}
	}
	if tr.depth != 0 {
		return fmt.Errorf("unclosed group")
	}
	return nil
}

// group start offsets, parallel to fstack
type atomPos struct{ re2, net int }

func (tr *translator) popAtom() (int, int) {
	n := len(tr.gstart) - 1
	p := tr.gstart[n]
	tr.gstart = tr.gstart[:n]
	return p.re2, p.net
}

func (tr *translator) pushGroup(re2, net string) {
	tr.gstart = append(tr.gstart, atomPos{tr.re2.Len(), tr.net.Len()})
	tr.fstack = append(tr.fstack, tr.f)
	tr.depth++
	tr.emit(re2, net)
	tr.atomRE2, tr.atomNet = -1, -1
}

func (tr *translator) openGroup() error {
	c, ok := tr.peek()
	if !ok || c != '?' {
		tr.t.groups++
		tr.pushGroup("(", "(")
		return nil
	}
	tr.pos++
	c, ok = tr.peek()
	if !ok {
		return fmt.Errorf("unknown group type near index %d", tr.pos)
	}
	switch c {
	case ':':
		tr.pos++
		tr.pushGroup("(?:", "(?:")
	case '=', '!':
		tr.pos++
		tr.needNet("look-ahead (?" + string(c) + "...)")
		tr.pushGroup("(?"+string(c), "(?"+string(c))
	case '>':
		tr.pos++
		tr.needNet("atomic group (?>...)")
		tr.pushGroup("(?:", "(?>")
	case '<':
		tr.pos++
		c2, ok := tr.peek()
		if ok && (c2 == '=' || c2 == '!') {
			tr.pos++
			tr.needNet("look-behind (?<" + string(c2) + "...)")
			tr.pushGroup("(?:", "(?<"+string(c2))
			return nil
		}
		start := tr.pos
		for tr.pos < len(tr.src) && tr.src[tr.pos] != '>' {
			r := tr.src[tr.pos]
			if !(r < 128 && (unicode.IsLetter(r) || (unicode.IsDigit(r) && tr.pos > start))) {
				return fmt.Errorf("named capturing group has an invalid name near index %d", tr.pos)
			}
			tr.pos++
		}
		if tr.pos >= len(tr.src) || tr.pos == start {
			return fmt.Errorf("named capturing group is missing trailing '>'")
		}
		name := string(tr.src[start:tr.pos])
		tr.pos++
		if _, dup := tr.t.names[name]; dup {
			return fmt.Errorf("named capturing group <%s> is already defined", name)
		}
		tr.t.groups++
		tr.t.names[name] = tr.t.groups
		tr.pushGroup("(?P<"+name+">", "(")
	default:
		// inline flags: (?idmsux-idmsux) or (?idmsux-idmsux:X)
		on := true
		nf := tr.f
		var re2on, re2off string
		for {
			c, ok = tr.peek()
			if !ok {
				return fmt.Errorf("unknown inline modifier")
			}
			tr.pos++
			switch c {
			case 'i':
				nf.i = on
				if on {
					re2on += "i"
				} else {
					re2off += "i"
				}
			case 'm':
				nf.m = on
			case 's':
				nf.s = on
			case 'd':
				nf.d = on
			case 'x':
				nf.x = on
			case 'u':
				nf.u = on
			case 'U':
				return fmt.Errorf("flag (?U) UNICODE_CHARACTER_CLASS is not supported")
			case 'c':
				return fmt.Errorf("flag (?c) CANON_EQ is not supported")
			case '-':
				if !on {
					return fmt.Errorf("unknown inline modifier near index %d", tr.pos-1)
				}
				on = false
				continue
			case ')', ':':
				// case folding is spelled out per literal and class
				// (see literal), so no flag reaches the output
				fl := ""
				_, _ = re2on, re2off
				if c == ')' {
					tr.f = nf
					if fl != "" {
						tr.emit("(?"+fl+")", "(?"+fl+")")
					}
					return nil
				}
				tr.pushGroup("(?"+fl+":", "(?"+fl+":")
				tr.f = nf
				return nil
			default:
				return fmt.Errorf("unknown inline modifier '%c' near index %d", c, tr.pos-1)
			}
		}
	}
	return nil
}

func (tr *translator) caret() {
	if !tr.f.m {
		tr.emit(`^`, `\A`)
		return
	}
	tr.needNet("multi-line ^")
	if tr.f.d {
		tr.emit(`^`, `(?=[\s\S])(?:\A|(?<=\n))`)
		return
	}
	tr.emit(`^`, `(?=[\s\S])(?:\A|(?<=[\n\u0085\u2028\u2029])|(?<=\r)(?!\n))`)
}

func (tr *translator) dollar() {
	if !tr.f.m && tr.mode == modeFull && tr.depth == 0 {
		// at the end of a top-level alternative, in a full match, `$`
		// can only be evaluated at end of input, where it always holds.
		save := tr.pos
		tr.skipComments()
		c, ok := tr.peek()
		tr.pos = save
		if !ok || c == '|' {
			return
		}
	}
	tr.needNet("$")
	switch {
	case tr.f.m && tr.f.d:
		tr.emit(`$`, `(?=\n|\z)`)
	case tr.f.m:
		tr.emit(`$`, `(?:\z|(?=[\r\u0085\u2028\u2029])|(?<!\r)(?=\n))`)
	case tr.f.d:
		tr.emit(`$`, `(?=\n?\z)`)
	default:
		tr.emit(`$`, `(?:\z|(?=\r\n\z)|(?=[\r\u0085\u2028\u2029]\z)|(?<!\r)(?=\n\z))`)
	}
}

// quantifier parses an optional quantifier after an atom.
func (tr *translator) quantifier() error {
	tr.skipComments()
	c, ok := tr.peek()
	if !ok {
		return nil
	}
	var q string
	switch c {
	case '*', '+', '?':
		tr.pos++
		q = string(c)
	case '{':
		start := tr.pos
		tr.pos++
		lo, ok1 := tr.number()
		if !ok1 {
			return fmt.Errorf("illegal repetition near index %d", start)
		}
		hi := lo
		hasHi := true
		if c2, _ := tr.peek(); c2 == ',' {
			tr.pos++
			if c3, _ := tr.peek(); c3 == '}' {
				hasHi = false
			} else {
				h, ok2 := tr.number()
				if !ok2 {
					return fmt.Errorf("illegal repetition near index %d", start)
				}
				hi = h
			}
		}
		if c2, _ := tr.peek(); c2 != '}' {
			return fmt.Errorf("unclosed counted closure near index %d", tr.pos)
		}
		tr.pos++
		if hasHi && hi < lo {
			return fmt.Errorf("illegal repetition range near index %d", start)
		}
		if lo > 1000 || (hasHi && hi > 1000) {
			tr.needNet("repetition count above 1000")
		}
		q = "{" + strconv.Itoa(lo)
		if !hasHi {
			q += ","
		} else if hi != lo {
			q += "," + strconv.Itoa(hi)
		}
		q += "}"
	default:
		return nil
	}
	if tr.atomRE2 < 0 {
		return fmt.Errorf("dangling meta character '%s'", q)
	}
	// wrap the atom so that the quantifier applies to all of it
	if c2, ok := tr.peek(); ok && c2 == '?' {
		tr.pos++
		tr.emit(q+"?", q+"?")
	} else if ok && c2 == '+' {
		tr.pos++
		tr.needNet("possessive quantifier " + q + "+")
		n := tr.net.String()
		tr.net.Reset()
		tr.net.WriteString(n[:tr.atomNet])
		tr.net.WriteString("(?>")
		tr.net.WriteString(n[tr.atomNet:])
		tr.net.WriteString(q + ")")
		tr.re2.WriteString(q)
	} else {
		tr.emit(q, q)
	}
	tr.atomRE2, tr.atomNet = -1, -1
	// Java allows stacked quantifiers only via groups; a second one is an error
	if c3, ok := tr.peek(); ok && (c3 == '*' || c3 == '+' || c3 == '?') {
		return fmt.Errorf("dangling meta character '%c' near index %d", c3, tr.pos)
	}
	return nil
}

func (tr *translator) number() (int, bool) {
	start := tr.pos
	for tr.pos < len(tr.src) && tr.src[tr.pos] >= '0' && tr.src[tr.pos] <= '9' {
		tr.pos++
	}
	if tr.pos == start || tr.pos-start > 9 {
		return 0, false
	}
	n, _ := strconv.Atoi(string(tr.src[start:tr.pos]))
	return n, true
}

func (tr *translator) literal(c rune) {
	if tr.f.i {
		if tr.f.u {
			tr.emit("(?i:"+quoteRE2(c)+")", "(?i:"+quoteNet(c)+")")
			return
		}
		// Java's CASE_INSENSITIVE without UNICODE_CASE folds ASCII only
		if lc := c | 0x20; lc >= 'a' && lc <= 'z' {
			pair := string(lc) + string(lc-0x20)
			tr.emit("["+pair+"]", "["+pair+"]")
			return
		}
	}
	tr.emit(quoteRE2(c), quoteNet(c))
}

// asciiFoldExtra returns the case-swapped ASCII letters of [lo-hi] as class
// items (Java's ASCII case-insensitive ranges).
func asciiFoldExtra(lo, hi rune) rangeSet {
	var rs rangeSet
	if a, b := max(lo, 'a'), min(hi, 'z'); a <= b {
		rs = append(rs, a-0x20, b-0x20)
	}
	if a, b := max(lo, 'A'), min(hi, 'Z'); a <= b {
		rs = append(rs, a+0x20, b+0x20)
	}
	return rs
}

func quoteRE2(c rune) string {
	if c < 128 && strings.ContainsRune(`\.+*?()|[]{}^$#&-~ `, c) {
		return `\` + string(c)
	}
	if c < 0x20 || c == 0x7F || !utf8.ValidRune(c) {
		return fmt.Sprintf(`\x{%X}`, c)
	}
	return string(c)
}

func quoteNet(c rune) string {
	if c < 128 && strings.ContainsRune(`\.+*?()|[]{}^$#&-~ `, c) {
		return `\` + string(c)
	}
	if c < 0x20 || c == 0x7F {
		return fmt.Sprintf(`\x%02X`, c)
	}
	if c > 0xFFFF || (c >= 0xD800 && c <= 0xDFFF) {
		return string(c)
	}
	if c >= 0x80 {
		return fmt.Sprintf(`\u%04X`, c)
	}
	return string(c)
}

// rangeSet is a set of rune ranges (inclusive pairs).
type rangeSet []rune

var (
	rsDigit = rangeSet{'0', '9'}
	rsWord  = rangeSet{'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}
	rsSpace = rangeSet{'\t', '\r', ' ', ' '} // \t \n \x0B \f \r and space
	rsH     = rangeSet{'\t', '\t', ' ', ' ', 0xA0, 0xA0, 0x1680, 0x1680, 0x180E, 0x180E, 0x2000, 0x200A, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000}
	rsV     = rangeSet{'\n', '\r', 0x85, 0x85, 0x2028, 0x2029}
)

var posixSets = map[string]rangeSet{
	"Lower":  {'a', 'z'},
	"Upper":  {'A', 'Z'},
	"ASCII":  {0, 0x7F},
	"Alpha":  {'A', 'Z', 'a', 'z'},
	"Digit":  {'0', '9'},
	"Alnum":  {'0', '9', 'A', 'Z', 'a', 'z'},
	"Punct":  {'!', '/', ':', '@', '[', '`', '{', '~'},
	"Graph":  {'!', '~'},
	"Print":  {' ', '~'},
	"Blank":  {'\t', '\t', ' ', ' '},
	"Cntrl":  {0, 0x1F, 0x7F, 0x7F},
	"XDigit": {'0', '9', 'A', 'F', 'a', 'f'},
	"Space":  {'\t', '\r', ' ', ' '},
}

func (rs rangeSet) negate() rangeSet {
	var out rangeSet
	next := rune(0)
	for i := 0; i < len(rs); i += 2 {
		if rs[i] > next {
			out = append(out, next, rs[i]-1)
		}
		next = rs[i+1] + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, next, unicode.MaxRune)
	}
	return out
}

// items renders the ranges as class items for both dialects.
func (rs rangeSet) items() (string, string) {
	var a, b strings.Builder
	for i := 0; i < len(rs); i += 2 {
		lo, hi := rs[i], rs[i+1]
		a.WriteString(classCharRE2(lo))
		b.WriteString(classCharNet(lo))
		if hi != lo {
			a.WriteString("-" + classCharRE2(hi))
			b.WriteString("-" + classCharNet(hi))
		}
	}
	return a.String(), b.String()
}

func classCharRE2(c rune) string {
	if c < 0x20 || c >= 0x7F || strings.ContainsRune(`\]^-[`, c) {
		if c >= 0xA0 && c != 0xAD && unicode.IsPrint(c) && c <= unicode.MaxRune {
			return string(c)
		}
		return fmt.Sprintf(`\x{%X}`, c)
	}
	return string(c)
}

func classCharNet(c rune) string {
	if c < 0x20 || c == 0x7F || strings.ContainsRune(`\]^-[`, c) {
		return fmt.Sprintf(`\x%02X`, c)
	}
	if c >= 0x80 && c <= 0xFFFF {
		return fmt.Sprintf(`\u%04X`, c)
	}
	return string(c)
}

// propertyItems resolves \p{name} / \P{name}.
func (tr *translator) property(neg bool) (string, string, error) {
	c, ok := tr.peek()
	if !ok {
		return "", "", fmt.Errorf("illegal Unicode property escape")
	}
	var name string
	if c == '{' {
		end := tr.pos + 1
		for end < len(tr.src) && tr.src[end] != '}' {
			end++
		}
		if end >= len(tr.src) {
			return "", "", fmt.Errorf("unclosed character family")
		}
		name = string(tr.src[tr.pos+1 : end])
		tr.pos = end + 1
	} else {
		name = string(c)
		tr.pos++
	}
	p := "p"
	if neg {
		p = "P"
	}
	if rs, ok := posixSets[name]; ok {
		if neg {
			rs = rs.negate()
		}
		a, b := rs.items()
		return a, b, nil
	}
	cat := name
	for _, pre := range []string{"general_category=", "gc=", "Is"} {
		if strings.HasPrefix(cat, pre) {
			cat = strings.TrimPrefix(cat, pre)
			break
		}
	}
	if _, ok := unicode.Categories[cat]; ok && len(cat) <= 2 {
		s := `\` + p + `{` + cat + `}`
		return s, s, nil
	}
	// A script needs its prefix: Java rejects \p{Latin} ("Unknown
	// character property name {Latin}"), accepts \p{IsLatin},
	// \p{script=Latin} and \p{sc=Latin}.
	scr, prefixed := "", false
	for _, pre := range []string{"script=", "sc=", "Is"} {
		if strings.HasPrefix(name, pre) {
			scr, prefixed = strings.TrimPrefix(name, pre), true
			break
		}
	}
	for k := range unicode.Scripts {
		if prefixed && strings.EqualFold(k, scr) {
			tr.netBad(`\p{` + name + `} (Unicode script)`)
			return `\` + p + `{` + k + `}`, "", nil
		}
	}
	return "", "", fmt.Errorf("unsupported construct \\%s{%s}", p, name)
}

// isPropertyEscape reports whether a translated property is a single
// \p{...} or \P{...} escape (a category or a script), not class items.
func isPropertyEscape(a string) bool {
	return (strings.HasPrefix(a, `\p{`) || strings.HasPrefix(a, `\P{`)) && strings.IndexByte(a, '}') == len(a)-1
}

// charEscape parses the escapes that denote one character; ok=false when
// the escape is not a character escape.
func (tr *translator) charEscape(c rune) (rune, bool, error) {
	switch c {
	case 't':
		return '\t', true, nil
	case 'n':
		return '\n', true, nil
	case 'r':
		return '\r', true, nil
	case 'f':
		return '\f', true, nil
	case 'a':
		return 7, true, nil
	case 'e':
		return 0x1B, true, nil
	case '0':
		v := 0
		n := 0
		for n < 3 && tr.pos < len(tr.src) && tr.src[tr.pos] >= '0' && tr.src[tr.pos] <= '7' {
			nv := v*8 + int(tr.src[tr.pos]-'0')
			if nv > 0377 {
				break
			}
			v = nv
			tr.pos++
			n++
		}
		if n == 0 {
			return 0, false, fmt.Errorf("illegal octal escape sequence")
		}
		return rune(v), true, nil
	case 'x':
		if tr.pos < len(tr.src) && tr.src[tr.pos] == '{' {
			end := tr.pos + 1
			for end < len(tr.src) && tr.src[end] != '}' {
				end++
			}
			if end >= len(tr.src) {
				return 0, false, fmt.Errorf("unclosed hexadecimal escape sequence")
			}
			v, err := strconv.ParseUint(string(tr.src[tr.pos+1:end]), 16, 32)
			if err != nil || v > unicode.MaxRune {
				return 0, false, fmt.Errorf("illegal hexadecimal escape sequence")
			}
			tr.pos = end + 1
			return rune(v), true, nil
		}
		if tr.pos+2 > len(tr.src) {
			return 0, false, fmt.Errorf("illegal hexadecimal escape sequence")
		}
		v, err := strconv.ParseUint(string(tr.src[tr.pos:tr.pos+2]), 16, 8)
		if err != nil {
			return 0, false, fmt.Errorf("illegal hexadecimal escape sequence")
		}
		tr.pos += 2
		return rune(v), true, nil
	case 'u':
		if tr.pos+4 > len(tr.src) {
			return 0, false, fmt.Errorf("illegal Unicode escape sequence")
		}
		v, err := strconv.ParseUint(string(tr.src[tr.pos:tr.pos+4]), 16, 16)
		if err != nil {
			return 0, false, fmt.Errorf("illegal Unicode escape sequence")
		}
		tr.pos += 4
		r := rune(v)
		if r >= 0xD800 && r < 0xDC00 && tr.pos+6 <= len(tr.src) && tr.src[tr.pos] == '\\' && tr.src[tr.pos+1] == 'u' {
			if v2, err := strconv.ParseUint(string(tr.src[tr.pos+2:tr.pos+6]), 16, 16); err == nil && v2 >= 0xDC00 && v2 <= 0xDFFF {
				tr.pos += 6
				return (r-0xD800)<<10 + (rune(v2) - 0xDC00) + 0x10000, true, nil
			}
		}
		if r >= 0xD800 && r <= 0xDFFF {
			return 0, false, fmt.Errorf("unsupported construct: lone surrogate \\u%04X", r)
		}
		return r, true, nil
	case 'c':
		if tr.pos >= len(tr.src) {
			return 0, false, fmt.Errorf("illegal control escape sequence")
		}
		r := tr.src[tr.pos] ^ 64
		tr.pos++
		return r, true, nil
	}
	if c < 128 && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
		return c, true, nil
	}
	if c >= 128 {
		return c, true, nil
	}
	return 0, false, nil
}

// setEscape handles escapes that denote a set of characters.
func (tr *translator) setEscape(c rune) (rangeSet, bool) {
	switch c {
	case 'd':
		return rsDigit, true
	case 'D':
		return rsDigit.negate(), true
	case 'w':
		return rsWord, true
	case 'W':
		return rsWord.negate(), true
	case 's':
		return rsSpace, true
	case 'S':
		return rsSpace.negate(), true
	case 'h':
		return rsH, true
	case 'H':
		return rsH.negate(), true
	case 'v':
		return rsV, true
	case 'V':
		return rsV.negate(), true
	}
	return nil, false
}

func (tr *translator) escape() error {
	c, ok := tr.peek()
	if !ok {
		return fmt.Errorf("unexpected internal error: trailing backslash")
	}
	tr.pos++
	if rs, ok := tr.setEscape(c); ok {
		a, b := rs.items()
		tr.emit("["+a+"]", "["+b+"]")
		return nil
	}
	switch c {
	case 'p', 'P':
		a, b, err := tr.property(c == 'P')
		if err != nil {
			return err
		}
		// A POSIX property comes back as class items, which may start
		// with a backslash too (\x{9}-\x{D} for \p{Space}): only a
		// Unicode category or script escape stands on its own.
		if isPropertyEscape(a) {
			tr.emit(a, b)
		} else {
			tr.emit("["+a+"]", "["+b+"]")
		}
		return nil
	case 'b', 'B':
		tr.needNet(`\` + string(c) + ` (Java word boundary with Unicode letters)`)
		tr.emit(`\`+string(c), `\`+string(c))
		tr.atomRE2, tr.atomNet = -1, -1
		return nil
	case 'A':
		tr.emit(`\A`, `\A`)
		return nil
	case 'z':
		tr.emit(`\z`, `\z`)
		return nil
	case 'Z':
		tr.needNet(`\Z`)
		if tr.f.d {
			tr.emit(`\Z`, `(?=\n?\z)`)
		} else {
			tr.emit(`\Z`, `(?:\z|(?=\r\n\z)|(?=[\r\u0085\u2028\u2029]\z)|(?<!\r)(?=\n\z))`)
		}
		return nil
	case 'G':
		tr.needNet(`\G`)
		tr.emit(`\G`, `\G`)
		return nil
	case 'R':
		tr.needNet(`\R`)
		tr.emit(`\R`, `(?:\r\n|[\n\x0B\f\r\u0085\u2028\u2029])`)
		return nil
	case 'Q':
		end := tr.pos
		for end < len(tr.src) && !(tr.src[end] == '\\' && end+1 < len(tr.src) && tr.src[end+1] == 'E') {
			end++
		}
		lit := tr.src[tr.pos:end]
		if end < len(tr.src) {
			tr.pos = end + 2
		} else {
			tr.pos = end
		}
		if len(lit) == 0 {
			tr.atomRE2, tr.atomNet = -1, -1
			return nil
		}
		for i, r := range lit {
			if i == len(lit)-1 {
				tr.markAtom()
			}
			tr.literal(r)
		}
		return nil
	case 'k':
		if tr.pos >= len(tr.src) || tr.src[tr.pos] != '<' {
			return fmt.Errorf("\\k is not followed by '<' for named capturing group")
		}
		end := tr.pos + 1
		for end < len(tr.src) && tr.src[end] != '>' {
			end++
		}
		if end >= len(tr.src) {
			return fmt.Errorf("named capturing group is missing trailing '>'")
		}
		name := string(tr.src[tr.pos+1 : end])
		n, ok := tr.t.names[name]
		if !ok {
			return fmt.Errorf("named capturing group <%s> does not exist", name)
		}
		tr.pos = end + 1
		tr.needNet(`back-reference \k<` + name + `>`)
		if tr.f.i {
			tr.emit(`\k`, fmt.Sprintf(`(?i:\%d)`, n))
		} else {
			tr.emit(`\k`, fmt.Sprintf(`\%d(?:)`, n))
		}
		return nil
	}
	if c >= '1' && c <= '9' {
		// Java: take as many digits as form an existing group number
		n := int(c - '0')
		for tr.pos < len(tr.src) && tr.src[tr.pos] >= '0' && tr.src[tr.pos] <= '9' {
			nn := n*10 + int(tr.src[tr.pos]-'0')
			if nn > tr.t.groups {
				break
			}
			n = nn
			tr.pos++
		}
		tr.needNet(fmt.Sprintf(`back-reference \%d`, n))
		if n > tr.t.groups {
			// Java: a reference to a group that does not exist never matches
			tr.emit(`\1`, `(?!)`)
			return nil
		}
		if tr.f.i {
			tr.emit(`\1`, fmt.Sprintf(`(?i:\%d)`, n))
		} else {
			tr.emit(`\1`, fmt.Sprintf(`\%d(?:)`, n))
		}
		return nil
	}
	r, ok, err := tr.charEscape(c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("unsupported construct \\%c", c)
	}
	tr.literal(r)
	return nil
}

// class parses a character class after '['.
func (tr *translator) class() error {
	var a, b strings.Builder
	neg := false
	if c, ok := tr.peek(); ok && c == '^' {
		neg = true
		tr.pos++
	}
	first := true
	prevChar := rune(-1) // a single char that may start a range
	var extra rangeSet   // ASCII case-folded additions
	for {
		if tr.f.x {
			tr.skipComments()
		}
		c, ok := tr.peek()
		if !ok {
			return fmt.Errorf("unclosed character class")
		}
		tr.pos++
		switch {
		case c == ']' && !first:
			goto done
		case c == ']' && first:
			return fmt.Errorf("unsupported construct: ']' at the start of a character class")
		case c == '[':
			return fmt.Errorf("unsupported construct: nested character class (union)")
		case c == '&' && tr.pos < len(tr.src) && tr.src[tr.pos] == '&':
			return fmt.Errorf("unsupported construct: character class intersection &&")
		case c == '-' && prevChar >= 0 && tr.pos < len(tr.src) && tr.src[tr.pos] != ']':
			// range
			hc := tr.src[tr.pos]
			tr.pos++
			hi := hc
			if hc == '\\' {
				if tr.pos >= len(tr.src) {
					return fmt.Errorf("unclosed character class")
				}
				e := tr.src[tr.pos]
				tr.pos++
				r, ok, err := tr.charEscape(e)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("illegal character range")
				}
				hi = r
			} else if hc == '[' {
				return fmt.Errorf("unsupported construct: nested character class (union)")
			}
			if hi < prevChar {
				return fmt.Errorf("illegal character range")
			}
			a.WriteString("-" + classCharRE2(hi))
			b.WriteString("-" + classCharNet(hi))
			extra = append(extra, asciiFoldExtra(prevChar, hi)...)
			prevChar = -1
		case c == '\\':
			if tr.pos >= len(tr.src) {
				return fmt.Errorf("unclosed character class")
			}
			e := tr.src[tr.pos]
			tr.pos++
			if rs, ok := tr.setEscape(e); ok {
				x, y := rs.items()
				a.WriteString(x)
				b.WriteString(y)
				prevChar = -1
				break
			}
			if e == 'p' || e == 'P' {
				x, y, err := tr.property(e == 'P')
				if err != nil {
					return err
				}
				a.WriteString(x)
				b.WriteString(y)
				prevChar = -1
				break
			}
			if e == 'Q' {
				end := tr.pos
				for end < len(tr.src) && !(tr.src[end] == '\\' && end+1 < len(tr.src) && tr.src[end+1] == 'E') {
					end++
				}
				for _, r := range tr.src[tr.pos:end] {
					a.WriteString(classCharRE2(r))
					b.WriteString(classCharNet(r))
				}
				tr.pos = end + 2
				if tr.pos > len(tr.src) {
					tr.pos = len(tr.src)
				}
				prevChar = -1
				break
			}
			r, ok, err := tr.charEscape(e)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("unsupported construct \\%c in a character class", e)
			}
			a.WriteString(classCharRE2(r))
			b.WriteString(classCharNet(r))
			extra = append(extra, asciiFoldExtra(r, r)...)
			prevChar = r
		default:
			a.WriteString(classCharRE2(c))
			b.WriteString(classCharNet(c))
			extra = append(extra, asciiFoldExtra(c, c)...)
			prevChar = c
		}
		first = false
	}
done:
	pre := "["
	if neg {
		pre = "[^"
	}
	if tr.f.i && tr.f.u {
		tr.emit("(?i:"+pre+a.String()+"])", "(?i:"+pre+b.String()+"])")
		return nil
	}
	if tr.f.i {
		x, y := extra.items()
		a.WriteString(x)
		b.WriteString(y)
	}
	tr.emit(pre+a.String()+"]", pre+b.String()+"]")
	return nil
}
