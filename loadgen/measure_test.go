package loadgen

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSummariseTakesNearestRankPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if got, want := summarise(d), (Latency{P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}); got != want {
		t.Errorf("summarise(1..100 ms) = %+v, want %+v", got, want)
	}
	if got := summarise([]time.Duration{7 * time.Millisecond}); got.P50 != 7*time.Millisecond || got.P99 != 7*time.Millisecond {
		t.Errorf("summarise of one = %+v, want 7ms everywhere", got)
	}
	if got := summarise(nil); got != (Latency{}) {
		t.Errorf("summarise(nil) = %+v, want zeros", got)
	}
}

func TestMeasureCountsFailuresByKindAndStopsAtTheLimit(t *testing.T) {
	op := func(_ context.Context, i int) outcome {
		if i%2 == 1 {
			return outcome{failure: "status 503", detail: fmt.Sprint("delivery ", i)}
		}
		return outcome{}
	}
	got := measure(context.Background(), 1, 100, 10, func() (operation, func()) { return op, func() {} })
	if !got.stopped || got.failed() != 10 || got.succeeded != 10 {
		t.Fatalf("stopped %v after %d failures and %d successes, want stopped after 10 and 10", got.stopped, got.failed(), got.succeeded)
	}
	if len(got.errors) != 1 || got.errors[0] != (ErrorCount{Kind: "status 503", Count: 10, Example: "delivery 1"}) {
		t.Errorf("errors %+v, want 10 × status 503 with the first as example", got.errors)
	}
	all := measure(context.Background(), 4, 100, 100, func() (operation, func()) { return op, func() {} })
	if all.stopped || all.succeeded != 50 || all.failed() != 50 {
		t.Errorf("with room for every failure: stopped %v, %d succeeded, %d failed; want 50 and 50", all.stopped, all.succeeded, all.failed())
	}
}
