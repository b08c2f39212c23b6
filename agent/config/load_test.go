package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeConfig writes agent.json into a fresh directory and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadText(t *testing.T, text string) (*Config, string, error) {
	t.Helper()
	p := writeConfig(t, text)
	cfg, err := Load(p, "")
	return cfg, p, err
}

const kflow = `{"filePattern": "/var/log/app/*.log", "kinesisStream": "s1"`

func TestLoadRejectsWithJavaErrorTexts(t *testing.T) {
	tests := map[string]struct {
		config string
		want   string // exact text after "<file>: "
	}{
		"empty flows list is refused (spec 10.2)": {
			config: `{"flows":[]}`,
			want:   "There are no flows configured in configuration file.",
		},
		"missing flows is refused": {
			config: `{"cloudwatch.emitMetrics": false}`,
			want:   "There are no flows configured in configuration file.",
		},
		"maxBufferAgeMillis below range (spec 10.3)": {
			config: `{"flows":[` + kflow + `, "maxBufferAgeMillis": 999}]}`,
			want:   "flows[0]: 'maxBufferAgeMillis' value 999 is outside of valid range ([1000..900000])",
		},
		"maxBufferAgeMillis above range": {
			config: `{"flows":[` + kflow + `, "maxBufferAgeMillis": 900001}]}`,
			want:   "flows[0]: 'maxBufferAgeMillis' value 900001 is outside of valid range ([1000..900000])",
		},
		"maxBufferSizeRecords 501 (spec 10.4)": {
			config: `{"flows":[` + kflow + `, "maxBufferSizeRecords": 501}]}`,
			want:   "flows[0]: 'maxBufferSizeRecords' value 501 is outside of valid range ([1..500])",
		},
		"Firehose maxBufferSizeBytes 4194305 (spec 10.4)": {
			config: `{"flows":[{"filePattern": "/a/b", "deliveryStream": "d", "maxBufferSizeBytes": 4194305}]}`,
			want:   "flows[0]: 'maxBufferSizeBytes' value 4194305 is outside of valid range ([1..4194304])",
		},
		"lower-case initialPosition (spec 10.5)": {
			config: `{"flows":[` + kflow + `, "initialPosition": "start_of_file"}]}`,
			want:   "flows[0]: Value(start_of_file) is not legally accepted by key: initialPosition. Legal values are START_OF_FILE,END_OF_FILE",
		},
		"two identical flows (spec 10.7)": {
			config: `{"flows":[{"filePattern": "/var//log/x*", "deliveryStream": "d"}, {"filePattern": "/var/log/x*", "deliveryStream": "d", "kinesisStream": "k"}]}`,
			want:   "flows[1]: Duplicate flow: fh:d:/var/log/x* (same as ",
		},
		"flow without destination": {
			config: `{"flows":[{"filePattern": "/a/b"}]}`,
			want:   "flows[0]: Could not create flow from the given configuration. Could not recognize flow type. A flow needs \"kinesisStream\" or \"deliveryStream\".",
		},
		"misspelt destination gets a hint": {
			config: `{"flows":[{"filePattern": "/a/b", "kinesisstream": "s"}]}`,
			want:   "flows[0]: Could not create flow from the given configuration. Could not recognize flow type. The flow has \"kinesisstream\": did you mean \"kinesisStream\"?",
		},
		"missing filePattern": {
			config: `{"flows":[{"kinesisStream": "s"}]}`,
			want:   "flows[0]: Required configuration value missing: filePattern",
		},
		"file name without directory": {
			config: `{"flows":[{"filePattern": "app.log", "kinesisStream": "s"}]}`,
			want:   "flows[0]: filePattern \"app.log\": Directory component is empty!",
		},
		"filePattern ending in slash": {
			config: `{"flows":[{"filePattern": "/var/log/", "kinesisStream": "s"}]}`,
			want:   "flows[0]: filePattern \"/var/log/\": File name component is empty!",
		},
		"filePattern with unclosed glob group": {
			config: `{"flows":[{"filePattern": "/var/log/{a,b", "kinesisStream": "s"}]}`,
			want:   "flows[0]: filePattern \"/var/log/{a,b\": invalid file name glob \"{a,b\": Missing '}'",
		},
		"float for a long key": {
			config: `{"flows":[` + kflow + `, "maxBufferAgeMillis": 1000.0}]}`,
			want:   "flows[0]: Failed to convert value (1000.0) to desired type (class java.lang.Long): maxBufferAgeMillis: not an integer",
		},
		"integer beyond int range": {
			config: `{"flows":[` + kflow + `, "maxBufferSizeRecords": 3000000000}]}`,
			want:   "flows[0]: Failed to convert value (3000000000) to desired type (class java.lang.Integer): maxBufferSizeRecords: out of range",
		},
		"integer with a leading 0 and an 8": {
			config: `{"flows":[` + kflow + `, "maxBufferSizeRecords": "08"}]}`,
			want:   "flows[0]: Failed to convert value (08) to desired type (class java.lang.Integer): maxBufferSizeRecords: a leading 0 makes it octal, where 8 and 9 are not digits (write it without the leading 0)",
		},
		"long beyond 64 bits": {
			config: `{"shutdownTimeoutMillis": "9223372036854775808", "flows":[` + kflow + `}]}`,
			want:   "Failed to convert value (9223372036854775808) to desired type (class java.lang.Long): shutdownTimeoutMillis: out of range",
		},
		"bad boolean string": {
			config: `{"cloudwatch.emitMetrics": "maybe", "flows":[` + kflow + `}]}`,
			want:   "Failed to convert value (maybe) to desired type (class java.lang.Boolean): cloudwatch.emitMetrics: Cannot convert value to boolean: maybe",
		},
		"boolean given as 2": {
			config: `{"flows":[` + kflow + `, "log.emitInternalMetrics": 2}]}`,
			want:   "flows[0]: Failed to convert value (2) to desired type (class java.lang.Boolean): log.emitInternalMetrics: Cannot convert value to boolean: 2",
		},
		"flows not a list": {
			config: `{"flows": {"a": 1}}`,
			want:   "Configuration value is not a list: {a=1} (key flows)",
		},
		"flow item not an object": {
			config: `{"flows": ["x"]}`,
			want:   "Failed to convert list item (x) to desired type (class com.amazon.kinesis.streaming.agent.config.Configuration): flows (flows[0] must be a JSON object)",
		},
		"dataProcessingOptions as an object": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": {"optionName": "ADDBRACKETS"}}]}`,
			want:   "flows[0]: \"dataProcessingOptions\" must be a list of objects, got a JSON object (write it as a list: [ { ... } ]); the Java agent silently ignores this, so nothing would be processed",
		},
		"unknown optionName": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS"}, {"optionName": "singleline"}]}]}`,
			want:   "flows[0].dataProcessingOptions[1]: Value(singleline) is not legally accepted by key: optionName. Legal values are ADDMETADATA,ADDEC2METADATA,SINGLELINE,CSVTOJSON,LOGTOJSON,ADDBRACKETS,USINGPLUGGIN",
		},
		"USINGPLUGGIN names a Java class and is rejected at startup": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "USINGPLUGGIN", "className": "com.example.X"}]}]}`,
			want:   "flows[0].dataProcessingOptions[0]: USINGPLUGGIN names a Java class (className) that cannot be loaded by this agent",
		},
		"missing optionName": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"logFormat": "SYSLOG"}]}]}`,
			want:   "flows[0].dataProcessingOptions[0]: Required configuration value missing: optionName",
		},
		"CSVTOJSON without customFieldNames": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "CSVTOJSON"}]}]}`,
			want:   "flows[0].dataProcessingOptions[0]: Required list missing: customFieldNames",
		},
		"processing options fail in list order": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "LOGTOJSON", "logFormat": "SYSLOG", "matchPattern": "(x)"}, {"optionName": "NOPE"}]}]}`,
			want:   "flows[0].dataProcessingOptions[0]: customFieldNames must be specified when matchPattern is specified",
		},
		"CSVTOJSON with customFieldNames null": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "CSVTOJSON", "customFieldNames": null}]}]}`,
			want:   `flows[0].dataProcessingOptions[0]: "customFieldNames" is null: expected a list of field names, e.g. ["a", "b"]`,
		},
		"LOGTOJSON with lower-case logFormat": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "LOGTOJSON", "logFormat": "syslog"}]}]}`,
			want:   "flows[0].dataProcessingOptions[0]: Value(syslog) is not legally accepted by key: logFormat. Legal values are COMMONAPACHELOG,COMBINEDAPACHELOG,APACHEERRORLOG,SYSLOG,RFC3339SYSLOG",
		},
		"ADDMETADATA timestamp as a JSON boolean": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDMETADATA", "timestamp": true}]}]}`,
			want:   "flows[0].dataProcessingOptions[0]: \"timestamp\" must be a JSON string (\"true\" or \"false\"), got true: the Java agent fails to start on this too",
		},
		"invalid multiLineStartPattern": {
			config: `{"flows":[` + kflow + `, "multiLineStartPattern": "(ab"}]}`,
			want:   "flows[0]: multiLineStartPattern: ",
		},
		"invalid fileFooterPattern": {
			config: `{"flows":[` + kflow + `, "fileFooterPattern": "[x"}]}`,
			want:   "flows[0]: fileFooterPattern: ",
		},
		"null truncatedRecordTerminator": {
			config: `{"flows":[` + kflow + `, "truncatedRecordTerminator": null}]}`,
			want:   "flows[0]: Record terminator not specified or exceeds the maximum record size",
		},
		"partitionKeyOption lower case": {
			config: `{"flows":[` + kflow + `, "partitionKeyOption": "random"}]}`,
			want:   "flows[0]: Value(random) is not legally accepted by key: partitionKeyOption. Legal values are RANDOM,DETERMINISTIC",
		},
		"aggregatedRecordSizeBytes above range": {
			config: `{"flows":[{"filePattern": "/a/b", "deliveryStream": "d", "aggregatedRecordSizeBytes": 1024001}]}`,
			want:   "flows[0]: 'aggregatedRecordSizeBytes' value 1024001 is outside of valid range ([0..1024000])",
		},
		"validation order: maxBufferAgeMillis before initialPosition": {
			config: `{"flows":[` + kflow + `, "initialPosition": "x", "maxBufferAgeMillis": 1}]}`,
			want:   "flows[0]: 'maxBufferAgeMillis' value 1 is outside of valid range ([1000..900000])",
		},
		"validation order: filePattern before ranges": {
			config: `{"flows":[{"kinesisStream": "s", "maxBufferAgeMillis": 1}]}`,
			want:   "flows[0]: Required configuration value missing: filePattern",
		},
		"validation order: flow type before filePattern": {
			config: `{"flows":[{"maxBufferAgeMillis": 1}]}`,
			want:   "flows[0]: Could not create flow from the given configuration. Could not recognize flow type. A flow needs \"kinesisStream\" or \"deliveryStream\".",
		},
		"maxSendingThreads zero": {
			config: `{"maxSendingThreads": 0, "flows":[` + kflow + `}]}`,
			want:   "'maxSendingThreads' value 0 is outside of valid range ([1..+∞))",
		},
		"status endpoint on all interfaces needs allowRemote": {
			config: `{"status.listenAddress": ":9100", "flows":[` + kflow + `}]}`,
			want:   "'status.listenAddress' value \":9100\" is not a loopback address; set \"status.allowRemote\": true to serve the status endpoint to other hosts",
		},
		"status endpoint address without port": {
			config: `{"status.listenAddress": "127.0.0.1", "flows":[` + kflow + `}]}`,
			want:   "'status.listenAddress' value \"127.0.0.1\" is not host:port",
		},
		"syntax error has line and column": {
			config: "{\n  \"flows\": [,]\n}",
			want:   "Failed when reading configuration file: line 2, column 13: unexpected character ',', expected a value",
		},
		"trailing comma": {
			config: `{"flows": [` + kflow + `},]}`,
			want:   "Failed when reading configuration file: line 1, column 73: unexpected ']': trailing comma after the last element",
		},
		"number with leading zero": {
			config: `{"flows": [` + kflow + `, "maxBufferSizeRecords": 010}]}`,
			want:   "Failed when reading configuration file: line 1, column 97: invalid number: leading zeroes not allowed (write \"010\" as a string for Java's octal reading)",
		},
		"unterminated comment": {
			config: `{"flows": [] /* `,
			want:   "Failed when reading configuration file: line 1, column 14: unterminated /* comment",
		},
		"top level is a list": {
			config: `[]`,
			want:   "Failed when reading configuration file: the top level must be a JSON object, got a JSON array",
		},
		"empty file": {
			config: ``,
			want:   "Failed when reading configuration file: line 1, column 1: no content: the file is empty",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, path, err := loadText(t, tc.config)
			if err == nil {
				t.Fatalf("Load accepted the configuration, want error %q", tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *config.Error: %v", err, err)
			}
			want := path + ": " + tc.want
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n got: %s\nwant: %s", err, want)
			}
		})
	}
}

func TestLoadAcceptsJavaCompatibleInput(t *testing.T) {
	tests := map[string]struct {
		config string
		check  func(t *testing.T, c *Config)
	}{
		"comments, string boolean no, octal string (spec 10.8)": {
			config: `/* header */ {
				// line comment
				"cloudwatch.emitMetrics": "no", /* inline */
				"flows": [ ` + kflow + `, "maxBufferSizeRecords": "010" } ]
			} // trailing comment`,
			check: func(t *testing.T, c *Config) {
				if c.CloudWatch.EmitMetrics {
					t.Error("cloudwatch.emitMetrics \"no\" did not disable CloudWatch")
				}
				if got := c.Flows[0].MaxBufferSizeRecords; got != 8 {
					t.Errorf("maxBufferSizeRecords \"010\" = %d, want 8", got)
				}
			},
		},
		"900000 is the top of the maxBufferAgeMillis range (spec 10.3)": {
			config: `{"flows":[` + kflow + `, "maxBufferAgeMillis": 900000}]}`,
			check: func(t *testing.T, c *Config) {
				if c.Flows[0].MaxBufferAge != 900*time.Second {
					t.Errorf("MaxBufferAge = %v", c.Flows[0].MaxBufferAge)
				}
			},
		},
		"Kinesis maxBufferSizeBytes 5242880 (spec 10.4)": {
			config: `{"flows":[` + kflow + `, "maxBufferSizeBytes": 5242880}]}`,
			check: func(t *testing.T, c *Config) {
				if c.Flows[0].MaxBufferSizeBytes != 5242880 {
					t.Errorf("MaxBufferSizeBytes = %d", c.Flows[0].MaxBufferSizeBytes)
				}
			},
		},
		"deliveryStream wins over kinesisStream (spec 10.6)": {
			config: `{"flows":[{"filePattern": "/a/*.log", "kinesisStream": "k", "deliveryStream": "d"}]}`,
			check: func(t *testing.T, c *Config) {
				f := c.Flows[0]
				if f.Kind != Firehose || f.Destination != "d" || f.ID != "fh:d:/a/*.log" {
					t.Errorf("flow = kind %v dest %q id %q, want Firehose d fh:d:/a/*.log", f.Kind, f.Destination, f.ID)
				}
				if f.MaxBufferSizeBytes != 4194304 {
					t.Errorf("Firehose default MaxBufferSizeBytes = %d", f.MaxBufferSizeBytes)
				}
				if !hasWarning(c, `"kinesisStream" is ignored`) {
					t.Errorf("no warning about the ignored kinesisStream: %q", c.Warnings)
				}
			},
		},
		"last duplicate key wins": {
			config: `{"flows":[` + kflow + `, "maxBufferSizeRecords": 7, "maxBufferSizeRecords": 9}], "kinesis.region": "a", "kinesis.region": "b"}`,
			check: func(t *testing.T, c *Config) {
				if c.Flows[0].MaxBufferSizeRecords != 9 || c.KinesisRegion != "b" {
					t.Errorf("got %d %q, want 9 b", c.Flows[0].MaxBufferSizeRecords, c.KinesisRegion)
				}
			},
		},
		"defaults": {
			config: `{"flows":[` + kflow + `}]}`,
			check: func(t *testing.T, c *Config) {
				f := c.Flows[0]
				want := Flow{
					ID: "kinesis:s1:/var/log/app/*.log", Source: c.Sources[0], Kind: Kinesis, Destination: "s1",
					FilePattern: "/var/log/app/*.log", Dir: "/var/log/app", Glob: "*.log",
					InitialPosition: EndOfFile, MaxBufferAge: time.Minute, MaxBufferSizeRecords: 500,
					MaxBufferSizeBytes: 5242880, WaitOnFullPublishQueue: time.Minute, WaitOnEmptyPublishQueue: time.Minute,
					RetryInitialBackoff: 100 * time.Millisecond, RetryMaxBackoff: 10 * time.Second,
					PublishQueueCapacity: 100, TruncatedRecordTerminator: "\n",
					MinTimeBetweenFilePolls: 100 * time.Millisecond, MaxTimeBetweenFileTrackerRefresh: 10 * time.Second,
					PartitionKeyOption: PartitionRandom,
				}
				if f.ID != want.ID || f.Dir != want.Dir || f.Glob != want.Glob || f.InitialPosition != want.InitialPosition ||
					f.MaxBufferAge != want.MaxBufferAge || f.MaxBufferSizeRecords != want.MaxBufferSizeRecords ||
					f.MaxBufferSizeBytes != want.MaxBufferSizeBytes || f.WaitOnFullPublishQueue != want.WaitOnFullPublishQueue ||
					f.WaitOnEmptyPublishQueue != want.WaitOnEmptyPublishQueue || f.RetryInitialBackoff != want.RetryInitialBackoff ||
					f.RetryMaxBackoff != want.RetryMaxBackoff || f.PublishQueueCapacity != want.PublishQueueCapacity ||
					f.TruncatedRecordTerminator != want.TruncatedRecordTerminator || f.MinTimeBetweenFilePolls != want.MinTimeBetweenFilePolls ||
					f.MaxTimeBetweenFileTrackerRefresh != want.MaxTimeBetweenFileTrackerRefresh || f.PartitionKeyOption != want.PartitionKeyOption ||
					f.SkipHeaderLines != 0 || f.EmitInternalMetrics || f.DataProcessingOptions != nil {
					t.Errorf("flow defaults\n got %+v\nwant %+v", f, want)
				}
				threads := max(2, 12*runtime.NumCPU())
				if c.MaxSendingThreads != threads || c.MaxConnections != max(50, threads) {
					t.Errorf("threads %d connections %d, want %d %d", c.MaxSendingThreads, c.MaxConnections, threads, max(50, threads))
				}
				if c.CheckpointTTLDays != 7 || c.CheckpointQueryTimeout != 30*time.Second || c.ShutdownTimeout != 10*time.Second ||
					!c.CloudWatch.EmitMetrics || c.CloudWatch.Namespace != "AWSKinesisAgent" || c.CloudWatch.BufferTime != 30*time.Second ||
					c.CloudWatch.QueueSize != 10000 || c.CloudWatch.TagInstance || c.ConnectionTimeout != 10*time.Second ||
					c.SocketTimeout != 50*time.Second || c.ConnectionTTL >= 0 || c.UseTCPKeepAlive || c.UseHTTPGzip ||
					c.LogEmitMetrics || c.LogEmitInternalMetrics || c.StatusReportingPeriod != 30*time.Second ||
					c.CheckpointFile != "" || c.StatusListenAddress != "" || c.StatusAllowRemote {
					t.Errorf("top-level defaults wrong: %+v", c)
				}
				if len(c.Warnings) != 0 {
					t.Errorf("warnings on a clean config: %q", c.Warnings)
				}
			},
		},
		"maxSendingThreadsPerCore sets the default thread count": {
			config: `{"maxSendingThreadsPerCore": 1, "flows":[` + kflow + `}]}`,
			check: func(t *testing.T, c *Config) {
				if want := max(2, runtime.NumCPU()); c.MaxSendingThreads != want {
					t.Errorf("MaxSendingThreads = %d, want %d", c.MaxSendingThreads, want)
				}
			},
		},
		"flow ids keep dot components and collapse slashes": {
			config: `{"flows":[{"filePattern": "/var//log/./app/x.log", "kinesisStream": "s"}, {"filePattern": "/log.*", "kinesisStream": "s"}, {"filePattern": "rel/dir/*.log", "deliveryStream": "d"}]}`,
			check: func(t *testing.T, c *Config) {
				want := []string{"kinesis:s:/var/log/./app/x.log", "kinesis:s://log.*", "fh:d:rel/dir/*.log"}
				for i, w := range want {
					if c.Flows[i].ID != w {
						t.Errorf("flow %d id %q, want %q", i, c.Flows[i].ID, w)
					}
				}
				if c.Flows[1].Dir != "/" || c.Flows[1].Glob != "log.*" {
					t.Errorf("/log.* split into %q %q", c.Flows[1].Dir, c.Flows[1].Glob)
				}
			},
		},
		"string keys accept numbers and booleans": {
			config: `{"kinesis.region": 42, "cloudwatch.namespace": true, "flows":[{"filePattern": "/a/b", "kinesisStream": 7}]}`,
			check: func(t *testing.T, c *Config) {
				if c.KinesisRegion != "42" || c.CloudWatch.Namespace != "true" || c.Flows[0].Destination != "7" {
					t.Errorf("got %q %q %q", c.KinesisRegion, c.CloudWatch.Namespace, c.Flows[0].Destination)
				}
			},
		},
		"data processing options are carried over": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [
				{"optionName": "SINGLELINE", "parseOptions": ["NO_TRIM", "ESCAPE_NEW_LINE"]},
				{"optionName": "CSVTOJSON", "customFieldNames": ["a", 1], "delimiter": "\\t", "jsonFormat": "PRETTYPRINT"},
				{"optionName": "LOGTOJSON", "logFormat": "SYSLOG", "matchPattern": "^(\\w+)$", "customFieldNames": ["m"]},
				{"optionName": "ADDMETADATA", "metadata": {"z": 1.50, /* c */ "a": [true, null, "q\""], "z": 2e0}, "timestamp": "TRUE"},
				{"optionName": "ADDEC2METADATA", "logFormat": "RFC3339SYSLOG", "metadataTTL": "abc"},
				{"optionName": "ADDBRACKETS"}
			]}]}`,
			check: func(t *testing.T, c *Config) {
				o := c.Flows[0].DataProcessingOptions
				if len(o) != 6 {
					t.Fatalf("%d options", len(o))
				}
				if o[0].Key != "flows[0].dataProcessingOptions[0]" || o[0].Name != "SINGLELINE" || strings.Join(o[0].ParseOptions, ",") != "NO_TRIM,ESCAPE_NEW_LINE" {
					t.Errorf("SINGLELINE %+v", o[0])
				}
				if !o[1].HasCustomFieldNames || strings.Join(o[1].CustomFieldNames, ",") != "a,1" || !o[1].HasDelimiter || o[1].Delimiter != `\t` || o[1].JSONFormat != "PRETTYPRINT" {
					t.Errorf("CSVTOJSON %+v", o[1])
				}
				if o[2].LogFormat != "SYSLOG" || !o[2].HasMatchPattern || o[2].MatchPattern != `^(\w+)$` || o[2].JSONFormat != "COMPACT" {
					t.Errorf("LOGTOJSON %+v", o[2])
				}
				if string(o[3].Metadata) != `{"z":2e0,"a":[true,null,"q\""]}` || !o[3].HasTimestamp || o[3].Timestamp != "TRUE" {
					t.Errorf("ADDMETADATA metadata %s timestamp %q", o[3].Metadata, o[3].Timestamp)
				}
				if o[4].LogFormat != "RFC3339SYSLOG" || o[4].MetadataTTL != "abc" || o[4].HasCustomFieldNames {
					t.Errorf("ADDEC2METADATA %+v", o[4])
				}
			},
		},
		"trailing content after the root object is ignored with a warning": {
			config: `{"flows":[` + kflow + `}]}}`,
			check: func(t *testing.T, c *Config) {
				if !hasWarning(c, "content after the top-level JSON object is ignored") {
					t.Errorf("no trailing-content warning: %q", c.Warnings)
				}
			},
		},
		"byte order mark is skipped": {
			config: "\xEF\xBB\xBF" + `{"flows":[` + kflow + `}]}`,
			check:  func(t *testing.T, c *Config) {},
		},
		"status endpoint keys": {
			config: `{"status.listenAddress": "0.0.0.0:9100", "status.allowRemote": "yes", "flows":[` + kflow + `}]}`,
			check: func(t *testing.T, c *Config) {
				if c.StatusListenAddress != "0.0.0.0:9100" || !c.StatusAllowRemote {
					t.Errorf("status %q %v", c.StatusListenAddress, c.StatusAllowRemote)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, _, err := loadText(t, tc.config)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tc.check(t, c)
		})
	}
}

func hasWarning(c *Config, sub string) bool {
	for _, w := range c.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestLoadWarnsAboutUnknownAndIneffectiveKeys(t *testing.T) {
	tests := map[string]struct {
		config string
		want   string // substring of one warning, after "<file>: "
	}{
		"misspelt flow key gets the closest known key": {
			config: `{"flows":[` + kflow + `, "initialPostion": "START_OF_FILE"}]}`,
			want:   `flows[0]: unknown key "initialPostion" is ignored; did you mean "initialPosition"?`,
		},
		"transposed letters": {
			config: `{"flows":[` + kflow + `, "maxBufferSizeRecrods": 5}]}`,
			want:   `did you mean "maxBufferSizeRecords"?`,
		},
		"wrong case top-level key": {
			config: `{"CloudWatch.emitMetrics": false, "flows":[` + kflow + `}]}`,
			want:   `unknown key "CloudWatch.emitMetrics" is ignored; did you mean "cloudwatch.emitMetrics"? (keys are case-sensitive)`,
		},
		"unrelated key has no hint": {
			config: `{"flows":[` + kflow + `, "zzzzzzzz": 5}]}`,
			want:   `flows[0]: unknown key "zzzzzzzz" is ignored`,
		},
		"nested object instead of dotted keys": {
			config: `{"cloudwatch": {"emitMetrics": false}, "flows":[` + kflow + `}]}`,
			want:   `unknown key "cloudwatch" is ignored; keys are flat, not nested: write "cloudwatch.emitMetrics" at the top level`,
		},
		"misspelt processing option key": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "CSVTOJSON", "customFieldNames": ["a"], "delimeter": ";"}]}]}`,
			want:   `flows[0].dataProcessingOptions[0]: unknown key "delimeter" is ignored; did you mean "delimiter"?`,
		},
		"option key of another converter": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "jsonFormat": "COMPACT"}]}]}`,
			want:   `flows[0].dataProcessingOptions[0]: key "jsonFormat" has no effect on ADDBRACKETS`,
		},
		"user-defined credentials provider": {
			config: `{"userDefinedCredentialsProvider.classname": "x.Y", "flows":[` + kflow + `}]}`,
			want:   `key "userDefinedCredentialsProvider.classname" has no effect here`,
		},
		// awslabs/amazon-kinesis-agent#182, #132: keys written at
		// another level than their own say where they belong.
		"a converter's keys in the flow": {
			config: `{"flows":[` + kflow + `, "optionName": "CSVTOJSON", "customFieldNames": ["a"]}]}`,
			want:   `flows[0]: unknown key "customFieldNames" is ignored; "customFieldNames" is a data processing option's key (write it in an object of a flow's "dataProcessingOptions" list)`,
		},
		"a flow key in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "maxBufferAgeMillis": 1000}]}]}`,
			want:   `flows[0].dataProcessingOptions[0]: unknown key "maxBufferAgeMillis" is ignored; "maxBufferAgeMillis" is a flow key (write it in an object of the "flows" list)`,
		},
		"a misspelt flow key in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "initialPostion": "START_OF_FILE"}]}]}`,
			want:   `unknown key "initialPostion" is ignored; did you mean "initialPosition"? (a flow key, written in an object of the "flows" list)`,
		},
		"a flow key at the top level": {
			config: `{"kinesisStream": "s", "flows":[` + kflow + `}]}`,
			want:   `unknown key "kinesisStream" is ignored; "kinesisStream" is a flow key (write it in an object of the "flows" list)`,
		},
		"a top-level key in a flow": {
			config: `{"flows":[` + kflow + `, "kinesis.endpoint": "https://kinesis.us-east-1.amazonaws.com"}]}`,
			want:   `flows[0]: unknown key "kinesis.endpoint" is ignored; "kinesis.endpoint" is a top-level key (write it at the top level of agent.json)`,
		},
		// From a review: a key of two levels names both; a key that does
		// nothing at its own level says so, not where to move it.
		"a key of two levels in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "log.emitInternalMetrics": true}]}]}`,
			want:   `unknown key "log.emitInternalMetrics" is ignored; "log.emitInternalMetrics" is a top-level key (write it at the top level of agent.json) or a flow key (write it in an object of the "flows" list)`,
		},
		"a misspelt key of two levels in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "log.emitInternalMetric": true}]}]}`,
			want:   `did you mean "log.emitInternalMetrics"? (a top-level key, written at the top level of agent.json; or a flow key, written in an object of the "flows" list)`,
		},
		"a flow key without effect in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "publishQueueCapacity": 10}]}]}`,
			want:   `unknown key "publishQueueCapacity" is ignored; "publishQueueCapacity" is a flow key, and has no effect there either: a flow holds at most one sealed batch`,
		},
		"another flow key without effect in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "waitOnFullRetryQueueMillis": 1000}]}]}`,
			want:   `unknown key "waitOnFullRetryQueueMillis" is ignored; "waitOnFullRetryQueueMillis" is a flow key, and has no effect there either: the Java agent defines the name but never reads it either`,
		},
		"a misspelt flow key without effect in an option": {
			config: `{"flows":[` + kflow + `, "dataProcessingOptions": [{"optionName": "ADDBRACKETS", "publishQueueCapcity": 10}]}]}`,
			want:   `unknown key "publishQueueCapcity" is ignored; did you mean "publishQueueCapacity"? (a flow key, and has no effect there either: a flow holds`,
		},
		"a misspelt top-level key without effect in a flow": {
			config: `{"flows":[` + kflow + `, "sendingThreadsMaxQueueSise": 10}]}`,
			want:   `unknown key "sendingThreadsMaxQueueSise" is ignored; did you mean "sendingThreadsMaxQueueSize"? (a top-level key, and has no effect there either: there is no sending task queue`,
		},
		"log.level in a flow": {
			config: `{"flows":[` + kflow + `, "log.level": "DEBUG"}]}`,
			want:   `flows[0]: unknown key "log.level" is ignored; "log.level" is a top-level key, and has no effect there either: the Java agent never reads it either; use the -L/--log-level flag`,
		},
		"log.level": {
			config: `{"log.level": "DEBUG", "flows":[` + kflow + `}]}`,
			want:   `key "log.level" has no effect here: the Java agent never reads it either; use the -L/--log-level flag`,
		},
		"sending thread pool keys": {
			config: `{"sendingThreadsMaxQueueSize": 5, "flows":[` + kflow + `}]}`,
			want:   `key "sendingThreadsMaxQueueSize" has no effect here`,
		},
		"maxSendingThreadsPerCore beside maxSendingThreads": {
			config: `{"maxSendingThreads": 4, "maxSendingThreadsPerCore": 2, "flows":[` + kflow + `}]}`,
			want:   `key "maxSendingThreadsPerCore" has no effect because "maxSendingThreads" is set`,
		},
		"access key without secret": {
			config: `{"awsAccessKeyId": "AKIA", "flows":[` + kflow + `}]}`,
			want:   `"awsAccessKeyId" is set but "awsSecretAccessKey" is not`,
		},
		"external id without role": {
			config: `{"assumeRoleExternalId": "x", "flows":[` + kflow + `}]}`,
			want:   `key "assumeRoleExternalId" has no effect without "assumeRoleARN"`,
		},
		"retry backoff of 0": {
			config: `{"flows":[` + kflow + `, "retryInitialBackoffMillis": 0}]}`,
			want:   `flows[0]: "retryInitialBackoffMillis" (0) or "retryMaxBackoffMillis" (10000) is 0: failed calls are retried at once, without backoff`,
		},
		"retry max backoff below the initial one": {
			config: `{"flows":[` + kflow + `, "retryInitialBackoffMillis": 500, "retryMaxBackoffMillis": 200}]}`,
			want:   `"retryMaxBackoffMillis" (200) is below "retryInitialBackoffMillis" (500): every retry waits about retryMaxBackoffMillis`,
		},
		"publishQueueCapacity": {
			config: `{"flows":[` + kflow + `, "publishQueueCapacity": 10}]}`,
			want:   `flows[0]: key "publishQueueCapacity" has no effect here`,
		},
		"negative skipHeaderLines": {
			config: `{"flows":[` + kflow + `, "skipHeaderLines": -1}]}`,
			want:   `flows[0]: "skipHeaderLines" (-1) is negative: no header lines are skipped (as in Java)`,
		},
		"publishQueueCapacity of 0": {
			config: `{"flows":[` + kflow + `, "publishQueueCapacity": 0}]}`,
			want:   `flows[0]: key "publishQueueCapacity" has no effect here`,
		},
		"negative checkpoint query timeout": {
			config: `{"checkpoints.queryTimeoutSeconds": -1, "flows":[` + kflow + `}]}`,
			want:   `"checkpoints.queryTimeoutSeconds" (-1) is negative (the Java agent logs an SQL error and sets no limit): 0 is used`,
		},
		"metrics buffer time of 0": {
			config: `{"cloudwatch.metricsBufferTimeMillis": 0, "flows":[` + kflow + `}]}`,
			want:   `"cloudwatch.metricsBufferTimeMillis" (0) is not positive: the default, 30000, is used`,
		},
		"socket timeout of 0": {
			config: `{"socketTimeoutMillis": 0, "flows":[` + kflow + `}]}`,
			want:   `"socketTimeoutMillis" is 0 (no limit in the Java agent): the default, 50 s, is used`,
		},
		"connection timeout of 0": {
			config: `{"connectionTimeoutMillis": "0", "flows":[` + kflow + `}]}`,
			want:   `"connectionTimeoutMillis" is 0 (no limit in the Java agent): the default, 10 s, is used`,
		},
		"partitionKeyOption on Firehose": {
			config: `{"flows":[{"filePattern": "/a/b", "deliveryStream": "d", "partitionKeyOption": "RANDOM"}]}`,
			want:   `flows[0]: key "partitionKeyOption" has no effect on a Firehose flow`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, path, err := loadText(t, tc.config)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, w := range c.Warnings {
				if strings.HasPrefix(w, path+": ") && strings.Contains(w, tc.want) {
					return
				}
			}
			t.Errorf("no warning containing %q (prefixed by the file) in %q", tc.want, c.Warnings)
		})
	}
}

func TestCoercion(t *testing.T) {
	tests := map[string]struct {
		in   string // JSON value text
		bits uint
		want int64
		ok   bool
	}{
		"decimal":                  {`"123"`, 32, 123, true},
		"plus sign":                {`"+5"`, 32, 5, true},
		"negative":                 {`"-5"`, 32, -5, true},
		"hex 0x":                   {`"0x1F"`, 32, 31, true},
		"hex 0X":                   {`"0X1f"`, 32, 31, true},
		"hex #":                    {`"#10"`, 32, 16, true},
		"negative hex":             {`"-0x10"`, 32, -16, true},
		"octal":                    {`"010"`, 32, 8, true},
		"zero":                     {`"0"`, 32, 0, true},
		"bad octal digit":          {`"08"`, 32, 0, false},
		"sign after prefix":        {`"0x-1"`, 32, 0, false},
		"double sign":              {`"--1"`, 32, 0, false},
		"empty":                    {`""`, 32, 0, false},
		"spaces":                   {`" 1"`, 32, 0, false},
		"hex prefix only":          {`"0x"`, 32, 0, false},
		"int max":                  {`2147483647`, 32, 2147483647, true},
		"int max+1":                {`2147483648`, 32, 0, false},
		"int min":                  {`"-2147483648"`, 32, -2147483648, true},
		"int min hex":              {`"-0x80000000"`, 32, -2147483648, true},
		"int min-1":                {`-2147483649`, 32, 0, false},
		"long max":                 {`9223372036854775807`, 64, 9223372036854775807, true},
		"long min":                 {`-9223372036854775808`, 64, -9223372036854775808, true},
		"long overflow":            {`92233720368547758070`, 64, 0, false},
		"huge hex":                 {`"0xFFFFFFFFFFFFFFFFFFFF"`, 64, 0, false},
		"JSON float":               {`1000.0`, 64, 0, false},
		"JSON exponent":            {`1e3`, 64, 0, false},
		"JSON negative zero":       {`-0`, 32, 0, true},
		"boolean for an int":       {`true`, 32, 0, false},
		"list for an int":          {`[1]`, 32, 0, false},
		"null for an int":          {`null`, 32, 0, false},
		"decimal string for long":  {`"60000"`, 64, 60000, true},
		"octal string for long":    {`"0777"`, 64, 511, true},
		"hex string beyond int ok": {`"0xFFFFFFFF"`, 64, 4294967295, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			root, _, err := parseJSON([]byte(`{"k": ` + tc.in + `}`))
			if err != nil {
				t.Fatal(err)
			}
			r := &objReader{file: "f", obj: root}
			got, err := r.integer("k", -99, tc.bits)
			if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
				t.Errorf("integer(%s, %d bits) = %d, %v; want %d ok=%v", tc.in, tc.bits, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestBooleanCoercion(t *testing.T) {
	tests := map[string]struct {
		in   string
		want bool
		ok   bool
	}{
		"JSON true": {`true`, true, true}, "JSON false": {`false`, false, true},
		"yes": {`"yes"`, true, true}, "YES": {`"YES"`, true, true}, "t": {`"t"`, true, true},
		"Y": {`"Y"`, true, true}, "1 string": {`"1"`, true, true}, "1 number": {`1`, true, true},
		"no": {`"No"`, false, true}, "f": {`"F"`, false, true}, "n": {`"n"`, false, true},
		"0 number": {`0`, false, true}, "FALSE": {`"FALSE"`, false, true},
		"1.0": {`1.0`, false, false}, "on": {`"on"`, false, false}, "empty": {`""`, false, false},
		"null": {`null`, false, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			root, _, err := parseJSON([]byte(`{"k": ` + tc.in + `}`))
			if err != nil {
				t.Fatal(err)
			}
			r := &objReader{file: "f", obj: root}
			got, err := r.boolean("k", !tc.want)
			if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
				t.Errorf("boolean(%s) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
			if !tc.ok && err != nil && tc.in != "null" && !strings.Contains(err.Error(), "Cannot convert value to boolean: ") {
				t.Errorf("error %q lacks Java's text", err)
			}
		})
	}
}

func TestJavaText(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"float":         {`1000.0`, "1000.0"},
		"exponent":      {`1e3`, "1000.0"},
		"large float":   {`1e7`, "1.0E7"},
		"small float":   {`0.0001`, "1.0E-4"},
		"fraction":      {`1.10`, "1.1"},
		"negative zero": {`-0`, "0"},
		"object":        {`{"a": 1, "b": [1, "x"]}`, "{a=1, b=[1, x]}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			root, _, err := parseJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := javaText(root); got != tc.want {
				t.Errorf("javaText(%s) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEditDistanceSuggestsClosestKey(t *testing.T) {
	tests := map[string]struct{ unknown, want string }{
		"missing letter":   {"initialPostion", "initialPosition"},
		"transposition":    {"fileaPttern", "filePattern"},
		"case only":        {"FilePattern", "filePattern"},
		"extra letter":     {"kinesisStreams", "kinesisStream"},
		"far away":         {"foo", ""},
		"short and random": {"ab", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := suggest(tc.unknown, flowKeys); got != tc.want {
				t.Errorf("suggest(%q) = %q, want %q", tc.unknown, got, tc.want)
			}
		})
	}
}

func TestAgentDMerge(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "agent.json")
	confDir := filepath.Join(dir, "agent.d")
	if err := os.Mkdir(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(main, `{"flows":[{"filePattern": "/m/a", "kinesisStream": "main"}]}`)
	write(filepath.Join(confDir, "b.json"), `{"flows":[{"filePattern": "/d/b", "kinesisStream": "b"}], "kinesis.region": "x"}`)
	write(filepath.Join(confDir, "a.conf"), "// any name\n{\"flows\":[{\"filePattern\": \"/d/a\", \"deliveryStream\": \"a\"}]}")
	write(filepath.Join(confDir, "c-broken.json"), `{"flows": [`)
	write(filepath.Join(confDir, "d-notlist.json"), `{"flows": {}}`)
	if err := os.Mkdir(filepath.Join(confDir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		main, confDir string
		wantIDs       []string
		wantWarn      []string
		notWarn       []string
		wantErr       string
	}{
		"agent.d flows follow the main file's in name order (spec 10.37)": {
			main: main, confDir: confDir,
			wantIDs: []string{"kinesis:main:/m/a", "fh:a:/d/a", "kinesis:b:/d/b"},
			wantWarn: []string{
				filepath.Join(confDir, "c-broken.json") + ": Error reading configuration file, ignoring - c-broken.json: Failed when reading configuration file: line 1, column 12: unexpected end of input",
				filepath.Join(confDir, "d-notlist.json") + ": Error reading configuration file, ignoring - d-notlist.json: \"flows\" must be a list, got {}",
				filepath.Join(confDir, "b.json") + `: key "kinesis.region" has no effect: only "flows" is read`,
				filepath.Join(confDir, "a.conf") + ": read as a flow file although its name does not end in .json",
			},
			notWarn: []string{"b.json: read as a flow file"},
		},
		"missing agent.d is fine": {
			main: main, confDir: filepath.Join(dir, "nope"),
			wantIDs: []string{"kinesis:main:/m/a"},
		},
		"main file without flows is fine when agent.d has flows": {
			main: writeConfig(t, `{"kinesis.region": "us-east-1"}`), confDir: confDir,
			wantIDs: []string{"fh:a:/d/a", "kinesis:b:/d/b"},
		},
		"duplicate across files": {
			main: writeConfig(t, `{"flows":[{"filePattern": "/d/b", "kinesisStream": "b"}]}`), confDir: confDir,
			wantErr: filepath.Join(confDir, "b.json") + ": flows[0]: Duplicate flow: kinesis:b:/d/b",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Load(tc.main, tc.confDir)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || !errors.Is(err, ErrDuplicateFlow) {
					t.Fatalf("error %v, want prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range c.Flows {
				ids = append(ids, f.ID)
			}
			if strings.Join(ids, " ") != strings.Join(tc.wantIDs, " ") {
				t.Errorf("flows %q, want %q", ids, tc.wantIDs)
			}
			for _, w := range tc.wantWarn {
				if !hasWarning(c, w) {
					t.Errorf("no warning %q in %q", w, c.Warnings)
				}
			}
			for _, w := range tc.notWarn {
				if hasWarning(c, w) {
					t.Errorf("warning %q in %q", w, c.Warnings)
				}
			}
		})
	}
}

func TestLoadMissingFileNamesIt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.json")
	_, err := Load(p, "")
	if err == nil || !strings.HasPrefix(err.Error(), p+": Failed when reading configuration file: ") {
		t.Fatalf("error %v", err)
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	_, _, err := loadText(t, `{"awsSecretAccessKey": {"s": "SUPERSECRET"}, "flows":[`+kflow+`}]}`)
	if err == nil || strings.Contains(err.Error(), "SUPERSECRET") {
		t.Fatalf("error %v", err)
	}
}

func TestRepositoryExampleLoads(t *testing.T) {
	c, err := Load("../../agent.json.example", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Flows) != 1 || c.Flows[0].ID != "kinesis:airline_tickets:/var/log/airline_tickets/*log" {
		t.Fatalf("flows %+v", c.Flows)
	}
	if c.KinesisRegion != "us-east-1" || len(c.Warnings) != 0 {
		t.Errorf("region %q warnings %q", c.KinesisRegion, c.Warnings)
	}
}

func TestGlobErrorsAsJava(t *testing.T) {
	tests := map[string]struct{ glob, want string }{
		"plain":          {"*.log", ""},
		"group":          {"app.{log,txt}", ""},
		"class":          {"[a-c]*", ""},
		"negated class":  {"[!a]*", ""},
		"leading dash":   {"[-a]", ""},
		"escaped brace":  {`\{x`, ""},
		"unclosed group": {"{a,b", "Missing '}'"},
		"nested group":   {"{a,{b}}", "Cannot nest groups"},
		"unclosed class": {"[ab", "Missing ']'"},
		"reversed range": {"[z-a]", "Invalid range"},
		// Characters, not bytes, are compared (as Java, and the tailer,
		// do): a reversed range of letters beyond ASCII passed here and
		// made the start fail.
		"reversed non-ASCII range": {"[ü-é].log", "Invalid range"},
		"non-ASCII range":          {"[é-ü].log", ""},
		"non-ASCII after a range":  {"[a-zé]*", ""},
		"range without start":      {"[^-a]", "Invalid range"},
		"trailing backslash":       {`a\`, "No character to escape"},
		"dangling range":           {"[a-", "Missing ']'"},
		// Java translates these to an empty regex class, which does not compile.
		"empty class":         {"app[].log", `Unclosed character class: [] and [!] are empty (write \] for a literal ']')`},
		"empty negated class": {"x[!]", `Unclosed character class: [] and [!] are empty (write \] for a literal ']')`},
		"caret class":         {"[^]", ""},
		"dash class":          {"[-]", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := checkGlob(tc.glob); got != tc.want {
				t.Errorf("checkGlob(%q) = %q, want %q", tc.glob, got, tc.want)
			}
		})
	}
}

func TestSplitFilePattern(t *testing.T) {
	tests := map[string]struct{ in, dir, glob, msg string }{
		"absolute":       {"/var/log/app/*.log", "/var/log/app", "*.log", ""},
		"root":           {"/log.*", "/", "log.*", ""},
		"double slashes": {"//var///log//x", "/var/log", "x", ""},
		"dot kept":       {"/var/./log/x", "/var/./log", "x", ""},
		"relative":       {"logs/x", "logs", "x", ""},
		"no directory":   {"x.log", "", "", "Directory component is empty!"},
		"empty":          {"", "", "", "Directory component is empty!"},
		"trailing slash": {"/var/log/", "", "", "File name component is empty!"},
		"only a slash":   {"/", "", "", "File name component is empty!"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir, glob, msg := splitFilePattern(tc.in)
			if dir != tc.dir || glob != tc.glob || msg != tc.msg {
				t.Errorf("splitFilePattern(%q) = %q %q %q, want %q %q %q", tc.in, dir, glob, msg, tc.dir, tc.glob, tc.msg)
			}
		})
	}
}

func TestParserStrictness(t *testing.T) {
	tests := map[string]struct {
		in      string
		wantErr string // "" = accepted
	}{
		"surrogate pair":          {`{"a": "\ud83d\ude00"}`, ""},
		"escapes":                 {`{"a": "\"\\\/\b\f\n\r\t\u0041"}`, ""},
		"single quotes":           {`{'a': 1}`, "expected a double-quoted key"},
		"raw control character":   {"{\"a\": \"x\ty\"}", "illegal unescaped control character 0x09"},
		"bad escape":              {`{"a": "\x"}`, `invalid escape '\x'`},
		"NaN":                     {`{"a": NaN}`, "expected a value"},
		"truex":                   {`{"a": truex}`, "unrecognized token 'truex'"},
		"plus number":             {`{"a": +1}`, "expected a value"},
		"missing colon":           {`{"a" 1}`, "expected ':'"},
		"hash comment":            {"{# c\n}", "expected a double-quoted key"},
		"invalid UTF-8 in string": {"{\"a\": \"\xff\"}", "invalid UTF-8 byte 0xFF"},
		"unterminated string":     {`{"a": "x`, "unterminated string"},
		"too deep":                {strings.Repeat("[", 1001) + strings.Repeat("]", 1001), "nesting deeper than 1000 levels"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := parseJSON([]byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// A filePattern with an empty class is rejected when agent.json is loaded
// (and so by --validate), naming the key, as Java rejects it; it used to
// pass and fail later in the tailer with a regexp error naming neither.
func TestFilePatternWithAnEmptyClassIsRejectedAtLoad(t *testing.T) {
	for _, fp := range []string{"/var/log/app[].log", "/var/log/x[!]"} {
		_, _, err := loadText(t, `{"flows":[{"filePattern":"`+fp+`","kinesisStream":"s"}]}`)
		if err == nil || !strings.Contains(err.Error(), "filePattern") {
			t.Errorf("filePattern %q: err = %v; want a load error naming filePattern", fp, err)
		}
	}
}

// Keys without effect here that Java reads at start (its sending thread
// pool and queue, its checkpoint store) are still checked as Java checks
// them: a value Java stops on (wrong type, negative keep-alive, empty
// queue) is refused naming the key, so that a file this agent accepts runs
// on a Java host too. Valid values only warn.
func TestNoEffectKeysJavaReadsAtStartAreStillChecked(t *testing.T) {
	for _, kv := range []string{
		`"sendingThreadsKeepAliveMillis": "abc"`,
		`"sendingThreadsKeepAliveMillis": -1`,
		`"sendingThreadsMaxQueueSize": 0`,
		`"sendingThreadsMaxQueueSize": 1.5`,
		`"checkpoints.connectionTimeoutSeconds": "five"`,
	} {
		key, _, _ := strings.Cut(strings.Trim(kv, `"`), `"`)
		_, _, err := loadText(t, `{`+kv+`, "flows":[`+kflow+`}]}`)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v; want an error naming %s", kv, err, key)
		}
	}
	_, p, err := loadText(t, `{"sendingThreadsKeepAliveMillis": 1000, "sendingThreadsMaxQueueSize": "10", "checkpoints.connectionTimeoutSeconds": 3, "flows":[`+kflow+`}]}`)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}
