//go:build race

package tail

// raceBuild slows every goroutine 5-10x, so the watcher cannot be expected
// to open short-lived files in time.
const raceBuild = true
