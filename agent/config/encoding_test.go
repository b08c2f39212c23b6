package config

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

// encode returns text in UTF-16 or UTF-32 (width 2 or 4), big- or
// little-endian, with a byte order mark or not.
func encode(text string, width int, big, bom bool) []byte {
	var units []uint32
	if bom {
		units = append(units, 0xFEFF)
	}
	if width == 2 {
		for _, u := range utf16.Encode([]rune(text)) {
			units = append(units, uint32(u))
		}
	} else {
		for _, r := range text {
			units = append(units, uint32(r))
		}
	}
	var out []byte
	for _, u := range units {
		b := make([]byte, 4)
		if big {
			binary.BigEndian.PutUint32(b, u)
			b = b[4-width:]
		} else {
			binary.LittleEndian.PutUint32(b, u)
			b = b[:width]
		}
		out = append(out, b...)
	}
	return out
}

// Jackson, which reads agent.json for the Java agent, detects UTF-16 and
// UTF-32 (by a byte order mark, or by the zero bytes around the first
// character): an agent.json saved by Windows PowerShell 5 (UTF-16LE with a
// mark) works with the Java agent, and was refused here with "unexpected
// byte 0xFF".
func TestAnAgentJSONInUTF16OrUTF32LoadsAsJacksonReadsIt(t *testing.T) {
	text := `{"flows":[{"filePattern":"/var/log/app/*.log","kinesisStream":"s1","truncatedRecordTerminator":"…😀\n"}]}`
	for _, c := range []struct {
		name     string
		width    int
		big, bom bool
	}{
		{"UTF-16LE with a mark", 2, false, true},
		{"UTF-16BE with a mark", 2, true, true},
		{"UTF-16LE", 2, false, false},
		{"UTF-16BE", 2, true, false},
		{"UTF-32LE with a mark", 4, false, true},
		{"UTF-32BE with a mark", 4, true, true},
		{"UTF-32LE", 4, false, false},
		{"UTF-32BE", 4, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, _, err := loadBytes(t, encode(text, c.width, c.big, c.bom))
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Flows) != 1 || cfg.Flows[0].Destination != "s1" || cfg.Flows[0].TruncatedRecordTerminator != "…😀\n" {
				t.Fatalf("flows = %+v", cfg.Flows)
			}
		})
	}
	// A broken one says what it was taken for.
	b := encode(text, 2, false, true)
	_, _, err := loadBytes(t, b[:len(b)-1])
	if err == nil || !strings.Contains(err.Error(), "UTF-16LE") {
		t.Errorf("odd-length UTF-16LE file: %v", err)
	}
	b = encode(`{"a":"`, 2, false, true)
	b = append(b, 0x3D, 0xD8) // a lone high surrogate
	b = append(b, encode(`"}`, 2, false, false)...)
	_, _, err = loadBytes(t, b)
	if err == nil || !strings.Contains(err.Error(), "surrogate") {
		t.Errorf("unpaired surrogate: %v", err)
	}
}

func loadBytes(t *testing.T, b []byte) (*Config, string, error) {
	t.Helper()
	p := writeConfig(t, string(b))
	cfg, err := Load(p, "")
	return cfg, p, err
}
