package processors

import (
	"encoding/binary"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javanum"
)

// JSON output as Jackson's ObjectMapper prints it (spec §6.2). Not
// encoding/json: Jackson escapes only `"`, `\` and control bytes (with the
// short forms \b \t \n \f \r and otherwise \u00XX in upper-case hex) and
// writes `/`, `<`, `>`, `&`, DEL, U+2028/9 and all other non-ASCII raw.

const hexUpper = "0123456789ABCDEF"

// escapeByte[b] is 0 for bytes written raw, the short escape letter, or 'u'.
var escapeByte = func() [256]byte {
	var t [256]byte
	for i := 0; i < 0x20; i++ {
		t[i] = 'u'
	}
	t['"'] = '"'
	t['\\'] = '\\'
	t['\b'] = 'b'
	t['\t'] = 't'
	t['\n'] = 'n'
	t['\f'] = 'f'
	t['\r'] = 'r'
	return t
}()

// needsEscape reports whether s has a byte appendQuoted escapes: a control
// byte (< 0x20), '"' or '\\'. Eight bytes at a time: a word has such a
// byte exactly when one of the three zero-byte tests sets a high bit.
func needsEscape(s []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		quote := w ^ (ones * '"')
		slash := w ^ (ones * '\\')
		if ((w-ones*0x20)&^w|(quote-ones)&^quote|(slash-ones)&^slash)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if escapeByte[s[i]] != 0 {
			return true
		}
	}
	return false
}

// needsEscapeBut is needsEscape with the byte d (a delimiter that is not
// copied) left out. Its tests are exact per byte, so that a byte after a
// delimiter is not taken for one to escape.
func needsEscapeBut(s []byte, d byte) bool {
	const (
		ones  = 0x0101010101010101
		lows  = 0x7f7f7f7f7f7f7f7f
		highs = 0x8080808080808080
	)
	// zeros has the high bit of exactly the zero bytes of v.
	zeros := func(v uint64) uint64 { return ^((v&lows + lows) | v | lows) }
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		// Control bytes: high bit clear, and below 0x20 in the low 7 bits.
		ctl := ^((w&lows + ones*0x60) | w) & highs
		if (ctl|zeros(w^ones*'"')|zeros(w^ones*'\\'))&^zeros(w^ones*uint64(d)) != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if escapeByte[s[i]] != 0 && s[i] != d {
			return true
		}
	}
	return false
}

// appendString appends s as a quoted JSON string. s must be valid UTF-8.
func appendString(dst []byte, s []byte) []byte { return appendQuoted(dst, s) }

// appendStringS is appendString for a string.
func appendStringS(dst []byte, s string) []byte { return appendQuoted(dst, s) }

// appendQuoted escapes as Jackson does: the short escapes, other control
// bytes as \u00XX with uppercase hex, everything else raw.
func appendQuoted[T ~string | ~[]byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		e := escapeByte[s[i]]
		if e == 0 {
			continue
		}
		dst = append(dst, s[start:i]...)
		if e == 'u' {
			dst = append(dst, '\\', 'u', '0', '0', hexUpper[s[i]>>4], hexUpper[s[i]&0xF])
		} else {
			dst = append(dst, '\\', e)
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// keyForms holds the pre-encoded forms of an object key.
type keyForms struct {
	compact []byte // "key":
	pretty  []byte // "key" : (indentation is written separately)
}

func newKeyForms(name string) keyForms {
	q := appendStringS(nil, name)
	return keyForms{
		compact: append(append([]byte(nil), q...), ':'),
		pretty:  append(append([]byte(nil), q...), " : "...),
	}
}

// appendIndent writes Jackson's DefaultIndenter line break and indentation.
func appendIndent(dst []byte, level int) []byte {
	dst = append(dst, '\n')
	for i := 0; i < level; i++ {
		dst = append(dst, ' ', ' ')
	}
	return dst
}

// kind of a JSON value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber // text holds the number as Jackson re-emits it
	kString // text holds the decoded string (valid UTF-8)
	kObject
	kArray
)

// value is a parsed JSON value that keeps object key order.
type value struct {
	k    kind
	b    bool
	text string
	obj  []member
	arr  []value
}

type member struct {
	key string
	val value
}

func stringValue(s string) value { return value{k: kString, text: s} }

// set puts key=v, replacing an existing key in place (LinkedHashMap.put).
func (v *value) set(key string, val value) {
	for i := range v.obj {
		if v.obj[i].key == key {
			v.obj[i].val = val
			return
		}
	}
	v.obj = append(v.obj, member{key, val})
}

// appendValue writes v; level is the pretty-printer nesting level of the
// enclosing container (0 at the root).
func appendValue(dst []byte, v *value, pretty bool, level int) []byte {
	switch v.k {
	case kNull:
		return append(dst, "null"...)
	case kBool:
		if v.b {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case kNumber:
		if v.text == "Infinity" || v.text == "-Infinity" || v.text == "NaN" {
			return appendStringS(dst, v.text)
		}
		return append(dst, v.text...)
	case kString:
		return appendStringS(dst, v.text)
	case kArray:
		dst = append(dst, '[')
		if len(v.arr) == 0 {
			if pretty {
				dst = append(dst, ' ')
			}
			return append(dst, ']')
		}
		for i := range v.arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			if pretty {
				dst = append(dst, ' ')
			}
			dst = appendValue(dst, &v.arr[i], pretty, level)
		}
		if pretty {
			dst = append(dst, ' ')
		}
		return append(dst, ']')
	case kObject:
		dst = append(dst, '{')
		if len(v.obj) == 0 {
			if pretty {
				dst = append(dst, ' ')
			}
			return append(dst, '}')
		}
		for i := range v.obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			if pretty {
				dst = appendIndent(dst, level+1)
			}
			dst = appendStringS(dst, v.obj[i].key)
			if pretty {
				dst = append(dst, " : "...)
			} else {
				dst = append(dst, ':')
			}
			dst = appendValue(dst, &v.obj[i].val, pretty, level+1)
		}
		if pretty {
			dst = appendIndent(dst, level)
		}
		return append(dst, '}')
	}
	return dst
}

// javaDouble formats f as Java's Double.toString does.
func javaDouble(f float64) string { return javanum.FormatDouble(f) }
