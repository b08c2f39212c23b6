package processors

import "encoding/json"

// Option is one validated-by-shape item of a flow's dataProcessingOptions,
// as the config loader read it (Java coercion already applied). Build turns
// a list of them into a Chain and applies each converter's own validation.
type Option struct {
	// Key is where the option came from, e.g.
	// `flows[0].dataProcessingOptions[1]`, for error messages.
	Key string
	// Name is optionName: SINGLELINE, CSVTOJSON, LOGTOJSON, ADDMETADATA,
	// ADDEC2METADATA, ADDBRACKETS or USINGPLUGGIN.
	Name string

	ParseOptions        []string // SINGLELINE
	CustomFieldNames    []string // CSVTOJSON, LOGTOJSON; nil when absent
	HasCustomFieldNames bool
	Delimiter           string // CSVTOJSON; "" means ","
	HasDelimiter        bool
	JSONFormat          string // COMPACT (default) or PRETTYPRINT
	LogFormat           string // LOGTOJSON, ADDEC2METADATA
	MatchPattern        string // LOGTOJSON
	HasMatchPattern     bool
	// Metadata is ADDMETADATA's metadata value as strict JSON text with the
	// config file's key order and number literals kept; nil when absent.
	Metadata json.RawMessage
	// Timestamp is ADDMETADATA's timestamp value when it was a JSON string.
	Timestamp    string
	HasTimestamp bool
	MetadataTTL  string // ADDEC2METADATA, raw text (invalid -> WARN, default)
	ClassName    string // USINGPLUGGIN
}
