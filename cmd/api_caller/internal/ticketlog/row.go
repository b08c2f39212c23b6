// Package ticketlog turns tickets into the CSV lines the agent ships and
// writes them into new files atomically.
//
// The agent's CSVTOJSON converter splits on commas and knows no quoting,
// so a value is never quoted: ',' in a value becomes ';', and '\n' / '\r'
// become a space.
package ticketlog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Columns are the CSV columns, in order.
var Columns = [...]string{
	"cost", "trip_class", "show_to_affiliates", "return_date", "origin",
	"number_of_changes", "gate", "found_at", "duration", "distance",
	"destination", "depart_date", "actual", "record_id",
}

// SourceFields are the API field names of Columns[:13] (cost is "value").
var SourceFields = [...]string{
	"value", "trip_class", "show_to_affiliates", "return_date", "origin",
	"number_of_changes", "gate", "found_at", "duration", "distance",
	"destination", "depart_date", "actual",
}

// AppendRow appends the CSV line (with '\n') for ticket, whose fields are
// looked up by name: a missing or null field is an empty column, a
// json.Number is written as its text, a bool as true/false, a string
// sanitised, and an object or array as compact JSON (sanitised).
func AppendRow(dst []byte, ticket map[string]any, recordID [16]byte) []byte {
	for _, f := range SourceFields {
		dst = AppendValue(dst, ticket[f])
		dst = append(dst, ',')
	}
	dst = AppendUUID(dst, recordID)
	return append(dst, '\n')
}

// AppendValue appends one column value (see AppendRow).
func AppendValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return dst
	case string:
		return AppendField(dst, x)
	case json.Number:
		return AppendField(dst, string(x))
	case bool:
		return strconv.AppendBool(dst, x)
	case float64:
		return strconv.AppendFloat(dst, x, 'f', -1, 64)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	default:
		// Compact JSON as the API sent it: no HTML escaping (<, >, & as
		// \u003c...), which json.Marshal would add.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return dst
		}
		return AppendField(dst, strings.TrimSuffix(b.String(), "\n"))
	}
}

// AppendField appends s with ',' replaced by ';' and '\n', '\r' by ' '.
func AppendField(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',':
			dst = append(dst, ';')
		case '\n', '\r':
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// AppendUUID appends id in the canonical 8-4-4-4-12 lower-case form.
func AppendUUID(dst []byte, id [16]byte) []byte {
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0x0f])
	}
	return dst
}

// UUIDv4 sets the version (4) and variant (RFC 4122) bits of 16 random bytes.
func UUIDv4(b [16]byte) [16]byte {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}
