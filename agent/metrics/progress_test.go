package metrics

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

func fillFlow(f *flowstats.Flow, parsed, bytes, transformed, skipped, sent int64, files ...flowstats.FileState) {
	f.RecordsParsed.Store(parsed)
	f.BytesParsed.Store(bytes)
	f.RecordsTransformed.Store(transformed)
	f.RecordsSkipped.Store(skipped)
	f.RecordsSent.Store(sent)
	for _, s := range files {
		f.SetFile(s)
	}
}

func TestReporterLogsJavaProgressLinesWithCounts(t *testing.T) {
	a := flowstats.New("kinesis:s:/var/log/app/*.log", "s", false)
	b := flowstats.New("fh:d:/var/log/x.log", "d", true)
	// a: 3 files with unread bytes -> 2 newer files; 50 MiB + 1000 + 24 bytes behind.
	fillFlow(a, 1000, 123456, 990, 10, 950,
		flowstats.FileState{FileID: "1", Path: "/var/log/app/a.log.1", Size: 50 << 20, ReadOffset: 0},
		flowstats.FileState{FileID: "2", Path: "/var/log/app/a.log", Size: 2000, ReadOffset: 1000},
		flowstats.FileState{FileID: "3", Path: "/var/log/app/b.log", Size: 24},
		flowstats.FileState{FileID: "4", Path: "/var/log/app/c.log", Size: 10, ReadOffset: 10})
	// b: nothing behind.
	fillFlow(b, 7, 70, 7, 0, 7, flowstats.FileState{FileID: "9", Size: 70, ReadOffset: 70})

	log, records := newCapture()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start.Add(90123 * time.Millisecond)}
	NewReporter([]*flowstats.Flow{a, b}, ReporterOptions{Logger: log, Start: start, Now: clock.Now}).Report()

	behindA := int64(50<<20 + 1000 + 24)
	want := []logRecord{
		{Level: slog.LevelInfo, Msg: "FileTailer[kinesis:s:/var/log/app/*.log]: Tailer Progress: Tailer has parsed 1000 records (123456 bytes), transformed 990 records, skipped 10 records, and has successfully sent 950 records to destination."},
		{Level: slog.LevelWarn, Msg: "FileTailer[kinesis:s:/var/log/app/*.log]: Tailer is 50.000977 MB (52429824 bytes) behind. There are 2 file(s) newer than current file(s) being tailed."},
		{Level: slog.LevelInfo, Msg: "FileTailer[fh:d:/var/log/x.log]: Tailer Progress: Tailer has parsed 7 records (70 bytes), transformed 7 records, skipped 0 records, and has successfully sent 7 records to destination."},
		{Level: slog.LevelInfo, Msg: "Agent: Progress: 1007 records parsed (123526 bytes), and 957 records sent successfully to destinations. Uptime: 90123ms"},
		{Level: slog.LevelWarn, Msg: "Agent: Tailing is 50.000977 MB (52429824 bytes) behind. There are 2 file(s) newer than current file(s) being tailed."},
	}
	if behindA != 52429824 {
		t.Fatalf("test arithmetic: %d", behindA)
	}
	got := records()
	if len(got) != len(want) {
		for _, r := range got {
			t.Logf("%v %s", r.Level, r.Msg)
		}
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Level != want[i].Level || got[i].Msg != want[i].Msg {
			t.Errorf("line %d:\n got %v %q\nwant %v %q", i, got[i].Level, got[i].Msg, want[i].Level, want[i].Msg)
		}
	}
	// The component is in the message (Java wording), not repeated as an
	// attribute, so a handler that prefixes components prints it once.
	if _, ok := got[0].Attrs["component"]; ok {
		t.Errorf("progress line carries a component attribute as well: %v", got[0].Attrs)
	}
}

func TestReporterBehindLineLevels(t *testing.T) {
	cases := []struct {
		bytes    int64
		internal bool
		want     slog.Level
		logged   bool
		text     string
	}{
		{0, false, 0, false, ""},
		{0, true, slog.LevelInfo, true, "0.000000 MB (0 bytes) behind."},
		{1, false, slog.LevelDebug, true, "0.000000 MB (1 bytes) behind."},
		{1, true, slog.LevelInfo, true, "0.000000 MB (1 bytes) behind."},
		{20971519, false, slog.LevelDebug, true, "19.999023 MB (20971519 bytes) behind."},
		{20971520, false, slog.LevelInfo, true, "20.000000 MB (20971520 bytes) behind."},
		{41943039, true, slog.LevelInfo, true, "39.999023 MB (41943039 bytes) behind."},
		{41943040, false, slog.LevelWarn, true, "40.000000 MB (41943040 bytes) behind."},
		{41943040, true, slog.LevelWarn, true, "40.000000 MB (41943040 bytes) behind."},
	}
	for _, c := range cases {
		f := flowstats.New("f", "s", false)
		if c.bytes > 0 {
			f.SetFile(flowstats.FileState{FileID: "1", Size: c.bytes})
		}
		log, records := newCapture()
		NewReporter([]*flowstats.Flow{f}, ReporterOptions{Logger: log, EmitInternalMetrics: c.internal}).Report()
		tailer := withPrefix(records(), "FileTailer[f]: Tailer is ")
		agent := withPrefix(records(), "Agent: Tailing is ")
		if !c.logged {
			if len(tailer)+len(agent) != 0 {
				t.Errorf("%d bytes: behind lines logged: %+v %+v", c.bytes, tailer, agent)
			}
			continue
		}
		if len(tailer) != 1 || tailer[0].Level != c.want || tailer[0].Msg != "FileTailer[f]: Tailer is "+c.text {
			t.Errorf("%d bytes internal=%v: tailer line %+v, want %v %q", c.bytes, c.internal, tailer, c.want, c.text)
		}
		if len(agent) != 1 || agent[0].Level != c.want || agent[0].Msg != "Agent: Tailing is "+c.text {
			t.Errorf("%d bytes internal=%v: agent line %+v", c.bytes, c.internal, agent)
		}
	}
}

func TestReporterStatusJSONWithEmitInternalMetrics(t *testing.T) {
	f := flowstats.New("fh:d:/l/*", "d", true)
	fillFlow(f, 5, 50, 4, 1, 3, flowstats.FileState{FileID: "1", Size: 100, ReadOffset: 40})
	f.Calls.Store(2)
	f.ConsecutiveErrors.Store(1)
	log, records := newCapture()
	NewReporter([]*flowstats.Flow{f}, ReporterOptions{Logger: log, EmitInternalMetrics: true,
		FlowInternalMetrics: map[string]bool{"fh:d:/l/*": true}, MaxSendingThreads: 24}).Report()

	st := withPrefix(records(), "Agent: Status: ")
	if len(st) != 1 || st[0].Level != slog.LevelInfo {
		t.Fatalf("status lines: %+v", st)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal([]byte(strings.TrimPrefix(st[0].Msg, "Agent: Status: ")), &m); err != nil {
		t.Fatal(err)
	}
	checks := map[string]map[string]float64{
		"Agent": {"TotalBytesBehind": 60, "TotalRecordsParsed": 5, "TotalBytesConsumed": 50, "TotalRecordsSent": 3, "MaxSendingThreads": 24, "TotalFilesBehind": 0},
		"fh:d:/l/*": {"FirehoseParser.TotalRecordsParsed": 5, "FirehoseParser.TotalRecordsSkipped": 1, "FirehoseParser.TotalRecordsProcessed": 4,
			"FileTailer.BytesBehind": 60, "FileTailer.ConsecutiveProcessingErrors": 1, "FirehoseSender.TotalBatchPutCalls": 2, "FirehoseSender.TotalRecordsSent": 3},
	}
	for obj, kv := range checks {
		for k, v := range kv {
			if got, ok := m[obj][k].(float64); !ok || got != v {
				t.Errorf("%s.%s = %v, want %v", obj, k, m[obj][k], v)
			}
		}
	}
	if fl := withPrefix(records(), "FileTailer[fh:d:/l/*]: File Tailer Status: {"); len(fl) != 1 {
		t.Errorf("flow status lines: %+v", fl)
	}
	// Without the agent-level key: no Agent status line, but the flow's
	// own key still logs its File Tailer Status (Java's FileTailer reads
	// only the flow-level key).
	log2, records2 := newCapture()
	NewReporter([]*flowstats.Flow{f}, ReporterOptions{Logger: log2, FlowInternalMetrics: map[string]bool{"fh:d:/l/*": true}}).Report()
	if st := withPrefix(records2(), "Agent: Status: "); len(st) != 0 {
		t.Errorf("Agent status line without the agent-level log.emitInternalMetrics: %+v", st)
	}
	if fl := withPrefix(records2(), "FileTailer[fh:d:/l/*]: File Tailer Status: {"); len(fl) != 1 {
		t.Errorf("flow status lines with only the flow-level key: %+v", fl)
	}
}

func TestReporterRunLogsEveryPeriod(t *testing.T) {
	f := flowstats.New("f", "s", false)
	log, records := newCapture()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		NewReporter([]*flowstats.Flow{f}, ReporterOptions{Logger: log, Period: 20 * time.Millisecond}).Run(ctx)
		close(done)
	}()
	waitUntil(t, "two periodic reports", func() bool { return len(withPrefix(records(), "Agent: Progress: ")) >= 2 })
	cancel()
	<-done
}
