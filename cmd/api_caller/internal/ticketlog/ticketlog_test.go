package ticketlog_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/ticketlog"
)

func TestAppendRowMapsFieldsByName(t *testing.T) {
	ticket := map[string]any{
		"actual": true, "depart_date": "2026-12-01", "destination": "KZN", "distance": json.Number("1201"),
		"duration": json.Number("100"), "found_at": "2026-11-20T10:01:02", "gate": "Pobeda",
		"number_of_changes": json.Number("0"), "origin": "LED", "return_date": "2026-12-02",
		"show_to_affiliates": false, "trip_class": json.Number("0"), "value": json.Number("4813.0"),
		"unknown_field": "ignored",
	}
	id := uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e")
	got := string(ticketlog.AppendRow(nil, ticket, id))
	want := "4813.0,0,false,2026-12-02,LED,0,Pobeda,2026-11-20T10:01:02,100,1201,KZN,2026-12-01,true,0f8fad5b-d9cb-469f-a165-70867728950e\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAppendRowLeavesMissingAndNullFieldsEmpty(t *testing.T) {
	got := string(ticketlog.AppendRow(nil, map[string]any{"gate": "S7", "found_at": nil}, [16]byte{}))
	want := ",,,,,,S7,,,,,,,00000000-0000-0000-0000-000000000000\n"
	if got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestAppendRowReplacesCommasAndNewlines(t *testing.T) {
	tests := map[string]struct {
		in   any
		want string
	}{
		"comma":            {"S7, Siberia", "S7; Siberia"},
		"newline":          {"a\nb", "a b"},
		"crlf":             {"a\r\nb", "a  b"},
		"quotes kept":      {`"x"`, `"x"`},
		"object":           {map[string]any{"a": json.Number("1"), "b": "c"}, `{"a":1;"b":"c"}`},
		"array":            {[]any{"x", "y"}, `["x";"y"]`},
		"no HTML escaping": {map[string]any{"a": "<&>"}, `{"a":"<&>"}`},
		"bool":             {true, "true"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			line := string(ticketlog.AppendRow(nil, map[string]any{"gate": tc.in}, [16]byte{}))
			cols := strings.Split(strings.TrimSuffix(line, "\n"), ",")
			if len(cols) != 14 {
				t.Fatalf("%d columns in %q", len(cols), line)
			}
			if cols[6] != tc.want {
				t.Errorf("gate column %q, want %q", cols[6], tc.want)
			}
		})
	}
}

func TestUUIDv4SetsVersionAndVariant(t *testing.T) {
	id := ticketlog.UUIDv4([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	u, err := uuid.ParseBytes(ticketlog.AppendUUID(nil, id))
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
		t.Errorf("version %d variant %v", u.Version(), u.Variant())
	}
}

func writeFile(t *testing.T, dir string, at time.Time, content string) string {
	t.Helper()
	f, err := ticketlog.Create(dir, at)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Match("*log", filepath.Base(f.TempPath())); m {
		t.Fatalf("temp name %s matches the agent's *log pattern", f.TempPath())
	}
	_, _ = f.W.WriteString(content)
	p, err := f.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommitNamesFileAfterTimeAndSuffixesTakenNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b") // created on demand
	at := time.Date(2026, 11, 21, 1, 2, 3, 0, time.Local)
	var got []string
	for i := 0; i < 3; i++ {
		got = append(got, filepath.Base(writeFile(t, dir, at, fmt.Sprintf("file %d\n", i))))
	}
	want := []string{"20261121-010203.log", "20261121-010203-1.log", "20261121-010203-2.log"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("file %d named %s, want %s", i, got[i], want[i])
		}
		b, _ := os.ReadFile(filepath.Join(dir, want[i]))
		if string(b) != fmt.Sprintf("file %d\n", i) {
			t.Errorf("%s holds %q", want[i], b)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("directory holds %d entries, want 3 (no temp files left)", len(entries))
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	f, err := ticketlog.Create(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.W.WriteString("partial")
	_ = f.W.Flush()
	f.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	if _, err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestCreateReportsDirectoryThatCannotBeMade(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ticketlog.Create(filepath.Join(file, "sub"), time.Now())
	if err == nil || !strings.Contains(err.Error(), "create output directory") {
		t.Fatalf("err = %v", err)
	}
}

// A reader polling the directory for "*log" like the agent must only ever
// see complete files.
func TestConcurrentReaderNeverSeesPartialLogFile(t *testing.T) {
	dir := t.TempDir()
	const files, lines = 40, 5000
	line := strings.Repeat("x", 100) + "\n"
	done := make(chan struct{})
	var wg sync.WaitGroup
	var bad []string
	var seen int
	wg.Add(1)
	go func() {
		defer wg.Done()
		checked := map[string]bool{}
		for {
			select {
			case <-done:
				seen = len(checked)
				return
			default:
			}
			matches, _ := filepath.Glob(filepath.Join(dir, "*log"))
			for _, m := range matches {
				if checked[m] {
					continue
				}
				b, err := os.ReadFile(m)
				if err != nil {
					bad = append(bad, fmt.Sprintf("%s: %v", m, err))
					continue
				}
				if n := bytes.Count(b, []byte("\n")); n != lines || len(b) != lines*len(line) {
					bad = append(bad, fmt.Sprintf("%s: %d lines, %d bytes", m, n, len(b)))
				}
				checked[m] = true
			}
		}
	}()
	at := time.Now()
	for i := 0; i < files; i++ {
		f, err := ticketlog.Create(dir, at)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < lines; j++ {
			_, _ = f.W.WriteString(line)
		}
		if _, err := f.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	for _, b := range bad {
		t.Error(b)
	}
	if seen == 0 {
		t.Error("reader saw no file")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*log")); len(m) != files {
		t.Errorf("%d files, want %d", len(m), files)
	}
}

// The files are there to be read by the agent's service user: mode 0644
// (and every directory api_caller makes, parents too, 0755) whatever the
// umask. Under a hardened umask 027 they were 0640 and 0750, unreadable by
// the agent; a parent made under 077 hid them as well.
func TestFilesAreReadableByOthersWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	root := t.TempDir()
	dir := filepath.Join(root, "var", "airline_tickets") // made by Create, with its parent
	p := writeFile(t, dir, time.Date(2026, 11, 21, 1, 2, 3, 0, time.Local), "line\n")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("file %v under umask 077; want -rw-r--r--", fi.Mode())
	}
	for _, d := range []string{filepath.Join(root, "var"), dir} {
		di, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o755 {
			t.Fatalf("directory %s %v under umask 077; want drwxr-xr-x", d, di.Mode())
		}
	}
}
