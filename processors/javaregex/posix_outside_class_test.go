package javaregex

import "testing"

// A POSIX property outside a class (\p{Space}, \P{Alpha}) is a class, as in
// Java: its translation, class items such as \x{9}-\x{D}, used to be emitted
// without brackets and matched as a literal string. Expected values are
// JDK 17's Pattern.compile(p).matcher(s).lookingAt().
func TestPOSIXPropertyOutsideAClassMatchesAsJavas(t *testing.T) {
	cases := []struct {
		pattern, input string
		lookingAt      bool
	}{
		{`\p{Space}`, " x", true},
		{`\p{Space}`, "\tx", true},
		{`\P{Space}`, "x ", true},
		{`\P{Space}`, " x", false},
		{`\p{Blank}`, "\tx", true},
		{`\p{Cntrl}`, "\x01x", true},
		{`\p{ASCII}`, "x", true},
		{`\P{Alpha}`, "1", true},
		{`\P{Alpha}`, "a", false},
		{`\P{Digit}`, "a", true},
		{`\P{Lower}`, "A", true},
	}
	for _, c := range cases {
		re, err := Compile(c.pattern, 0)
		if err != nil {
			t.Errorf("%s: compile error %v (Java compiles it)", c.pattern, err)
			continue
		}
		if got := re.LookingAt([]byte(c.input)); got != c.lookingAt {
			t.Errorf("Pattern.compile(%q).matcher(%q).lookingAt(): Java %v, here %v", c.pattern, c.input, c.lookingAt, got)
		}
	}
}
