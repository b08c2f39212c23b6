package tail

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestJavaGlobDialect(t *testing.T) {
	tests := map[string]struct {
		glob string
		yes  []string
		no   []string
	}{
		"star matches any run incl dots":   {"*.log", []string{"a.log", ".hidden.log", ".log"}, []string{"a.log.1", "a.LOG"}},
		"star in the middle":               {"app*.log", []string{"app.log", "app-2024.log"}, []string{"ap.log"}},
		"question mark is one char":        {"a?.log", []string{"ab.log", "a..log"}, []string{"a.log", "abc.log"}},
		"range":                            {"[a-c].log", []string{"a.log", "c.log"}, []string{"d.log", "A.log"}},
		"negation":                         {"[!a].log", []string{"b.log", "^.log"}, []string{"a.log"}},
		"leading caret is literal":         {"[^a].log", []string{"^.log", "a.log"}, []string{"b.log"}},
		"alternatives":                     {"{app,web}.log", []string{"app.log", "web.log"}, []string{"db.log", "appweb.log"}},
		"alternatives with wildcards":      {"{a*,b?}.txt", []string{"a.txt", "abc.txt", "bx.txt"}, []string{"b.txt"}},
		"escape":                           {`\*.log`, []string{"*.log"}, []string{"a.log"}},
		"regex metachars are literal":      {"a+(b).log", []string{"a+(b).log"}, []string{"aab.log"}},
		"brace outside group is literal":   {"a}.log", []string{"a}.log"}, nil},
		"comma outside group is literal":   {"a,b.log", []string{"a,b.log"}, []string{"a.log"}},
		"dash first in class is literal":   {"[-a].log", []string{"-.log", "a.log"}, []string{"b.log"}},
		"dash last in class is literal":    {"[a-].log", []string{"-.log", "a.log"}, []string{"b.log"}},
		"backslash inside class literal":   {`[\].log`, []string{`\.log`}, []string{"a.log"}},
		"case sensitive":                   {"App.log", []string{"App.log"}, []string{"app.log"}},
		"double star is star within names": {"**.log", []string{"x.log"}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g, err := compileGlob(tc.glob)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.yes {
				if !g.match(n) {
					t.Errorf("%q should match %q", tc.glob, n)
				}
			}
			for _, n := range tc.no {
				if g.match(n) {
					t.Errorf("%q should not match %q", tc.glob, n)
				}
			}
		})
	}
}

// Rejected as JDK 17 rejects them. An empty class ("[]", "[!]": Java's
// regex reads the ']' as a literal and the class never closes) was
// accepted, and swallowed the pattern up to a later class's ']' (found by
// FuzzGlobCompile).
func TestJavaGlobRejectsWhatJavaRejects(t *testing.T) {
	for _, g := range []string{`a\`, "{a,{b}}", "{a", "[a", "[z-a]", "[a-c-e]", "[a/b]", "[]", "[]]", "[!]]", "[]x[a]", "[!]x[a]", "{[],a}", "a[]"} {
		if _, err := compileGlob(g); !errors.Is(err, ErrBadGlob) {
			t.Errorf("%q: err %v, want ErrBadGlob", g, err)
		}
	}
}

// Compressed rotations are never read: Java's .gz, .bz2 and .zip, and the
// other compressors' (logrotate's compresscmd xz or zstd), whose bytes Java
// sends as records cut at random newline bytes. From a replay of
// OpenTelemetry filelog receiver reports (#40523).
func TestMatchingFilesExcludesArchivesAndNonRegular(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"app.log", "app.log.1", "app.log.2.gz", "app.log.3.Zip", "app.log.4.bz2", "other.txt",
		"app.log.5.xz", "app.log.6.zst", "app.log.7.lz4", "app.log.8.Z", "app.log.10.7z", "app.log.11.lzma"} {
		mustWrite(t, filepath.Join(dir, n), "x\n")
	}
	if err := os.Mkdir(filepath.Join(dir, "app.log.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := MatchingFiles(dir, "app.log*")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "app.log"), filepath.Join(dir, "app.log.1")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Names that only look like a compressor's: a host's log under a
	// .br domain, a lower-case .z (a review).
	for _, n := range []string{"loja.com.br", "app.log.z"} {
		if m := GlobMatcher("*"); !m(n) {
			t.Errorf("%s is not read", n)
		}
	}
	if got, err := MatchingFiles(filepath.Join(dir, "missing"), "*"); err != nil || len(got) != 0 {
		t.Fatalf("missing dir: %v %v", got, err)
	}
}
