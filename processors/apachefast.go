package processors

// A fast path for COMMONAPACHELOG and COMBINEDAPACHELOG. It recognises
// only the usual shape of a line (host, two user fields, a
// `[dd/Mon/yyyy:HH:MM:SS +zzzz]` date, quoted request, status and size,
// and for the combined format quoted referer and agent) and reports the
// groups only when it is certain the built-in regular expression would
// capture exactly the same; in every other case it answers "undecided" and
// the regular expression runs. It never reports "no match".
//
// Why the groups are the same: every captured field of these patterns is
// followed by a literal the field cannot contain (space, `]`, `"`), so each
// group is the text up to that literal, and the pattern has no other way to
// match; the fast path accepts a field only if its text is in the language
// of the field's sub-pattern (a subset for the date). Checked by
// TestApacheFastPathAgreesWithRegex and FuzzApacheFastPath.

func isUserByte(c byte) bool {
	return c == '.' || c == '_' || c == '-' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordOrDash(c byte) bool {
	return c == '_' || c == '-' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// hostOK: HOSTNAME `[\w-]+(?:\.[\w-]+)*\.?` or IP `[\d.]+`, whole token.
func hostOK(t []byte) bool {
	if len(t) == 0 {
		return false
	}
	ip := true
	for _, c := range t {
		if !isDigit(c) && c != '.' {
			ip = false
			break
		}
	}
	if ip {
		return true
	}
	segLen := 0
	for i, c := range t {
		switch {
		case isWordOrDash(c):
			segLen++
		case c == '.':
			if segLen == 0 {
				return false
			}
			if i == len(t)-1 {
				return true // optional final dot
			}
			segLen = 0
		default:
			return false
		}
	}
	return segLen > 0
}

var months3 = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// dateOK accepts `dd/Mon/yyyy:HH:MM:SS +zzzz` (a subset of HTTPDATE).
func dateOK(d []byte) bool {
	if len(d) != 26 {
		return false
	}
	dd := d[0:2]
	if !isDigit(dd[0]) || !isDigit(dd[1]) {
		return false
	}
	day := int(dd[0]-'0')*10 + int(dd[1]-'0')
	if day < 1 || day > 31 || d[2] != '/' || d[6] != '/' || d[11] != ':' || d[14] != ':' || d[17] != ':' || d[20] != ' ' {
		return false
	}
	mon := string(d[3:6])
	found := false
	for _, m := range months3 {
		if m == mon {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, i := range []int{7, 8, 9, 10, 12, 13, 15, 16, 18, 19, 22, 23, 24, 25} {
		if !isDigit(d[i]) {
			return false
		}
	}
	if d[7] == '0' {
		return false // YEAR is [1-9]\d*
	}
	hour := int(d[12]-'0')*10 + int(d[13]-'0')
	if hour > 23 || d[15] > '5' || d[18] > '5' {
		return false
	}
	return d[21] == '+' || d[21] == '-'
}

// intOrDash scans `(?:[+-]?[0-9]+)|-` greedily at s[p:] and returns the end.
func intOrDash(s []byte, p int) (int, bool) {
	q := p
	if q < len(s) && (s[q] == '+' || s[q] == '-') {
		q++
	}
	d := q
	for q < len(s) && isDigit(s[q]) {
		q++
	}
	if q > d {
		return q, true
	}
	if p < len(s) && s[p] == '-' {
		return p + 1, true
	}
	return 0, false
}

// restOK: `.*` — no Java line terminator in the rest of the line.
func restOK(s []byte) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n', '\r':
			return false
		case 0xC2: // U+0085
			if i+1 < len(s) && s[i+1] == 0x85 {
				return false
			}
		case 0xE2: // U+2028, U+2029
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				return false
			}
		}
	}
	return true
}

func indexByteFrom(s []byte, p int, c byte) int {
	for i := p; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// apacheFast fills idx (pairs for groups 1..7 or 1..9) and reports true
// when certain; false means "undecided, run the regex".
func apacheFast(s []byte, combined bool, idx []int) bool {
	p := 0
	// host, ident, authuser: tokens ended by a space
	for g := 0; g < 3; g++ {
		e := indexByteFrom(s, p, ' ')
		if e <= p {
			return false
		}
		t := s[p:e]
		if g == 0 {
			if !hostOK(t) {
				return false
			}
		} else {
			for _, c := range t {
				if !isUserByte(c) {
					return false
				}
			}
		}
		idx[2*g], idx[2*g+1] = p, e
		p = e + 1
	}
	// [date]
	if p >= len(s) || s[p] != '[' {
		return false
	}
	e := indexByteFrom(s, p+1, ']')
	if e < 0 || !dateOK(s[p+1:e]) || e+2 >= len(s) || s[e+1] != ' ' || s[e+2] != '"' {
		return false
	}
	idx[6], idx[7] = p+1, e
	// "request"
	p = e + 3
	e = indexByteFrom(s, p, '"')
	if e <= p || e+1 >= len(s) || s[e+1] != ' ' {
		return false
	}
	idx[8], idx[9] = p, e
	// response
	p = e + 2
	e, ok := intOrDash(s, p)
	if !ok || e >= len(s) || s[e] != ' ' {
		return false
	}
	idx[10], idx[11] = p, e
	// bytes
	p = e + 1
	e, ok = intOrDash(s, p)
	if !ok {
		return false
	}
	idx[12], idx[13] = p, e
	if !combined {
		return restOK(s[e:])
	}
	// "referer" "agent"
	if e+1 >= len(s) || s[e] != ' ' || s[e+1] != '"' {
		return false
	}
	for g := 7; g < 9; g++ {
		p = e + 2
		e = indexByteFrom(s, p, '"')
		if e <= p {
			return false
		}
		idx[2*g], idx[2*g+1] = p, e
		e++ // past the closing quote
		if g == 7 {
			if e+1 >= len(s) || s[e] != ' ' || s[e+1] != '"' {
				return false
			}
		}
	}
	return restOK(s[e:])
}
