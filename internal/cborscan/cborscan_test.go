package cborscan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

func TestAppendHeadIsShortestFormAsSmithyEncodes(t *testing.T) {
	for _, n := range []uint64{0, 1, 23, 24, 255, 256, 65535, 65536, 1 << 20, 0xffffffff, 0x100000000, 1<<64 - 1} {
		got := AppendHead(nil, Uint, n)
		want := cbor.Encode(cbor.Uint(n))
		if !bytes.Equal(got, want) {
			t.Errorf("AppendHead(%d) = %x, smithy-go encodes %x", n, got, want)
		}
		if HeadLen(n) != len(got) {
			t.Errorf("HeadLen(%d) = %d, AppendHead wrote %d bytes", n, HeadLen(n), len(got))
		}
	}
	if got, want := AppendText(nil, "ab"), cbor.Encode(cbor.String("ab")); !bytes.Equal(got, want) {
		t.Errorf("AppendText = %x, want %x", got, want)
	}
	data := bytes.Repeat([]byte{0xff}, 300)
	if got, want := AppendBytes(nil, data), cbor.Encode(cbor.Slice(data)); !bytes.Equal(got, want) {
		t.Errorf("AppendBytes = %x, want %x", got, want)
	}
}

func TestReaderReadsIndefiniteContainersAndChunkedStrings(t *testing.T) {
	// {_ "Records": [_ {_ "Data": (_ h'0102', h'03'), "Key": (_ "a", "b")} ], "N": tag(1) 7 }
	doc := []byte{0xbf,
		0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's', 0x9f,
		0xbf, 0x64, 'D', 'a', 't', 'a', 0x5f, 0x42, 1, 2, 0x41, 3, 0xff,
		0x63, 'K', 'e', 'y', 0x7f, 0x61, 'a', 0x61, 'b', 0xff,
		0xff, 0xff,
		0x61, 'N', 0xc1, 0x07,
		0xff}
	if _, err := cbor.Decode(doc); err != nil {
		t.Fatalf("test document is not valid CBOR for smithy-go: %v", err)
	}
	r := &Reader{B: doc}
	n, ok := r.Container(Map)
	if !ok || n != -1 {
		t.Fatalf("Container(Map) = %d, %v; want -1 (indefinite), true", n, ok)
	}
	var keys []string
	var data, key []byte
	var num uint64
	for r.Next(&n) {
		k, _, ok := r.String(Text, nil)
		if !ok {
			t.Fatalf("%v", r.Err("key"))
		}
		keys = append(keys, string(k))
		switch string(k) {
		case "Records":
			m, ok := r.Container(Array)
			if !ok {
				t.Fatalf("%v", r.Err("array"))
			}
			for r.Next(&m) {
				e, ok := r.Container(Map)
				if !ok {
					t.Fatalf("%v", r.Err("entry"))
				}
				for r.Next(&e) {
					ek, _, _ := r.String(Text, nil)
					var v []byte
					if string(ek) == "Data" {
						v, _, ok = r.String(Bytes, nil)
						data = append([]byte(nil), v...)
					} else {
						v, _, ok = r.String(Text, nil)
						key = append([]byte(nil), v...)
					}
					if !ok {
						t.Fatalf("%v", r.Err("value"))
					}
				}
			}
		case "N":
			if num, ok = r.Uint(); !ok {
				t.Fatalf("%v", r.Err("tagged uint"))
			}
		}
	}
	if r.I != len(doc) {
		t.Errorf("read %d of %d bytes", r.I, len(doc))
	}
	if !bytes.Equal(data, []byte{1, 2, 3}) || string(key) != "ab" || num != 7 || len(keys) != 2 {
		t.Errorf("keys %q, data %x, key %q, N %d; want [Records N], 010203, ab, 7", keys, data, key, num)
	}
	r = &Reader{B: doc}
	if !r.Skip() || r.I != len(doc) {
		t.Errorf("Skip consumed %d of %d bytes", r.I, len(doc))
	}
}

func TestReaderRefusesTruncatedAndMalformedItems(t *testing.T) {
	for name, doc := range map[string][]byte{
		"truncated string":          {0x65, 'a', 'b'},
		"count beyond the document": {0x9a, 0xff, 0xff, 0xff, 0xff},
		"truncated argument":        {0x19, 0x01},
		"break outside a container": {0xff},
		"reserved minor":            {0x1c},
		"indefinite integer":        {0x1f},
		"chunk of another type":     {0x5f, 0x61, 'a', 0xff},
		"nested indefinite chunk":   {0x5f, 0x5f, 0xff, 0xff},
		"unterminated indefinite":   {0x9f, 0x01},
		"missing map value":         {0xa1, 0x61, 'a'},
		"too deep":                  append(bytes.Repeat([]byte{0x81}, MaxDepth+2), 0),
		"empty":                     {},
	} {
		r := &Reader{B: doc}
		if r.Skip() {
			t.Errorf("%s: Skip accepted %x", name, doc)
		}
	}
}

// FuzzReaderAcceptsOnlyValidCBOR: Skip never reads past the document or
// panics, and what it accepts smithy-go's decoder accepts too. (The other
// direction does not hold for arbitrary bytes: smithy-go takes a count
// beyond 2^63 for an empty container.)
func FuzzReaderAcceptsOnlyValidCBOR(f *testing.F) {
	f.Add([]byte{0xbf, 0x61, 'a', 0x9f, 0x01, 0xff, 0xff})
	f.Add(cbor.Encode(cbor.Map{"FailedRecordCount": cbor.Uint(0), "Records": cbor.List{cbor.Map{"ShardId": cbor.String("s")}}}))
	f.Add([]byte{0x5f, 0x42, 1, 2, 0xff})
	f.Add([]byte{0xc1, 0xf9, 0x3c, 0x00})
	f.Fuzz(func(t *testing.T, doc []byte) {
		r := &Reader{B: doc}
		ok := r.Skip()
		if r.I > len(doc) {
			t.Fatalf("read to offset %d of a %d-byte document", r.I, len(doc))
		}
		if ok {
			// smithy-go counts each tag as a nesting level; this reader
			// bounds containers and tags separately (128 each).
			if _, err := cbor.Decode(doc[:r.I]); err != nil && !strings.Contains(err.Error(), "nesting depth") {
				t.Fatalf("Skip accepted %x, smithy-go refuses it: %v", doc[:r.I], err)
			}
		}
	})
}

// FuzzReaderReadsGeneratedDocuments: documents of every shape an encoder may
// write (definite and indefinite containers, chunked strings, tags, floats,
// null), generated from the fuzz input, are read whole by Skip and decoded by
// smithy-go.
func FuzzReaderReadsGeneratedDocuments(f *testing.F) {
	f.Add([]byte{4, 2, 5, 1, 3, 0, 6, 7, 8, 9})
	f.Add([]byte{9, 9, 9, 9, 9, 1, 2, 3})
	f.Fuzz(func(t *testing.T, prog []byte) {
		g := &gen{prog: prog}
		doc := g.item(nil, 0)
		r := &Reader{B: doc}
		if !r.Skip() || r.I != len(doc) {
			t.Fatalf("Skip read %d of %d bytes of %x", r.I, len(doc), doc)
		}
		if _, err := cbor.Decode(doc); err != nil {
			t.Fatalf("generated %x is not valid for smithy-go: %v", doc, err)
		}
	})
}

type gen struct {
	prog []byte
	i    int
}

func (g *gen) next() byte {
	if g.i >= len(g.prog) {
		return 0
	}
	g.i++
	return g.prog[g.i-1]
}

func (g *gen) item(dst []byte, depth int) []byte {
	op := g.next() % 12
	if depth > 6 {
		op %= 4
	}
	switch op {
	case 0:
		return AppendHead(dst, Uint, uint64(g.next())<<(g.next()%40))
	case 1:
		return AppendHead(dst, NegInt, uint64(g.next()))
	case 2:
		return AppendText(dst, string(bytes.Repeat([]byte{'x'}, int(g.next()%40))))
	case 3:
		simple := [][]byte{{0xf4}, {0xf5}, {0xf6}, {0xf7}, {0xf9, 0x3c, 0}, {0xfa, 0, 0, 0, 0}, {0xfb, 0, 0, 0, 0, 0, 0, 0, 0}}
		return append(dst, simple[g.next()%7]...)
	case 4, 5: // definite or indefinite array
		n := int(g.next() % 5)
		if op == 4 {
			dst = AppendHead(dst, Array, uint64(n))
		} else {
			dst = append(dst, 0x9f)
		}
		for k := 0; k < n; k++ {
			dst = g.item(dst, depth+1)
		}
		if op == 5 {
			dst = append(dst, 0xff)
		}
		return dst
	case 6, 7: // definite or indefinite map, text keys
		n := int(g.next() % 4)
		if op == 6 {
			dst = AppendHead(dst, Map, uint64(n))
		} else {
			dst = append(dst, 0xbf)
		}
		for k := 0; k < n; k++ {
			dst = AppendText(dst, string(rune('a'+k)))
			dst = g.item(dst, depth+1)
		}
		if op == 7 {
			dst = append(dst, 0xff)
		}
		return dst
	case 8, 9: // chunked byte or text string
		major := byte(Bytes)
		if op == 9 {
			major = Text
		}
		dst = append(dst, major<<5|31)
		for k := int(g.next() % 4); k > 0; k-- {
			dst = AppendHead(dst, major, uint64(k))
			dst = append(dst, bytes.Repeat([]byte{'y'}, k)...)
		}
		return append(dst, 0xff)
	case 10: // a tag before an item
		dst = AppendHead(dst, Tag, uint64(g.next()))
		return g.item(dst, depth+1)
	default:
		return AppendBytes(dst, bytes.Repeat([]byte{0}, int(g.next())*int(g.next()%8)))
	}
}
