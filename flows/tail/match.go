package tail

import (
	"os"
	"path/filepath"
	"sort"
)

// MatchingFiles lists the regular files in dir whose names match the Java
// glob (names ending in .gz, .bz2, .zip excluded), sorted by name.
// STUB (foundation): the tailing work replaces the matcher with the Java glob dialect.
func MatchingFiles(dir, glob string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if ok, _ := filepath.Match(glob, e.Name()); ok && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}
