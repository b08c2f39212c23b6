// Package javaregex compiles the Java regular expressions that agent.json
// carries (matchPattern, multiLineStartPattern, fileFooterPattern, the CSV
// delimiter) so that they behave as java.util.regex does, or are rejected
// with an error that names the construct. It is a leaf package used by the
// config loader, the tailer and the processors.
//
// A Java pattern is translated construct by construct. When every construct
// has an exact RE2 equivalent the Go regexp engine runs it (linear time).
// Otherwise (look-around, back-references, possessive quantifiers, atomic
// groups, Java's `$` and multi-line `^`, Unicode `\b`, \Z, \R, \G) the
// pattern runs on github.com/dlclark/regexp2, a backtracking engine, with the
// translation spelling out Java's semantics. Java's `.` excludes all line
// terminators, `\s` includes \x0B, `\w`/`\d` are ASCII, POSIX classes
// (\p{Alpha}, ...) are ASCII, in both engines.
//
// Known residual differences (documented in docs/compat/processors.md):
// case-insensitive matching folds Unicode letters (Java folds ASCII only
// unless (?u) is given); the backtracking engine counts positions in code
// points, not UTF-16 units (only visible when a zero-width delimiter splits
// a supplementary character); a backtracking match that runs longer than
// MatchTimeout counts as "no match" (Java would run forever).
package javaregex

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Flags are Java Pattern flags that the agent uses.
type Flags int

const (
	// Multiline is Pattern.MULTILINE (^ and $ match at line terminators).
	Multiline Flags = 1 << iota
)

// MatchTimeout bounds one backtracking match (a runaway pattern would hang
// a Java agent; here the record simply does not match).
const MatchTimeout = 2 * time.Second

// Regexp is a compiled Java regular expression. It is safe for concurrent
// use.
type Regexp struct {
	src     string
	ngroups int

	// RE2 engines (nil when the backtracking engine is needed)
	full, start, find *regexp.Regexp
	// regexp2 engines
	bfull, bstart, bfind *regexp2.Regexp
	// groupsNet gives Java's groups when RE2's would differ
	groupsNet *regexp2.Regexp
	// splitRE2 is true when FindAll on the RE2 engine gives Java's find()
	// sequence (the pattern cannot match the empty string).
	splitRE2 bool
	// Backtracking reports which construct needed the backtracking engine
	// ("" when RE2 runs the pattern).
	backtrack string
	// literal is the text the pattern matches when it is a plain literal
	// (no operators, case-sensitive), for byte-search fast paths.
	literal   string
	isLiteral bool
}

// Compile compiles a Java pattern.
func Compile(pattern string, flags Flags) (*Regexp, error) {
	tf, err := translate(pattern, flags, modeFull)
	if err != nil {
		return nil, err
	}
	ts, err := translate(pattern, flags, modeSearch)
	if err != nil {
		return nil, err
	}
	r := &Regexp{src: pattern, ngroups: ts.groups}
	bad := func(t *translation) error {
		return &SyntaxError{Pattern: pattern, Msg: fmt.Sprintf("unsupported construct: %s cannot be combined with %s", t.netBad, t.re2Bad)}
	}
	if !tf.needNet {
		r.full, err = regexp.Compile(`^(?:` + tf.re2 + `)\z`)
		if err != nil {
			tf.needNet, tf.re2Bad = true, err.Error()
		} else if tf.netBad == "" && loopCanRepeatEmptyCapture(tf.re2) {
			// RE2 reports the last non-empty iteration of a loop whose body
			// can match empty; Java reports the final empty iteration. The
			// match result is the same, the groups are not: take the
			// groups from the backtracking engine.
			r.groupsNet, _ = compile2(`\A(?:` + tf.net + `)\z`)
		}
	}
	if tf.needNet {
		if tf.netBad != "" {
			return nil, bad(tf)
		}
		if r.bfull, err = compile2(`\A(?:` + tf.net + `)\z`); err != nil {
			return nil, &SyntaxError{Pattern: pattern, Msg: err.Error()}
		}
	}
	if !ts.needNet {
		r.start, err = regexp.Compile(`^(?:` + ts.re2 + `)`)
		if err == nil {
			r.find, err = regexp.Compile(ts.re2)
		}
		if err != nil {
			ts.needNet, ts.re2Bad = true, err.Error()
			r.start, r.find = nil, nil
		}
	}
	if ts.needNet {
		r.backtrack = ts.re2Bad
		if ts.netBad != "" {
			return nil, bad(ts)
		}
		if r.bstart, err = compile2(`\A(?:` + ts.net + `)`); err != nil {
			return nil, &SyntaxError{Pattern: pattern, Msg: err.Error()}
		}
		if r.bfind, err = compile2(ts.net); err != nil {
			return nil, &SyntaxError{Pattern: pattern, Msg: err.Error()}
		}
	} else {
		if re, err := syntax.Parse(ts.re2, syntax.Perl); err == nil {
			if re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 {
				r.literal, r.isLiteral = string(re.Rune), true
			}
		}
		r.splitRE2 = !canMatchEmpty(ts.re2)
		if !r.splitRE2 && ts.netBad == "" {
			if r.bfind, err = compile2(ts.net); err != nil {
				r.bfind = nil
			}
		}
		if !r.splitRE2 && r.bfind == nil {
			return nil, &SyntaxError{Pattern: pattern, Msg: "unsupported construct: " + ts.netBad + " in a pattern that can match the empty string"}
		}
	}
	return r, nil
}

func compile2(p string) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(p, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = MatchTimeout
	return re, nil
}

// loopCanRepeatEmptyCapture reports whether the pattern has a loop (*, +,
// {n,} or {n,m} with m > 1) whose body contains a capture group and can
// match the empty string.
func loopCanRepeatEmptyCapture(p string) bool {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return true
	}
	var walk func(*syntax.Regexp) bool
	hasCap := func(re *syntax.Regexp) bool {
		found := false
		var w func(*syntax.Regexp)
		w = func(x *syntax.Regexp) {
			if x.Op == syntax.OpCapture {
				found = true
			}
			for _, s := range x.Sub {
				w(s)
			}
		}
		w(re)
		return found
	}
	walk = func(x *syntax.Regexp) bool {
		loop := x.Op == syntax.OpStar || x.Op == syntax.OpPlus || (x.Op == syntax.OpRepeat && (x.Max == -1 || x.Max > 1))
		if loop && minWidth(x.Sub[0]) == 0 && hasCap(x.Sub[0]) {
			return true
		}
		for _, s := range x.Sub {
			if walk(s) {
				return true
			}
		}
		return false
	}
	return walk(re)
}

// canMatchEmpty reports whether an RE2 pattern can match the empty string
// (ignoring assertions, which is conservative).
func canMatchEmpty(p string) bool {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return true
	}
	return minWidth(re) == 0
}

func minWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch:
		return 1 << 30
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minWidth(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minWidth(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minWidth(s)
		}
		return n
	case syntax.OpAlternate:
		n := 1 << 30
		for _, s := range re.Sub {
			if w := minWidth(s); w < n {
				n = w
			}
		}
		return n
	}
	return 0
}

// MustCompile is Compile for patterns known to be valid.
func MustCompile(pattern string, flags Flags) *Regexp {
	r, err := Compile(pattern, flags)
	if err != nil {
		panic(err)
	}
	return r
}

// String returns the pattern as written.
func (r *Regexp) String() string { return r.src }

// Backtracking returns the construct that made the pattern run on the
// backtracking engine, or "" when it runs on RE2.
func (r *Regexp) Backtracking() string { return r.backtrack }

// LookingAt reports whether a match starts at the beginning of b
// (Java Matcher.lookingAt).
func (r *Regexp) LookingAt(b []byte) bool {
	if r.start != nil {
		return r.start.Match(b)
	}
	ok, err := r.bstart.MatchString(string(b))
	return ok && err == nil
}

// Find reports whether a match occurs anywhere in b (Java Matcher.find).
func (r *Regexp) Find(b []byte) bool {
	if r.find != nil {
		return r.find.Match(b)
	}
	ok, err := r.bfind.MatchString(string(b))
	return ok && err == nil
}

// Matches reports whether the whole of s matches (Java Matcher.matches).
func (r *Regexp) Matches(s string) bool {
	if r.full != nil {
		return r.full.MatchString(s)
	}
	ok, err := r.bfull.MatchString(s)
	return ok && err == nil
}

// MatchGroups matches the whole of s and returns the capture groups
// (index 0 is group 1); ok is false when s does not match. A group that
// did not take part in the match is reported with present[i] == false.
func (r *Regexp) MatchGroups(s string) (groups []string, present []bool, ok bool) {
	idx, ok := r.MatchIndex(nil, s)
	if !ok {
		return nil, nil, false
	}
	n := r.ngroups
	groups = make([]string, n)
	present = make([]bool, n)
	for i := 0; i < n; i++ {
		if idx[2*i] >= 0 {
			groups[i] = s[idx[2*i]:idx[2*i+1]]
			present[i] = true
		}
	}
	return groups, present, true
}

// MatchIndex matches the whole of s and appends to dst[:0] the byte
// offsets of groups 1..NumGroups as pairs (-1, -1 for a group that did not
// take part in the match).
func (r *Regexp) MatchIndex(dst []int, s string) ([]int, bool) {
	dst = dst[:0]
	if r.full != nil && r.groupsNet == nil {
		idx := r.full.FindStringSubmatchIndex(s)
		if idx == nil {
			return dst, false
		}
		return append(dst, idx[2:]...), true
	}
	bre := r.bfull
	if r.groupsNet != nil {
		bre = r.groupsNet
	}
	m, err := bre.FindStringMatch(s)
	if err != nil || m == nil {
		return dst, false
	}
	conv := newRuneToByte(s)
	for i := 1; i <= r.ngroups; i++ {
		g := m.GroupByNumber(i)
		if g == nil || len(g.Captures) == 0 {
			dst = append(dst, -1, -1)
			continue
		}
		dst = append(dst, conv.at(g.Index), conv.at(g.Index+g.Length))
	}
	return dst, true
}

// runeToByte maps rune indices (regexp2) to byte offsets.
type runeToByte struct {
	s       string
	ri, bi  int
	isASCII bool
}

func newRuneToByte(s string) *runeToByte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	return &runeToByte{s: s, isASCII: ascii}
}

func (c *runeToByte) at(ri int) int {
	if c.isASCII {
		return ri
	}
	if ri < c.ri {
		c.ri, c.bi = 0, 0
	}
	for c.ri < ri && c.bi < len(c.s) {
		_, w := utf8.DecodeRuneInString(c.s[c.bi:])
		c.bi += w
		c.ri++
	}
	return c.bi
}

// findAll returns the matches Java's repeated Matcher.find() reports, as
// byte offset pairs.
func (r *Regexp) findAll(s string) [][2]int {
	var out [][2]int
	if r.splitRE2 && r.find != nil {
		for _, m := range r.find.FindAllStringIndex(s, -1) {
			out = append(out, [2]int{m[0], m[1]})
		}
		return out
	}
	conv := newRuneToByte(s)
	m, err := r.bfind.FindStringMatch(s)
	for err == nil && m != nil {
		out = append(out, [2]int{conv.at(m.Index), conv.at(m.Index + m.Length)})
		m, err = r.bfind.FindNextMatch(m)
	}
	return out
}

// Literal returns the text the pattern matches when it is a plain
// case-sensitive literal (such as `,` or `\t` or `\|`), so that callers can
// use a byte search instead of the regex engine.
func (r *Regexp) Literal() (string, bool) { return r.literal, r.isLiteral }

// SplitIndex is Split returning the fields as byte offset pairs into s.
func (r *Regexp) SplitIndex(dst [][2]int, s string) [][2]int {
	dst = dst[:0]
	index := 0
	for _, m := range r.findAll(s) {
		if index == 0 && m[0] == 0 && m[1] == 0 {
			continue
		}
		dst = append(dst, [2]int{index, m[0]})
		index = m[1]
	}
	if index == 0 {
		return append(dst, [2]int{0, len(s)})
	}
	dst = append(dst, [2]int{index, len(s)})
	n := len(dst)
	for n > 0 && dst[n-1][0] == dst[n-1][1] {
		n--
	}
	return dst[:n]
}

// Split splits s around matches as Java's String.split(regex) does (limit
// 0): a zero-width match at the beginning never produces an empty leading
// field, trailing empty fields are removed, and no match at all yields s.
func (r *Regexp) Split(s string) []string {
	ms := r.findAll(s)
	var list []string
	index := 0
	for _, m := range ms {
		if index == 0 && m[0] == 0 && m[1] == 0 {
			continue
		}
		list = append(list, s[index:m[0]])
		index = m[1]
	}
	if index == 0 {
		return []string{s}
	}
	list = append(list, s[index:])
	n := len(list)
	for n > 0 && list[n-1] == "" {
		n--
	}
	return list[:n]
}

// NumGroups is the number of capture groups.
func (r *Regexp) NumGroups() int { return r.ngroups }
