// Package javanum formats numbers as the JVM prints them. It is a leaf
// package shared by the config loader (error texts), the processors (JSON
// numbers re-emitted from parsed input) and the batch builder (RANDOM
// partition keys).
package javanum

import (
	"math"
	"strconv"
)

// AppendDouble appends f formatted like Java's Double.toString (JDK 19+,
// which prints the shortest decimal that reads back as the same double):
//
//   - 1e-3 <= |f| < 1e7: plain decimal with at least one fraction digit
//     ("730878.1907032909", "12.0", "0.001");
//   - otherwise "computerized scientific notation": one digit, a point, at
//     least one fraction digit, 'E', the exponent without '+' or leading
//     zeros ("5.0E-4", "1.2345E7", "4.9E-324");
//   - when the shortest form has one significant digit, the closest
//     two-digit one is used (so trailing ".0" or "4.9E-324");
//   - 0 is "0.0", -0 is "-0.0", NaN "NaN", infinities "Infinity"/"-Infinity".
//
// It does not allocate when dst has room for 26 more bytes.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	if math.Signbit(f) {
		dst = append(dst, '-')
		f = -f
	}
	if f == 0 {
		return append(dst, "0.0"...)
	}
	// Shortest round-trip digits: "d.ddde±XX". When the shortest has one
	// digit, Java picks the closest two-digit decimal instead (4.9E-324, not
	// 5.0E-324); a correctly rounded two-digit form gives it.
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	if len(s) > 1 && s[1] == 'e' {
		s = strconv.AppendFloat(tmp[:0], f, 'e', 1, 64)
	}
	var digits [24]byte
	nd := 0
	i := 0
	for ; i < len(s) && s[i] != 'e'; i++ {
		if s[i] != '.' {
			digits[nd] = s[i]
			nd++
		}
	}
	for nd > 1 && digits[nd-1] == '0' {
		nd--
	}
	exp := 0
	neg := s[i+1] == '-'
	for j := i + 2; j < len(s); j++ {
		exp = exp*10 + int(s[j]-'0')
	}
	if neg {
		exp = -exp
	}
	// f = 0.d1d2d3... * 10^(exp+1) ; d1 is the units digit at exponent exp.
	if f >= 1e-3 && f < 1e7 {
		if exp >= 0 {
			// Integer part: digits[0..exp], padded with zeros.
			for k := 0; k <= exp; k++ {
				if k < nd {
					dst = append(dst, digits[k])
				} else {
					dst = append(dst, '0')
				}
			}
			dst = append(dst, '.')
			if exp+1 < nd {
				dst = append(dst, digits[exp+1:nd]...)
			} else {
				dst = append(dst, '0')
			}
			return dst
		}
		// 0.000ddd
		dst = append(dst, '0', '.')
		for k := 0; k < -exp-1; k++ {
			dst = append(dst, '0')
		}
		return append(dst, digits[:nd]...)
	}
	dst = append(dst, digits[0], '.')
	if nd > 1 {
		dst = append(dst, digits[1:nd]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// FormatDouble returns f as Java's Double.toString prints it.
func FormatDouble(f float64) string {
	var buf [32]byte
	return string(AppendDouble(buf[:0], f))
}
