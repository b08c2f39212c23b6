package tail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// ErrBadGlob reports a file-name glob that Java's glob syntax rejects.
var ErrBadGlob = errors.New("invalid glob")

// globMatcher matches file names (never paths) with Java's "glob:" dialect
// (sun.nio.fs Globs): '*' any run, '?' one character, '[...]' classes with
// '!' negation and ranges (a leading '^' is literal), '{a,b}' alternatives
// without nesting, '\' escapes. Case-sensitive. Names have no '/', so the
// separator rules of the dialect never come into play.
type globMatcher struct {
	src string
	re  *regexp.Regexp
}

func compileGlob(glob string) (*globMatcher, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	inGroup := false
	rs := []rune(glob)
	bad := func(msg string, i int) error {
		return fmt.Errorf("%w %q: %s near index %d", ErrBadGlob, glob, msg, i)
	}
	lit := func(r rune) { b.WriteString(regexp.QuoteMeta(string(r))) }
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		switch c {
		case '\\':
			if i == len(rs) {
				return nil, bad("No character to escape", i-1)
			}
			lit(rs[i])
			i++
		case '*':
			// "**" crosses directories in Java; in a name it is the same as "*".
			for i < len(rs) && rs[i] == '*' {
				i++
			}
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			cls, n, err := globClass(rs[i:])
			if err != nil {
				return nil, bad(err.Error(), i-1)
			}
			b.WriteString(cls)
			i += n
		case '{':
			if inGroup {
				return nil, bad("Cannot nest groups", i-1)
			}
			b.WriteString(`(?:(?:`)
			inGroup = true
		case '}':
			if inGroup {
				b.WriteString(`))`)
				inGroup = false
			} else {
				lit(c)
			}
		case ',':
			if inGroup {
				b.WriteString(`)|(?:`)
			} else {
				lit(c)
			}
		default:
			lit(c)
		}
	}
	if inGroup {
		return nil, bad("Missing '}'", len(rs)-1)
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadGlob, glob, err)
	}
	return &globMatcher{src: glob, re: re}, nil
}

// globClass translates the body of a bracket expression (after '[') and
// returns the Go class and how many runes it consumed (including ']').
func globClass(rs []rune) (string, int, error) {
	var b strings.Builder
	b.WriteByte('[')
	i := 0
	next := func() rune {
		if i < len(rs) {
			return rs[i]
		}
		return -1
	}
	if next() == '^' {
		b.WriteString(`\x{5e}`)
		i++
	} else {
		if next() == '!' {
			b.WriteByte('^')
			i++
		}
		if next() == '-' {
			b.WriteString(`\x{2d}`)
			i++
		}
	}
	hasStart := false
	var last rune
	closed := false
	for i < len(rs) {
		c := rs[i]
		i++
		if c == ']' {
			if s := b.String(); s == "[" || s == "[^" {
				// "[]", "[!]": in Java's regex the ']' is a literal and
				// the class never closes, so Java rejects the glob. Go's
				// regexp would read the ']' as a literal too and swallow
				// the pattern up to a later class's ']'.
				return "", 0, errors.New("Unclosed character class")
			}
			closed = true
			break
		}
		if c == '/' {
			return "", 0, errors.New("Explicit 'name separator' in class")
		}
		if c == '-' {
			if !hasStart {
				return "", 0, errors.New("Invalid range")
			}
			if i >= len(rs) {
				break
			}
			hi := rs[i]
			i++
			if hi == ']' {
				// "[a-]": the '-' is literal.
				b.WriteString(`\x{2d}`)
				closed = true
				break
			}
			if hi < last {
				return "", 0, errors.New("Invalid range")
			}
			fmt.Fprintf(&b, `-\x{%x}`, hi)
			hasStart = false
			continue
		}
		fmt.Fprintf(&b, `\x{%x}`, c)
		hasStart = true
		last = c
	}
	if !closed {
		return "", 0, errors.New("Missing ']'")
	}
	b.WriteByte(']')
	return b.String(), i, nil
}

func (g *globMatcher) match(name string) bool {
	if !utf8.ValidString(name) {
		// Java decodes names leniently; compare on the replacement form.
		name = strings.ToValidUTF8(name, "\uFFFD")
	}
	return g.re.MatchString(name)
}

// GlobMatcher returns a function that reports whether a file named name
// (no directory) is one the Java glob picks and the agent reads (see
// MatchingFiles); nil for an invalid glob.
func GlobMatcher(glob string) func(name string) bool {
	g, err := compileGlob(glob)
	if err != nil {
		return nil
	}
	return func(name string) bool { return g.match(name) && !excludedName(name) }
}

// excludedName reports names the agent never reads (compressed archives):
// Java's .gz, .bz2 and .zip, and the other compressors' suffixes, whose
// files Java reads and sends as records of binary cut at random newline
// bytes (logrotate's compresscmd xz or zstd, under a pattern app.log*).
func excludedName(name string) bool {
	n := strings.ToLower(name)
	for _, suf := range compressedSuffixes {
		if strings.HasSuffix(n, suf) {
			return true
		}
	}
	return strings.HasSuffix(name, ".Z") // (compress; .z in lower case is no suffix of it)
}

// compressedSuffixes, in lower case. Not .br: brotli is no log rotation's,
// and .br names hosts' logs (loja.com.br).
var compressedSuffixes = []string{".gz", ".bz2", ".zip", ".xz", ".zst", ".lz4", ".lzma", ".lz", ".7z", ".tgz", ".tbz2", ".txz"}

// listNames returns the entry names in dir that match g and are not
// excluded, sorted, and whether any of them is a symbolic link. A missing
// dir yields none and no error.
func listNames(dir string, g *globMatcher) (names []string, links bool, err error) {
	f, err := os.Open(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, false, err
	}
	for _, e := range ents {
		if n := e.Name(); g.match(n) && !excludedName(n) {
			names = append(names, n)
			if e.Type()&fs.ModeSymlink != 0 {
				links = true
			}
		}
	}
	sort.Strings(names)
	return names, links, nil
}

// MatchingFiles lists the regular files (symlinks followed) directly in dir
// whose names match the Java glob, excluding compressed files (excludedName:
// .gz, .bz2, .zip, .xz, .zst... in any case), sorted by name. A missing dir is not an error.
// Directories, FIFOs, dangling symlinks and other non-regular entries are
// left out. The glob is validated as Java validates it.
func MatchingFiles(dir, glob string) ([]string, error) {
	g, err := compileGlob(glob)
	if err != nil {
		return nil, err
	}
	names, _, err := listNames(dir, g)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}
