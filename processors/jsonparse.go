package processors

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// An order-preserving JSON parser with the rules of Jackson 2.17's default
// ObjectMapper: strict JSON (no comments, no single quotes, no raw control
// characters in strings, no leading zeros, no NaN), duplicate keys keep the
// first position and the last value, nesting depth at most 1000, numbers at
// most 1000 characters. Only the first value is read; anything after it is
// ignored (FAIL_ON_TRAILING_TOKENS is off by default).

const (
	maxJSONDepth     = 1000
	maxJSONNumberLen = 1000
)

var errJSONEmpty = errors.New("no content to map due to end-of-input")

type jsonParser struct {
	s     []byte
	pos   int
	depth int
}

// parseFirstValue parses the first JSON value in s.
func parseFirstValue(s []byte) (value, error) {
	if !utf8.Valid(s) {
		// Jackson reads a Java String: malformed bytes were already U+FFFD
		s = appendJavaUTF8(nil, s)
	}
	p := jsonParser{s: s}
	p.skipWS()
	if p.pos >= len(p.s) {
		return value{}, errJSONEmpty
	}
	return p.value()
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("json at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipWS() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (value, error) {
	if p.pos >= len(p.s) {
		return value{}, p.errorf("unexpected end-of-input")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		return value{k: kString, text: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", value{k: kBool, b: true})
	case c == 'f':
		return p.literal("false", value{k: kBool})
	case c == 'n':
		return p.literal("null", value{k: kNull})
	default:
		return value{}, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(word string, v value) (value, error) {
	if len(p.s)-p.pos < len(word) || string(p.s[p.pos:p.pos+len(word)]) != word {
		return value{}, p.errorf("unrecognized token")
	}
	p.pos += len(word)
	// Jackson requires a token boundary after a literal
	if p.pos < len(p.s) && isIdentByte(p.s[p.pos]) {
		return value{}, p.errorf("unrecognized token")
	}
	return v, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > maxJSONDepth {
		return p.errorf("document nesting depth (%d) exceeds the maximum allowed (%d)", p.depth, maxJSONDepth)
	}
	return nil
}

func (p *jsonParser) object() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	p.pos++ // {
	v := value{k: kObject}
	var index map[string]int
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		p.depth--
		return v, nil
	}
	for {
		p.skipWS()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return value{}, p.errorf("expected a field name")
		}
		key, err := p.str()
		if err != nil {
			return value{}, err
		}
		p.skipWS()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return value{}, p.errorf("expected ':'")
		}
		p.pos++
		p.skipWS()
		val, err := p.value()
		if err != nil {
			return value{}, err
		}
		// duplicate key: last value wins at the first position
		if len(v.obj) >= 16 && index == nil {
			index = make(map[string]int, 32)
			for i, m := range v.obj {
				index[m.key] = i
			}
		}
		dup := -1
		if index != nil {
			if i, ok := index[key]; ok {
				dup = i
			}
		} else {
			for i := range v.obj {
				if v.obj[i].key == key {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			v.obj[dup].val = val
		} else {
			if index != nil {
				index[key] = len(v.obj)
			}
			v.obj = append(v.obj, member{key, val})
		}
		p.skipWS()
		if p.pos >= len(p.s) {
			return value{}, p.errorf("unexpected end-of-input in object")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return v, nil
		default:
			return value{}, p.errorf("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) array() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	p.pos++ // [
	v := value{k: kArray, arr: []value{}}
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		p.depth--
		return v, nil
	}
	for {
		p.skipWS()
		val, err := p.value()
		if err != nil {
			return value{}, err
		}
		v.arr = append(v.arr, val)
		p.skipWS()
		if p.pos >= len(p.s) {
			return value{}, p.errorf("unexpected end-of-input in array")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return v, nil
		default:
			return value{}, p.errorf("expected ',' or ']'")
		}
	}
}

// str parses a JSON string at p.pos (which is '"').
func (p *jsonParser) str() (string, error) {
	p.pos++
	start := p.pos
	// fast path: no escapes
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '"' {
			s := string(p.s[start:p.pos])
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("illegal unquoted character (CTRL-CHAR, code %d)", c)
		}
		p.pos++
	}
	buf := append([]byte(nil), p.s[start:p.pos]...)
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("illegal unquoted character (CTRL-CHAR, code %d)", c)
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.s) {
			break
		}
		e := p.s[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("illegal unicode escape")
			}
			if r >= 0xD800 && r <= 0xDBFF {
				// a pair of escapes forms one supplementary character
				if p.pos+1 < len(p.s) && p.s[p.pos] == '\\' && p.s[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					r2, ok := p.hex4()
					if !ok {
						return "", p.errorf("illegal unicode escape")
					}
					if r2 >= 0xDC00 && r2 <= 0xDFFF {
						buf = utf8.AppendRune(buf, (r-0xD800)<<10+(r2-0xDC00)+0x10000)
						continue
					}
					p.pos = save
				}
				// a lone surrogate becomes '?' when Java encodes to UTF-8
				buf = append(buf, '?')
				continue
			}
			if r >= 0xDC00 && r <= 0xDFFF {
				buf = append(buf, '?')
				continue
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errorf("unrecognized character escape %q", e)
		}
	}
	return "", p.errorf("unexpected end-of-input in string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := p.s[p.pos+i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.pos += 4
	return r, true
}

// number parses a JSON number and returns it in the form Jackson prints:
// integers as written (-0 as 0), floating values in Java double form.
func (p *jsonParser) number() (value, error) {
	start := p.pos
	if p.s[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	intStart := p.pos
	if digits() == 0 {
		return value{}, p.errorf("invalid numeric value")
	}
	if p.s[intStart] == '0' && p.pos-intStart > 1 {
		return value{}, p.errorf("invalid numeric value: leading zeroes not allowed")
	}
	isFloat := false
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		isFloat = true
		p.pos++
		if digits() == 0 {
			return value{}, p.errorf("decimal point not followed by a digit")
		}
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		isFloat = true
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return value{}, p.errorf("exponent indicator not followed by a digit")
		}
	}
	if p.pos < len(p.s) && isIdentByte(p.s[p.pos]) {
		return value{}, p.errorf("invalid numeric value")
	}
	text := string(p.s[start:p.pos])
	if len(text) > maxJSONNumberLen {
		return value{}, p.errorf("number value length (%d) exceeds the maximum allowed (%d)", len(text), maxJSONNumberLen)
	}
	return value{k: kNumber, text: numberText(text, isFloat)}, nil
}

func numberText(text string, isFloat bool) string {
	if !isFloat {
		if text == "-0" {
			return "0"
		}
		return text
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// out of range: ParseFloat returns ±Inf or ±0 with ErrRange
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			bf, _, _ := big.ParseFloat(text, 10, 53, big.ToNearestEven)
			if bf != nil {
				f, _ = bf.Float64()
			}
		}
	}
	return javaDouble(f)
}
