package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Known keys. Everything the Java agent reads, plus our additions
// (status.*). Keys in the noEffect maps are accepted with a warning.

var topLevelKeys = []string{
	"flows",
	"checkpointFile", "checkpointTimeToLiveDays", "checkpoints.queryTimeoutSeconds",
	"checkpoints.connectionTimeoutSeconds",
	"shutdownTimeoutMillis",
	"cloudwatch.emitMetrics", "cloudwatch.namespace", "cloudwatch.metricsBufferTimeMillis",
	"cloudwatch.metricsQueueSize", "cloudwatch.tagInstance", "cloudwatch.endpoint",
	"kinesis.endpoint", "kinesis.region", "firehose.endpoint", "sts.endpoint",
	"awsAccessKeyId", "awsSecretAccessKey", "assumeRoleARN", "assumeRoleExternalId",
	"userDefinedCredentialsProvider.classname", "userDefinedCredentialsProvider.location",
	"maxSendingThreads", "maxSendingThreadsPerCore", "sendingThreadsKeepAliveMillis",
	"sendingThreadsMaxQueueSize", "maxConnections", "connectionTimeoutMillis",
	"socketTimeoutMillis", "connectionTTLMillis", "useTcpKeepAlive", "useHttpGzip",
	"userAgent", "userAgentOverride",
	"log.emitMetrics", "log.emitInternalMetrics", "log.statusReportingPeriodSeconds",
	"log.level", "log.file", "log.maxBackupIndex", "log.maxFileSize",
	"status.listenAddress", "status.allowRemote",
}

// noEffectTop: Java keys accepted here with a warning, and why.
var noEffectTop = map[string]string{
	"userDefinedCredentialsProvider.classname": "Java credential provider classes cannot be loaded; credentials come from awsAccessKeyId/awsSecretAccessKey, assumeRoleARN or the standard AWS chain (environment, profile, web identity, container, instance profile)",
	"userDefinedCredentialsProvider.location":  "Java credential provider jars cannot be loaded; credentials come from awsAccessKeyId/awsSecretAccessKey, assumeRoleARN or the standard AWS chain",
	"sendingThreadsKeepAliveMillis":            "senders are goroutines, there is no thread pool to keep alive",
	"sendingThreadsMaxQueueSize":               "there is no sending task queue; each flow holds at most one sealed batch per sender plus one waiting",
	"checkpoints.connectionTimeoutSeconds":     "the Java agent reads it but never uses it either",
	"log.level":                                "the Java agent never reads it either; use the -L/--log-level flag",
	"log.file":                                 "the Java agent never reads it either; use the -l/--log-file flag",
	"log.maxBackupIndex":                       "the Java agent never reads it either; rotation is done by logrotate",
	"log.maxFileSize":                          "the Java agent never reads it either; rotation is done by logrotate",
}

var flowKeys = []string{
	"filePattern", "kinesisStream", "deliveryStream", "initialPosition",
	"maxBufferAgeMillis", "maxBufferSizeRecords", "maxBufferSizeBytes",
	"waitOnFullPublishQueueMillis", "waitOnEmptyPublishQueueMillis",
	"retryInitialBackoffMillis", "retryMaxBackoffMillis", "publishQueueCapacity",
	"skipHeaderLines", "multiLineStartPattern", "fileFooterPattern",
	"truncatedRecordTerminator", "dataProcessingOptions",
	"minTimeBetweenFilePollsMillis", "maxTimeBetweenFileTrackerRefreshMillis",
	"log.emitInternalMetrics", "partitionKeyOption", "aggregatedRecordSizeBytes",
	"waitOnFullRetryQueueMillis",
}

var noEffectFlow = map[string]string{
	"waitOnFullRetryQueueMillis": "the Java agent defines the name but never reads it either",
}

// Processing option names and keys.
var optionNames = []string{"ADDMETADATA", "ADDEC2METADATA", "SINGLELINE", "CSVTOJSON", "LOGTOJSON", "ADDBRACKETS", "USINGPLUGGIN"}

var optionKeysByName = map[string][]string{
	"SINGLELINE":     {"parseOptions"},
	"CSVTOJSON":      {"customFieldNames", "delimiter", "jsonFormat"},
	"LOGTOJSON":      {"logFormat", "matchPattern", "customFieldNames", "jsonFormat"},
	"ADDMETADATA":    {"metadata", "timestamp", "jsonFormat"},
	"ADDEC2METADATA": {"logFormat", "matchPattern", "customFieldNames", "metadataTTL", "jsonFormat"},
	"ADDBRACKETS":    {},
	"USINGPLUGGIN":   {"className"},
}

var allOptionKeys = []string{
	"optionName", "parseOptions", "customFieldNames", "delimiter", "jsonFormat",
	"logFormat", "matchPattern", "metadata", "timestamp", "metadataTTL", "className",
}

var (
	logFormats  = []string{"COMMONAPACHELOG", "COMBINEDAPACHELOG", "APACHEERRORLOG", "SYSLOG", "RFC3339SYSLOG"}
	jsonFormats = []string{"COMPACT", "PRETTYPRINT"}
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// editDistance is the optimal-string-alignment (restricted
// Damerau-Levenshtein) distance between a and b, compared
// case-insensitively by rune.
func editDistance(a, b string) int {
	ra := []rune(strings.ToLower(a))
	rb := []rune(strings.ToLower(b))
	if len(ra) > 200 || len(rb) > 200 { // nobody misspells that much
		return 1 << 20
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// closeEnough reports whether unknown is plausibly a misspelling of known.
func closeEnough(unknown, known string) bool {
	if strings.EqualFold(unknown, known) {
		return true
	}
	n, m := utf8.RuneCountInString(known), utf8.RuneCountInString(unknown)
	if m > n+3 || n > m+3 { // the distance is at least the length difference
		return false
	}
	d := editDistance(unknown, known)
	return d <= 3 && d*3 <= n
}

// suggest returns the known key closest to unknown, or "".
func suggest(unknown string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if !closeEnough(unknown, k) {
			continue
		}
		d := editDistance(unknown, k)
		if strings.EqualFold(unknown, k) {
			d = 0
		}
		if d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// The three levels of agent.json.
const (
	topLevel = iota
	flowLevel
	optionLevel
)

// unknownKeyWarning words the warning for an unknown key at level, where
// known are the keys it may have.
func unknownKeyWarning(where, key string, known []string, level int) string {
	msg := fmt.Sprintf("unknown key %q is ignored", key)
	if where != "" {
		msg = where + ": " + msg
	}
	if s := suggest(key, known); s != "" {
		if strings.EqualFold(s, key) {
			return msg + fmt.Sprintf("; did you mean %q? (keys are case-sensitive)", s)
		}
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	return msg + placeHint(level, key)
}

// The keys of each level (by topLevel, flowLevel, optionLevel), for a key
// written at another one than its own (a converter's keys in the flow, a
// flow key in an option: awslabs/amazon-kinesis-agent#182, #132).
var keyLevels = [...]struct {
	keys     func() []string
	what     string
	where    string
	noEffect map[string]string // keys read at this level that do nothing there
}{
	{func() []string { return topLevelKeys }, "a top-level key", "at the top level of agent.json", noEffectTop},
	{func() []string { return flowKeys }, "a flow key", `in an object of the "flows" list`, noEffectInFlow},
	{func() []string { return append([]string{"optionName"}, allOptionKeys...) }, "a data processing option's key", `in an object of a flow's "dataProcessingOptions" list`, nil},
}

// noEffectInFlow: flow keys that do nothing (noEffectFlow, and one the
// loader reads and then warns about).
var noEffectInFlow = func() map[string]string {
	m := map[string]string{"publishQueueCapacity": publishQueueNoEffect}
	for k, v := range noEffectFlow {
		m[k] = v
	}
	return m
}()

// publishQueueNoEffect says why publishQueueCapacity does nothing.
const publishQueueNoEffect = "a flow holds at most one sealed batch per sender plus one waiting (up to 9, against Java's queue of 100); reading stops while they wait"

// placeHint says where key belongs when it is a key (or close to one) of
// other levels than here: all of them (log.emitInternalMetrics is a
// top-level key and a flow key), or that it does nothing there either.
func placeHint(here int, key string) string {
	if at, noEffect := levelsOf(here, key, " (write it %s)"); noEffect != "" {
		return fmt.Sprintf("; %q is %s", key, noEffect)
	} else if len(at) > 0 {
		return fmt.Sprintf("; %q is %s", key, strings.Join(at, " or "))
	}
	for i, l := range keyLevels {
		if i == here {
			continue
		}
		if s := suggest(key, append(l.keys(), slices.Collect(maps.Keys(l.noEffect))...)); s != "" {
			at, noEffect := levelsOf(here, s, ", written %s")
			if noEffect != "" {
				return fmt.Sprintf("; did you mean %q? (%s)", s, noEffect)
			}
			return fmt.Sprintf("; did you mean %q? (%s)", s, strings.Join(at, "; or "))
		}
	}
	return ""
}

// levelsOf describes the levels other than here that have key: each as
// its name and where (formatted by where), or, if key does nothing at one
// of them, that level and why.
func levelsOf(here int, key, where string) (at []string, noEffect string) {
	for i, l := range keyLevels {
		if i == here {
			continue
		}
		if reason, ok := l.noEffect[key]; ok {
			return nil, fmt.Sprintf("%s, and has no effect there either: %s", l.what, reason)
		}
		if contains(l.keys(), key) {
			at = append(at, l.what+fmt.Sprintf(where, l.where))
		}
	}
	return at, ""
}

// nestedHint: an unknown top-level key holding an object whose members
// would be known dotted keys ("cloudwatch": {"emitMetrics": ...}).
func nestedHint(key string, v *value) string {
	if v.kind != kObject {
		return ""
	}
	var flat []string
	for _, m := range v.members {
		if contains(topLevelKeys, key+"."+m.key) {
			flat = append(flat, fmt.Sprintf("%q", key+"."+m.key))
		}
	}
	if len(flat) == 0 {
		return ""
	}
	sort.Strings(flat)
	return fmt.Sprintf("; keys are flat, not nested: write %s at the top level", strings.Join(flat, ", "))
}
