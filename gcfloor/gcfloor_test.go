package gcfloor_test

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/gcfloor"
)

// goal is the collector's current heap goal.
func goal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// eventually collects until ok holds, for at most ten seconds: the floor
// is set by a finalizer, which runs after the collection.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: GOGC %d, heap goal %d MiB", what, gcfloor.Percent(), goal()>>20)
		}
		runtime.GC()
	}
}

// TestFloorRaisesTheGoalOfASmallHeapOnly: with a floor, a small live heap
// gets a goal at the floor, a live heap past half the floor gets the GOGC
// it had, and stopping puts that GOGC back for good.
func TestFloorRaisesTheGoalOfASmallHeapOnly(t *testing.T) {
	const floor = 256 << 20
	base := gcfloor.Percent()
	if base < 0 {
		t.Fatal("the collector is off (GOGC=off): nothing to test")
	}
	if goal() >= floor*9/10 {
		t.Fatalf("heap goal %d MiB before the floor: the test's heap is not small", goal()>>20)
	}
	stop := gcfloor.Start(floor)
	defer stop()
	eventually(t, "the goal of a small heap reaches the floor", func() bool { return goal() >= floor*9/10 })
	if p := gcfloor.Percent(); p <= base {
		t.Fatalf("GOGC %d with a small heap, want above %d", p, base)
	}

	keep := make([][]byte, 0, 160)
	for range cap(keep) {
		keep = append(keep, make([]byte, 1<<20))
	}
	eventually(t, "a live heap past half the floor is collected as before", func() bool { return gcfloor.Percent() == base })
	runtime.KeepAlive(keep)
	keep = nil

	eventually(t, "the floor holds again once the heap is small", func() bool { return goal() >= floor*9/10 })
	stop()
	if p := gcfloor.Percent(); p != base {
		t.Fatalf("GOGC %d after stop, want %d", p, base)
	}
	for range 3 {
		runtime.GC()
	}
	time.Sleep(100 * time.Millisecond) // a finalizer still pending has run
	if p := gcfloor.Percent(); p != base {
		t.Fatalf("GOGC %d after stop and collections, want %d", p, base)
	}
}

// TestZeroFloorChangesNothing: a zero floor leaves GOGC alone.
func TestZeroFloorChangesNothing(t *testing.T) {
	base := gcfloor.Percent()
	stop := gcfloor.Start(0)
	defer stop()
	for range 3 {
		runtime.GC()
	}
	time.Sleep(100 * time.Millisecond)
	if p := gcfloor.Percent(); p != base {
		t.Fatalf("GOGC %d with no floor, want %d", p, base)
	}
}
