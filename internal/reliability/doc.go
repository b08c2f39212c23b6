// Package reliability is the fault suite of the agent: it builds the real
// aws-kinesis-agent and api_caller binaries once per test binary and drives
// them against kinesalite through a fault proxy (SIGKILL and SIGTERM under
// load, destination down, throttling, slow destination, checkpoint storage
// faults, odd files, bad input, bad configuration, secrets in logs).
//
// The package holds tests only; `make test` runs the short versions and
// `make soak` (AGENT_SOAK=1) the long ones. Results are in
// docs/RELIABILITY.md. Never import this package.
package reliability
