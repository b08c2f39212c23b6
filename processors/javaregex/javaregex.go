// Package javaregex compiles the Java regular expressions that agent.json
// carries (matchPattern, multiLineStartPattern, fileFooterPattern, the CSV
// delimiter) so that they behave as java.util.regex does, or are rejected
// with an error that names the construct. It is a leaf package used by the
// config loader, the tailer and the processors.
//
// STUB (foundation): translation is minimal; the processors work deepens it.
package javaregex

import (
	"fmt"
	"regexp"
)

// Flags are Java Pattern flags that the agent uses.
type Flags int

const (
	// Multiline is Pattern.MULTILINE (^ and $ match at line terminators).
	Multiline Flags = 1 << iota
)

// Regexp is a compiled Java regular expression.
type Regexp struct {
	src   string
	re    *regexp.Regexp // anchored variants are built on demand
	full  *regexp.Regexp
	start *regexp.Regexp
}

// Compile compiles a Java pattern.
func Compile(pattern string, flags Flags) (*Regexp, error) {
	p := pattern
	if flags&Multiline != 0 {
		p = "(?m)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %v", pattern, err)
	}
	full := regexp.MustCompile(`^(?:` + p + `)$`)
	start := regexp.MustCompile(`^(?:` + p + `)`)
	return &Regexp{src: pattern, re: re, full: full, start: start}, nil
}

// String returns the pattern as written.
func (r *Regexp) String() string { return r.src }

// LookingAt reports whether a match starts at the beginning of b
// (Java Matcher.lookingAt).
func (r *Regexp) LookingAt(b []byte) bool { return r.start.Match(b) }

// Matches reports whether the whole of s matches (Java Matcher.matches).
func (r *Regexp) Matches(s string) bool { return r.full.MatchString(s) }

// MatchGroups matches the whole of s and returns the capture groups
// (index 0 is group 1); ok is false when s does not match. A group that
// did not take part in the match is reported with present[i] == false.
func (r *Regexp) MatchGroups(s string) (groups []string, present []bool, ok bool) {
	idx := r.full.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil, nil, false
	}
	n := len(idx)/2 - 1
	groups = make([]string, n)
	present = make([]bool, n)
	for i := 0; i < n; i++ {
		if idx[2*i+2] >= 0 {
			groups[i] = s[idx[2*i+2]:idx[2*i+3]]
			present[i] = true
		}
	}
	return groups, present, true
}

// NumGroups is the number of capture groups.
func (r *Regexp) NumGroups() int { return r.re.NumSubexp() }
