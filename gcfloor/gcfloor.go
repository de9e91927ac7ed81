// Package gcfloor keeps the garbage collector's heap goal from falling
// below a floor.
//
// With GOGC=100 the collector's goal is about twice the live heap: a
// gateway whose live heap is 10 MB collects every 10 MB it allocates,
// which replaying streams and ingest allocate dozens of times a second,
// and each collection takes CPU (and short pauses) from the requests in
// flight. A floor raises GOGC after each collection so that the next goal
// is at least the floor while the live heap is small, and leaves GOGC as
// it was once twice the live heap passes the floor: the memory it costs is
// at most the floor, and a large heap is collected as before. GOMEMLIMIT,
// when set, still bounds the heap.
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds the GOGC a floor sets, however small the live heap.
const maxPercent = 100_000

// Start keeps the heap goal at floor bytes at least, from the next
// collection on, until the returned stop is called; stop puts GOGC back
// as it was and may be called more than once. With a zero floor, or with
// the collector off (GOGC=off), it changes nothing. Only one floor should
// be started in a process: it is the process's GOGC that it sets.
func Start(floor uint64) (stop func()) {
	base := Percent()
	if floor == 0 || base < 0 {
		return func() {}
	}
	t := &tuner{floor: floor, base: base, set: base}
	t.arm()
	return t.stop
}

// Percent returns the process's current GOGC, -1 when the collector is
// off.
func Percent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	v := s[0].Value.Uint64()
	if v == 0 {
		return -1 // GOGC=off reads as 0
	}
	return int(v)
}

// tuner sets GOGC after each collection. Its methods are safe for
// concurrent use: tune runs on the finalizer goroutine, stop on any.
type tuner struct {
	floor uint64
	base  int

	mu      sync.Mutex
	set     int // the GOGC last set
	stopped bool
}

// sentinel is an object whose finalizer runs once per collection: it
// becomes unreachable as soon as it is made, and the finalizer makes the
// next one. It is large enough not to share a tiny-allocation block, whose
// finalizers may be delayed.
type sentinel struct{ _ [32]byte }

func (t *tuner) arm() {
	s := &sentinel{}
	runtime.SetFinalizer(s, func(*sentinel) {
		if t.tune() {
			t.arm()
		}
	})
}

// tune sets GOGC for the live heap the last collection found, and reports
// whether to go on.
func (t *tuner) tune() bool {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if live == 0 {
		return true
	}
	p := t.base
	if live+live*uint64(t.base)/100 < t.floor {
		p = int(min(t.floor*100/live-100, maxPercent))
	}
	// Small changes are left alone: the live heap moves a little at
	// every collection.
	if p != t.set && (p == t.base || p < t.set*9/10 || p > t.set*11/10) {
		debug.SetGCPercent(p)
		t.set = p
	}
	return true
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.base)
	}
}
