package config

import (
	"strings"
	"testing"
)

// Settings the Java agent runs with while it loses data without a word
// get a clear error or warning here. From a review.

// checkpointTimeToLiveDays 0 deletes every checkpoint at each start (Java's
// query; checkpoint.TestATTLOfZeroDeletesEveryRowAndANegativeOneNone):
// many read 0 as "never expire". Warned, naming the key and the way out.
func TestACheckpointTTLOfZeroIsWarned(t *testing.T) {
	c, _, err := loadText(t, `{"checkpointTimeToLiveDays": 0, "flows":[`+kflow+`}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(c, `"checkpointTimeToLiveDays" is 0: every checkpoint is deleted at each start`) {
		t.Errorf("no warning for checkpointTimeToLiveDays 0; notes: %+v", c.Notes)
	}
	for _, days := range []string{"7", "-1"} {
		c, _, err := loadText(t, `{"checkpointTimeToLiveDays": `+days+`, "flows":[`+kflow+`}]}`)
		if err != nil {
			t.Fatal(err)
		}
		if hasWarning(c, "checkpointTimeToLiveDays") {
			t.Errorf("%s: warned; notes: %+v", days, c.Notes)
		}
	}
}

// CSVTOJSON with "customFieldNames": [] turns every line into {} (Java
// starts, and sends them): refused, as null is.
func TestAnEmptyCustomFieldNamesListIsRefused(t *testing.T) {
	_, _, err := loadText(t, `{"flows":[`+kflow+`, "dataProcessingOptions":[{"optionName":"CSVTOJSON","customFieldNames":[]}]}]}`)
	if err == nil || !strings.Contains(err.Error(), `"customFieldNames" is empty`) || !strings.Contains(err.Error(), "dataProcessingOptions[0]") {
		t.Fatalf("err %v, want customFieldNames empty, naming the option", err)
	}
}

// Only the file name of filePattern is a pattern (Java's too): a glob in
// its directory part names a directory that most often does not exist,
// and the flow tails nothing. Warned, naming the literal directory.
func TestAGlobInTheDirectoryPartOfFilePatternIsWarned(t *testing.T) {
	for _, fp := range []string{"/var/log/*/app.log", "/var/log/app-?/x.log", "/var/log/{a,b}/x.log", "/var/log/[ab]/x.log"} {
		c, _, err := loadText(t, `{"flows":[{"filePattern":"`+fp+`","kinesisStream":"s"}]}`)
		if err != nil {
			t.Fatalf("%s: %v", fp, err)
		}
		if !hasWarning(c, "is taken literally") {
			t.Errorf("%s: no warning that the directory part is taken literally; notes: %+v", fp, c.Notes)
		}
	}
	c, _, err := loadText(t, `{"flows":[{"filePattern":"/var/log/app/*.log","kinesisStream":"s"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if hasWarning(c, "is taken literally") {
		t.Errorf("a literal directory warned; notes: %+v", c.Notes)
	}
}

// connectionTTLMillis is read and type-checked but has no effect: a value
// other than Java's default (-1) is warned, as other keys without effect
// are. From a docs audit.
func TestAConnectionTTLIsWarnedAsWithoutEffect(t *testing.T) {
	c, _, err := loadText(t, `{"connectionTTLMillis": 60000, "flows":[`+kflow+`}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(c, `"connectionTTLMillis" has no effect`) {
		t.Errorf("no warning; notes: %+v", c.Notes)
	}
	c, _, err = loadText(t, `{"connectionTTLMillis": -1, "flows":[`+kflow+`}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if hasWarning(c, "connectionTTLMillis") {
		t.Errorf("the default warned; notes: %+v", c.Notes)
	}
}
