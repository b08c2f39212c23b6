package tail

import (
	"errors"
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzGlobCompile: compileGlob never panics and fails only with ErrBadGlob;
// a pattern without Java glob metacharacters ('*', '?', '[', '{', '\')
// compiles and matches exactly itself ('}' and ',' outside a group are
// literals in Java); and the same text with every rune escaped by '\'
// compiles and matches exactly itself too.
func FuzzGlobCompile(f *testing.F) {
	for _, s := range []string{"app.log", "*.log", "a}b,c", "{a,b}", "[!a-c]x", "[^a]", `\*`, "[]]", "[-]", "é日😀", "a+(b)$^|.log"} {
		f.Add(s, s)
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, pat, name string) {
		g, err := compileGlob(pat)
		if err != nil && !errors.Is(err, ErrBadGlob) {
			t.Fatalf("compileGlob(%q): error %v does not wrap ErrBadGlob", pat, err)
		}
		if err == nil {
			g.match(name) // must not panic, whatever the bytes
		}
		// Java turns a class into "[[^/]&&[...]]"; for an empty one, "[]" or
		// "[!]", the "]" right after "[" is a literal in Java's regex, so
		// the class never closes and Java rejects the glob, whatever
		// follows (checked on JDK 17: "[]", "[]]", "[]a]", "[!]]", "[]x[a]").
		for _, empty := range []string{"[]", "[!]"} {
			if _, err := compileGlob(empty + pat); err == nil {
				t.Fatalf("compileGlob(%q) accepted a glob Java rejects (empty class)", empty+pat)
			}
		}
		if !utf8.ValidString(pat) || !utf8.ValidString(name) {
			return // Java sees decoded names; exact-text properties need valid text
		}
		if !strings.ContainsAny(pat, `*?[{\`) {
			if err != nil {
				t.Fatalf("literal pattern %q rejected: %v", pat, err)
			}
			if !g.match(pat) {
				t.Fatalf("literal pattern %q does not match itself", pat)
			}
			if got := g.match(name); got != (name == pat) {
				t.Fatalf("literal pattern %q: match(%q) = %v", pat, name, got)
			}
		}
		var esc strings.Builder
		for _, r := range pat {
			esc.WriteByte('\\')
			esc.WriteRune(r)
		}
		ge, err := compileGlob(esc.String())
		if err != nil {
			t.Fatalf("escaped pattern %q rejected: %v", esc.String(), err)
		}
		if !ge.match(pat) {
			t.Fatalf("escaped pattern %q does not match %q", esc.String(), pat)
		}
		if got := ge.match(name); got != (name == pat) {
			t.Fatalf("escaped pattern %q: match(%q) = %v", esc.String(), name, got)
		}
	})
}

// globAtom is one piece of a generated pattern, written in both dialects,
// with a name piece that it matches.
type globAtom struct{ java, goPat, witness string }

type globProg struct {
	b []byte
	i int
}

func (p *globProg) next() int {
	if p.i >= len(p.b) {
		return 0
	}
	p.i++
	return int(p.b[p.i-1])
}

func (p *globProg) done() bool { return p.i >= len(p.b) }

// Literal runes, including those special in one dialect or the other.
var globLits = []rune{'a', 'b', 'Z', '0', '.', '-', '_', '^', '!', ']', '}', ',', '{', '*', '?', '[', '\\', '&', '$', '(', '+', '|', ' ', '~', 'é', '日', '😀'}

// Class members: no ']', '\' (an escape in Go, a literal in Java), '-'
// (ranges), '/' (rejected by Java), nor non-BMP runes (UTF-16 ranges in
// Java). '!' and '^' are not used first (negation in one dialect only).
var globClassRunes = []rune{'!', '&', '.', '0', '9', 'Z', '[', '^', '_', 'a', 'b', 'c', 'x', '{', '}', ',', '*', '?', 'é', '日'}

func (p *globProg) literal(inGroup bool) globAtom {
	r := globLits[p.next()%len(globLits)]
	j := string(r)
	if strings.ContainsRune(`*?[{\`, r) || (inGroup && strings.ContainsRune(`,}`, r)) || p.next()%4 == 0 {
		j = `\` + j // Java escapes any character
	}
	g := string(r)
	if strings.ContainsRune(`*?[\`, r) {
		g = `\` + g
	}
	return globAtom{j, g, string(r)}
}

func (p *globProg) class() globAtom {
	negate := p.next()%2 == 1
	var j, g strings.Builder
	var members []rune
	var ranges [][2]rune
	j.WriteByte('[')
	g.WriteByte('[')
	if negate {
		j.WriteByte('!')
		g.WriteByte('^')
	} else if p.next()%5 == 0 {
		j.WriteByte('^') // a literal '^' in Java
		g.WriteString(`\^`)
		members = append(members, '^')
	}
	if !(len(members) > 0) && p.next()%5 == 0 {
		j.WriteByte('-')
		g.WriteString(`\-`)
		members = append(members, '-')
	}
	n := p.next() % 4
	if n == 0 && len(members) == 0 {
		n = 1
	}
	lastSingle := false
	for k := 0; k < n; k++ {
		r := globClassRunes[p.next()%len(globClassRunes)]
		if j.Len() == 1 || j.String() == "[!" {
			for r == '!' || r == '^' {
				r = globClassRunes[p.next()%len(globClassRunes)]
				if p.done() {
					r = 'a'
				}
			}
		}
		if p.next()%3 == 0 {
			hi := globClassRunes[p.next()%len(globClassRunes)]
			if hi < r {
				r, hi = hi, r
			}
			if r == '!' || r == '^' {
				if j.Len() == 1 || j.String() == "[!" {
					r = '&'
				}
			}
			j.WriteString(string(r) + "-" + string(hi))
			g.WriteString(string(r) + "-" + string(hi))
			ranges = append(ranges, [2]rune{r, hi})
			lastSingle = false
			continue
		}
		j.WriteRune(r)
		g.WriteRune(r)
		members = append(members, r)
		lastSingle = true
	}
	if lastSingle && p.next()%5 == 0 {
		j.WriteByte('-') // "[a-]": a literal '-' in Java
		g.WriteString(`\-`)
		members = append(members, '-')
	}
	j.WriteByte(']')
	g.WriteByte(']')
	in := func(c rune) bool {
		for _, m := range members {
			if c == m {
				return true
			}
		}
		for _, rg := range ranges {
			if rg[0] <= c && c <= rg[1] {
				return true
			}
		}
		return false
	}
	w := ""
	pick := p.next()
	for k := 0; k < len(globLits); k++ {
		c := globLits[(pick+k)%len(globLits)]
		if c != '/' && in(c) != negate {
			w = string(c)
			break
		}
	}
	if w == "" && !negate && len(ranges) > 0 {
		w = string(ranges[0][0])
	}
	if w == "" {
		w = "\x00" // no candidate found: a name that cannot match
	}
	return globAtom{j.String(), g.String(), w}
}

func (p *globProg) atom(inGroup bool) globAtom {
	switch p.next() % 5 {
	case 0, 1:
		return p.literal(inGroup)
	case 2:
		a := globAtom{"*", "*", ""}
		if p.next()%3 == 0 {
			a.java = "**"
		}
		for k := p.next() % 3; k > 0; k-- {
			a.witness += string(globLits[p.next()%len(globLits)])
		}
		return a
	case 3:
		return globAtom{"?", "?", string(globLits[p.next()%len(globLits)])}
	default:
		return p.class()
	}
}

// FuzzGlobAgreesWithPathMatch builds a pattern in Java's dialect and its
// equivalent for path.Match (groups expanded into alternatives, '[!' as
// '[^', literal '^' and '-' escaped in classes), only from constructs whose
// meaning Java's glob and path.Match share on names without '/', and
// checks that compileGlob matches what path.Match matches: on the fuzzed
// name and on a name built to match.
func FuzzGlobAgreesWithPathMatch(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), "a.log")
	f.Add([]byte("\x04\x00\x02\x03\x01\x10\x20\x30\x40\x50\x60\x70"), "")
	f.Add([]byte("\x09\x04\x02\x03\x05\x01\x07\x11\x13\x17\x19\x23"), "x}")
	f.Fuzz(func(t *testing.T, prog []byte, name string) {
		p := &globProg{b: prog}
		var java strings.Builder
		goPats := []string{""}
		witness := ""
		groups := 0
		for n := 0; !p.done() && n < 10; n++ {
			if op := p.next(); op%6 == 5 && groups < 2 {
				groups++
				nalts := 1 + p.next()%3
				java.WriteByte('{')
				var alts []globAtom
				for a := 0; a < nalts; a++ {
					if a > 0 {
						java.WriteByte(',')
					}
					var alt globAtom
					for k := p.next() % 3; k > 0; k-- {
						at := p.atom(true)
						alt.java += at.java
						alt.goPat += at.goPat
						alt.witness += at.witness
					}
					java.WriteString(alt.java)
					alts = append(alts, alt)
				}
				java.WriteByte('}')
				var np []string
				for _, gp := range goPats {
					for _, alt := range alts {
						np = append(np, gp+alt.goPat)
					}
				}
				goPats = np
				witness += alts[p.next()%len(alts)].witness
				continue
			}
			at := p.atom(false)
			java.WriteString(at.java)
			for k := range goPats {
				goPats[k] += at.goPat
			}
			witness += at.witness
		}
		g, err := compileGlob(java.String())
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", java.String(), err)
		}
		want := func(n string) bool {
			for _, gp := range goPats {
				ok, err := path.Match(gp, n)
				if err != nil {
					t.Fatalf("generator bug: path.Match(%q): %v", gp, err)
				}
				if ok {
					return true
				}
			}
			return false
		}
		if !strings.Contains(witness, "\x00") && !want(witness) {
			t.Fatalf("generator bug: %q (Go %q) does not match witness %q", java.String(), goPats, witness)
		}
		_, sz := utf8.DecodeLastRuneInString(witness)
		for _, n := range []string{name, witness, witness + "a", witness[:len(witness)-sz], "a" + witness} {
			if !utf8.ValidString(n) || strings.Contains(n, "/") {
				continue // path.Match and Java decode invalid bytes differently
			}
			if strings.Contains(java.String(), "*") && !isASCII(n) {
				// path.Match's '*' advances byte by byte, so it can stop
				// inside a multi-byte rune and let '?' or '[^...]' match
				// the rest as invalid bytes: "*??" matches "日". Java (and
				// compileGlob) count characters.
				continue
			}
			if got, w := g.match(n), want(n); got != w {
				t.Fatalf("glob %q (path.Match %q): match(%q) = %v, path.Match says %v", java.String(), goPats, n, got, w)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
