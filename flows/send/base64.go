package send

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// appendBase64 appends the standard (padded) base64 encoding of src to dst,
// the same bytes as base64.StdEncoding.AppendEncode.
//
// Every record's data is base64-encoded into the PutRecords body, and the
// standard library's byte-at-a-time encoder was the largest single entry of
// the CSVTOJSON profile (19 % of the agent's CPU, ~1.2 GB/s here). This one
// looks up 12 bits at a time in a 4,096-entry table of character pairs and
// writes 8 output bytes per 6 input bytes, four groups per iteration
// (~3.2 GB/s, BenchmarkAppendBase64). The last < 26 bytes go through the
// standard library, which also writes the padding.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	o := 0
	// Each 8-byte load uses its top 6 bytes; 26 bytes cover four loads.
	for len(src) >= 26 && len(out)-o >= 32 {
		s := src[:26]
		d := out[o : o+32]
		binary.LittleEndian.PutUint64(d[0:], b64Group(binary.BigEndian.Uint64(s[0:])))
		binary.LittleEndian.PutUint64(d[8:], b64Group(binary.BigEndian.Uint64(s[6:])))
		binary.LittleEndian.PutUint64(d[16:], b64Group(binary.BigEndian.Uint64(s[12:])))
		binary.LittleEndian.PutUint64(d[24:], b64Group(binary.BigEndian.Uint64(s[18:])))
		o += 32
		src = src[24:]
	}
	for len(src) >= 8 && len(out)-o >= 8 {
		binary.LittleEndian.PutUint64(out[o:], b64Group(binary.BigEndian.Uint64(src)))
		o += 8
		src = src[6:]
	}
	base64.StdEncoding.Encode(out[o:], src)
	return dst[:len(dst)+n]
}

// b64Group encodes the top 48 bits of v as 8 base64 characters, returned
// in little-endian order (first character in the lowest byte).
func b64Group(v uint64) uint64 {
	return uint64(b64Pairs[v>>52]) |
		uint64(b64Pairs[(v>>40)&0xfff])<<16 |
		uint64(b64Pairs[(v>>28)&0xfff])<<32 |
		uint64(b64Pairs[(v>>16)&0xfff])<<48
}

// b64Pairs maps 12 bits to their two base64 characters (first character
// in the low byte). 8 KiB: it stays in L1 cache.
var b64Pairs = func() (t [4096]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	return t
}()
