package processors

import (
	"bufio"
	"encoding/hex"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// testdata/utf8_java17.txt holds random malformed byte sequences and what
// JDK 17 (and JDK 25) produce for new String(b, UTF_8).getBytes(UTF_8).
func TestUTF8RepairMatchesJava(t *testing.T) {
	f, err := os.Open("testdata/utf8_java17.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		in, want, _ := strings.Cut(sc.Text(), " ")
		b, _ := hex.DecodeString(in)
		got := hex.EncodeToString(appendJavaUTF8(nil, b))
		if got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestInvalidUTF8BecomesReplacementInOutput(t *testing.T) {
	c := mustChain(t, csvOpt([]string{"a"}, ""))
	out, _ := c.Process(nil, []byte("x\xffy\xe2\x82\n"))
	if string(out) != "{\"a\":\"x\uFFFDy\uFFFD\"}\n" {
		t.Fatalf("%q", out)
	}
}

// testdata/double_java25.txt: random doubles (bits in hex) and JDK 25's
// Double.toString (the shortest-digits algorithm of JDK 19+; JDK 17 prints
// a longer form for about 1% of such values).
func TestJavaDoubleMatchesJDK25(t *testing.T) {
	f, err := os.Open("testdata/double_java25.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	bad := 0
	for sc.Scan() {
		h, want, _ := strings.Cut(sc.Text(), " ")
		bits, _ := strconv.ParseUint(h, 16, 64)
		if got := javaDouble(math.Float64frombits(bits)); got != want {
			if bad++; bad < 20 {
				t.Errorf("%s: got %s want %s", h, got, want)
			}
		}
	}
}
