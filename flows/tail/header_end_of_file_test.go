package tail

import "testing"

// §3.5/§3.9: END_OF_FILE first skips the header lines; a file that holds
// fewer than skipHeaderLines lines at start still skips the rest as they
// arrive (the second header line was sent).
func TestEndOfFileWithFewerLinesThanTheHeaderKeepsSkippingThem(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/app.log"
	mustWrite(t, p, "h1\n")
	cfg := testConfig(dir, "app.log")
	cfg.StartAtEnd = true
	cfg.SkipHeaderLines = 2
	c := startTailer(t, cfg)
	c.settle()
	mustAppend(t, p, "h2\ndata\n")
	waitFor(t, "a record", func() bool { return len(c.records()) > 0 })
	c.settle()
	eq(t, c.records(), "data\n")
}

// Spec §3.7: "If no start line is found but the available data ends with \n
// and the read buffer is not full, all available data becomes one record
// immediately." With a start pattern that never matches and a writer that
// never pauses for the idle delay, nothing is emitted until the buffer is
// full; the buffer-size runaway then cuts a line and discards its rest.
