package processors

import "testing"

// A CSVTOJSON delimiter written as a POSIX property splits as Java's
// String.split does ({"a":"x","b":"y"} in JDK 17); it used to match the
// property's translation as a literal and leave the line whole.
func TestCSVDelimiterPOSIXPropertySplitsAsJavas(t *testing.T) {
	c, err := Build([]Option{csvOpt([]string{"a", "b"}, `\p{Space}`)}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	out, res := c.Process(nil, []byte("x y\n"))
	if res != Converted || string(out) != "{\"a\":\"x\",\"b\":\"y\"}\n" {
		t.Fatalf("%v %q", res, out)
	}
}
