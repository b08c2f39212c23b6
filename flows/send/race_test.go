//go:build race

package send

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back on purpose, so tests cannot expect a buffer to be reused.
const raceEnabled = true
