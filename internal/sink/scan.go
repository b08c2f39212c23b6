package sink

import (
	"encoding/json"
	"errors"
	"fmt"
)

// A minimal in-place JSON scanner for the put request bodies. It walks the
// top-level object once, and for the entries array hands the raw Data
// string (base64, never escaped) and the partition key to fn.

var errSyntax = errors.New("malformed JSON")

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString expects b[i] == '"' and returns the raw contents, whether they
// contain escapes, and the index after the closing quote.
func scanString(b []byte, i int) (raw []byte, escaped bool, next int, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, false, i, errSyntax
	}
	start := i + 1
	for j := start; j < len(b); j++ {
		switch b[j] {
		case '"':
			return b[start:j], escaped, j + 1, nil
		case '\\':
			escaped = true
			j++
		}
	}
	return nil, false, len(b), errSyntax
}

// unescape decodes a raw JSON string body that contains escapes.
func unescape(raw []byte) ([]byte, error) {
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) {
		return i, errSyntax
	}
	switch b[i] {
	case '"':
		_, _, next, err := scanString(b, i)
		return next, err
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				_, _, next, err := scanString(b, i)
				if err != nil {
					return next, err
				}
				i = next
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, errSyntax
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

// objectFields calls fn for every field of the object at b[i]; fn returns
// the index after the field's value. It returns the index after '}'.
func objectFields(b []byte, i int, fn func(key []byte, valAt int) (int, error)) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '{' {
		return i, errSyntax
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		key, _, next, err := scanString(b, skipWS(b, i))
		if err != nil {
			return next, err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return i, errSyntax
		}
		if i, err = fn(key, skipWS(b, i+1)); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errSyntax
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return i, errSyntax
		}
		i++
	}
}

// scanEntries walks body's top-level field arrayField (an array of objects)
// and calls fn with each entry's dataField string and PartitionKey.
func scanEntries(body []byte, arrayField string, fn func(data, key []byte) error, dataField string) error {
	_, err := objectFields(body, 0, func(key []byte, at int) (int, error) {
		if string(key) != arrayField {
			return skipValue(body, at)
		}
		i := at
		if i >= len(body) || body[i] != '[' {
			if i+4 <= len(body) && string(body[i:i+4]) == "null" {
				return i + 4, nil
			}
			return i, errSyntax
		}
		i = skipWS(body, i+1)
		if i < len(body) && body[i] == ']' {
			return i + 1, nil
		}
		for {
			var data, pk []byte
			var err error
			i, err = objectFields(body, i, func(k []byte, vat int) (int, error) {
				switch string(k) {
				case dataField, "PartitionKey":
					raw, esc, next, err := scanString(body, vat)
					if err != nil {
						return next, err
					}
					if esc {
						if raw, err = unescape(raw); err != nil {
							return next, fmt.Errorf("%s: %w", k, err)
						}
					}
					if string(k) == dataField {
						data = raw
					} else {
						pk = raw
					}
					return next, nil
				}
				return skipValue(body, vat)
			})
			if err != nil {
				return i, err
			}
			if err := fn(data, pk); err != nil {
				return i, err
			}
			i = skipWS(body, i)
			if i >= len(body) {
				return i, errSyntax
			}
			if body[i] == ']' {
				return i + 1, nil
			}
			if body[i] != ',' {
				return i, errSyntax
			}
			i++
		}
	})
	return err
}

// jsonField returns the top-level string field name of body, or "".
func jsonField(body []byte, name string) string {
	var out string
	_, _ = objectFields(body, 0, func(key []byte, at int) (int, error) {
		if string(key) == name {
			raw, esc, next, err := scanString(body, at)
			if err == nil {
				if esc {
					if u, uerr := unescape(raw); uerr == nil {
						raw = u
					}
				}
				out = string(raw)
			}
			return next, err
		}
		return skipValue(body, at)
	})
	return out
}
