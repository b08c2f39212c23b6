package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// The checkpoint file deleted while the agent runs (with its -wal and -shm):
// SQLite would go on writing to the deleted file, Save returned nil, and a
// restart found an empty new file, every position lost. The next Save now
// recreates the file, writes back every position saved since Open with its
// own, and returns ErrRecreated naming the file; a restart finds them all.
func TestACheckpointFileDeletedWhileRunningIsRecreatedWithEveryPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/a.log", "(dev=803,ino=1)", 100), pos("/var/log/b.log", "(dev=803,ino=2)", 200)}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	err := s.Save([]record.Position{pos("/var/log/a.log", "(dev=803,ino=1)", 150)})
	if !errors.Is(err, ErrRecreated) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Save after the file was deleted: %v, want ErrRecreated naming %s", err, path)
	}
	if err := s.Save([]record.Position{pos("/var/log/a.log", "(dev=803,ino=1)", 160)}); err != nil {
		t.Fatalf("the next Save: %v", err)
	}
	s.Close()
	s2 := mustOpen(t, path)
	defer s2.Close()
	ps, err := s2.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, p := range ps {
		got[p.Path] = p.Offset
	}
	if got["/var/log/a.log"] != 160 || got["/var/log/b.log"] != 200 || len(got) != 2 {
		t.Fatalf("positions after a restart: %v, want a.log 160 and b.log 200", got)
	}
}
