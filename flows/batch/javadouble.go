package batch

import (
	"strconv"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javanum"
)

// AppendJavaDouble appends f as Java's Double.toString prints it (RANDOM
// partition keys); see package javanum.
func AppendJavaDouble(dst []byte, f float64) []byte { return javanum.AppendDouble(dst, f) }

// randomKeySteps is the number of values a RANDOM partition key takes:
// multiples of 1e-9 in [0, 1e6).
const randomKeySteps = 1_000_000_000_000_000

// appendRandomKey appends the RANDOM partition key for n in
// [0, randomKeySteps): exactly what AppendJavaDouble prints for the double
// nearest n/1e9, written without floating-point formatting.
//
// Java's key is Double.toString of a uniformly random double below one
// million, typically 16 or 17 significant digits. Ours is a uniformly
// random multiple of 1e-9 below one million: at most 15 significant
// digits, so the decimal string is the shortest representation of its
// double and is printed digit by digit (a fifth of the cost of the
// general shortest-digits algorithm, which was 3.6 % of the CSVTOJSON
// profile and 6 % of the live one). Below 0.001 Java switches to exponent
// notation; those n (one in a billion) take the general path.
// FuzzAppendRandomKey checks the equivalence.
func appendRandomKey(dst []byte, n uint64) []byte {
	if n < 1_000_000 {
		return AppendJavaDouble(dst, float64(n)/1e9)
	}
	dst = strconv.AppendUint(dst, n/1e9, 10)
	dst = append(dst, '.')
	frac := n % 1e9
	if frac == 0 {
		return append(dst, '0')
	}
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := len(d)
	for d[end-1] == '0' {
		end--
	}
	return append(dst, d[:end]...)
}
