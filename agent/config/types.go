// Package config loads and validates agent.json (and agent.d/*.json) as
// the Java agent reads it: comments allowed, last duplicate key wins,
// dotted keys are flat, Java coercion of integer and boolean strings,
// every key's default and range, Java's validation order and error texts.
// It also warns about unknown keys (with the closest known key) and about
// Java keys that have no effect here.
package config

import (
	"errors"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// DestinationKind says where a flow sends.
type DestinationKind int

const (
	// Kinesis is a Kinesis Data Streams flow (PutRecords).
	Kinesis DestinationKind = iota
	// Firehose is a Firehose delivery stream flow (PutRecordBatch).
	Firehose
)

// InitialPosition is where a file without a checkpoint starts.
type InitialPosition string

const (
	StartOfFile InitialPosition = "START_OF_FILE"
	EndOfFile   InitialPosition = "END_OF_FILE"
)

// PartitionKeyOption is how Kinesis partition keys are made.
type PartitionKeyOption string

const (
	PartitionRandom        PartitionKeyOption = "RANDOM"
	PartitionDeterministic PartitionKeyOption = "DETERMINISTIC"
)

// Config is the whole, validated agent configuration.
type Config struct {
	// Sources lists the files the configuration was read from, in order.
	Sources []string

	CheckpointFile         string // "" means the default (see checkpoint package)
	CheckpointTTLDays      int
	CheckpointQueryTimeout time.Duration
	ShutdownTimeout        time.Duration

	CloudWatch CloudWatch

	KinesisEndpoint  string
	KinesisRegion    string
	FirehoseEndpoint string
	STSEndpoint      string

	AWSAccessKeyID       string
	AWSSecretAccessKey   string // never log
	AssumeRoleARN        string
	AssumeRoleExternalID string

	MaxSendingThreads int
	MaxConnections    int
	ConnectionTimeout time.Duration
	SocketTimeout     time.Duration
	ConnectionTTL     time.Duration // <0 infinite
	UseTCPKeepAlive   bool
	UseHTTPGzip       bool
	UserAgent         string
	UserAgentOverride string

	LogEmitMetrics         bool
	LogEmitInternalMetrics bool
	StatusReportingPeriod  time.Duration

	// Status is the optional local HTTP status endpoint (not in Java).
	StatusListenAddress string
	StatusAllowRemote   bool

	Flows []Flow

	// Warnings are non-fatal findings (unknown keys, keys with no effect),
	// each prefixed with the file name; the caller logs them at WARN.
	Warnings []string
	// Notes are the loading's INFO lines (agent.d files read, flow count)
	// and its warnings together, in the order they arose (a file's WARN
	// after its "Reading flow configuration" line): what the caller logs,
	// as the Java agent does.
	Notes []Note
}

// Note is one INFO or WARN line of the loading.
type Note struct {
	Warn bool
	Text string
}

func (c *Config) info(s string) {
	c.Notes = append(c.Notes, Note{Text: s})
}

func (c *Config) warn(ss ...string) {
	for _, s := range ss {
		c.Warnings = append(c.Warnings, s)
		c.Notes = append(c.Notes, Note{Warn: true, Text: s})
	}
}

// notedError is a load error with the notes made before it.
type notedError struct {
	err   error
	notes []Note
}

func (e *notedError) Error() string { return e.err.Error() }
func (e *notedError) Unwrap() error { return e.err }

// NotesOf returns the INFO and WARN lines of a load that failed with err,
// made before the error (agent.d files read or skipped, unknown keys), so
// that the caller logs them first: they often explain the error.
func NotesOf(err error) []Note {
	var ne *notedError
	if errors.As(err, &ne) {
		return ne.notes
	}
	return nil
}

// CloudWatch holds the cloudwatch.* keys.
type CloudWatch struct {
	EmitMetrics bool
	Namespace   string
	BufferTime  time.Duration
	QueueSize   int
	TagInstance bool
	Endpoint    string
}

// Flow is one validated flow.
type Flow struct {
	// ID is "kinesis:<stream>:<dir>/<glob>" or "fh:<stream>:<dir>/<glob>".
	ID          string
	Source      string // file the flow came from
	Kind        DestinationKind
	Destination string // stream or delivery stream name
	FilePattern string
	Dir         string // literal directory (normalised)
	Glob        string // file-name glob, Java glob dialect

	InitialPosition                  InitialPosition
	MaxBufferAge                     time.Duration
	MaxBufferSizeRecords             int
	MaxBufferSizeBytes               int
	WaitOnFullPublishQueue           time.Duration
	WaitOnEmptyPublishQueue          time.Duration
	RetryInitialBackoff              time.Duration
	RetryMaxBackoff                  time.Duration
	PublishQueueCapacity             int
	SkipHeaderLines                  int
	MultiLineStartPattern            string // "" = none
	FileFooterPattern                string // "" = none
	TruncatedRecordTerminator        string
	DataProcessingOptions            []processors.Option
	MinTimeBetweenFilePolls          time.Duration
	MaxTimeBetweenFileTrackerRefresh time.Duration
	EmitInternalMetrics              bool
	PartitionKeyOption               PartitionKeyOption // Kinesis only
	AggregatedRecordSizeBytes        int                // Firehose only
}

// DestinationLabel is the CloudWatch Destination dimension value.
func (f *Flow) DestinationLabel() string {
	if f.Kind == Firehose {
		return "DeliveryStream:" + f.Destination
	}
	return "KinesisStream:" + f.Destination
}

// MaxRecordBytes is the maximum record size of the flow's destination
// (Kinesis counts data plus partition key).
func (f *Flow) MaxRecordBytes() int {
	if f.Kind == Firehose {
		return 1024000
	}
	return 1048576
}

// ReadBufferBytes is the parser buffer (longest record before truncation).
func (f *Flow) ReadBufferBytes() int {
	if f.Kind == Firehose {
		return 4194304
	}
	return 5242880
}
