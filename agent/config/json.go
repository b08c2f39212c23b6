package config

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small JSON parser with the leniency of the Java agent's
// Jackson ObjectMapper (ALLOW_COMMENTS): `/* */` and `//` comments, the last
// of duplicate keys wins (keeping the first key's position, as a
// LinkedHashMap does), number literal text kept as written, object key order
// kept. Everything else is strict JSON, as Jackson is: no trailing commas,
// no single quotes, no leading zeros, no NaN, no control characters inside
// strings. encoding/json can do none of the lenient parts.

// kind is the JSON type of a value.
type kind int

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kObject
	kArray
)

func (k kind) String() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "boolean"
	case kNumber:
		return "number"
	case kString:
		return "string"
	case kObject:
		return "object"
	default:
		return "array"
	}
}

// value is one parsed JSON value.
type value struct {
	kind kind
	b    bool
	// s is the decoded string of a kString, or the literal text of a
	// kNumber exactly as written.
	s string
	// isInt: a kNumber without fraction or exponent.
	isInt   bool
	members []member       // kObject, in first-appearance order
	index   map[string]int // kObject: key -> position in members
	elems   []*value       // kArray
	off     int            // byte offset of the value in the input
}

type member struct {
	key    string
	val    *value
	keyOff int
}

// get returns the member value for key (nil, false if absent).
func (v *value) get(key string) (*value, bool) {
	if v == nil || v.kind != kObject {
		return nil, false
	}
	i, ok := v.index[key]
	if !ok {
		return nil, false
	}
	return v.members[i].val, true
}

// syntaxError is a JSON syntax error at a position of the input.
type syntaxError struct {
	Line, Col int
	Msg       string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// maxDepth is Jackson's default maximum nesting depth.
const maxDepth = 1000

// maxNumberLen is Jackson's default maximum number literal length.
const maxNumberLen = 1000

type parser struct {
	data  []byte
	pos   int
	depth int
}

// parseJSON parses one JSON value from data. Trailing non-whitespace,
// non-comment content after the value is reported by trailing (Jackson does
// not read past the root value, so the Java agent ignores it too).
func parseJSON(data []byte) (root *value, trailing bool, err error) {
	data, err = toUTF8(data)
	if err != nil {
		return nil, false, err
	}
	p := &parser{data: data}
	// Jackson skips a UTF-8 byte order mark.
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		p.pos = 3
	}
	if err := p.skipSpace(); err != nil {
		return nil, false, err
	}
	if p.pos >= len(p.data) {
		return nil, false, p.errorf("no content: the file is empty")
	}
	root, err = p.parseValue()
	if err != nil {
		return nil, false, err
	}
	// What follows the root value is ignored by Jackson; report whether
	// anything but whitespace and comments is there.
	if err := p.skipSpace(); err != nil || p.pos < len(p.data) {
		trailing = true
	}
	return root, trailing, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return p.errorAt(p.pos, format, args...)
}

func (p *parser) errorAt(off int, format string, args ...any) error {
	line, col := lineCol(p.data, off)
	return &syntaxError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// lineCol converts a byte offset into 1-based line and column (in runes).
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	line, col := 1, 1
	for i := 0; i < off; {
		r, n := utf8.DecodeRune(data[i:])
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += n
	}
	return line, col
}

// skipSpace skips JSON whitespace and comments.
func (p *parser) skipSpace() error {
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; c {
		case ' ', '\t', '\n', '\r':
			p.pos++
		case '/':
			if p.pos+1 >= len(p.data) {
				return p.errorf("unexpected end of input after '/'")
			}
			switch p.data[p.pos+1] {
			case '/':
				p.pos += 2
				for p.pos < len(p.data) && p.data[p.pos] != '\n' && p.data[p.pos] != '\r' {
					p.pos++
				}
			case '*':
				start := p.pos
				end := bytes.Index(p.data[p.pos+2:], []byte("*/"))
				if end < 0 {
					return p.errorAt(start, "unterminated /* comment")
				}
				p.pos += 2 + end + 2
			default:
				return p.errorf("unexpected character '/' (comments are /* ... */ or // ...)")
			}
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) parseValue() (*value, error) {
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input, expected a value")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.parseObject()
	case c == '[':
		return p.parseArray()
	case c == '"':
		s, err := p.parseString()
		if err != nil {
			return nil, err
		}
		return &value{kind: kString, s: s, off: start}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber()
	case c == 't':
		return p.parseLiteral("true", &value{kind: kBool, b: true, off: start})
	case c == 'f':
		return p.parseLiteral("false", &value{kind: kBool, b: false, off: start})
	case c == 'n':
		return p.parseLiteral("null", &value{kind: kNull, off: start})
	default:
		return nil, p.errorf("unexpected %s, expected a value", describeByte(p.data, p.pos))
	}
}

func describeByte(data []byte, pos int) string {
	if pos >= len(data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(data[pos:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02X", data[pos])
	}
	if r < 0x20 || r == 0x7F {
		return fmt.Sprintf("control character 0x%02X", r)
	}
	if r == '\'' {
		return "character \"'\" (strings need double quotes)"
	}
	return fmt.Sprintf("character '%c'", r)
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// maxEchoedWord is the longest unquoted word a syntax error repeats: a typo
// of true, false or null is shown; a longer word may be a secret, and so may
// a short one that does not end where a value ends (a secret key's first
// characters up to its first '/' or '+').
const maxEchoedWord = 8

func (p *parser) parseLiteral(lit string, v *value) (*value, error) {
	end := p.pos
	for end < len(p.data) && isIdentByte(p.data[end]) {
		end++
	}
	if string(p.data[p.pos:end]) != lit {
		word := string(p.data[p.pos:end])
		if len(word) > maxEchoedWord || (end < len(p.data) && !strings.ContainsRune(" \t\r\n,}]/", rune(p.data[end]))) ||
			(end+1 < len(p.data) && p.data[end] == '/' && p.data[end+1] != '/' && p.data[end+1] != '*') {
			// Not echoed: an unquoted value this long may be a secret key.
			return nil, p.errorf("unrecognized token (an unquoted word of %d characters, not shown): expected a JSON value (true, false, null, a number, a string, an object or an array); put strings in double quotes", len(word))
		}
		return nil, p.errorf("unrecognized token '%s': expected a JSON value (true, false, null, a number, a string, an object or an array)", strings.ToValidUTF8(word, "?"))
	}
	p.pos = end
	return v, nil
}

func (p *parser) parseNumber() (*value, error) {
	start := p.pos
	i := p.pos
	if p.data[i] == '-' {
		i++
	}
	if i >= len(p.data) || p.data[i] < '0' || p.data[i] > '9' {
		return nil, p.errorAt(i, "invalid number: expected a digit after '-'")
	}
	if p.data[i] == '0' {
		i++
		if i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			return nil, p.errorAt(start, "invalid number: leading zeroes not allowed (write \"010\" as a string for Java's octal reading)")
		}
	} else {
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
	}
	isInt := true
	if i < len(p.data) && p.data[i] == '.' {
		isInt = false
		i++
		if i >= len(p.data) || p.data[i] < '0' || p.data[i] > '9' {
			return nil, p.errorAt(i, "invalid number: expected a digit after the decimal point")
		}
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
	}
	if i < len(p.data) && (p.data[i] == 'e' || p.data[i] == 'E') {
		isInt = false
		i++
		if i < len(p.data) && (p.data[i] == '+' || p.data[i] == '-') {
			i++
		}
		if i >= len(p.data) || p.data[i] < '0' || p.data[i] > '9' {
			return nil, p.errorAt(i, "invalid number: expected a digit in the exponent")
		}
		for i < len(p.data) && p.data[i] >= '0' && p.data[i] <= '9' {
			i++
		}
	}
	if i < len(p.data) && isIdentByte(p.data[i]) {
		return nil, p.errorAt(i, "invalid number: unexpected %s", describeByte(p.data, i))
	}
	if i-start > maxNumberLen {
		return nil, p.errorAt(start, "number literal longer than %d characters", maxNumberLen)
	}
	p.pos = i
	return &value{kind: kNumber, s: string(p.data[start:i]), isInt: isInt, off: start}, nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func (p *parser) read4Hex() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, p.errorf("unexpected end of input in \\u escape")
	}
	var r rune
	for k := 0; k < 4; k++ {
		h := hexVal(p.data[p.pos+k])
		if h < 0 {
			return 0, p.errorAt(p.pos+k, "invalid \\u escape: expected a hex digit")
		}
		r = r<<4 | rune(h)
	}
	p.pos += 4
	return r, nil
}

func (p *parser) parseString() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var sb strings.Builder
	for {
		if p.pos >= len(p.data) {
			return "", p.errorAt(start, "unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return sb.String(), nil
		case c == '\\':
			p.pos++
			if p.pos >= len(p.data) {
				return "", p.errorAt(start, "unterminated string")
			}
			e := p.data[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				r, err := p.read4Hex()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by \uDC00-\uDFFF is a pair;
					// anything else leaves a lone surrogate (U+FFFD here).
					if r < 0xDC00 && p.pos+6 <= len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						r2, err := p.read4Hex()
						if err == nil && r2 >= 0xDC00 && r2 <= 0xDFFF {
							sb.WriteRune(utf16.DecodeRune(r, r2))
							continue
						}
						p.pos = save
					}
					r = utf8.RuneError
				}
				sb.WriteRune(r)
			default:
				return "", p.errorAt(p.pos-2, "invalid escape '\\%s' in string", printableByte(e))
			}
		case c < 0x20:
			return "", p.errorf("illegal unescaped control character 0x%02X in string (escape it, e.g. \\n or \\t)", c)
		case c < 0x80:
			sb.WriteByte(c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n <= 1 {
				return "", p.errorf("invalid UTF-8 byte 0x%02X in string", c)
			}
			sb.Write(p.data[p.pos : p.pos+n])
			p.pos += n
		}
	}
}

func printableByte(b byte) string {
	if b >= 0x20 && b < 0x7F {
		return string(rune(b))
	}
	return fmt.Sprintf("\\x%02X", b)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) parseObject() (*value, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &value{kind: kObject, off: p.pos, index: map[string]int{}}
	p.pos++ // '{'
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	for {
		if p.pos >= len(p.data) {
			return nil, p.errorAt(v.off, "unterminated object: expected '}'")
		}
		if p.data[p.pos] != '"' {
			if p.data[p.pos] == '}' {
				return nil, p.errorf("unexpected '}': trailing comma after the last member")
			}
			return nil, p.errorf("unexpected %s, expected a double-quoted key", describeByte(p.data, p.pos))
		}
		keyOff := p.pos
		key, err := p.parseString()
		if err != nil {
			return nil, err
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("unexpected %s, expected ':' after key %q", describeByte(p.data, p.pos), key)
		}
		p.pos++
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		val, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		if i, dup := v.index[key]; dup {
			// Last wins, in the first key's position (LinkedHashMap.put).
			v.members[i].val = val
			v.members[i].keyOff = keyOff
		} else {
			v.index[key] = len(v.members)
			v.members = append(v.members, member{key: key, val: val, keyOff: keyOff})
		}
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) {
			return nil, p.errorAt(v.off, "unterminated object: expected '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			if err := p.skipSpace(); err != nil {
				return nil, err
			}
		case '}':
			p.pos++
			return v, nil
		default:
			return nil, p.errorf("unexpected %s, expected ',' or '}'", describeByte(p.data, p.pos))
		}
	}
}

func (p *parser) parseArray() (*value, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &value{kind: kArray, off: p.pos}
	p.pos++ // '['
	if err := p.skipSpace(); err != nil {
		return nil, err
	}
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			return nil, p.errorf("unexpected ']': trailing comma after the last element")
		}
		el, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		v.elems = append(v.elems, el)
		if err := p.skipSpace(); err != nil {
			return nil, err
		}
		if p.pos >= len(p.data) {
			return nil, p.errorAt(v.off, "unterminated array: expected ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			if err := p.skipSpace(); err != nil {
				return nil, err
			}
		case ']':
			p.pos++
			return v, nil
		default:
			return nil, p.errorf("unexpected %s, expected ',' or ']'", describeByte(p.data, p.pos))
		}
	}
}

// writeJSON appends v as strict, compact JSON: object key order and number
// literals as written, strings re-escaped, comments gone.
func writeJSON(sb *strings.Builder, v *value) {
	switch v.kind {
	case kNull:
		sb.WriteString("null")
	case kBool:
		sb.WriteString(strconv.FormatBool(v.b))
	case kNumber:
		sb.WriteString(v.s)
	case kString:
		writeJSONString(sb, v.s)
	case kArray:
		sb.WriteByte('[')
		for i, e := range v.elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSON(sb, e)
		}
		sb.WriteByte(']')
	case kObject:
		sb.WriteByte('{')
		for i, m := range v.members {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, m.key)
			sb.WriteByte(':')
			writeJSON(sb, m.val)
		}
		sb.WriteByte('}')
	}
}

func writeJSONString(sb *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\b':
			sb.WriteString(`\b`)
		case c == '\f':
			sb.WriteString(`\f`)
		case c < 0x20:
			sb.WriteString(`\u00`)
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&0xF])
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
}

// toUTF8 returns data as UTF-8. Jackson (which reads agent.json for the
// Java agent) detects UTF-16 and UTF-32, big- or little-endian, by a byte
// order mark or, without one, by the zero bytes around the first
// character (JSON text starts with an ASCII character): Windows PowerShell
// 5 writes UTF-16LE with a mark. Anything else is taken as UTF-8.
func toUTF8(data []byte) ([]byte, error) {
	var width int
	var big bool
	skip := 0
	switch {
	case len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0xFE && data[3] == 0xFF:
		width, big, skip = 4, true, 4
	case len(data) >= 4 && data[0] == 0xFF && data[1] == 0xFE && data[2] == 0 && data[3] == 0:
		width, big, skip = 4, false, 4
	case len(data) >= 2 && data[0] == 0xFE && data[1] == 0xFF:
		width, big, skip = 2, true, 2
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xFE:
		width, big, skip = 2, false, 2
	case len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] != 0:
		width, big = 4, true
	case len(data) >= 4 && data[0] != 0 && data[1] == 0 && data[2] == 0 && data[3] == 0:
		width, big = 4, false
	case len(data) >= 2 && data[0] == 0 && data[1] != 0:
		width, big = 2, true
	case len(data) >= 2 && data[0] != 0 && data[1] == 0:
		width, big = 2, false
	default:
		return data, nil
	}
	enc := fmt.Sprintf("UTF-%d", 8*width)
	if big {
		enc += "BE"
	} else {
		enc += "LE"
	}
	body := data[skip:]
	if len(body)%width != 0 {
		return nil, fmt.Errorf("the file is %s (detected as Jackson does) but its length is not a multiple of %d bytes", enc, width)
	}
	unit := func(i int) uint32 {
		var u uint32
		for k := 0; k < width; k++ {
			b := uint32(body[i+k])
			if big {
				u = u<<8 | b
			} else {
				u |= b << (8 * k)
			}
		}
		return u
	}
	out := make([]byte, 0, len(body)/width+8)
	for i := 0; i < len(body); i += width {
		u := unit(i)
		r := rune(u)
		if width == 2 && utf16.IsSurrogate(r) {
			if i+2 < len(body) {
				if r2 := utf16.DecodeRune(r, rune(unit(i+2))); r2 != utf8.RuneError {
					out = utf8.AppendRune(out, r2)
					i += 2
					continue
				}
			}
			return nil, fmt.Errorf("the file is %s (detected as Jackson does) but has an unpaired surrogate at byte %d", enc, skip+i)
		}
		if u > utf8.MaxRune || utf16.IsSurrogate(r) {
			return nil, fmt.Errorf("the file is %s (detected as Jackson does) but has an invalid character at byte %d", enc, skip+i)
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}
