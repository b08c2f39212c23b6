package send

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Backoff is one flow's shared send backoff (Java AsyncPublisher, spec
// §5.5). Every Send of the flow waits on it before each call:
//
//   - a call that fails as a whole adds 1 to failures; a partial failure
//     adds the call's failed records / the call's records (Java:
//     the buffer's remaining records / the records of the request it
//     sent, which after a partial failure holds only those left);
//   - a call that fully succeeds divides failures by 10 (0 when below 1)
//     and wakes every waiting sender at once;
//   - with F = round(failures) > 0 the wait is
//     min(max, initial × 2^(F−1)) × a random factor in [0.7, 1.3).
//
// Safe for concurrent use.
type Backoff struct {
	initial, max time.Duration
	random       func() float64
	sleep        Sleeper

	mu       sync.Mutex
	failures float64
	wake     chan struct{} // closed on success
}

// The defaults of retryInitialBackoffMillis and retryMaxBackoffMillis.
const (
	DefaultInitialBackoff = 100 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
)

// Sleeper waits d, returning early (nil) when wake is closed, or ctx.Err().
type Sleeper func(ctx context.Context, d time.Duration, wake <-chan struct{}) error

// NewBackoff returns a Backoff with the flow's retryInitialBackoffMillis
// and retryMaxBackoffMillis as configured: either at 0 means retries are not
// delayed (Java: min(max, initial × 2^(F−1)) = 0). A negative value (which
// the configuration rejects) stands for the default, 100 ms and 10 s.
func NewBackoff(initial, max time.Duration) *Backoff {
	if initial < 0 {
		initial = DefaultInitialBackoff
	}
	if max < 0 {
		max = DefaultMaxBackoff
	}
	return &Backoff{initial: initial, max: max, random: rand.Float64, sleep: sleepTimer, wake: make(chan struct{})}
}

// WithClock replaces the jitter source and the sleeper (tests).
func (b *Backoff) WithClock(random func() float64, sleep Sleeper) *Backoff {
	if random != nil {
		b.random = random
	}
	if sleep != nil {
		b.sleep = sleep
	}
	return b
}

func sleepTimer(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Failure records a call that failed as a whole.
func (b *Backoff) Failure() {
	b.mu.Lock()
	b.failures++
	b.mu.Unlock()
}

// Partial records a call of original records of which remaining failed.
func (b *Backoff) Partial(remaining, original int) {
	if original <= 0 {
		return
	}
	b.mu.Lock()
	b.failures += float64(remaining) / float64(original)
	b.mu.Unlock()
}

// Success records a fully successful call.
func (b *Backoff) Success() {
	b.mu.Lock()
	b.failures /= 10
	if b.failures < 1 {
		b.failures = 0
	}
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// Failures returns the current failure score.
func (b *Backoff) Failures() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures
}

// Base returns the delay without jitter for the current failure score.
func (b *Backoff) Base() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.base()
}

func (b *Backoff) base() time.Duration {
	f := int64(b.failures + 0.5) // Java Math.round for non-negative values
	if f <= 0 {
		return 0
	}
	d := b.initial
	for i := int64(1); i < f && d > 0 && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

// Wait sleeps for the current backoff delay (none when there have been no
// recent failures), returning early when a success is recorded, or with
// ctx.Err() when ctx ends.
func (b *Backoff) Wait(ctx context.Context) error {
	b.mu.Lock()
	d := b.base()
	wake := b.wake
	b.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	d = time.Duration(float64(d) * (0.7 + 0.6*b.random()))
	return b.sleep(ctx, d, wake)
}
