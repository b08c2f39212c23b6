package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// every rejection must be a *Error naming the file.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		`{"flows":[{"filePattern": "/a/*.log", "kinesisStream": "s"}]}`,
		`/* c */ {"flows":[{"filePattern": "/a/b", "deliveryStream": "d", "maxBufferSizeRecords": "0x10", // x
			"dataProcessingOptions": [{"optionName": "ADDMETADATA", "metadata": {"a": [1, 2.5e3, null]}}]}]}`,
		`{"flows": [], "a": "\u00e9\ud83d\ude00"}`,
		`{"flows":[{"filePattern": "/a/[!a-", "kinesisStream": "s"}]}`,
		`{"cloudwatch.emitMetrics": "yes", "flows":[{"filePattern": "//x", "kinesisStream": 1, "initialPosition": "START_OF_FILE"}]} }`,
		"\xEF\xBB\xBF{}",
		`[1, -0, 1e400]`,
		`{"a": "\ud800"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/fuzz/agent.json"
		cfg, err := load(path, data, "")
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(cfg.Flows) == 0 {
			t.Fatal("accepted a configuration without flows")
		}
		for _, fl := range cfg.Flows {
			if fl.ID == "" || fl.Dir == "" || fl.Glob == "" {
				t.Fatalf("incomplete flow %+v", fl)
			}
		}
	})
}
