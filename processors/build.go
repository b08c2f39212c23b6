package processors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// Option names (optionName values), in Java's enum order.
const (
	NameAddMetadata    = "ADDMETADATA"
	NameAddEC2Metadata = "ADDEC2METADATA"
	NameSingleLine     = "SINGLELINE"
	NameCSVToJSON      = "CSVTOJSON"
	NameLogToJSON      = "LOGTOJSON"
	NameAddBrackets    = "ADDBRACKETS"
	NameUsingPluggin   = "USINGPLUGGIN"
)

// ErrPlugin is returned for USINGPLUGGIN, which names a Java class.
var ErrPlugin = errors.New("USINGPLUGGIN names a Java class (className) that cannot be loaded by this agent; implement the conversion with the built-in converters or before the agent")

// errorf prefixes an error with the option's key.
func keyErr(o *Option, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if o.Key == "" {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %s", o.Key, msg)
}

func enumErr(o *Option, v, key string, legal ...string) error {
	return keyErr(o, "Value(%s) is not legally accepted by key: %s. Legal values are %s", v, key, strings.Join(legal, ","))
}

// Validate checks every option offline (no network), with Java's error
// texts, each prefixed with the option's Key.
func Validate(opts []Option) error {
	for i := range opts {
		if _, err := buildOne(&opts[i], nil, true); err != nil {
			return err
		}
	}
	return nil
}

// Warnings returns what is wrong with options Validate accepts, each
// prefixed with the option's Key: settings the Java agent takes and then
// loses every record with. A LOGTOJSON matchPattern whose capture groups
// are not as many as customFieldNames matches no record into fields: each
// is skipped (spec 6.5). The configuration loader reports these with its
// other warnings, at a start and for --validate alike.
func Warnings(opts []Option) []string {
	var warns []string
	for i := range opts {
		o := &opts[i]
		switch {
		case o.Name == NameLogToJSON && o.HasMatchPattern:
			lp, err := newLogParser(o)
			if err != nil || lp.re == nil || lp.re.NumGroups() == len(lp.names) {
				continue
			}
			warns = append(warns, keyErr(o, "matchPattern's capture groups (%d) are not as many as customFieldNames (%d): every record will be skipped, as in the Java agent (give each group a name, or make the groups that need no name non-capturing: (?:...))",
				lp.re.NumGroups(), len(lp.names)).Error())
		case o.Name == NameCSVToJSON && o.HasDelimiter:
			// Java splits with String.split(delimiter): a regular
			// expression. "|" (pipe-separated files) matches an empty
			// string, "." any character: the fields are not the columns.
			re, err := javaregex.Compile(o.Delimiter, 0)
			if err != nil || !splitsAnywhere(re, o.Delimiter) {
				continue
			}
			hint := ""
			if len(o.Delimiter) == 1 && strings.Contains(".|^$", o.Delimiter) {
				hint = fmt.Sprintf(`; for a literal %s write "delimiter": "\\%s" in agent.json`, o.Delimiter, o.Delimiter)
			}
			warns = append(warns, keyErr(o, "delimiter %q is a regular expression, as in the Java agent, and it matches an empty string or any character: the fields are not the columns%s",
				o.Delimiter, hint).Error())
		case o.Name == NameAddMetadata && o.HasTimestamp && !strings.EqualFold(o.Timestamp, "true") && !strings.EqualFold(o.Timestamp, "false"):
			warns = append(warns, keyErr(o, "timestamp %q is neither \"true\" nor \"false\": no timestamp is added, as in the Java agent", o.Timestamp).Error())
		}
	}
	return warns
}

// splitsAnywhere reports whether the delimiter regex re (source src)
// matches an empty string, or an ordinary character src does not hold: it
// then splits lines where no delimiter is.
func splitsAnywhere(re *javaregex.Regexp, src string) bool {
	if re.Matches("") {
		return true
	}
	for _, c := range []string{"x", "Q", "7"} {
		if !strings.Contains(src, c) && re.Matches(c) {
			return true
		}
	}
	return false
}

// Build validates the options and builds the chain. ADDEC2METADATA fetches
// instance metadata here (as Java does at construction). A chain built from
// no options passes raw bytes untouched.
func Build(opts []Option, deps Deps) (*Chain, error) {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Context == nil {
		deps.Context = context.Background()
	}
	c := &Chain{log: deps.Logger}
	for i := range opts {
		cv, err := buildOne(&opts[i], &deps, false)
		if err != nil {
			return nil, err
		}
		c.convs = append(c.convs, cv)
	}
	return c, nil
}

func jsonPretty(o *Option) (bool, error) {
	switch o.JSONFormat {
	case "", "COMPACT":
		return false, nil
	case "PRETTYPRINT":
		return true, nil
	}
	return false, enumErr(o, o.JSONFormat, "jsonFormat", "COMPACT", "PRETTYPRINT")
}

// buildOne validates one option and, unless validateOnly, builds its
// converter.
func buildOne(o *Option, deps *Deps, validateOnly bool) (converter, error) {
	switch o.Name {
	case "":
		return nil, keyErr(o, "Required configuration value missing: optionName")
	case NameSingleLine:
		return newSingleLine(o), nil
	case NameAddBrackets:
		return brackets{}, nil
	case NameCSVToJSON:
		if !o.HasCustomFieldNames {
			return nil, keyErr(o, "Required list missing: customFieldNames")
		}
		delim := ","
		if o.HasDelimiter {
			delim = o.Delimiter
		}
		re, err := javaregex.Compile(delim, 0)
		if err != nil {
			return nil, keyErr(o, "delimiter: %v", err)
		}
		pretty, err := jsonPretty(o)
		if err != nil {
			return nil, err
		}
		return newCSV(o.CustomFieldNames, re, pretty), nil
	case NameLogToJSON:
		pretty, err := jsonPretty(o)
		if err != nil {
			return nil, err
		}
		lp, err := newLogParser(o)
		if err != nil {
			return nil, err
		}
		var log = slog.New(slog.DiscardHandler)
		if deps != nil {
			log = deps.Logger.With("component", "LogToJSONDataConverter")
		}
		return newLogToJSON(lp, pretty, log), nil
	case NameAddMetadata:
		pretty, err := jsonPretty(o)
		if err != nil {
			return nil, err
		}
		meta := value{k: kNull}
		if o.Metadata != nil {
			meta, err = parseFirstValue(o.Metadata)
			if err != nil {
				return nil, keyErr(o, "metadata: %v", err)
			}
		}
		am := newAddMetadata(meta, strings.EqualFold(o.Timestamp, "true") && o.HasTimestamp, pretty)
		if deps != nil {
			am.now = deps.now
		}
		return am, nil
	case NameAddEC2Metadata:
		pretty, err := jsonPretty(o)
		if err != nil {
			return nil, err
		}
		// Java builds (and so validates) a log parser it never uses.
		if _, err := newLogParser(o); err != nil {
			return nil, err
		}
		if validateOnly {
			return nil, nil
		}
		return newEC2Metadata(o, *deps, pretty), nil
	case NameUsingPluggin:
		if o.ClassName != "" {
			return nil, keyErr(o, "%v (className %s)", ErrPlugin, o.ClassName)
		}
		return nil, keyErr(o, "%v", ErrPlugin)
	default:
		return nil, enumErr(o, o.Name, "optionName", NameAddMetadata, NameAddEC2Metadata, NameSingleLine,
			NameCSVToJSON, NameLogToJSON, NameAddBrackets, NameUsingPluggin)
	}
}

// parseJavaInt decodes an integer as Java's Integer.decode does (the
// agent's string-to-int conversion): optional sign, 0x/0X/# hex, leading 0
// octal, else decimal; 32-bit range.
func parseJavaInt(s string) (int64, error) {
	t := s
	if t == "" {
		return 0, errors.New("zero length string")
	}
	neg := false
	switch t[0] {
	case '-':
		neg = true
		t = t[1:]
	case '+':
		t = t[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(t, "0x"), strings.HasPrefix(t, "0X"):
		base, t = 16, t[2:]
	case strings.HasPrefix(t, "#"):
		base, t = 16, t[1:]
	case strings.HasPrefix(t, "0") && len(t) > 1:
		base, t = 8, t[1:]
	}
	if t == "" || t[0] == '-' || t[0] == '+' {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	v, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	if neg {
		v = -v
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, fmt.Errorf("integer %q out of range", s)
	}
	return v, nil
}
