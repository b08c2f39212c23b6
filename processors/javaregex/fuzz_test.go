package javaregex

import "testing"

// FuzzCompile: no pattern or input makes the translator or the engines
// panic.
func FuzzCompile(f *testing.F) {
	for _, p := range []string{`a.c`, `(?i)[a-z&&x]`, `(?<n>a)\k<n>`, `a*+`, `\Qx\E`, `[\s\S]`, `(?m)^$`, `\p{L}`, `(?x) a # b`} {
		f.Add(p, "abc\n", false)
	}
	f.Fuzz(func(t *testing.T, pattern, input string, multiline bool) {
		var fl Flags
		if multiline {
			fl = Multiline
		}
		re, err := Compile(pattern, fl)
		if err != nil {
			return
		}
		re.Matches(input)
		re.LookingAt([]byte(input))
		re.Find([]byte(input))
		re.MatchGroups(input)
		for _, s := range re.Split(input) {
			_ = s
		}
	})
}
