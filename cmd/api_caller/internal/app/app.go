// Package app is api_caller's command line: flags, the call loop and the
// log lines of the original Python script. main only wires signals and the
// exit code.
package app

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/logline"
	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/sample"
	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/ticketlog"
	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/travelpayouts"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/redact"
)

// TokenEnv is the environment variable holding the API token.
const TokenEnv = "TRAVELPAYOUTS_TOKEN"

// DefaultOutDir is where files go unless --out-dir says otherwise.
const DefaultOutDir = "/var/log/airline_tickets"

// SampleBaseDay is the day sample dates are relative to when --seed is
// given (so that the output is reproducible); otherwise it is today.
func SampleBaseDay() time.Time { return time.Date(2026, time.January, 15, 0, 0, 0, 0, time.UTC) }

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

type options struct {
	baseURL    string
	query      travelpayouts.Query
	outDir     string
	interval   time.Duration
	sampleN    int
	seed       uint64
	seedSet    bool
	timeout    time.Duration
	token      string
	sampleMode bool
}

const usageText = `usage: api_caller [flags] [TOKEN]

Fetches airline ticket prices from the Travelpayouts month-matrix API and
writes them as CSV lines into a new file <out-dir>/%Y%m%d-%H%M%S.log.
The token is the argument or $TRAVELPAYOUTS_TOKEN (never printed).
--sample N writes N synthetic tickets instead, without network or token.

flags:
`

func parse(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("api_caller", flag.ContinueOnError)
	fs.SetOutput(valueHider{stderr})
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.baseURL, "base-url", travelpayouts.DefaultBaseURL, "API base URL; "+travelpayouts.MonthMatrixPath+" is appended")
	fs.StringVar(&o.query.Currency, "currency", "rub", "query parameter currency")
	fs.StringVar(&o.query.Origin, "origin", "LED", "query parameter origin (IATA code)")
	fs.StringVar(&o.query.Destination, "destination", "KZN", "query parameter destination (IATA code)")
	fs.StringVar(&o.query.ShowToAffiliates, "show-to-affiliates", "false", "query parameter show_to_affiliates (true|false)")
	fs.StringVar(&o.query.TripDuration, "trip-duration", "1", "query parameter trip_duration: length of stay in weeks")
	fs.StringVar(&o.query.Month, "month", "", "query parameter month as YYYY-MM (sent as YYYY-MM-01); default: the API's")
	fs.StringVar(&o.outDir, "out-dir", DefaultOutDir, "output directory (created if missing)")
	fs.DurationVar(&o.interval, "interval", 0, "repeat every DURATION until SIGTERM/SIGINT, one file per call (0 = once)")
	fs.IntVar(&o.sampleN, "sample", 0, "write N synthetic tickets, no network (for benchmarks)")
	fs.Func("seed", "seed for --sample: same seed, same output (record_id included)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("want a non-negative integer")
		}
		o.seed, o.seedSet = v, true
		return nil
	})
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one API call")

	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		// "--" ends flags: everything after it is positional.
		if len(args) > fs.NArg() && args[len(args)-fs.NArg()-1] == "--" {
			positional = append(positional, fs.Args()...)
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "api_caller: "+format+"\n", a...)
		fs.Usage()
		return errUsage
	}
	if len(positional) > 1 {
		return nil, usage("too many arguments (want at most one: the token)")
	}
	sampleSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "sample" {
			sampleSet = true
		}
	})
	o.sampleMode = sampleSet
	if o.sampleMode && o.sampleN <= 0 {
		return nil, usage("--sample wants a positive number of tickets")
	}
	if o.seedSet && !o.sampleMode {
		return nil, usage("--seed only applies to --sample")
	}
	if o.interval < 0 {
		return nil, usage("--interval must not be negative")
	}
	if o.timeout <= 0 {
		return nil, usage("--timeout must be positive")
	}
	if o.outDir == "" {
		return nil, usage("--out-dir must not be empty")
	}
	switch strings.ToLower(o.query.ShowToAffiliates) {
	case "true", "false":
		o.query.ShowToAffiliates = strings.ToLower(o.query.ShowToAffiliates)
	default:
		return nil, usage("--show-to-affiliates wants true or false")
	}
	n, err := strconv.Atoi(o.query.TripDuration)
	if err != nil || n < 0 {
		return nil, usage("--trip-duration wants a non-negative integer")
	}
	o.query.TripDuration = strconv.Itoa(n) // "+1" is sent as "1"
	if o.query.Month != "" {
		if err := travelpayouts.ValidateMonth(o.query.Month); err != nil {
			// (Not the value: it may be the token, the flag's own value
			// missing: --month $UNSET TOKEN.)
			return nil, usage("--month wants YYYY-MM, such as 2026-12")
		}
	}
	if o.sampleMode {
		return o, nil // the query flags are checked all the same: a typo is a typo
	}
	if len(positional) == 1 {
		o.token = positional[0]
	} else {
		o.token = getenv(TokenEnv)
	}
	if o.token == "" {
		return nil, usage("no API token: pass it as the argument or set %s", TokenEnv)
	}
	var took string
	fs.Visit(func(f *flag.Flag) {
		if took == "" && f.Value.String() == o.token {
			took = f.Name
		}
	})
	if took != "" {
		// (--base-url $UNSET TOKEN, with the token exported too: it would
		// be quoted in an error, or made a directory's name.)
		return nil, usage("--%s: its value is the API token (is the flag's own value missing?)", took)
	}
	return o, nil
}

// tokenHider masks the token in each line written (the log handler writes
// whole lines): a last defence, should a value quote it.
type tokenHider struct {
	w     io.Writer
	token string
}

func (h tokenHider) Write(p []byte) (int, error) {
	if h.token == "" {
		return h.w.Write(p)
	}
	if _, err := io.WriteString(h.w, redact.Secrets(string(p), h.token)); err != nil {
		return 0, err
	}
	return len(p), nil
}

var errUsage = errors.New("usage")

// Run runs api_caller with args (without the program name) until done or
// ctx is cancelled, logging to stderr, and returns the exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil { // the message and usage are already printed
		return ExitUsage
	}
	log := slog.New(logline.New(tokenHider{stderr, o.token}, nil))
	r, err := newRunner(o, log)
	if err != nil {
		log.Error(err.Error())
		return ExitError
	}
	return r.loop(ctx)
}

type runner struct {
	o      *options
	log    *slog.Logger
	client *travelpayouts.Client
	seed   uint64
	line   []byte
}

func newRunner(o *options, log *slog.Logger) (*runner, error) {
	r := &runner{o: o, log: log, line: make([]byte, 0, 512)}
	if o.sampleMode {
		r.seed = o.seed
		if !o.seedSet {
			var b [8]byte
			if _, err := crand.Read(b[:]); err != nil {
				return nil, fmt.Errorf("random seed: %w", err)
			}
			r.seed = binary.LittleEndian.Uint64(b[:])
		}
		return r, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone() // honours HTTP(S)_PROXY / NO_PROXY
	c, err := travelpayouts.New(o.baseURL, o.token, &http.Client{Transport: tr})
	if err != nil {
		return nil, err
	}
	r.client = c
	return r, nil
}

func (r *runner) loop(ctx context.Context) int {
	if r.o.interval == 0 {
		if err := r.once(ctx, 0); err != nil {
			r.log.Error(err.Error())
			return ExitError
		}
		return ExitOK
	}
	t := time.NewTicker(r.o.interval)
	defer t.Stop()
	for i := 0; ; i++ {
		if err := r.once(ctx, i); err != nil {
			if ctx.Err() != nil {
				break
			}
			r.log.Error(err.Error())
			if errors.Is(err, travelpayouts.ErrUnauthorized) {
				return ExitError
			}
		}
		select {
		case <-ctx.Done():
			r.log.Info("Stopping")
			return ExitOK
		case <-t.C:
		}
	}
	r.log.Info("Stopping")
	return ExitOK
}

// once makes one call (or one sample) and writes one file.
func (r *runner) once(ctx context.Context, iter int) error {
	if r.o.sampleMode {
		base := time.Now().UTC()
		if r.o.seedSet {
			base = SampleBaseDay()
		}
		f, err := ticketlog.Create(r.o.outDir, time.Now())
		if err != nil {
			return err
		}
		g := sample.New(r.seed+uint64(iter), base)
		if err := g.Write(f.W, r.o.sampleN); err != nil {
			f.Abort()
			return fmt.Errorf("write %s: %w", f.TempPath(), err)
		}
		path, err := f.Commit()
		if err != nil {
			return err
		}
		r.log.Info(fmt.Sprintf("%d rows have been saved into %s", r.o.sampleN, path))
		return nil
	}

	cctx, cancel := context.WithTimeout(ctx, r.o.timeout)
	tickets, err := r.client.MonthMatrix(cctx, r.o.query)
	cancel()
	if err != nil {
		return err
	}
	r.log.Info(fmt.Sprintf("API has returned %d items", len(tickets)))
	f, err := ticketlog.Create(r.o.outDir, time.Now())
	if err != nil {
		return err
	}
	for _, t := range tickets {
		id, err := uuid.NewRandom()
		if err != nil {
			f.Abort()
			return fmt.Errorf("record_id: %w", err)
		}
		r.line = ticketlog.AppendRow(r.line[:0], t, id)
		if _, err := f.W.Write(r.line); err != nil {
			f.Abort()
			return fmt.Errorf("write %s: %w", f.TempPath(), err)
		}
	}
	path, err := f.Commit()
	if err != nil {
		return err
	}
	r.log.Info(fmt.Sprintf("%d rows have been saved into %s", len(tickets), path))
	return nil
}

// valueHider writes the flag package's messages without the value it
// quotes: 'invalid value "…" for flag -interval' showed the token when a
// flag's own value was missing and the flag took the token instead
// (--interval $UNSET TOKEN).
type valueHider struct{ w io.Writer }

var (
	quotedFlagValue = regexp.MustCompile(`invalid value ".*?" for flag`)
	// An unknown flag as long as a token (ours are at most 18 characters
	// long): the token given with a leading '-'.
	longFlagName = regexp.MustCompile(`(flag provided but not defined|bad flag syntax): -*[^\s-][^\s]{19,}`)
)

func (h valueHider) Write(p []byte) (int, error) {
	q := quotedFlagValue.ReplaceAll(p, []byte("invalid value for flag"))
	q = longFlagName.ReplaceAll(q, []byte("$1 (an argument of 20 characters or more, not shown: the token given with a leading '-'?)"))
	if _, err := h.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}
