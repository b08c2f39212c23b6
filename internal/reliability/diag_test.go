package reliability

import (
	"fmt"
	"sort"
	"strings"
)

// dupRanges describes the duplicated sequence numbers as ranges.
func (tl tally) dupRanges() string {
	var d []int
	for n, c := range tl.counts {
		if c > 1 {
			d = append(d, n)
		}
	}
	sort.Ints(d)
	var b strings.Builder
	for i := 0; i < len(d); {
		j := i
		for j+1 < len(d) && d[j+1] == d[j]+1 {
			j++
		}
		fmt.Fprintf(&b, "[%d..%d]x%d ", d[i], d[j], tl.counts[d[i]])
		i = j + 1
	}
	return b.String()
}

// missingRanges describes the numbers of [from, to) not read back.
func (tl tally) missingRanges(from, to int) string {
	var b strings.Builder
	for i := from; i < to; {
		if tl.counts[i] > 0 {
			i++
			continue
		}
		j := i
		for j+1 < to && tl.counts[j+1] == 0 {
			j++
		}
		fmt.Fprintf(&b, "[%d..%d] ", i, j)
		i = j + 1
	}
	return b.String()
}
