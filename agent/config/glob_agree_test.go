package config

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/tail"
)

// Every glob the configuration check accepts (and so --validate) is one
// the tailer compiles: a glob accepted here and refused by the tailer made
// the start fail, taking every flow down ([ü-é]: bytes were compared here,
// characters there).
func TestEveryGlobTheConfigAcceptsTheTailerCompiles(t *testing.T) {
	dir := t.TempDir()
	alphabet := []string{"a", "z", "é", "ü", "€", "😀", "[", "]", "!", "^", "-", "\\", "{", "}", ",", "*", "?", "."}
	var globs []string
	for _, x := range alphabet { // every range
		for _, y := range alphabet {
			globs = append(globs, "["+x+"-"+y+"]", "[!"+x+"-"+y+"]*")
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		globs = append(globs, b.String())
	}
	for _, g := range globs {
		if checkGlob(g) != "" {
			continue
		}
		if _, err := tail.MatchingFiles(dir, g); err != nil {
			t.Errorf("glob %q: accepted by the configuration check, refused by the tailer: %v", g, err)
		}
	}
}
