package config

import (
	"strings"
	"testing"
)

// A templated agent.json left unexpanded (a container that forgot envsubst),
// or a relative path, was accepted with no word: the checkpoints went to a
// directory literally named ${STATE_DIR} under the working directory (lost
// with the container), and the only hint was the glob warning about "{".
// Firehose aggregation is silently off with multiLineStartPattern, and with
// LOGTOJSON or CSVTOJSON it hands several lines to the converter as one
// (LOGTOJSON skipped every record: 1,000 lines, 0 sent). Each is warned,
// naming the key. From a review of the Java agent's pull requests and forks
// (awslabs/amazon-kinesis-agent#229, container images).
func TestUnexpandedVariablesRelativePathsAndAggregationThatCannotWorkAreWarned(t *testing.T) {
	c, _, err := loadText(t, `{
  "checkpointFile": "${STATE_DIR}/checkpoints",
  "flows": [
    {"filePattern": "${LOG_DIR}/app.log*", "deliveryStream": "$STREAM", "aggregatedRecordSizeBytes": 100000,
     "dataProcessingOptions": [{"optionName": "ADDBRACKETS"}, {"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG"}]},
    {"filePattern": "logs/app.log", "deliveryStream": "s2", "aggregatedRecordSizeBytes": 1000, "multiLineStartPattern": "^\\d{4}-"},
    {"filePattern": "/var/log/$HOSTNAME/a.log", "kinesisStream": "s3"},
    {"filePattern": "/var/log/app/*.log", "deliveryStream": "s4", "aggregatedRecordSizeBytes": 1000,
     "dataProcessingOptions": [{"optionName": "SINGLELINE"}]},
    {"filePattern": "/var/log/pay$/*.log", "kinesisStream": "s5"},
    {"filePattern": "/var/log/$X/*/a.log", "kinesisStream": "s6"},
    {"filePattern": "~/logs/*.log", "kinesisStream": "s7"}
  ]
}`)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, want := range []string{
		`checkpointFile "${STATE_DIR}/checkpoints" holds ${STATE_DIR}, which looks like an environment variable`,
		`flows[0]: filePattern "${LOG_DIR}/app.log*" holds ${LOG_DIR}, which looks like an environment variable`,
		`flows[0]: deliveryStream "$STREAM" holds $STREAM`,
		`flows[0]: "aggregatedRecordSizeBytes" joins lines into records of up to 100000 bytes before they are processed, so LOGTOJSON (dataProcessingOptions[1]) converts several lines as one`,
		`flows[1]: filePattern "logs/app.log" is a relative path`,
		`flows[1]: key "aggregatedRecordSizeBytes" has no effect with "multiLineStartPattern"`,
		`flows[2]: filePattern "/var/log/$HOSTNAME/a.log" holds $HOSTNAME`,
		`flows[5]: filePattern "/var/log/$X/*/a.log" holds $X`,
		`flows[5]: filePattern "/var/log/$X/*/a.log": the directory part "/var/log/$X/*" is taken literally`,
		`flows[6]: filePattern "~/logs/*.log" begins with ~, which is not expanded`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q in:\n%s", want, all)
		}
	}
	for _, not := range []string{`"${LOG_DIR}" is taken literally`, "flows[3]", "flows[4]"} {
		if strings.Contains(all, not) {
			t.Errorf("warned %q:\n%s", not, all)
		}
	}
	if len(c.Warnings) != 10 {
		t.Errorf("%d warnings, want 10:\n%s", len(c.Warnings), all)
	}
}
