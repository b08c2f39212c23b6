package processors

import "unicode/utf8"

// appendJavaUTF8 appends src to dst as Java's new String(bytes, UTF_8)
// followed by getBytes(UTF_8) would produce it: valid UTF-8 is copied, and
// each malformed sequence becomes one U+FFFD. Java replaces the maximal
// valid prefix of a sequence as a unit (E2 82 41 -> U+FFFD 'A'), except that
// an encoded surrogate (ED A0..BF xx) is one malformed unit of three bytes.
func appendJavaUTF8(dst, src []byte) []byte {
	const repl = "\uFFFD"
	cont := func(b byte) bool { return b&0xC0 == 0x80 }
	i := 0
	for i < len(src) {
		b1 := src[i]
		if b1 < 0x80 {
			start := i
			for i < len(src) && src[i] < 0x80 {
				i++
			}
			dst = append(dst, src[start:i]...)
			continue
		}
		rem := len(src) - i - 1 // bytes after the lead
		switch {
		case b1 >= 0xC2 && b1 <= 0xDF:
			if rem >= 1 && cont(src[i+1]) {
				dst = append(dst, src[i:i+2]...)
				i += 2
			} else {
				dst = append(dst, repl...)
				i++
			}
		case b1 >= 0xE0 && b1 <= 0xEF:
			if rem >= 2 {
				b2, b3 := src[i+1], src[i+2]
				if (b1 == 0xE0 && b2&0xE0 == 0x80) || !cont(b2) || !cont(b3) {
					dst = append(dst, repl...)
					if (b1 == 0xE0 && b2&0xE0 == 0x80) || !cont(b2) {
						i++
					} else {
						i += 2
					}
					continue
				}
				if b1 == 0xED && b2 >= 0xA0 { // surrogate
					dst = append(dst, repl...)
				} else {
					dst = append(dst, src[i:i+3]...)
				}
				i += 3
				continue
			}
			// truncated at the end of input
			if rem == 1 && ((b1 == 0xE0 && src[i+1]&0xE0 == 0x80) || !cont(src[i+1])) {
				dst = append(dst, repl...)
				i++
				continue
			}
			dst = append(dst, repl...)
			i = len(src)
		case b1 >= 0xF0 && b1 <= 0xF4:
			if rem >= 3 {
				b2, b3, b4 := src[i+1], src[i+2], src[i+3]
				bad2 := (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) || (b1 == 0xF4 && b2&0xF0 != 0x80) || !cont(b2)
				if bad2 {
					dst = append(dst, repl...)
					i++
					continue
				}
				if !cont(b3) {
					dst = append(dst, repl...)
					i += 2
					continue
				}
				if !cont(b4) {
					dst = append(dst, repl...)
					i += 3
					continue
				}
				dst = append(dst, src[i:i+4]...)
				i += 4
				continue
			}
			// truncated at the end of input
			if rem >= 1 {
				b2 := src[i+1]
				if (b1 == 0xF0 && (b2 < 0x90 || b2 > 0xBF)) || (b1 == 0xF4 && b2&0xF0 != 0x80) || !cont(b2) {
					dst = append(dst, repl...)
					i++
					continue
				}
				if rem == 2 && !cont(src[i+2]) {
					dst = append(dst, repl...)
					i += 2
					continue
				}
			}
			dst = append(dst, repl...)
			i = len(src)
		default: // 80..C1, F5..FF
			dst = append(dst, repl...)
			i++
		}
	}
	return dst
}

// validUTF8 reports whether b needs no replacement.
func validUTF8(b []byte) bool { return utf8.Valid(b) }
