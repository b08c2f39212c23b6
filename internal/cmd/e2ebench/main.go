// Command e2ebench measures the built agent end to end (make bench).
//
// It generates the reference data with api_caller --sample before starting
// anything, starts internal/sink over HTTPS (the agent trusts its
// self-signed certificate through AWS_CA_BUNDLE), runs dist/aws-kinesis-agent
// with agent.json.example's flow pointed at the data and the sink, and
// measures the agent process (CPU from wait4 rusage or /proc/<pid>/stat,
// peak RSS from rusage maxrss / VmHWM, RSS samples from /proc/<pid>/status).
//
// Scenarios (each run --runs times; medians reported):
//
//	csv         the million reference lines through CSVTOJSON to the sink
//	raw         the same lines without dataProcessingOptions
//	live        a writer appends reference lines at --live-rate for
//	            --live-for while the agent tails; record_id carries the
//	            write time, the sink its arrival: append-to-ack delay
//	            (--quiet-files N quiet matching files beside the live one)
//	live-lines  the same, one write(2) per line as a line-buffered logger does
//	live-quiet  live beside 500 quiet matching files (one line each): a
//	            directory of many logs of which one is busy
//	kinesalite  --kinesalite-lines lines through CSVTOJSON to kinesalite
//	            (--kinesalite URL); completion from the agent's /status
//	backlog     a ~1 GB file against a sink that delays every answer by
//	            --backlog-delay, RSS sampled every 100 ms for --backlog-for
//	neighbour   the agent's own file is quiet while another file of the same
//	            directory (not matching the pattern, as a busy syslog beside
//	            the flow's logs) gets --neighbour-rate single-line writes a
//	            second for --live-for: what someone else's log costs the agent
//	progress    ten matching files each get 1 KiB without '\n' every 5 ms
//	            for --live-for ('\r'-only progress output: lines of 4 MB
//	            that never end); CPU-µs/line is per KiB written, and the
//	            sink must get no record
//
// Results are printed as a Markdown table and written as JSON (--out);
// --previous names an earlier JSON to compare with.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

type options struct {
	agent, apiCaller, example, work string
	lines, runs                     int
	scenarios                       string
	liveRate                        int
	liveFor                         time.Duration
	kinesalite                      string
	kinesaliteLines                 int
	backlogCopies                   int
	backlogDelay, backlogFor        time.Duration
	neighbourRate                   int
	quietFiles                      int
	profileDir                      string
	out, previous                   string
	maxBufferAge                    int
	agentEnv                        envList
	http1                           bool
	report                          string
	noCheck                         bool
	firehose                        bool
}

// scenarioOrder is the order scenarios run and are tabulated in.
var scenarioOrder = []string{"csv", "raw", "live", "live-lines", "live-quiet", "kinesalite", "backlog", "neighbour", "progress"}

// liveQuietFiles is how many quiet matching files lie beside the live file
// in the live-quiet scenario: a directory of many logs of which one is busy.
const liveQuietFiles = 500

// envList is a repeatable K=V flag.
type envList []string

func (e *envList) String() string     { return strings.Join(*e, " ") }
func (e *envList) Set(v string) error { *e = append(*e, v); return nil }

// Result is one run of one scenario.
type Result struct {
	Scenario   string  `json:"scenario"`
	Run        int     `json:"run"`
	Lines      int64   `json:"lines"`
	Seconds    float64 `json:"seconds"`
	LinesPerS  float64 `json:"linesPerSec"`
	MBPerS     float64 `json:"mbPerSec"` // source bytes per second
	CPUSeconds float64 `json:"cpuSeconds"`
	CPUusLine  float64 `json:"cpuMicrosPerLine"`
	SysSeconds float64 `json:"sysSeconds"` // the kernel part of CPUSeconds
	PeakRSSMB  float64 `json:"peakRssMB"`
	// Peak anonymous (heap, stacks) and file-backed (binary text) resident
	// memory from 100 ms samples of /proc/<pid>/status.
	PeakAnonMB float64 `json:"peakRssAnonMB"`
	PeakFileMB float64 `json:"peakRssFileMB"`
	P50ms      float64 `json:"p50DelayMs,omitempty"`
	P99ms      float64 `json:"p99DelayMs,omitempty"`
	MaxDelayMs float64 `json:"maxDelayMs,omitempty"`
	BytesSent  int64   `json:"bytesSent,omitempty"`
	Calls      int64   `json:"calls,omitempty"` // put calls the sink answered
	Bad        int64   `json:"badRecords,omitempty"`
	Note       string  `json:"note,omitempty"`
}

// Report is the JSON written to --out.
type Report struct {
	Date    string   `json:"date"`
	Command string   `json:"command"`
	Results []Result `json:"results"`
}

func main() {
	var o options
	flag.StringVar(&o.agent, "agent", "dist/aws-kinesis-agent", "agent binary")
	flag.StringVar(&o.apiCaller, "api-caller", "dist/api_caller", "api_caller binary")
	flag.StringVar(&o.example, "example", "agent.json.example", "agent.json whose first flow is used")
	flag.StringVar(&o.work, "work", "", "work directory (default: a new temporary directory, removed at exit)")
	flag.IntVar(&o.lines, "lines", 1_000_000, "reference lines for csv and raw")
	flag.IntVar(&o.runs, "runs", 3, "runs per scenario")
	flag.StringVar(&o.scenarios, "scenarios", strings.Join(scenarioOrder, ","), "scenarios to run (live appends every 10 ms, live-lines one write(2) per line as a line-buffered logger does)")
	flag.IntVar(&o.liveRate, "live-rate", 50_000, "live: lines per second appended")
	flag.DurationVar(&o.liveFor, "live-for", 20*time.Second, "live: how long to append")
	flag.StringVar(&o.kinesalite, "kinesalite", "", "kinesalite endpoint (kinesalite scenario skipped when empty)")
	flag.IntVar(&o.kinesaliteLines, "kinesalite-lines", 100_000, "lines for the kinesalite scenario")
	flag.IntVar(&o.backlogCopies, "backlog-copies", 9, "backlog: copies of the reference file concatenated into one file")
	flag.DurationVar(&o.backlogDelay, "backlog-delay", 50*time.Millisecond, "backlog: delay of every sink answer")
	flag.DurationVar(&o.backlogFor, "backlog-for", 30*time.Second, "backlog: how long to run")
	flag.IntVar(&o.neighbourRate, "neighbour-rate", 10_000, "neighbour: single-line writes per second to the other file")
	flag.IntVar(&o.quietFiles, "quiet-files", 0, "live: matching files with one line each that stay quiet beside the live file")
	flag.StringVar(&o.profileDir, "profile", "", "also run csv once with CPU and allocation profiles written here (not counted)")
	flag.StringVar(&o.out, "out", "", "write results JSON here")
	flag.StringVar(&o.previous, "previous", "", "earlier results JSON to compare with")
	flag.IntVar(&o.maxBufferAge, "max-buffer-age-ms", 1000, "maxBufferAgeMillis of the flow")
	flag.StringVar(&o.report, "report", "", "run nothing: print the table of this results JSON (against --previous)")
	flag.BoolVar(&o.firehose, "firehose", false, "send with Firehose PutRecordBatch (deliveryStream) instead of Kinesis PutRecords")
	flag.BoolVar(&o.noCheck, "no-check", false, "csv/raw: the sink only counts records (no base64 decoding, no content check)")
	flag.BoolVar(&o.http1, "sink-http1", false, "the sink offers HTTP/1.1 only (no h2)")
	flag.Var(&o.agentEnv, "agent-env", "K=V added to the agent's environment (repeatable), e.g. GOGC=50")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "e2ebench:", err)
		os.Exit(1)
	}
}

func loadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func run(o options) error {
	if o.report != "" {
		rep, err := loadReport(o.report)
		if err != nil {
			return err
		}
		var prev *Report
		if o.previous != "" {
			if prev, err = loadReport(o.previous); err != nil {
				return err
			}
		}
		fmt.Print(table(*rep, prev))
		return nil
	}
	for _, p := range []*string{&o.agent, &o.apiCaller, &o.example} {
		a, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = a
	}
	if o.work == "" {
		w, err := os.MkdirTemp("", "e2ebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(w)
		o.work = w
	}
	want := map[string]bool{}
	for _, s := range strings.Split(o.scenarios, ",") {
		want[strings.TrimSpace(s)] = true
	}
	b := &bench{o: o}

	// Data first, before any agent runs.
	ref := filepath.Join(o.work, "ref")
	if err := b.generate(ref, o.lines); err != nil {
		return err
	}
	refFile, err := onlyFile(ref)
	if err != nil {
		return err
	}
	var kinDir string
	if want["kinesalite"] && o.kinesalite != "" {
		kinDir = filepath.Join(o.work, "kinesalite-data")
		if err := b.generate(kinDir, o.kinesaliteLines); err != nil {
			return err
		}
	}
	var backlogDir string
	if want["backlog"] {
		backlogDir = filepath.Join(o.work, "backlog")
		if err := concatCopies(refFile, filepath.Join(backlogDir, "backlog.log"), o.backlogCopies); err != nil {
			return err
		}
	}
	var liveLines [][]byte
	if want["live"] || want["live-lines"] || want["live-quiet"] || want["neighbour"] {
		if liveLines, err = readLines(refFile, 200_000); err != nil {
			return err
		}
	}

	var results []Result
	add := func(r Result, err error) error {
		if err != nil {
			return fmt.Errorf("%s run %d: %w", r.Scenario, r.Run, err)
		}
		fmt.Fprintf(os.Stderr, "  %s run %d: %s\n", r.Scenario, r.Run, r.summary())
		results = append(results, r)
		return nil
	}
	if o.profileDir != "" && want["csv"] {
		fmt.Fprintln(os.Stderr, "== csv with profiles (not counted)")
		if _, err := b.oneShot("csv-profile", 0, ref, true, o.profileDir); err != nil {
			return err
		}
	}
	for _, sc := range scenarioOrder {
		if !want[sc] {
			continue
		}
		if sc == "kinesalite" && o.kinesalite == "" {
			fmt.Fprintln(os.Stderr, "== kinesalite: skipped (no --kinesalite)")
			continue
		}
		fmt.Fprintln(os.Stderr, "== "+sc)
		for i := 1; i <= o.runs; i++ {
			var r Result
			var err error
			switch sc {
			case "csv":
				r, err = b.oneShot("csv", i, ref, true, "")
			case "raw":
				r, err = b.oneShot("raw", i, ref, false, "")
			case "live":
				r, err = b.live(sc, i, liveLines, false, o.quietFiles)
			case "live-lines":
				r, err = b.live(sc, i, liveLines, true, o.quietFiles)
			case "live-quiet":
				r, err = b.live(sc, i, liveLines, false, max(o.quietFiles, liveQuietFiles))
			case "kinesalite":
				r, err = b.kinesaliteRun(i, kinDir)
			case "backlog":
				r, err = b.backlog(i, backlogDir)
			case "neighbour":
				r, err = b.neighbour(i, liveLines)
			case "progress":
				r, err = b.progress(i)
			}
			if err := add(r, err); err != nil {
				return err
			}
		}
	}
	rep := Report{Date: time.Now().UTC().Format(time.RFC3339), Command: strings.Join(os.Args, " "), Results: results}
	var prev *Report
	if o.previous != "" {
		prev, _ = loadReport(o.previous) // no comparison when unreadable
	}
	fmt.Print(table(rep, prev))
	if o.out != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.out, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (r Result) summary() string {
	s := fmt.Sprintf("%d lines in %.2fs = %.0f lines/s, %.1f MB/s, %.2f CPU-s (%.2f sys; %.2f µs/line), peak RSS %.1f MB (anon %.1f, file %.1f)",
		r.Lines, r.Seconds, r.LinesPerS, r.MBPerS, r.CPUSeconds, r.SysSeconds, r.CPUusLine, r.PeakRSSMB, r.PeakAnonMB, r.PeakFileMB)
	if r.P99ms > 0 {
		s += fmt.Sprintf(", delay p50 %.0f ms p99 %.0f ms max %.0f ms", r.P50ms, r.P99ms, r.MaxDelayMs)
	}
	if r.Calls > 0 {
		s += fmt.Sprintf(", %d calls (%.0f records/call)", r.Calls, float64(r.Lines)/float64(r.Calls))
	}
	if r.Bad > 0 {
		s += fmt.Sprintf(", %d BAD records", r.Bad)
	}
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

type bench struct {
	o   options
	seq int
}

func (b *bench) generate(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(b.o.apiCaller, "--sample", strconv.Itoa(n), "--seed", "1", "--out-dir", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("api_caller: %v: %s", err, out)
	}
	return nil
}

func onlyFile(dir string) (string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(m) != 1 {
		return "", fmt.Errorf("want one .log file in %s, got %v (%v)", dir, m, err)
	}
	return m[0], nil
}

func concatCopies(src, dst string, copies int) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	for i := 0; i < copies; i++ {
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if err != nil {
			return err
		}
	}
	return out.Close()
}

func readLines(path string, max int) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(lines) < max {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	return lines, sc.Err()
}

func fileBytes(dir string) int64 {
	var n int64
	m, _ := filepath.Glob(filepath.Join(dir, "*log"))
	for _, p := range m {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// config writes agent.json for one run from the example's first flow.
func (b *bench) config(dir, endpoint string, csv bool, extra map[string]any) (cfgPath, runDir string, err error) {
	b.seq++
	runDir = filepath.Join(b.o.work, fmt.Sprintf("run%02d", b.seq))
	if err := os.MkdirAll(filepath.Join(runDir, "agent.d"), 0o755); err != nil {
		return "", "", err
	}
	data, err := os.ReadFile(b.o.example)
	if err != nil {
		return "", "", err
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", "", fmt.Errorf("%s: %w", b.o.example, err)
	}
	flows, _ := cfg["flows"].([]any)
	if len(flows) == 0 {
		return "", "", fmt.Errorf("%s: no flows", b.o.example)
	}
	flow := flows[0].(map[string]any)
	flow["filePattern"] = filepath.Join(dir, "*log")
	flow["initialPosition"] = "START_OF_FILE"
	flow["maxBufferAgeMillis"] = b.o.maxBufferAge
	if !csv {
		delete(flow, "dataProcessingOptions")
	}
	cfg["flows"] = []any{flow}
	cfg["cloudwatch.emitMetrics"] = false
	cfg["kinesis.endpoint"] = endpoint
	if b.o.firehose {
		flow["deliveryStream"] = flow["kinesisStream"]
		delete(flow, "kinesisStream")
		delete(flow, "partitionKeyOption")
		cfg["firehose.endpoint"] = endpoint
	}
	cfg["checkpointFile"] = filepath.Join(runDir, "checkpoints")
	cfg["awsAccessKeyId"] = "AKIAE2EBENCH"
	cfg["awsSecretAccessKey"] = "e2ebench-secret"
	for k, v := range extra {
		cfg[k] = v
	}
	out, _ := json.MarshalIndent(cfg, "", "  ")
	cfgPath = filepath.Join(runDir, "agent.json")
	return cfgPath, runDir, os.WriteFile(cfgPath, out, 0o644)
}

// proc is a running agent.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	smp  *sampler
	// peak VmRSS / RssAnon / RssFile sampled (set by stop)
	rssMB, anonMB, fileMB float64
	sysSec                float64 // kernel CPU seconds (set by stop)
}

func (b *bench) startAgent(cfgPath, runDir string, env ...string) (*proc, error) {
	cmd := exec.Command(b.o.agent, "-c", cfgPath, "-d", filepath.Join(runDir, "agent.d"), "-l", filepath.Join(runDir, "agent.log"))
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	cmd.Env = append(cmd.Env, b.o.agentEnv...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), smp: sample(cmd.Process.Pid)}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// stop sends SIGTERM and waits (SIGKILL after 30 s); it returns CPU seconds
// (user+sys) from wait4's rusage and the highest VmRSS sampled in MB.
// (rusage's ru_maxrss is not used: it includes the parent's RSS shared with
// the child between clone and exec.)
func (p *proc) stop() (cpu, maxRSSMB float64, err error) {
	p.rssMB, p.anonMB, p.fileMB = p.smp.stop()
	select {
	case <-p.done:
		return 0, 0, fmt.Errorf("agent exited early: %v", p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		err = errors.New("agent did not stop within 30 s of SIGTERM")
	}
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, errors.New("no rusage")
	}
	cpu = tv(ru.Utime) + tv(ru.Stime)
	p.sysSec = tv(ru.Stime)
	return cpu, p.rssMB, err
}

func (p *proc) kill() {
	select {
	case <-p.smp.done:
	default:
		_, _, _ = p.smp.stop()
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// procCPU returns user+sys and sys seconds of pid from /proc/<pid>/stat.
func procCPU(pid int) (total, sys float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	sy, _ := strconv.ParseFloat(f[12], 64)
	return (u + sy) / 100, sy / 100 // USER_HZ
}

// procMem is the memory of a process from /proc/<pid>/status, in MB.
type procMem struct{ rss, hwm, anon, file float64 }

// readProcMem reads VmRSS, VmHWM, RssAnon and RssFile of pid (zeros when
// the process is gone).
func readProcMem(pid int) procMem {
	var m procMem
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = v / 1024
		case "VmHWM:":
			m.hwm = v / 1024
		case "RssAnon:":
			m.anon = v / 1024
		case "RssFile:":
			m.file = v / 1024
		}
	}
	return m
}

// sampler samples VmRSS, RssAnon and RssFile of pid every 100 ms until stopped.
type sampler struct {
	stopc           chan struct{}
	done            chan struct{}
	rss, anon, file float64
}

func sample(pid int) *sampler {
	s := &sampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			m := readProcMem(pid)
			s.rss, s.anon, s.file = max(s.rss, m.rss), max(s.anon, m.anon), max(s.file, m.file)
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends sampling and returns the peaks in MB.
func (s *sampler) stop() (rss, anon, file float64) {
	close(s.stopc)
	<-s.done
	return s.rss, s.anon, s.file
}

func (b *bench) tlsSink(o sink.Options) (*sink.Server, string, error) {
	o.HTTP1 = b.o.http1
	s, err := sink.Listen("127.0.0.1:0", true, o)
	if err != nil {
		return nil, "", err
	}
	b.seq++
	ca := filepath.Join(b.o.work, fmt.Sprintf("sink%02d.pem", b.seq))
	if err := os.WriteFile(ca, s.CertPEM, 0o644); err != nil {
		s.Close()
		return nil, "", err
	}
	return s, ca, nil
}

var jsonPrefix = []byte(`{"cost":`)

// oneShot ships every line of dir to the HTTPS sink and stops the agent.
func (b *bench) oneShot(name string, runNo int, dir string, csv bool, profileDir string) (Result, error) {
	r := Result{Scenario: name, Run: runNo}
	check := func(rec *sink.Record) error {
		if len(rec.Data) == 0 {
			return errors.New("empty record")
		}
		if csv && !bytes.HasPrefix(rec.Data, jsonPrefix) {
			return fmt.Errorf("not CSVTOJSON output: %.80q", rec.Data)
		}
		return nil
	}
	so := sink.Options{OnRecord: check}
	if b.o.noCheck {
		so.OnRecord = nil
	}
	s, ca, err := b.tlsSink(so)
	if err != nil {
		return r, err
	}
	defer s.Close()
	cfgPath, runDir, err := b.config(dir, s.URL, csv, nil)
	if err != nil {
		return r, err
	}
	env := []string{"AWS_CA_BUNDLE=" + ca}
	if profileDir != "" {
		if err := os.MkdirAll(profileDir, 0o755); err != nil {
			return r, err
		}
		env = append(env, "AWS_KINESIS_AGENT_CPUPROFILE="+filepath.Join(profileDir, "cpu.pprof"),
			"AWS_KINESIS_AGENT_MEMPROFILE="+filepath.Join(profileDir, "mem.pprof"))
	}
	want := int64(b.o.lines)
	start := time.Now()
	p, err := b.startAgent(cfgPath, runDir, env...)
	if err != nil {
		return r, err
	}
	defer p.kill()
	got := s.WaitRecords(want, 180*time.Second)
	el := time.Since(start)
	hwm := readProcMem(p.cmd.Process.Pid).hwm
	if got < want {
		return r, fmt.Errorf("sink got %d of %d records in %v (agent log %s)", got, want, el, filepath.Join(runDir, "agent.log"))
	}
	cpu, maxRSS, err := p.stop()
	if err != nil {
		return r, err
	}
	st := s.Stats()
	r.Lines, r.Seconds = got, el.Seconds()
	r.LinesPerS = float64(got) / el.Seconds()
	r.MBPerS = float64(fileBytes(dir)) / 1e6 / el.Seconds()
	r.CPUSeconds, r.SysSeconds = cpu, p.sysSec
	r.CPUusLine = cpu * 1e6 / float64(got)
	r.PeakRSSMB = max(maxRSS, hwm)
	r.PeakAnonMB, r.PeakFileMB = p.anonMB, p.fileMB
	r.BytesSent, r.Bad, r.Calls = st.Bytes, st.Bad, st.Calls
	if st.Bad > 0 {
		r.Note = s.Err().Error()
	}
	if st.Records != want {
		r.Note = strings.TrimSpace(r.Note + fmt.Sprintf(" sink counted %d records in %d calls (duplicates?); agent log: %s",
			st.Records, st.Calls, logProblems(filepath.Join(runDir, "agent.log"))))
	}
	return r, nil
}

// logProblems returns the first WARN/ERROR lines of an agent log.
func logProblems(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, " WARN ") || strings.Contains(line, " ERROR ") {
			out = append(out, line)
			if len(out) == 3 {
				break
			}
		}
	}
	if len(out) == 0 {
		return "no WARN/ERROR lines"
	}
	return strings.Join(out, " | ")
}

var recordID = []byte(`"record_id":"`)

// live appends reference lines at liveRate while the agent tails, beside
// quiet matching files with one line each; record_id carries the write
// time in Unix nanoseconds.
func (b *bench) live(scenario string, runNo int, lines [][]byte, perLine bool, quiet int) (Result, error) {
	r := Result{Scenario: scenario, Run: runNo}
	var mu sync.Mutex
	delays := make([]time.Duration, 0, int(float64(b.o.liveRate)*b.o.liveFor.Seconds())+1024)
	check := func(rec *sink.Record) error {
		i := bytes.Index(rec.Data, recordID)
		if i < 0 {
			return fmt.Errorf("no record_id: %.80q", rec.Data)
		}
		v := rec.Data[i+len(recordID):]
		j := bytes.IndexByte(v, '"')
		if j < 0 {
			return errors.New("unterminated record_id")
		}
		ns, err := strconv.ParseInt(string(v[:j]), 10, 64)
		if err != nil {
			return fmt.Errorf("record_id %q: %w", v[:j], err)
		}
		if ns == 0 {
			return nil // a quiet file's line
		}
		d := rec.At.Sub(time.Unix(0, ns))
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
		return nil
	}
	s, ca, err := b.tlsSink(sink.Options{OnRecord: check})
	if err != nil {
		return r, err
	}
	defer s.Close()
	dir := filepath.Join(b.o.work, fmt.Sprintf("%s%02d", r.Scenario, runNo))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	for i := 0; i < quiet; i++ {
		l := lines[i%len(lines)]
		line := append(slices.Clip(l[:bytes.LastIndexByte(l, ',')+1]), "0\n"...) // record_id 0: no delay
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("quiet-%03d.log", i)), line, 0o644); err != nil {
			return r, err
		}
	}
	p, err := b.agentOn(dir, s, ca)
	if err != nil {
		return r, err
	}
	defer p.kill()
	// Let the agent start and list the (empty) directory.
	time.Sleep(time.Second)
	f, err := os.Create(filepath.Join(dir, "live.log"))
	if err != nil {
		return r, err
	}
	defer f.Close()
	prefixes := make([][]byte, len(lines))
	for i, l := range lines {
		prefixes[i] = l[:bytes.LastIndexByte(l, ',')+1]
	}
	pid := p.cmd.Process.Pid
	cpu0, sys0 := procCPU(pid)
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	var written int64
	buf := make([]byte, 0, 1<<20)
	li := 0
	for now := range tick.C {
		el := now.Sub(start)
		if el >= b.o.liveFor {
			break
		}
		target := int64(el.Seconds() * float64(b.o.liveRate))
		buf = buf[:0]
		ts := time.Now().UnixNano()
		for ; written < target; written++ {
			buf = append(buf, prefixes[li]...)
			buf = strconv.AppendInt(buf, ts, 10)
			buf = append(buf, '\n')
			li = (li + 1) % len(prefixes)
			if perLine {
				if _, err := f.Write(buf); err != nil {
					tick.Stop()
					return r, err
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 {
			if _, err := f.Write(buf); err != nil {
				tick.Stop()
				return r, err
			}
		}
	}
	tick.Stop()
	appendDur := time.Since(start)
	got := s.WaitRecords(written, 30*time.Second)
	cpu1, sys1 := procCPU(pid)
	hwm := readProcMem(pid).hwm
	if got < written {
		return r, fmt.Errorf("sink got %d of %d appended lines", got, written)
	}
	_, maxRSS, err := p.stop()
	if err != nil {
		return r, err
	}
	mu.Lock()
	ds := slices.Clone(delays)
	mu.Unlock()
	slices.Sort(ds)
	pct := func(q float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))]) / 1e6
	}
	st := s.Stats()
	r.Lines, r.Seconds = written, appendDur.Seconds()
	r.LinesPerS = float64(written) / appendDur.Seconds()
	r.MBPerS = float64(fileBytes(dir)) / 1e6 / appendDur.Seconds()
	r.CPUSeconds, r.SysSeconds = cpu1-cpu0, sys1-sys0
	r.CPUusLine = r.CPUSeconds * 1e6 / float64(written)
	r.PeakRSSMB = max(maxRSS, hwm)
	r.PeakAnonMB, r.PeakFileMB = p.anonMB, p.fileMB
	r.P50ms, r.P99ms, r.MaxDelayMs = pct(0.50), pct(0.99), pct(1)
	r.BytesSent, r.Bad, r.Calls = st.Bytes, st.Bad, st.Calls
	if st.Bad > 0 {
		r.Note = s.Err().Error()
	}
	return r, nil
}

// agentOn starts the agent on dir (the example's flow with CSVTOJSON),
// shipping to s, whose certificate is ca.
func (b *bench) agentOn(dir string, s *sink.Server, ca string) (*proc, error) {
	cfgPath, runDir, err := b.config(dir, s.URL, true, nil)
	if err != nil {
		return nil, err
	}
	return b.startAgent(cfgPath, runDir, "AWS_CA_BUNDLE="+ca)
}

// neighbour measures what another program's log costs the agent: its own
// file (one line, shipped first) stays quiet while a file of the same
// directory that the pattern does not match gets neighbourRate single-line
// writes a second for liveFor. Lines is the neighbour's line count, and
// CPU-µs/line the agent's CPU per neighbour line.
func (b *bench) neighbour(runNo int, lines [][]byte) (Result, error) {
	r := Result{Scenario: "neighbour", Run: runNo}
	s, ca, err := b.tlsSink(sink.Options{})
	if err != nil {
		return r, err
	}
	defer s.Close()
	dir := filepath.Join(b.o.work, fmt.Sprintf("neighbour%02d", runNo))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	nl := make([][]byte, len(lines))
	for i, l := range lines {
		nl[i] = append(slices.Clip(l), '\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "own.log"), nl[0], 0o644); err != nil {
		return r, err
	}
	p, err := b.agentOn(dir, s, ca)
	if err != nil {
		return r, err
	}
	defer p.kill()
	if got := s.WaitRecords(1, 30*time.Second); got < 1 {
		return r, errors.New("the agent's own line did not arrive")
	}
	f, err := os.Create(filepath.Join(dir, "neighbour.txt"))
	if err != nil {
		return r, err
	}
	defer f.Close()
	pid := p.cmd.Process.Pid
	cpu0, sys0 := procCPU(pid)
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	var written int64
	for now := range tick.C {
		el := now.Sub(start)
		if el >= b.o.liveFor {
			break
		}
		for target := int64(el.Seconds() * float64(b.o.neighbourRate)); written < target; written++ {
			if _, err := f.Write(nl[written%int64(len(nl))]); err != nil {
				tick.Stop()
				return r, err
			}
		}
	}
	tick.Stop()
	if err := p.finish(&r, cpu0, sys0, start, written); err != nil {
		return r, err
	}
	if st := s.Stats(); st.Records != 1 {
		r.Note = fmt.Sprintf("the sink got %d records, want the agent's own 1", st.Records)
	}
	return r, nil
}

// progress measures files whose lines never end: progressFiles matching
// files each get a KiB of '\r'-separated progress output without '\n'
// every 5 ms for liveFor. Lines counts the KiB written.
func (b *bench) progress(runNo int) (Result, error) {
	const progressFiles = 10
	r := Result{Scenario: "progress", Run: runNo}
	s, ca, err := b.tlsSink(sink.Options{})
	if err != nil {
		return r, err
	}
	defer s.Close()
	dir := filepath.Join(b.o.work, fmt.Sprintf("progress%02d", runNo))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	files := make([]*os.File, progressFiles)
	for i := range files {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("progress%02d.log", i)))
		if err != nil {
			return r, err
		}
		defer f.Close()
		files[i] = f
	}
	piece := bytes.Repeat([]byte("progress 42%\r"), 1024/13+1)[:1024]
	cfgPath, runDir, err := b.config(dir, s.URL, false, nil)
	if err != nil {
		return r, err
	}
	p, err := b.startAgent(cfgPath, runDir, "AWS_CA_BUNDLE="+ca)
	if err != nil {
		return r, err
	}
	defer p.kill()
	pid := p.cmd.Process.Pid
	cpu0, sys0 := procCPU(pid)
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	var written int64
	for now := range tick.C {
		if now.Sub(start) >= b.o.liveFor {
			break
		}
		for _, f := range files {
			if _, err := f.Write(piece); err != nil {
				tick.Stop()
				return r, err
			}
			written++
		}
	}
	tick.Stop()
	if err := p.finish(&r, cpu0, sys0, start, written); err != nil {
		return r, err
	}
	if st := s.Stats(); st.Records != 0 {
		r.Note = fmt.Sprintf("the sink got %d records from lines that never end", st.Records)
	}
	return r, nil
}

// finish stops the agent after a window begun at start with CPU readings
// cpu0/sys0 in which written lines (or pieces) were written, and fills r
// with the window's figures and the run's peak memory.
func (p *proc) finish(r *Result, cpu0, sys0 float64, start time.Time, written int64) error {
	pid := p.cmd.Process.Pid
	el := time.Since(start)
	cpu1, sys1 := procCPU(pid)
	hwm := readProcMem(pid).hwm
	_, maxRSS, err := p.stop()
	if err != nil {
		return err
	}
	r.Lines, r.Seconds = written, el.Seconds()
	r.LinesPerS = float64(written) / el.Seconds()
	r.CPUSeconds, r.SysSeconds = cpu1-cpu0, sys1-sys0
	r.CPUusLine = r.CPUSeconds * 1e6 / float64(max(written, 1))
	r.PeakRSSMB = max(maxRSS, hwm)
	r.PeakAnonMB, r.PeakFileMB = p.anonMB, p.fileMB
	return nil
}

var recordsSent = regexp.MustCompile(`"recordsSent":\s*(\d+)`)

// kinesaliteRun ships kinesaliteLines lines through CSVTOJSON to kinesalite;
// completion is read from the agent's /status (recordsSent).
func (b *bench) kinesaliteRun(runNo int, dir string) (Result, error) {
	r := Result{Scenario: "kinesalite", Run: runNo}
	ctx := context.Background()
	kc := kinesis.NewFromConfig(aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAE2EBENCH", "e2ebench-secret", "")},
		func(ko *kinesis.Options) { ko.BaseEndpoint = aws.String(b.o.kinesalite) })
	stream := fmt.Sprintf("e2ebench-%d-%d", time.Now().Unix(), runNo)
	if _, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(stream), ShardCount: aws.Int32(4)}); err != nil {
		return r, fmt.Errorf("create stream: %w", err)
	}
	defer func() { _, _ = kc.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(stream)}) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		out, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("stream %s not ACTIVE: %v", stream, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	statusAddr, err := freeAddr()
	if err != nil {
		return r, err
	}
	cfgPath, runDir, err := b.config(dir, b.o.kinesalite, true, map[string]any{"status.listenAddress": statusAddr})
	if err != nil {
		return r, err
	}
	// The stream name is the example's; point it at this run's stream.
	if err := rewriteStream(cfgPath, stream); err != nil {
		return r, err
	}
	want := int64(b.o.kinesaliteLines)
	start := time.Now()
	p, err := b.startAgent(cfgPath, runDir)
	if err != nil {
		return r, err
	}
	defer p.kill()
	var sent int64
	hc := &http.Client{Timeout: time.Second}
	deadline := start.Add(120 * time.Second)
	for sent < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		resp, err := hc.Get("http://" + statusAddr + "/status")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sent = 0
		for _, m := range recordsSent.FindAllSubmatch(body, -1) {
			n, _ := strconv.ParseInt(string(m[1]), 10, 64)
			sent += n
		}
	}
	el := time.Since(start)
	hwm := readProcMem(p.cmd.Process.Pid).hwm
	if sent < want {
		return r, fmt.Errorf("agent sent %d of %d records to kinesalite", sent, want)
	}
	cpu, maxRSS, err := p.stop()
	if err != nil {
		return r, err
	}
	r.Lines, r.Seconds = sent, el.Seconds()
	r.LinesPerS = float64(sent) / el.Seconds()
	r.MBPerS = float64(fileBytes(dir)) / 1e6 / el.Seconds()
	r.CPUSeconds, r.SysSeconds = cpu, p.sysSec
	r.CPUusLine = cpu * 1e6 / float64(sent)
	r.PeakRSSMB = max(maxRSS, hwm)
	r.PeakAnonMB, r.PeakFileMB = p.anonMB, p.fileMB
	return r, nil
}

func rewriteStream(cfgPath, stream string) error {
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		return err
	}
	cfg["flows"].([]any)[0].(map[string]any)["kinesisStream"] = stream
	out, _ := json.MarshalIndent(cfg, "", "  ")
	return os.WriteFile(cfgPath, out, 0o644)
}

func freeAddr() (string, error) {
	s, err := sink.Listen("127.0.0.1:0", false, sink.Options{})
	if err != nil {
		return "", err
	}
	addr := strings.TrimPrefix(s.URL, "http://")
	s.Close()
	return addr, nil
}

// backlog runs the agent over a ~1 GB file against a slow sink, sampling
// RSS every 100 ms, for backlogFor (or until everything is shipped).
func (b *bench) backlog(runNo int, dir string) (Result, error) {
	r := Result{Scenario: "backlog", Run: runNo}
	s, ca, err := b.tlsSink(sink.Options{Delay: b.o.backlogDelay})
	if err != nil {
		return r, err
	}
	defer s.Close()
	cfgPath, runDir, err := b.config(dir, s.URL, true, nil)
	if err != nil {
		return r, err
	}
	total := fileBytes(dir)
	wantLines := int64(b.o.lines * b.o.backlogCopies)
	start := time.Now()
	p, err := b.startAgent(cfgPath, runDir, "AWS_CA_BUNDLE="+ca)
	if err != nil {
		return r, err
	}
	defer p.kill()
	pid := p.cmd.Process.Pid
	var maxRSS float64
	tick := time.NewTicker(100 * time.Millisecond)
	for range tick.C {
		rss := readProcMem(pid).rss
		maxRSS = max(maxRSS, rss)
		if time.Since(start) >= b.o.backlogFor || s.Stats().Records >= wantLines {
			break
		}
	}
	tick.Stop()
	el := time.Since(start)
	st := s.Stats()
	hwm := readProcMem(pid).hwm
	cpu, ruRSS, err := p.stop()
	if err != nil {
		return r, err
	}
	r.Lines, r.Seconds = st.Records, el.Seconds()
	r.LinesPerS = float64(st.Records) / el.Seconds()
	r.MBPerS = float64(st.Bytes) / 1e6 / el.Seconds()
	r.CPUSeconds, r.SysSeconds = cpu, p.sysSec
	r.CPUusLine = cpu * 1e6 / float64(max(st.Records, 1))
	r.PeakRSSMB = max(maxRSS, hwm, ruRSS)
	r.PeakAnonMB, r.PeakFileMB = p.anonMB, p.fileMB
	r.BytesSent, r.Calls = st.Bytes, st.Calls
	r.Note = fmt.Sprintf("%.2f GB backlog, sink delay %v, shipped %.0f MB of JSON in %.0fs; max sampled VmRSS %.1f MB",
		float64(total)/1e9, b.o.backlogDelay, float64(st.Bytes)/1e6, el.Seconds(), maxRSS)
	return r, nil
}

// median of the field f over the runs of scenario sc.
func median(rs []Result, sc string, f func(Result) float64) (float64, bool) {
	var v []float64
	for _, r := range rs {
		if r.Scenario == sc {
			v = append(v, f(r))
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

type metric struct {
	name   string
	f      func(Result) float64
	format string
}

var metrics = []metric{
	{"lines/s", func(r Result) float64 { return r.LinesPerS }, "%.0f"},
	{"MB/s (source)", func(r Result) float64 { return r.MBPerS }, "%.1f"},
	{"seconds", func(r Result) float64 { return r.Seconds }, "%.2f"},
	{"CPU-s", func(r Result) float64 { return r.CPUSeconds }, "%.2f"},
	{"  of which sys CPU-s", func(r Result) float64 { return r.SysSeconds }, "%.2f"},
	{"CPU-µs/line", func(r Result) float64 { return r.CPUusLine }, "%.2f"},
	{"peak RSS MB", func(r Result) float64 { return r.PeakRSSMB }, "%.1f"},
	{"  of which anon MB", func(r Result) float64 { return r.PeakAnonMB }, "%.1f"},
	{"  of which file MB", func(r Result) float64 { return r.PeakFileMB }, "%.1f"},
	{"p50 delay ms", func(r Result) float64 { return r.P50ms }, "%.0f"},
	{"p99 delay ms", func(r Result) float64 { return r.P99ms }, "%.0f"},
}

func table(rep Report, prev *Report) string {
	var sb strings.Builder
	sb.WriteString("| scenario | metric | median | runs |")
	if prev != nil {
		sb.WriteString(" previous | change |")
	}
	sb.WriteString("\n|---|---|---|---|")
	if prev != nil {
		sb.WriteString("---|---|")
	}
	sb.WriteString("\n")
	for _, sc := range scenarioOrder {
		for _, m := range metrics {
			med, ok := median(rep.Results, sc, m.f)
			if !ok || (med == 0 && (strings.Contains(m.name, "delay") || strings.Contains(m.name, "sys"))) {
				continue
			}
			var runs []string
			for _, r := range rep.Results {
				if r.Scenario == sc {
					runs = append(runs, fmt.Sprintf(m.format, m.f(r)))
				}
			}
			fmt.Fprintf(&sb, "| %s | %s | "+m.format+" | %s |", sc, m.name, med, strings.Join(runs, " / "))
			if prev != nil {
				if pm, ok := median(prev.Results, sc, m.f); ok && pm != 0 {
					fmt.Fprintf(&sb, " "+m.format+" | %+.1f%% |", pm, (med-pm)/pm*100)
				} else {
					sb.WriteString(" – | – |")
				}
			}
			sb.WriteString("\n")
		}
	}
	for _, r := range rep.Results {
		if r.Note != "" {
			fmt.Fprintf(&sb, "\n- %s run %d: %s", r.Scenario, r.Run, r.Note)
		}
	}
	sb.WriteString("\n")
	return sb.String()
}
