package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// Default locations, as the Java agent and its packaging use them.
const (
	DefaultConfigPath = "/etc/aws-kinesis/agent.json"
	DefaultConfigDir  = "/etc/aws-kinesis/agent.d"
)

const unbounded = math.MaxInt64

// Load reads the main configuration file and the flows of every regular
// file in confDir (in name order; confDir "" or missing means none),
// validates everything as the Java agent does and returns the
// configuration. Errors are *Error values naming the file and the key.
func Load(mainPath, confDir string) (*Config, error) {
	data, err := os.ReadFile(mainPath)
	if err != nil {
		return nil, &Error{File: mainPath, Msg: "Failed when reading configuration file: " + describeReadErr(err), Err: ErrSyntax}
	}
	return load(mainPath, data, confDir)
}

func describeReadErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseFile parses one configuration file; the root must be an object.
func parseFile(path string, data []byte) (*value, []string, error) {
	root, trailing, err := parseJSON(data)
	if err != nil {
		return nil, nil, &Error{File: path, Msg: "Failed when reading configuration file: " + err.Error(), Err: ErrSyntax}
	}
	if root.kind != kObject {
		return nil, nil, &Error{File: path, Msg: fmt.Sprintf("Failed when reading configuration file: the top level must be a JSON object, got a JSON %s", root.kind), Err: ErrSyntax}
	}
	var warns []string
	if trailing {
		warns = append(warns, path+": content after the top-level JSON object is ignored (as the Java agent does); check for a stray '}' or a second object")
	}
	return root, warns, nil
}

// flowSource is one flow object and where it came from.
type flowSource struct {
	file string
	key  string // "flows[i]"
	obj  *value
}

func load(mainPath string, data []byte, confDir string) (*Config, error) {
	cfg := &Config{}
	if err := loadInto(cfg, mainPath, data, confDir); err != nil {
		if len(cfg.Notes) > 0 {
			return nil, &notedError{err: err, notes: cfg.Notes}
		}
		return nil, err
	}
	return cfg, nil
}

// loadInto fills cfg; on an error, cfg keeps the notes made until then.
func loadInto(cfg *Config, mainPath string, data []byte, confDir string) error {
	root, warns, err := parseFile(mainPath, data)
	if err != nil {
		return err
	}
	cfg.Sources = []string{mainPath}
	cfg.warn(warns...)
	top := &objReader{file: mainPath, obj: root}

	// Unknown and no-effect keys.
	for _, m := range root.members {
		if reason, ok := noEffectTop[m.key]; ok {
			cfg.warn(fmt.Sprintf("%s: key %q has no effect here: %s", mainPath, m.key, reason))
			continue
		}
		if !contains(topLevelKeys, m.key) {
			w := mainPath + ": " + unknownKeyWarning("", m.key, topLevelKeys, topLevel)
			if h := nestedHint(m.key, m.val); h != "" {
				w = fmt.Sprintf("%s: unknown key %q is ignored%s", mainPath, m.key, h)
			}
			cfg.warn(w)
		}
	}

	// Java builds the flows before it reads most top-level keys.
	if cfg.CloudWatch.TagInstance, err = top.boolean("cloudwatch.tagInstance", false); err != nil {
		return err
	}

	var sources []flowSource
	fv, hasFlows := root.get("flows")
	if hasFlows && fv.kind != kNull {
		if fv.kind != kArray {
			return top.errf("Configuration value is not a list: %s (key flows)", javaText(fv))
		}
		for i, e := range fv.elems {
			sources = append(sources, flowSource{file: mainPath, key: fmt.Sprintf("flows[%d]", i), obj: e})
		}
	}

	if confDir != "" {
		more, err := readConfDir(cfg, confDir)
		if err != nil {
			return err
		}
		sources = append(sources, more...)
		if st, err := os.Stat(confDir); err == nil && st.IsDir() {
			cfg.info(fmt.Sprintf("Found %d configured flow(s)", len(sources)))
		}
	}

	ids := map[string]string{}
	for _, src := range sources {
		if src.obj.kind != kObject {
			return &Error{File: src.file, Msg: fmt.Sprintf("Failed to convert list item (%s) to desired type (%s): flows (%s must be a JSON object)", javaText(src.obj), javaConfig, src.key)}
		}
		f, w, err := buildFlow(src)
		cfg.warn(w...)
		if err != nil {
			return err
		}
		if first, dup := ids[f.ID]; dup {
			return &Error{File: src.file, Key: src.key, Msg: fmt.Sprintf("Duplicate flow: %s (same as %s)", f.ID, first), Err: ErrDuplicateFlow}
		}
		ids[f.ID] = src.file + ": " + src.key
		cfg.Flows = append(cfg.Flows, *f)
	}
	if len(cfg.Flows) == 0 {
		return &Error{File: mainPath, Msg: "There are no flows configured in configuration file.", Err: ErrNoFlows}
	}

	if err := readTopLevel(cfg, top); err != nil {
		return err
	}
	return nil
}

// readConfDir reads the flows of every regular file in dir, in name order.
// A file that cannot be parsed is skipped with a warning (as Java does).
func readConfDir(cfg *Config, dir string) ([]flowSource, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, nil
	}
	ents, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		cfg.warn(fmt.Sprintf("%s: cannot list the configuration directory, ignoring it: %s", dir, describeReadErr(err)))
		return nil, nil
	}
	var out []flowSource
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path) // follows symlinks, as Java's File.isFile
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		cfg.info("Reading flow configuration from file: " + e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			cfg.warn(fmt.Sprintf("%s: Error reading configuration file, ignoring - %s: %s", path, e.Name(), describeReadErr(err)))
			continue
		}
		root, warns, err := parseFile(path, data)
		if err != nil {
			detail := err.Error()
			var ce *Error
			if errors.As(err, &ce) {
				detail = ce.Msg
			}
			cfg.warn(fmt.Sprintf("%s: Error reading configuration file, ignoring - %s: %s", path, e.Name(), detail))
			continue
		}
		fv, ok := root.get("flows")
		if ok && fv.kind != kArray {
			cfg.warn(fmt.Sprintf("%s: Error reading configuration file, ignoring - %s: \"flows\" must be a list, got %s", path, e.Name(), javaText(fv)))
			continue
		}
		cfg.warn(warns...)
		cfg.Sources = append(cfg.Sources, path)
		if !strings.HasSuffix(strings.ToLower(e.Name()), ".json") {
			// A backup or disabled copy (x.json.bak, x.json.disabled,
			// x.json~) would otherwise run beside the original unnoticed.
			cfg.warn(fmt.Sprintf("%s: read as a flow file although its name does not end in .json (every regular file in %s is read, as by the Java agent); move it out of the directory to disable it", path, dir))
		}
		for _, m := range root.members {
			if m.key != "flows" {
				cfg.warn(fmt.Sprintf("%s: key %q has no effect: only \"flows\" is read from files in %s", path, m.key, dir))
			}
		}
		if !ok {
			cfg.warn(fmt.Sprintf("%s: no \"flows\" in this file; nothing is read from it", path))
			continue
		}
		for i, el := range fv.elems {
			out = append(out, flowSource{file: path, key: fmt.Sprintf("flows[%d]", i), obj: el})
		}
	}
	return out, nil
}

// readTopLevel reads every top-level key but flows.
func readTopLevel(cfg *Config, r *objReader) error {
	var err error
	var n int64
	if cfg.CheckpointFile, err = r.strDefault("checkpointFile", ""); err != nil {
		return err
	}
	if v := envVarIn(cfg.CheckpointFile); v != "" {
		cfg.warn(fmt.Sprintf("%s: checkpointFile %q holds %s, which looks like an environment variable: agent.json is not expanded (nor by the Java agent), so it is taken as written; write the path, or expand the file before the agent starts (envsubst)", r.file, cfg.CheckpointFile, v))
	} else if cfg.CheckpointFile != "" && !filepath.IsAbs(cfg.CheckpointFile) {
		cfg.warn(fmt.Sprintf("%s: checkpointFile %q is a relative path: it is taken from the agent's working directory (\"/\" for the service), as in the Java agent; give an absolute path", r.file, cfg.CheckpointFile))
	}
	if cfg.CheckpointTTLDays, err = r.int32Key("checkpointTimeToLiveDays", 7); err != nil {
		return err
	}
	if cfg.CheckpointTTLDays == 0 {
		// Java's query: rows older than now - 0 days, every one of them.
		cfg.warn(fmt.Sprintf("%s: %q is 0: every checkpoint is deleted at each start (as in the Java agent), so files are read again from their initialPosition after a restart; use a number of days, or -1 to keep checkpoints for ever", r.file, "checkpointTimeToLiveDays"))
	}
	if n, err = r.int64Key("checkpoints.queryTimeoutSeconds", 30); err != nil {
		return err
	}
	if n < 0 {
		// Java's setQueryTimeout throws; it logs the error and starts.
		cfg.warn(fmt.Sprintf("%s: %q (%d) is negative (the Java agent logs an SQL error and sets no limit): 0 is used, the store's own 5 s lock wait", r.file, "checkpoints.queryTimeoutSeconds", n))
		n = 0
	}
	if err = r.checkRange("checkpoints.queryTimeoutSeconds", n, 0, math.MaxInt32); err != nil {
		return err
	}
	cfg.CheckpointQueryTimeout = seconds(n)
	if n, err = r.int64Key("shutdownTimeoutMillis", 10000); err != nil {
		return err
	}
	if err = r.checkRange("shutdownTimeoutMillis", n, 0, unbounded); err != nil {
		return err
	}
	cfg.ShutdownTimeout = millis(n)

	if cfg.CloudWatch.EmitMetrics, err = r.boolean("cloudwatch.emitMetrics", true); err != nil {
		return err
	}
	if cfg.CloudWatch.Namespace, err = r.strDefault("cloudwatch.namespace", "AWSKinesisAgent"); err != nil {
		return err
	}
	if n, err = r.int64Key("cloudwatch.metricsBufferTimeMillis", 30000); err != nil {
		return err
	}
	if n <= 0 {
		// Java does not check it.
		cfg.warn(fmt.Sprintf("%s: %q (%d) is not positive: the default, 30000, is used", r.file, "cloudwatch.metricsBufferTimeMillis", n))
		n = 30000
	}
	if err = r.checkRange("cloudwatch.metricsBufferTimeMillis", n, 1, unbounded); err != nil {
		return err
	}
	cfg.CloudWatch.BufferTime = millis(n)
	if cfg.CloudWatch.QueueSize, err = r.int32Key("cloudwatch.metricsQueueSize", 10000); err != nil {
		return err
	}
	if err = r.checkRange("cloudwatch.metricsQueueSize", int64(cfg.CloudWatch.QueueSize), 1, unbounded); err != nil {
		return err
	}
	if cfg.CloudWatch.Endpoint, err = r.strDefault("cloudwatch.endpoint", ""); err != nil {
		return err
	}

	for _, s := range []struct {
		key string
		dst *string
	}{
		{"kinesis.endpoint", &cfg.KinesisEndpoint},
		{"kinesis.region", &cfg.KinesisRegion},
		{"firehose.endpoint", &cfg.FirehoseEndpoint},
		{"sts.endpoint", &cfg.STSEndpoint},
		{"assumeRoleARN", &cfg.AssumeRoleARN},
		{"assumeRoleExternalId", &cfg.AssumeRoleExternalID},
		{"userAgentOverride", &cfg.UserAgentOverride},
		{"status.listenAddress", &cfg.StatusListenAddress},
	} {
		if *s.dst, err = r.strDefault(s.key, ""); err != nil {
			return err
		}
	}
	// The keys never appear in an error: only their type is reported. The
	// access key id is read as Java reads strings (any scalar as its text).
	if v, ok := r.get("awsAccessKeyId"); ok && (v.kind == kObject || v.kind == kArray) {
		return r.errf("Failed to convert value (<redacted>) to desired type (%s): awsAccessKeyId: expected a string, got a JSON %s", javaString, v.kind)
	} else if cfg.AWSAccessKeyID, err = r.strDefault("awsAccessKeyId", ""); err != nil {
		return err
	}
	if v, ok := r.get("awsSecretAccessKey"); ok && v.kind != kNull {
		if v.kind == kObject || v.kind == kArray {
			return r.errf("Failed to convert value (<redacted>) to desired type (%s): awsSecretAccessKey: expected a string, got a JSON %s", javaString, v.kind)
		}
		cfg.AWSSecretAccessKey = javaText(v) // any scalar as its text, as Java's readString
	}
	if ua, err := r.strDefault("userAgent", ""); err != nil {
		return err
	} else {
		cfg.UserAgent = javaTrim(ua)
	}

	perCore, err := r.int32Key("maxSendingThreadsPerCore", 12)
	if err != nil {
		return err
	}
	defThreads := max(2, perCore*runtime.NumCPU())
	if cfg.MaxSendingThreads, err = r.int32Key("maxSendingThreads", defThreads); err != nil {
		return err
	}
	if err = r.checkRange("maxSendingThreads", int64(cfg.MaxSendingThreads), 1, unbounded); err != nil {
		return err
	}
	if r.has("maxSendingThreads") && r.has("maxSendingThreadsPerCore") {
		cfg.warn(fmt.Sprintf("%s: key \"maxSendingThreadsPerCore\" has no effect because \"maxSendingThreads\" is set", r.file))
	}
	// No effect here, but Java reads them at start (its sending thread
	// pool and queue, its checkpoint store) and stops on a value of the
	// wrong type, a negative keep-alive or an empty queue: so do we, so
	// that a file this agent takes runs on a Java host too.
	if keep, err := r.int64Key("sendingThreadsKeepAliveMillis", 60000); err != nil {
		return err
	} else if err := r.checkRange("sendingThreadsKeepAliveMillis", keep, 0, unbounded); err != nil {
		return err
	}
	if q, err := r.int32Key("sendingThreadsMaxQueueSize", 100); err != nil {
		return err
	} else if err := r.checkRange("sendingThreadsMaxQueueSize", int64(q), 1, unbounded); err != nil {
		return err
	}
	if _, err := r.int32Key("checkpoints.connectionTimeoutSeconds", 5); err != nil {
		return err
	}
	if cfg.MaxConnections, err = r.int32Key("maxConnections", max(50, cfg.MaxSendingThreads)); err != nil {
		return err
	}
	if err = r.checkRange("maxConnections", int64(cfg.MaxConnections), 1, unbounded); err != nil {
		return err
	}
	var ms int
	if ms, err = r.int32Key("connectionTimeoutMillis", 10000); err != nil {
		return err
	}
	if err = r.checkRange("connectionTimeoutMillis", int64(ms), 0, unbounded); err != nil {
		return err
	}
	cfg.ConnectionTimeout = millis(int64(ms))
	if ms, err = r.int32Key("socketTimeoutMillis", 50000); err != nil {
		return err
	}
	if err = r.checkRange("socketTimeoutMillis", int64(ms), 0, unbounded); err != nil {
		return err
	}
	cfg.SocketTimeout = millis(int64(ms))
	for _, k := range []struct {
		key string
		d   time.Duration
		def string
	}{{"connectionTimeoutMillis", cfg.ConnectionTimeout, "10 s"}, {"socketTimeoutMillis", cfg.SocketTimeout, "50 s"}} {
		if k.d == 0 {
			cfg.warn(fmt.Sprintf("%s: %q is 0 (no limit in the Java agent): the default, %s, is used, so that a hung endpoint cannot block a sender for ever", r.file, k.key, k.def))
		}
	}
	if n, err = r.int64Key("connectionTTLMillis", -1); err != nil {
		return err
	}
	cfg.ConnectionTTL = millis(n)
	if n < 0 {
		cfg.ConnectionTTL = -1
	} else {
		cfg.warn(fmt.Sprintf("%s: key %q has no effect here: connections are kept until they have been idle for 60 s (as with Java's default, -1, apart from the idle limit)", r.file, "connectionTTLMillis"))
	}
	if cfg.UseTCPKeepAlive, err = r.boolean("useTcpKeepAlive", false); err != nil {
		return err
	}
	if cfg.UseHTTPGzip, err = r.boolean("useHttpGzip", false); err != nil {
		return err
	}
	if cfg.LogEmitMetrics, err = r.boolean("log.emitMetrics", false); err != nil {
		return err
	}
	if cfg.LogEmitInternalMetrics, err = r.boolean("log.emitInternalMetrics", false); err != nil {
		return err
	}
	var secs int
	if secs, err = r.int32Key("log.statusReportingPeriodSeconds", 30); err != nil {
		return err
	}
	cfg.StatusReportingPeriod = seconds(int64(secs))
	if secs <= 0 {
		cfg.warn(fmt.Sprintf("%s: \"log.statusReportingPeriodSeconds\" is %d: no progress lines are logged (as in the Java agent)", r.file, secs))
	}
	if cfg.StatusAllowRemote, err = r.boolean("status.allowRemote", false); err != nil {
		return err
	}
	if err := checkListenAddress(r, cfg.StatusListenAddress, cfg.StatusAllowRemote); err != nil {
		return err
	}
	if err := checkEndpoints(r, cfg); err != nil {
		return err
	}

	// Combinations where a key silently does nothing in the Java agent.
	warnf := func(format string, args ...any) {
		cfg.warn(r.file + ": " + fmt.Sprintf(format, args...))
	}
	switch {
	case cfg.AWSAccessKeyID != "" && cfg.AWSSecretAccessKey == "":
		warnf("\"awsAccessKeyId\" is set but \"awsSecretAccessKey\" is not: the static keys are ignored and the standard AWS credential chain is used (as in the Java agent)")
	case cfg.AWSAccessKeyID == "" && cfg.AWSSecretAccessKey != "":
		warnf("\"awsSecretAccessKey\" is set but \"awsAccessKeyId\" is not: the static keys are ignored and the standard AWS credential chain is used (as in the Java agent)")
	}
	if strings.TrimSpace(cfg.AssumeRoleARN) == "" { // (as the clients read it)
		for _, k := range []string{"assumeRoleExternalId", "sts.endpoint"} {
			if v, _, _ := r.str(k); v != "" {
				warnf("key %q has no effect without \"assumeRoleARN\"", k)
			}
		}
	}
	return nil
}

// checkListenAddress validates status.listenAddress: host:port, and a
// loopback host unless status.allowRemote is true.
func checkListenAddress(r *objReader, addr string, allowRemote bool) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return r.errf("'status.listenAddress' value %q is not host:port (e.g. \"127.0.0.1:9100\"): %v", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return r.errf("'status.listenAddress' value %q: port %q is not a number in [0..65535]", addr, port)
	}
	if allowRemote {
		return nil
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		loopback = true
	}
	if !loopback {
		return r.errf("'status.listenAddress' value %q is not a loopback address; set \"status.allowRemote\": true to serve the status endpoint to other hosts", addr)
	}
	return nil
}

// javaTrim strips leading and trailing characters <= U+0020.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// splitFilePattern splits filePattern into directory and file-name glob as
// Java's Paths.get(p).getParent()/getFileName() do (repeated '/'
// collapsed, '.' and '..' kept).
func splitFilePattern(p string) (dir, glob string, msg string) {
	if strings.HasSuffix(p, "/") {
		return "", "", "File name component is empty!"
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", "", "Nul character not allowed: " + strings.ReplaceAll(p, "\x00", "\\0")
	}
	abs := strings.HasPrefix(p, "/")
	var parts []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "", "", "Directory component is empty!"
	}
	glob = parts[len(parts)-1]
	parts = parts[:len(parts)-1]
	switch {
	case abs:
		dir = "/" + strings.Join(parts, "/")
	case len(parts) == 0:
		return "", "", "Directory component is empty!"
	default:
		dir = strings.Join(parts, "/")
	}
	return dir, glob, ""
}

// flowID builds the Java flow id from the prefix, destination, dir and glob.
func flowID(prefix, dest, dir, glob string) string {
	return prefix + ":" + dest + ":" + dir + "/" + glob
}

// buildFlow validates one flow object in Java's order.
func buildFlow(src flowSource) (*Flow, []string, error) {
	r := &objReader{file: src.file, prefix: src.key, obj: src.obj}
	var warns []string
	warn := func(format string, args ...any) {
		warns = append(warns, fmt.Sprintf("%s: %s: ", src.file, src.key)+fmt.Sprintf(format, args...))
	}
	f := &Flow{Source: src.file}

	switch {
	case r.has("deliveryStream"):
		f.Kind = Firehose
		if r.has("kinesisStream") {
			warn("both \"deliveryStream\" and \"kinesisStream\" are set: this is a Firehose flow (as in the Java agent); \"kinesisStream\" is ignored")
		}
	case r.has("kinesisStream"):
		f.Kind = Kinesis
	default:
		e := r.errf("Could not create flow from the given configuration. Could not recognize flow type.")
		hint := ""
		for _, m := range src.obj.members {
			if s := suggest(m.key, []string{"kinesisStream", "deliveryStream"}); s != "" {
				hint = fmt.Sprintf(" The flow has %q: did you mean %q?", m.key, s)
				break
			}
		}
		if hint == "" {
			hint = " A flow needs \"kinesisStream\" or \"deliveryStream\"."
		}
		e.Msg += hint
		return nil, warns, e
	}

	for _, m := range src.obj.members {
		switch {
		case noEffectFlow[m.key] != "":
			warn("key %q has no effect here: %s", m.key, noEffectFlow[m.key])
		case m.key == "partitionKeyOption" && f.Kind == Firehose:
			warn("key \"partitionKeyOption\" has no effect on a Firehose flow")
		case m.key == "aggregatedRecordSizeBytes" && f.Kind == Kinesis:
			warn("key \"aggregatedRecordSizeBytes\" has no effect on a Kinesis flow")
		case !contains(flowKeys, m.key):
			warns = append(warns, fmt.Sprintf("%s: ", src.file)+unknownKeyWarning(src.key, m.key, flowKeys, flowLevel))
		}
	}

	var err error
	if f.FilePattern, err = r.required("filePattern"); err != nil {
		return nil, warns, err
	}
	var msg string
	if f.Dir, f.Glob, msg = splitFilePattern(f.FilePattern); msg != "" {
		return nil, warns, r.errf("filePattern %q: %s", f.FilePattern, msg)
	}
	if msg := checkGlob(f.Glob); msg != "" {
		return nil, warns, r.errf("filePattern %q: invalid file name glob %q: %s", f.FilePattern, f.Glob, msg)
	}
	envVar := envVarIn(f.FilePattern)
	if strings.ContainsAny(envVarRE.ReplaceAllString(f.Dir, ""), "*?[{") {
		// As in Java: only the last part is a pattern. /var/log/*/app.log
		// names the directory "/var/log/*", which most often does not
		// exist: the flow starts and tails nothing.
		warn("filePattern %q: the directory part %q is taken literally (only the file name, %q, is a pattern): to tail files of several directories, give each its own flow", f.FilePattern, f.Dir, f.Glob)
	}
	switch {
	case envVar != "":
		warn("filePattern %q holds %s, which looks like an environment variable: agent.json is not expanded (nor by the Java agent), so it is taken as written; write the path, or expand the file before the agent starts (envsubst)", f.FilePattern, envVar)
	case strings.HasPrefix(f.FilePattern, "~"):
		warn("filePattern %q begins with ~, which is not expanded (nor by the Java agent): it is a relative path, taken from the agent's working directory (\"/\" for the service); write the home directory's path", f.FilePattern)
	case !filepath.IsAbs(f.FilePattern):
		warn("filePattern %q is a relative path: it is taken from the agent's working directory (\"/\" for the service), as in the Java agent; give an absolute path", f.FilePattern)
	}

	var n int64
	if n, err = r.int64Key("maxBufferAgeMillis", 60000); err != nil {
		return nil, warns, err
	}
	if err = r.checkRange("maxBufferAgeMillis", n, 1000, 900000); err != nil {
		return nil, warns, err
	}
	f.MaxBufferAge = millis(n)
	if f.MaxBufferSizeRecords, err = r.int32Key("maxBufferSizeRecords", 500); err != nil {
		return nil, warns, err
	}
	if err = r.checkRange("maxBufferSizeRecords", int64(f.MaxBufferSizeRecords), 1, 500); err != nil {
		return nil, warns, err
	}
	maxBytes := 5242880
	if f.Kind == Firehose {
		maxBytes = 4194304
	}
	if f.MaxBufferSizeBytes, err = r.int32Key("maxBufferSizeBytes", maxBytes); err != nil {
		return nil, warns, err
	}
	if err = r.checkRange("maxBufferSizeBytes", int64(f.MaxBufferSizeBytes), 1, int64(maxBytes)); err != nil {
		return nil, warns, err
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{
		{"waitOnFullPublishQueueMillis", &f.WaitOnFullPublishQueue},
		{"waitOnEmptyPublishQueueMillis", &f.WaitOnEmptyPublishQueue},
	} {
		if n, err = r.int64Key(d.key, 60000); err != nil {
			return nil, warns, err
		}
		if err = r.checkRange(d.key, n, 1000, 900000); err != nil {
			return nil, warns, err
		}
		*d.dst = millis(n)
	}
	var pos string
	if pos, err = r.enum("initialPosition", []string{string(StartOfFile), string(EndOfFile)}, string(EndOfFile)); err != nil {
		return nil, warns, err
	}
	f.InitialPosition = InitialPosition(pos)
	for _, d := range []struct {
		key string
		def int64
		dst *time.Duration
	}{
		{"retryInitialBackoffMillis", 100, &f.RetryInitialBackoff},
		{"retryMaxBackoffMillis", 10000, &f.RetryMaxBackoff},
	} {
		if n, err = r.int64Key(d.key, d.def); err != nil {
			return nil, warns, err
		}
		if err = r.checkRange(d.key, n, 0, unbounded); err != nil {
			return nil, warns, err
		}
		*d.dst = millis(n)
	}
	if f.RetryInitialBackoff == 0 || f.RetryMaxBackoff == 0 {
		warn("\"retryInitialBackoffMillis\" (%d) or \"retryMaxBackoffMillis\" (%d) is 0: failed calls are retried at once, without backoff",
			f.RetryInitialBackoff.Milliseconds(), f.RetryMaxBackoff.Milliseconds())
	} else if f.RetryMaxBackoff < f.RetryInitialBackoff {
		warn("\"retryMaxBackoffMillis\" (%d) is below \"retryInitialBackoffMillis\" (%d): every retry waits about retryMaxBackoffMillis",
			f.RetryMaxBackoff.Milliseconds(), f.RetryInitialBackoff.Milliseconds())
	}
	if f.PublishQueueCapacity, err = r.int32Key("publishQueueCapacity", 100); err != nil {
		return nil, warns, err
	}
	if r.has("publishQueueCapacity") { // any value, as Java (which does not check it)
		warn("key \"publishQueueCapacity\" has no effect here: " + publishQueueNoEffect)
	}
	if f.SkipHeaderLines, err = r.int32Key("skipHeaderLines", 0); err != nil {
		return nil, warns, err
	}
	if f.SkipHeaderLines < 0 {
		warn("\"skipHeaderLines\" (%d) is negative: no header lines are skipped (as in Java)", f.SkipHeaderLines)
		f.SkipHeaderLines = 0
	}
	if f.MultiLineStartPattern, err = r.strDefault("multiLineStartPattern", ""); err != nil {
		return nil, warns, err
	}
	if f.MultiLineStartPattern != "" {
		if _, err := javaregex.Compile(f.MultiLineStartPattern, 0); err != nil {
			return nil, warns, r.errf("multiLineStartPattern: %v", err)
		}
	}
	if f.FileFooterPattern, err = r.strDefault("fileFooterPattern", ""); err != nil {
		return nil, warns, err
	}
	if f.FileFooterPattern != "" {
		if _, err := javaregex.Compile(f.FileFooterPattern, javaregex.Multiline); err != nil {
			return nil, warns, r.errf("fileFooterPattern: %v", err)
		}
	}
	term, present, err := r.str("truncatedRecordTerminator")
	if err != nil {
		return nil, warns, err
	}
	if !present {
		term = "\n"
		if r.has("truncatedRecordTerminator") { // explicit null
			return nil, warns, r.errf("Record terminator not specified or exceeds the maximum record size")
		}
	}
	if len(term) >= f.MaxRecordBytes() {
		return nil, warns, r.errf("Record terminator not specified or exceeds the maximum record size")
	}
	f.TruncatedRecordTerminator = term

	opts, ow, err := buildOptions(r)
	warns = append(warns, ow...)
	if err != nil {
		return nil, warns, err
	}
	f.DataProcessingOptions = opts
	if err := processors.Validate(opts); err != nil {
		// processors' messages already name the option (flows[i].dataProcessingOptions[j]).
		return nil, warns, &Error{File: r.file, Msg: err.Error(), Err: err}
	}

	if n, err = r.int64Key("minTimeBetweenFilePollsMillis", 100); err != nil {
		return nil, warns, err
	}
	if err = r.checkRange("minTimeBetweenFilePollsMillis", n, 0, unbounded); err != nil {
		return nil, warns, err
	}
	f.MinTimeBetweenFilePolls = millis(n)
	if n, err = r.int64Key("maxTimeBetweenFileTrackerRefreshMillis", 10000); err != nil {
		return nil, warns, err
	}
	if err = r.checkRange("maxTimeBetweenFileTrackerRefreshMillis", n, 0, unbounded); err != nil {
		return nil, warns, err
	}
	f.MaxTimeBetweenFileTrackerRefresh = millis(n)
	if f.EmitInternalMetrics, err = r.boolean("log.emitInternalMetrics", false); err != nil {
		return nil, warns, err
	}

	// Destination, then the destination-specific keys.
	destKey, prefix := "kinesisStream", "kinesis"
	if f.Kind == Firehose {
		destKey, prefix = "deliveryStream", "fh"
	}
	if f.Destination, err = r.required(destKey); err != nil {
		return nil, warns, err
	}
	if f.Destination == "" {
		return nil, warns, r.errf("%q is empty: a stream name is required", destKey)
	}
	f.ID = flowID(prefix, f.Destination, f.Dir, f.Glob)
	if f.Kind == Kinesis {
		var pk string
		if pk, err = r.enum("partitionKeyOption", []string{string(PartitionRandom), string(PartitionDeterministic)}, string(PartitionRandom)); err != nil {
			return nil, warns, err
		}
		f.PartitionKeyOption = PartitionKeyOption(pk)
	} else {
		if f.AggregatedRecordSizeBytes, err = r.int32Key("aggregatedRecordSizeBytes", 0); err != nil {
			return nil, warns, err
		}
		if err = r.checkRange("aggregatedRecordSizeBytes", int64(f.AggregatedRecordSizeBytes), 0, 1024000); err != nil {
			return nil, warns, err
		}
		if f.AggregatedRecordSizeBytes > 0 {
			if f.MultiLineStartPattern != "" {
				warn("key \"aggregatedRecordSizeBytes\" has no effect with \"multiLineStartPattern\": each multi-line record is sent as one record, not aggregated (as in the Java agent)")
			} else if i := slices.IndexFunc(opts, func(o processors.Option) bool {
				return o.Name == processors.NameLogToJSON || o.Name == processors.NameCSVToJSON
			}); i >= 0 {
				warn("\"aggregatedRecordSizeBytes\" joins lines into records of up to %d bytes before they are processed, so %s (dataProcessingOptions[%d]) converts several lines as one (as in the Java agent): LOGTOJSON skips the record (its pattern must match all of it), CSVTOJSON runs the columns of its lines together. Remove aggregatedRecordSizeBytes to convert each line",
					f.AggregatedRecordSizeBytes, opts[i].Name, i)
			}
		}
	}
	if v := envVarIn(f.Destination); v != "" {
		warn("%s %q holds %s, which looks like an environment variable: agent.json is not expanded (nor by the Java agent); write the name, or expand the file before the agent starts (envsubst)", destKey, f.Destination, v)
	}
	return f, warns, nil
}

// envVarIn returns the first ${NAME} or $NAME (at the start of a path
// element) in s: a variable of a templated agent.json left unexpanded
// (containers that render the file with envsubst); "" if none.
func envVarIn(s string) string {
	return strings.TrimPrefix(envVarRE.FindString(s), "/")
}

var envVarRE = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\}|(?:^|/)\$[A-Za-z_][A-Za-z0-9_]*`)

// buildOptions reads dataProcessingOptions into processors.Options with
// Java's coercion; the converters' own checks are processors' business.
func buildOptions(fr *objReader) ([]processors.Option, []string, error) {
	v, ok := fr.get("dataProcessingOptions")
	if !ok || v.kind == kNull {
		return nil, nil, nil
	}
	if v.kind != kArray {
		hint := ""
		if v.kind == kObject {
			hint = " (write it as a list: [ { ... } ])"
		}
		return nil, nil, fr.errf("\"dataProcessingOptions\" must be a list of objects, got a JSON %s%s; the Java agent silently ignores this, so nothing would be processed", v.kind, hint)
	}
	var warns []string
	var opts []processors.Option
	for i, el := range v.elems {
		key := fmt.Sprintf("%s.dataProcessingOptions[%d]", fr.prefix, i)
		if el.kind != kObject {
			return nil, warns, fr.errf("Failed to convert list item (%s) to desired type (%s): dataProcessingOptions", javaText(el), javaConfig)
		}
		r := &objReader{file: fr.file, prefix: key, obj: el}
		o := processors.Option{Key: key}
		var err error
		if o.Name, err = r.requiredEnum("optionName", optionNames); err != nil {
			return nil, warns, err
		}
		applicable := optionKeysByName[o.Name]
		for _, m := range el.members {
			switch {
			case m.key == "optionName" || contains(applicable, m.key):
			case contains(allOptionKeys, m.key):
				warns = append(warns, fmt.Sprintf("%s: %s: key %q has no effect on %s", fr.file, key, m.key, o.Name))
			default:
				warns = append(warns, fmt.Sprintf("%s: ", fr.file)+unknownKeyWarning(key, m.key, append([]string{"optionName"}, applicable...), optionLevel))
			}
		}
		if err := readOption(r, &o); err != nil {
			return nil, warns, err
		}
		// Java builds each converter before reading the next option: its
		// validation error comes before a later option's key error.
		if err := processors.Validate([]processors.Option{o}); err != nil {
			// processors' messages already name the option (flows[i].dataProcessingOptions[j]).
			return nil, warns, &Error{File: r.file, Msg: err.Error(), Err: err}
		}
		for _, w := range processors.Warnings([]processors.Option{o}) {
			warns = append(warns, fmt.Sprintf("%s: %s", fr.file, w))
		}
		opts = append(opts, o)
	}
	return opts, warns, nil
}

// readOption reads the keys of one option in the Java converters' order.
func readOption(r *objReader, o *processors.Option) error {
	var err error
	jsonFormat := func() error {
		o.JSONFormat, err = r.enum("jsonFormat", jsonFormats, "COMPACT")
		return err
	}
	logParser := func() error {
		if o.LogFormat, err = r.requiredEnum("logFormat", logFormats); err != nil {
			return err
		}
		if o.CustomFieldNames, o.HasCustomFieldNames, err = r.stringList("customFieldNames"); err != nil {
			return err
		}
		o.MatchPattern, o.HasMatchPattern, err = r.str("matchPattern")
		return err
	}
	switch o.Name {
	case "SINGLELINE":
		if v, ok := r.get("parseOptions"); ok && v.kind == kArray {
			if o.ParseOptions, _, err = r.stringList("parseOptions"); err != nil {
				return err
			}
		}
	case "CSVTOJSON":
		if v, ok := r.get("customFieldNames"); ok && v.kind == kNull {
			// Java starts, then fails every record and sends it unconverted.
			return r.errf("\"customFieldNames\" is null: expected a list of field names, e.g. [\"a\", \"b\"]")
		}
		if o.CustomFieldNames, o.HasCustomFieldNames, err = r.stringList("customFieldNames"); err != nil {
			return err
		}
		if !o.HasCustomFieldNames {
			return r.errf("Required list missing: customFieldNames")
		}
		if len(o.CustomFieldNames) == 0 {
			// Java accepts it, and sends {} for every line.
			return r.errf("\"customFieldNames\" is empty: every line would become {} (its fields are named by this list); expected the field names, e.g. [\"a\", \"b\"]")
		}
		if o.Delimiter, o.HasDelimiter, err = r.str("delimiter"); err != nil {
			return err
		}
		return jsonFormat()
	case "LOGTOJSON":
		if err := jsonFormat(); err != nil {
			return err
		}
		return logParser()
	case "ADDMETADATA":
		if v, ok := r.get("metadata"); ok {
			var sb strings.Builder
			writeJSON(&sb, v)
			o.Metadata = []byte(sb.String())
		}
		if v, ok := r.get("timestamp"); ok && v.kind != kNull {
			if v.kind != kString {
				return r.errf("\"timestamp\" must be a JSON string (\"true\" or \"false\"), got %s: the Java agent fails to start on this too", javaText(v))
			}
			o.Timestamp, o.HasTimestamp = v.s, true
		}
		return jsonFormat()
	case "ADDEC2METADATA":
		if err := jsonFormat(); err != nil {
			return err
		}
		if err := logParser(); err != nil {
			return err
		}
		if v, ok := r.get("metadataTTL"); ok {
			o.MetadataTTL = javaText(v)
		}
	case "USINGPLUGGIN":
		if o.ClassName, err = r.required("className"); err != nil {
			return err
		}
	}
	return nil
}

// checkGlob reports the errors Java's glob compiler (sun.nio.fs.Globs)
// raises for a file-name glob, or "".
func checkGlob(g string) string {
	inGroup := false
	for i := 0; i < len(g); i++ {
		switch g[i] {
		case '\\':
			if i+1 >= len(g) {
				return "No character to escape"
			}
			i++
		case '[':
			i++
			members := false // Java's class is empty when ']' comes first
			if i < len(g) && g[i] == '^' {
				i++
				members = true
			} else {
				if i < len(g) && g[i] == '!' {
					i++
				}
				if i < len(g) && g[i] == '-' {
					i++
					members = true
				}
			}
			if !members && i < len(g) && g[i] == ']' {
				// Java translates "[]" to an empty regex class, which
				// does not compile.
				return "Unclosed character class: [] and [!] are empty (write \\] for a literal ']')"
			}
			closed := false
			var last rune // characters, as Java's (and the tailer's) compare them
			hasLast := false
			for ; i < len(g); i++ {
				c, n := utf8.DecodeRuneInString(g[i:])
				if c == ']' {
					closed = true
					break
				}
				if c == '/' {
					return "Explicit 'name separator' in class"
				}
				if c == '-' {
					if !hasLast {
						return "Invalid range"
					}
					if i+1 >= len(g) {
						break
					}
					i++
					c2, n2 := utf8.DecodeRuneInString(g[i:])
					if c2 == ']' {
						closed = true
						break
					}
					if c2 < last {
						return "Invalid range"
					}
					i += n2 - 1
					hasLast = false
					continue
				}
				last, hasLast = c, true
				i += n - 1
			}
			if !closed {
				return "Missing ']'"
			}
		case '{':
			if inGroup {
				return "Cannot nest groups"
			}
			inGroup = true
		case '}':
			inGroup = false
		}
	}
	if inGroup {
		return "Missing '}'"
	}
	return ""
}
