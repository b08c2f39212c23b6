package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// Secrets every agent run is given; none may appear in any captured output.
const (
	secretKey    = "relSecretKey0bviouslyFake/NEVER-LOG-ME"
	sessionToken = "relSessionTokenFQoGZXIvYXdzEJr-NEVER-LOG-ME"
	accessKeyID  = "AKIARELIABILITYTEST"
	apiToken     = "relTravelpayoutsToken-NEVER-LOG-ME"
)

// Binaries built once by TestMain.
var (
	agentBin     string
	apiCallerBin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "reliability-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by the unprivileged user of the permission test.
	_ = os.Chmod(dir, 0o755)
	agentBin = filepath.Join(dir, "aws-kinesis-agent")
	apiCallerBin = filepath.Join(dir, "api_caller")
	root := repoRoot()
	for bin, pkg := range map[string]string{agentBin: "./cmd/aws-kinesis-agent", apiCallerBin: "./cmd/api_caller"} {
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := 0
	func() {
		defer os.RemoveAll(dir)
		code = m.Run()
		kinesistest.Stop()
	}()
	os.Exit(code)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// soak reports whether the long versions run (AGENT_SOAK=1).
func soak() bool { return os.Getenv("AGENT_SOAK") == "1" }

// parallel runs the short versions in parallel; the soak versions run one
// at a time so that their numbers are not each other's load.
func parallel(t *testing.T) {
	if !soak() {
		t.Parallel()
	}
}

// pick returns short or long by mode.
func pick[T any](short, long T) T {
	if soak() {
		return long
	}
	return short
}

// waitFor polls cond every interval until it holds or d passes.
func waitFor(d, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// ---- configuration ----

// setup is one test's world: a directory, a stream and an agent.json.
type setup struct {
	t        *testing.T
	dir      string // everything of the test
	logs     string // the tailed directory
	ckpt     string // checkpoint file
	endpoint string // where the agent sends
	stream   string
	client   *kinesis.Client
	envCreds bool // credentials from AWS_* env (with a session token) instead of agent.json
	top      map[string]any
	flow     map[string]any
	mu       sync.Mutex
	procs    []*agentProc
}

// newSetup creates a stream on kinesalite and a config whose flow tails
// logs/*.log from START_OF_FILE. endpoint "" sends to kinesalite directly.
func newSetup(t *testing.T, shards int) *setup {
	t.Helper()
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	s := &setup{
		t: t, dir: t.TempDir(), endpoint: ep, client: client,
		stream: kinesistest.CreateStream(t, client, shards),
	}
	s.logs = filepath.Join(s.dir, "logs")
	s.ckpt = filepath.Join(s.dir, "state", "checkpoints")
	if err := os.MkdirAll(s.logs, 0o755); err != nil {
		t.Fatal(err)
	}
	s.top = map[string]any{
		"cloudwatch.emitMetrics": false,
		"kinesis.region":         "us-east-1",
		"shutdownTimeoutMillis":  5000,
	}
	s.flow = map[string]any{
		"initialPosition":    "START_OF_FILE",
		"maxBufferAgeMillis": 1000,
	}
	t.Cleanup(s.checkSecrets)
	t.Cleanup(s.dumpOnFailure)
	return s
}

// kinesaliteEndpoint is the real server behind any proxy.
func (s *setup) kinesaliteEndpoint() string { return kinesistest.Endpoint(s.t) }

// writeConfig writes agent.json and returns its path.
func (s *setup) writeConfig() string {
	s.t.Helper()
	cfg := map[string]any{}
	for k, v := range s.top {
		cfg[k] = v
	}
	cfg["kinesis.endpoint"] = s.endpoint
	if _, ok := cfg["checkpointFile"]; !ok {
		cfg["checkpointFile"] = s.ckpt
	}
	if !s.envCreds {
		cfg["awsAccessKeyId"] = accessKeyID
		cfg["awsSecretAccessKey"] = secretKey
	}
	flow := map[string]any{}
	for k, v := range s.flow {
		flow[k] = v
	}
	if _, ok := flow["filePattern"]; !ok {
		flow["filePattern"] = filepath.Join(s.logs, "*.log")
	}
	flow["kinesisStream"] = s.stream
	cfg["flows"] = []any{flow}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		s.t.Fatal(err)
	}
	p := filepath.Join(s.dir, "agent.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// ---- the agent process ----

// agentProc is one run of the agent binary.
type agentProc struct {
	cmd     *exec.Cmd
	logPath string
	stderr  *syncbuf.Buffer
	done    chan struct{}
	state   *os.ProcessState
	started time.Time
	exited  time.Time
}

// agentEnv is the agent's environment: no AWS_* from the caller, the
// session token always present (it must never be printed), and the keys
// themselves when the setup takes credentials from the environment.
func (s *setup) agentEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_SESSION_TOKEN="+sessionToken, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if s.envCreds {
		env = append(env, "AWS_ACCESS_KEY_ID="+accessKeyID, "AWS_SECRET_ACCESS_KEY="+secretKey)
	}
	return env
}

// start runs the agent on the setup's config (written now) with args added
// and waits until it logged "Startup completed" (the test fails if it
// exits first).
func (s *setup) start(extra ...string) *agentProc {
	s.t.Helper()
	p := s.startWith(nil, extra...)
	p.waitReady(s.t)
	return p
}

func (p *agentProc) waitReady(t *testing.T) {
	t.Helper()
	if !waitFor(20*time.Second, 10*time.Millisecond, func() bool {
		return !p.running() || strings.Contains(p.log(), "Startup completed")
	}) || !p.running() {
		t.Fatalf("agent did not start\nstderr: %s\nlog: %s", p.stderr.String(), tail(p.log(), 3000))
	}
}

func (s *setup) startWith(attr *syscall.SysProcAttr, extra ...string) *agentProc {
	s.t.Helper()
	cfg := s.writeConfig()
	s.mu.Lock()
	n := len(s.procs)
	s.mu.Unlock()
	logPath := filepath.Join(s.dir, fmt.Sprintf("agent-%d.log", n))
	emptyD := filepath.Join(s.dir, "agent.d")
	_ = os.MkdirAll(emptyD, 0o755)
	args := append([]string{"-c", cfg, "-d", emptyD, "-l", logPath}, extra...)
	p := startProc(s.t, args, s.agentEnv(), attr)
	p.logPath = logPath
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p
}

func startProc(t *testing.T, args, env []string, attr *syscall.SysProcAttr) *agentProc {
	t.Helper()
	cmd := exec.Command(agentBin, args...)
	cmd.Env = env
	p := &agentProc{cmd: cmd, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout = p.stderr
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start agent: %v", err)
	}
	p.started = time.Now()
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		p.exited = time.Now()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *agentProc) pid() int { return p.cmd.Process.Pid }

func (p *agentProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *agentProc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not die within 10s of SIGKILL")
	}
}

// term sends SIGTERM and returns how long the exit took, failing the test
// after limit.
func (p *agentProc) term(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(limit):
		t.Fatalf("agent did not exit within %v of SIGTERM\nstderr: %s\nlog tail: %s", limit, p.stderr.String(), tail(p.log(), 3000))
	}
	return time.Since(start)
}

// wait waits for the process to exit by itself and returns its exit code.
func (p *agentProc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.state.ExitCode()
	case <-time.After(limit):
		t.Fatalf("agent still running after %v\nstderr: %s\nlog: %s", limit, p.stderr.String(), tail(p.log(), 3000))
		return -1
	}
}

func (p *agentProc) log() string {
	if p.logPath == "" {
		return ""
	}
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// allOutput is every captured byte of every agent run of the setup.
func (s *setup) allOutput() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, p := range s.procs {
		b.WriteString(p.log())
		b.WriteString(p.stderr.String())
	}
	return b.String()
}

// dumpOnFailure logs the tail of every run's output when the test failed.
func (s *setup) dumpOnFailure() {
	if !s.t.Failed() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.procs {
		s.t.Logf("agent run %d stderr: %s\nlog tail: %s", i, tail(p.stderr.String(), 2000), tail(p.log(), 4000))
	}
}

// checkSecrets fails the test when a secret reached any captured output.
func (s *setup) checkSecrets() {
	checkNoSecrets(s.t, "agent log/stderr", s.allOutput())
}

func checkNoSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, leak := range leaks(out) {
		t.Errorf("a secret appears in %s: %s", what, leak)
	}
}

// leaks returns the context of every secret found in out.
func leaks(out string) []string {
	var found []string
	for _, sec := range []string{secretKey, sessionToken, apiToken} {
		if i := strings.Index(out, sec); i >= 0 {
			found = append(found, fmt.Sprintf("%.12s... in ...%s...", sec, out[max(0, i-200):min(len(out), i+len(sec)+50)]))
		}
	}
	return found
}

// ---- /proc sampling ----

// rssKB is VmRSS of pid in KiB.
func rssKB(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, errors.New("no VmRSS")
}

// clkTck is USER_HZ, 100 on every Linux we run on.
const clkTck = 100

// cpuTime is user+sys of pid.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(s[i+1:])
	// fields after ")": state(3) ... utime(14) stime(15) → indices 11, 12
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / clkTck, nil
}

// ---- sequence-numbered input ----

// seqLine is line number i: a 10-digit sequence number and padding.
func seqLine(i int) string {
	return fmt.Sprintf("%010d reliability payload %s\n", i, strings.Repeat("x", 20+i%17))
}

// seqWriter appends sequence-numbered lines to a file from a goroutine.
type seqWriter struct {
	next   atomic.Int64
	total  int
	cancel context.CancelFunc
	done   chan error
}

// writeSeq appends lines [from, from+n) to path at about perSec lines a
// second, in small writes of whole lines.
func writeSeq(t *testing.T, path string, from, n, perSec int) *seqWriter {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &seqWriter{total: from + n, cancel: cancel, done: make(chan error, 1)}
	w.next.Store(int64(from))
	go func() {
		defer f.Close()
		const tickEvery = 10 * time.Millisecond
		perTick := max(1, perSec/100)
		tick := time.NewTicker(tickEvery)
		defer tick.Stop()
		var buf []byte
		i := from
		for i < from+n {
			select {
			case <-ctx.Done():
				w.done <- ctx.Err()
				return
			case <-tick.C:
			}
			buf = buf[:0]
			for j := 0; j < perTick && i < from+n; j++ {
				buf = append(buf, seqLine(i)...)
				i++
			}
			if _, err := f.Write(buf); err != nil {
				w.done <- err
				return
			}
			w.next.Store(int64(i))
		}
		w.done <- nil
	}()
	t.Cleanup(cancel)
	return w
}

func (w *seqWriter) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case err := <-w.done:
		if err != nil {
			t.Fatalf("writer: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("writer not done after %v", d)
	}
}

// writeSeqFile writes lines [from, from+n) at once.
func writeSeqFile(t *testing.T, path string, from, n int) {
	t.Helper()
	var b bytes.Buffer
	for i := from; i < from+n; i++ {
		b.WriteString(seqLine(i))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tally counts sequence numbers read back.
type tally struct {
	counts  map[int]int
	records int
	bad     [][]byte // records that are not a sequence line
}

func countSeq(recs [][]byte) tally {
	tl := tally{counts: map[int]int{}, records: len(recs)}
	for _, r := range recs {
		if len(r) < 11 {
			tl.bad = append(tl.bad, r)
			continue
		}
		n, err := strconv.Atoi(string(r[:10]))
		if err != nil || string(r) != seqLine(n) {
			tl.bad = append(tl.bad, r)
			continue
		}
		tl.counts[n]++
	}
	return tl
}

// missing lists the numbers in [from, to) not read back (at most 20).
func (tl tally) missing(from, to int) (n int, some []int) {
	for i := from; i < to; i++ {
		if tl.counts[i] == 0 {
			n++
			if len(some) < 20 {
				some = append(some, i)
			}
		}
	}
	return n, some
}

// dups is the number of extra copies.
func (tl tally) dups() int {
	d := 0
	for _, c := range tl.counts {
		if c > 1 {
			d += c - 1
		}
	}
	return d
}

// waitAllSeq polls the stream (every 500 ms) until every line in [0, n)
// arrived or d passes, and returns the final tally.
func (s *setup) waitAllSeq(n int, d time.Duration) tally {
	s.t.Helper()
	var tl tally
	waitFor(d, pick(500*time.Millisecond, 3*time.Second), func() bool {
		tl = countSeq(kinesistest.ReadAll(s.t, s.client, s.stream))
		m, _ := tl.missing(0, n)
		return m == 0
	})
	return tl
}

// final is the tally of everything in the stream, read after the agent
// stopped (re-sends still in flight when the last line arrived count).
func (s *setup) final() tally {
	s.t.Helper()
	return countSeq(kinesistest.ReadAll(s.t, s.client, s.stream))
}

// requireAllSeq fails unless every line of [0, n) arrived and nothing else.
func (s *setup) requireAllSeq(tl tally, n int) {
	s.t.Helper()
	if m, _ := tl.missing(0, n); m > 0 {
		s.t.Fatalf("%d of %d lines lost (%s); %d records read back", m, n, tl.missingRanges(0, n), tl.records)
	}
	if len(tl.bad) > 0 {
		s.t.Fatalf("%d records are not lines that were written, e.g. %q", len(tl.bad), tail(string(tl.bad[0]), 200))
	}
}

// ---- a TCP gate that can refuse connections ----

// gate forwards loopback TCP connections to target; Down closes the
// listener (connections are refused) and every open connection.
type gate struct {
	addr    string
	target  string
	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	accepts atomic.Int64
}

func newGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	g.serve(ln)
	t.Cleanup(g.down)
	return g
}

func (g *gate) url() string { return "http://" + g.addr }

func (g *gate) serve(ln net.Listener) {
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			g.accepts.Add(1)
			go g.forward(c)
		}
	}()
}

func (g *gate) forward(c net.Conn) {
	up, err := net.Dial("tcp", g.target)
	if err != nil {
		c.Close()
		return
	}
	g.mu.Lock()
	g.conns[c] = struct{}{}
	g.conns[up] = struct{}{}
	g.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
	go func() { defer wg.Done(); _, _ = io.Copy(c, up); c.Close() }()
	wg.Wait()
	g.mu.Lock()
	delete(g.conns, c)
	delete(g.conns, up)
	g.mu.Unlock()
}

// down stops accepting (new connections are refused) and cuts open ones.
func (g *gate) down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for c := range g.conns {
		c.Close()
	}
}

// up listens again on the same address.
func (g *gate) up(t *testing.T) {
	t.Helper()
	var ln net.Listener
	if !waitFor(10*time.Second, 50*time.Millisecond, func() bool {
		var err error
		ln, err = net.Listen("tcp", g.addr)
		return err == nil
	}) {
		t.Fatalf("gate: cannot listen on %s again", g.addr)
	}
	g.serve(ln)
}

// hostPort strips the scheme of an http URL.
func hostPort(u string) string { return strings.TrimPrefix(u, "http://") }

// loadCheckpoints reads the flow's rows from the checkpoint file (nil when
// it cannot be read yet).
func loadCheckpoints(t *testing.T, path, flowID string) []record.Position {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	st, err := checkpoint.Open(path)
	if err != nil {
		return nil
	}
	defer st.Close()
	ps, err := st.Load(flowID)
	if err != nil {
		return nil
	}
	return ps
}

// readStream is kinesistest.ReadAll with a deadline of d (a million records
// take kinesalite longer than ReadAll's minute).
func readStream(t *testing.T, client *kinesis.Client, stream string, d time.Duration) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	shards, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatalf("ListShards %s: %v", stream, err)
	}
	var out [][]byte
	for _, sh := range shards.Shards {
		it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("GetShardIterator: %v", err)
		}
		for iter := it.ShardIterator; iter != nil; {
			r, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatalf("GetRecords %s: %v", stream, err)
			}
			for _, rec := range r.Records {
				out = append(out, rec.Data)
			}
			if len(r.Records) == 0 {
				break
			}
			iter = r.NextShardIterator
		}
	}
	return out
}
