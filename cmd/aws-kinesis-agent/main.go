// Command aws-kinesis-agent tails log files and ships them to Amazon
// Kinesis Data Streams and Firehose; a drop-in for the Java agent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/logging"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/profiling"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/tail"
)

var version = "dev"

// DefaultLogFile is the Java agent's log file (log4j.xml FILE appender).
const DefaultLogFile = "/var/log/aws-kinesis-agent/aws-kinesis-agent.log"

const usageText = `Usage: aws-kinesis-agent [options]
  Options:
    -c, --configuration PATH  the agent configuration file
                              (default: /etc/aws-kinesis/agent.json)
    -d, --config-dir DIR      directory whose files add flows
                              (default: /etc/aws-kinesis/agent.d)
    -l, --log-file PATH       log file, "-" for stderr
                              (default: /var/log/aws-kinesis-agent/aws-kinesis-agent.log)
    -L, --log-level LEVEL     DEBUG, INFO, WARN or ERROR (default: INFO; TRACE is DEBUG)
    --validate                load and check the configuration, list each flow
                              and the files it matches now, send nothing, exit
    --check-destinations      with --validate: also describe each destination
                              (it exists and these credentials can see it);
                              sending permissions are not tested
    --version                 print the version and exit
    -h, --help                print this help and exit
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed command line.
type options struct {
	configPath     string
	configDir      string
	logFile        string
	logLevel       string
	validate       bool
	checkDest      bool
	showVersion    bool
	help           bool
	configExplicit bool
	dirExplicit    bool // -d/--config-dir given
}

// parseArgs parses the command line; "--name=value" and "--name value"
// are both accepted, as the Java agent's JCommander does.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("aws-kinesis-agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, n := range []string{"c", "configuration"} {
		fs.StringVar(&o.configPath, n, config.DefaultConfigPath, "")
	}
	for _, n := range []string{"d", "config-dir"} {
		fs.StringVar(&o.configDir, n, config.DefaultConfigDir, "")
	}
	for _, n := range []string{"l", "log-file"} {
		fs.StringVar(&o.logFile, n, DefaultLogFile, "")
	}
	for _, n := range []string{"L", "log-level"} {
		fs.StringVar(&o.logLevel, n, "INFO", "")
	}
	fs.BoolVar(&o.validate, "validate", false, "")
	fs.BoolVar(&o.checkDest, "check-destinations", false, "")
	fs.BoolVar(&o.showVersion, "version", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument: %s", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "c" || f.Name == "configuration" {
			o.configExplicit = true
		}
		if f.Name == "d" || f.Name == "config-dir" {
			o.dirExplicit = true
		}
	})
	if o.checkDest && !o.validate {
		return nil, errors.New("--check-destinations is only valid with --validate")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	defer profiling.Start()() // AWS_KINESIS_AGENT_CPUPROFILE / _MEMPROFILE (agent/profiling)
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprint(stderr, usageText)
		return 1
	}
	if o.help {
		fmt.Fprint(stdout, usageText)
		return 0
	}
	if o.showVersion {
		fmt.Fprintln(stdout, "aws-kinesis-agent", version)
		return 0
	}
	level, err := logging.ParseLevel(o.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprint(stderr, usageText)
		return 1
	}
	if o.configExplicit {
		// JCommander names the option by its first name in the message.
		if msg := checkConfigFile("--configuration", o.configPath); msg != "" {
			fmt.Fprintln(stderr, msg)
			fmt.Fprint(stderr, usageText)
			return 1
		}
	}
	if o.validate {
		return validate(o, stdout, stderr)
	}
	return serve(o, level, stderr)
}

// checkConfigFile is JCommander's file validation of -c.
func checkConfigFile(flagName, path string) string {
	f, err := os.Open(path)
	if err == nil {
		f.Close()
		return ""
	}
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("Parameter %s points to a file that doesn't exist: %s", flagName, path)
	}
	return fmt.Sprintf("Parameter %s points to a file that's not accessible: %s", flagName, path)
}

// configDirProblem says why a -d/--config-dir given on the command line
// adds nothing (a typo, or a file named instead of its directory): the
// default's absence is normal, an explicit one's is not.
func configDirProblem(o *options) string {
	if !o.dirExplicit || o.configDir == "" {
		return ""
	}
	st, err := os.Stat(o.configDir)
	switch {
	case err != nil:
		return fmt.Sprintf("--config-dir %s: %v; no flows are read from it", o.configDir, errors.Unwrap(err))
	case !st.IsDir():
		return fmt.Sprintf("--config-dir %s: not a directory (the directory of *.json flow files is expected); no flows are read from it", o.configDir)
	}
	return ""
}

// validate loads everything, prints each flow and the files it matches
// now, and sends nothing.
func validate(o *options, stdout, stderr io.Writer) int {
	cfg, err := config.Load(o.configPath, o.configDir)
	notes := config.NotesOf(err)
	if err == nil {
		notes = cfg.Notes
	}
	for _, n := range notes {
		if n.Warn {
			fmt.Fprintln(stderr, "WARN", n.Text)
		}
	}
	if msg := configDirProblem(o); msg != "" {
		fmt.Fprintln(stderr, "WARN", msg)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ERROR", err)
		return 1
	}
	fmt.Fprintf(stdout, "Configuration OK: %s\n", strings.Join(cfg.Sources, ", "))
	status := 0
	// The proxy variables, checked as a start checks them.
	if ps, err := awsclient.ProxyFromEnvironment(os.Getenv); err != nil {
		fmt.Fprintln(stderr, "WARN", err) // (the start tells it at ERROR and goes on)
	} else if d := ps.Describe(); d != "" {
		fmt.Fprintf(stdout, "Proxy: %s\n", d)
	}
	for _, f := range cfg.Flows {
		kind := "Kinesis stream"
		if f.Kind == config.Firehose {
			kind = "Firehose delivery stream"
		}
		fmt.Fprintf(stdout, "\nflow %s\n", f.ID)
		fmt.Fprintf(stdout, "  destination: %s %s\n", kind, f.Destination)
		fmt.Fprintf(stdout, "  defined in:  %s\n", f.Source)
		files, err := tail.MatchingFiles(f.Dir, f.Glob)
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "  files now:   cannot list %s: %v\n", f.Dir, err)
		case len(files) == 0:
			fmt.Fprintf(stdout, "  files now:   none (directory %s)\n", f.Dir)
		default:
			fmt.Fprintf(stdout, "  files now:   %d\n", len(files))
			unreadable := 0
			for _, p := range files {
				// (Regular files only: an open does not block.) The service
				// reads as its own user: run --validate as that user to see
				// what it can read.
				fh, err := os.Open(p)
				if err != nil {
					unreadable++
					reason := err
					if pe, ok := err.(*os.PathError); ok {
						reason = pe.Err
					}
					fmt.Fprintf(stdout, "    %s  (cannot be read by this user: %v)\n", p, reason)
					continue
				}
				fh.Close()
				fmt.Fprintf(stdout, "    %s\n", p)
			}
			if unreadable > 0 {
				fmt.Fprintf(stderr, "WARN flow %s: %d of its %d files cannot be read by this user (uid %d): an agent running as this user does not send them. The service runs as aws-kinesis-agent-user with group adm: run --validate as that user (docs/INSTALL.md) to check what it reads, and grant read access (group adm, or setfacl -m u:aws-kinesis-agent-user:r FILE)\n",
					f.ID, unreadable, len(files), os.Getuid())
			}
		}
	}
	if o.checkDest {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		clients, err := awsclient.New(ctx, cfg, awsclient.WithAgentVersion(version))
		if err != nil {
			fmt.Fprintln(stderr, "ERROR", err)
			return 1
		}
		errs := clients.Preflight(ctx, cfg.Flows)
		for _, err := range errs {
			fmt.Fprintln(stderr, "ERROR", err)
		}
		if len(errs) == 0 {
			fmt.Fprintln(stdout, "\nAll destinations exist and can be described (sending permissions are not tested).")
			return status
		}
		status = 1
	}
	return status
}

// serve runs the agent until SIGTERM/SIGINT.
func serve(o *options, level slog.Level, stderr io.Writer) int {
	logger, out, err := logging.NewReporting(o.logFile, level, stderr)
	if err != nil {
		// Like log4j, keep running when the log file cannot be opened, but say so.
		fmt.Fprintf(stderr, "%v; logging to stderr\n", err)
		logger, out, _ = logging.New("-", level)
	}
	defer out.Close()

	// SIGHUP reopens the log file (logrotate); SIGTERM/SIGINT stop gracefully;
	// SIGQUIT (kill -3) writes every goroutine's stack to stderr (the
	// journal) and goes on, as a JVM writes its thread dump (Go's default
	// would exit without saving checkpoints).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGQUIT)
	defer signal.Stop(quit)
	hupDone := make(chan struct{})
	var sigWG sync.WaitGroup
	defer func() {
		close(hupDone)
		sigWG.Wait() // before out.Close: a SIGHUP then reopened the file after it
	}()
	sigWG.Add(1)
	go func() {
		defer sigWG.Done()
		for {
			select {
			case <-hupDone:
				return
			case <-quit:
				_ = pprof.Lookup("goroutine").WriteTo(stderr, 2)
				logger.Info("Wrote the stacks of all goroutines to stderr (SIGQUIT)", "component", "Agent")
			case <-hup:
				// A failed reopen is also told on stderr by Reopen: the log
				// may be what cannot be written.
				if err := out.Reopen(); err != nil {
					logger.Error("Cannot reopen the log file", "component", "Agent", "err", err)
				} else {
					logger.Info("Reopened the log file (SIGHUP)", "component", "Agent")
				}
			}
		}
	}()

	logger.Info("Reading configuration from file: " + o.configPath)
	cfg, err := config.Load(o.configPath, o.configDir)
	if err != nil {
		// What was read before the error (an agent.d file skipped…) first.
		logNotes(logger, config.NotesOf(err))
		logger.Error("Unhandled error.", "err", err)
		fmt.Fprintln(stderr, "Unhandled error.")
		fmt.Fprintln(stderr, err)
		return 1
	}
	logNotes(logger, cfg.Notes)
	if msg := configDirProblem(o); msg != "" {
		logger.Warn(msg, "component", "Agent")
	}
	if msg := javaProxyUnread(os.LookupEnv); msg != "" {
		logger.Warn(msg, "component", "Agent")
	}

	if os.Getenv("GOGC") == "" {
		// A shipper's heap is mostly short-lived batch buffers: collecting
		// at 50 % growth keeps RSS 6-8 MB lower for 3-10 % more CPU
		// (docs/PERFORMANCE.md). GOGC in the environment wins.
		debug.SetGCPercent(50)
	}
	err = agent.Run(ctx, cfg, agent.Options{Logger: logger, Version: version, DisableCBOR: cborDisabled(os.LookupEnv)})
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // a graceful stop that reports the cancellation
	}
	if err != nil {
		logger.Error("Unhandled error.", "err", err)
		fmt.Fprintln(stderr, "Unhandled error.")
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// logNotes logs the loading's INFO and WARN lines in the order they arose.
func logNotes(logger *slog.Logger, notes []config.Note) {
	for _, n := range notes {
		if n.Warn {
			logger.Warn(n.Text)
		} else {
			logger.Info(n.Text)
		}
	}
}

// javaProxyUnread says, when JVM_ARGS (the Java agent's sysconfig) sets a
// Java proxy and no proxy variable this agent reads is set, that the proxy
// is not used: the Java way of configuring one (awslabs/amazon-kinesis-agent
// #61, #122) is silently ignored, and sends fail where only the proxy
// reaches AWS.
func javaProxyUnread(lookup func(string) (string, bool)) string {
	jvm, _ := lookup("JVM_ARGS")
	if !strings.Contains(jvm, "proxyHost") {
		return ""
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if v, ok := lookup(k); ok && v != "" {
			return ""
		}
	}
	return "JVM_ARGS sets a Java proxy (-Dhttps.proxyHost...), which this agent does not read: set HTTPS_PROXY=http://host:port (and NO_PROXY) in /etc/sysconfig/aws-kinesis-agent or /etc/default/aws-kinesis-agent instead"
}

// cborDisabled reads AWS_CBOR_DISABLE as the AWS SDK for Java does: set to
// anything but "false" (any case), PutRecords travels as JSON.
func cborDisabled(lookup func(string) (string, bool)) bool {
	v, set := lookup("AWS_CBOR_DISABLE")
	return set && !strings.EqualFold(v, "false")
}
