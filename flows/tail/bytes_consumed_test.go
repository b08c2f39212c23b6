package tail

import (
	"path/filepath"
	"testing"
)

// BytesParsed (the progress lines' "(<B> bytes)", <P>.TotalBytesConsumed)
// counts every byte consumed, skipped header lines included, as Java's
// parser counts every byte it reads. It used to count only the bytes of
// the records produced.
func TestBytesParsedCountsEveryByteConsumed(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.log")
	cfg.SkipHeaderLines = 2
	data := "#header one\n#header two\nrec\n"
	mustWrite(t, filepath.Join(dir, "a.log"), data)
	c := startTailer(t, cfg)
	c.waitRecords(1)
	waitFor(t, "every byte counted", func() bool { return cfg.Stats.BytesParsed.Load() == int64(len(data)) })
}
