package ticketlog_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/ticketlog"
)

// Whatever a ticket object holds, its row has exactly 14 columns and one
// line end.
func FuzzAppendRowAlways14Columns(f *testing.F) {
	f.Add([]byte(`{"value":4813,"gate":"S7, Siberia\n","found_at":null,"actual":true}`))
	f.Add([]byte(`{"gate":{"a":[1,",",3]},"origin":"\r\r"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ticket map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&ticket); err != nil {
			return
		}
		row := ticketlog.AppendRow(nil, ticket, [16]byte{1})
		if bytes.Count(row, []byte(",")) != 13 || bytes.Count(row, []byte("\n")) != 1 || row[len(row)-1] != '\n' ||
			bytes.IndexByte(row, '\r') >= 0 {
			t.Fatalf("bad row %q from %s", row, data)
		}
	})
}
