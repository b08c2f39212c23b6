//go:build linux

package tail

import (
	"os"
	"path/filepath"
	"testing"
)

// One read returns every pending event with the full path of the file it
// names; the structural and the write instance see only their own events.
func TestNotifierSplitsStructuralAndWriteEventsWithFullPaths(t *testing.T) {
	dir := t.TempDir()
	s, err := newNotifier()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	m, err := newNotifier()
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	if _, err := s.add(dir, notifyStructural); err != nil {
		t.Fatal(err)
	}
	if _, err := m.add(dir, notifyWrites); err != nil {
		t.Fatal(err)
	}
	if _, err := s.add(filepath.Join(dir, "missing"), notifyStructural); !os.IsNotExist(err) {
		t.Fatalf("watching a missing directory: %v, want not-exist", err)
	}
	a, b := filepath.Join(dir, "a-rather-long-file-name.log"), filepath.Join(dir, "b.log")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(b, b+".1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, eventBufSize)
	sev, err := s.read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	// create a, create b, b moved from, b.1 moved to
	want := []string{a, b, b, b + ".1"}
	if len(sev) != len(want) {
		t.Fatalf("structural events %+v, want creates of %s and %s and the rename", sev, a, b)
	}
	for i, ev := range sev {
		if ev.path != want[i] {
			t.Errorf("event %d names %q, want %q", i, ev.path, want[i])
		}
	}
	if sev[0].mask&notifyCreated == 0 || sev[2].mask&notifyStructural == 0 || sev[3].mask&notifyCreated == 0 {
		t.Errorf("masks %#x %#x %#x", sev[0].mask, sev[2].mask, sev[3].mask)
	}
	mev, err := m.read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mev) != 2 || mev[0].path != a || mev[1].path != b || mev[0].mask != notifyWrites {
		t.Fatalf("write events %+v, want one IN_MODIFY each for %s and %s", mev, a, b)
	}
}

// paths are the paths of the watches' events.
func (n *notifier) paths() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ps []string
	for _, p := range n.wds {
		ps = append(ps, p)
	}
	return ps
}
