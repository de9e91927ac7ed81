package loadgen

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// outcome is what one timed operation came to.
type outcome struct {
	// failure names the kind of a failed operation ("status 503",
	// "transport error"); "" is a success.
	failure string
	// detail is what this failure said, kept as the kind's example.
	detail string
}

// ErrorCount is one kind of failure, how often it happened and what the
// first one said.
type ErrorCount struct {
	Kind    string
	Count   int
	Example string
}

// Latency summarises how long the successful operations took.
type Latency struct {
	P50, P99, Max time.Duration
}

// timing is a measured run of operations.
type timing struct {
	elapsed   time.Duration
	succeeded int
	latency   Latency
	errors    []ErrorCount
	// stopped says the run gave up after too many failures.
	stopped bool
}

// operation runs operation i of a measured run.
type operation func(ctx context.Context, i int) outcome

// measure runs operations 0 to n-1 on workers goroutines and times each.
// newWorker gives each goroutine its operation (with its own connection)
// and a function run when that goroutine is done. measure stops handing out
// work when ctx ends or after maxErrors failures, so a target that is down
// does not hold the run for n timeouts.
func measure(ctx context.Context, workers, n, maxErrors int, newWorker func() (operation, func())) timing {
	var (
		next, failures atomic.Int64
		mu             sync.Mutex
		latencies      = make([]time.Duration, 0, n)
		errs           = map[string]*ErrorCount{}
		wg             sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		op, done := newWorker()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer done()
			var mine []time.Duration
			myErrs := map[string]*ErrorCount{}
			for ctx.Err() == nil && failures.Load() < int64(maxErrors) {
				i := next.Add(1) - 1
				if i >= int64(n) {
					break
				}
				t := time.Now()
				out := op(ctx, int(i))
				if out.failure == "" {
					mine = append(mine, time.Since(t))
					continue
				}
				failures.Add(1)
				e := myErrs[out.failure]
				if e == nil {
					e = &ErrorCount{Kind: out.failure, Example: out.detail}
					myErrs[out.failure] = e
				}
				e.Count++
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, mine...)
			for kind, e := range myErrs {
				if all := errs[kind]; all != nil {
					all.Count += e.Count
				} else {
					errs[kind] = e
				}
			}
		}()
	}
	wg.Wait()
	t := timing{
		elapsed:   time.Since(start),
		succeeded: len(latencies),
		latency:   summarise(latencies),
		stopped:   failures.Load() >= int64(maxErrors),
	}
	for _, e := range errs {
		t.errors = append(t.errors, *e)
	}
	sort.Slice(t.errors, func(i, j int) bool {
		if t.errors[i].Count != t.errors[j].Count {
			return t.errors[i].Count > t.errors[j].Count
		}
		return t.errors[i].Kind < t.errors[j].Kind
	})
	return t
}

// summarise returns the nearest-rank percentiles of d, which it sorts.
func summarise(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	rank := func(p float64) time.Duration {
		return d[max(0, int(math.Ceil(p*float64(len(d))))-1)]
	}
	return Latency{P50: rank(0.50), P99: rank(0.99), Max: d[len(d)-1]}
}

// rate is successes per second of elapsed time.
func (t timing) rate() float64 {
	if t.elapsed <= 0 {
		return 0
	}
	return float64(t.succeeded) / t.elapsed.Seconds()
}

// failed counts the failed operations.
func (t timing) failed() int {
	n := 0
	for _, e := range t.errors {
		n += e.Count
	}
	return n
}

// summary is the figures every report line shows: rate, latency and
// failures.
func (t timing) summary() string {
	return fmt.Sprintf("%.0f/s  p50 %s p99 %s max %s  errors %d",
		t.rate(), short(t.latency.P50), short(t.latency.P99), short(t.latency.Max), t.failed())
}

// details lists the failures by kind, with an example of each, and says
// when the run gave up early: one indented line each.
func (t timing) details(maxErrors int) string {
	var b strings.Builder
	for _, e := range t.errors {
		fmt.Fprintf(&b, "  %d × %s, e.g. %s\n", e.Count, e.Kind, e.Example)
	}
	if t.stopped {
		fmt.Fprintf(&b, "  stopped early: %d errors is the limit\n", maxErrors)
	}
	return b.String()
}

// short rounds d to two or three significant digits: a report shows
// 6.1ms, not 6.123456ms.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}
