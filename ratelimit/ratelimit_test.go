package ratelimit

import (
	"fmt"
	"testing"
)

func TestBucketsArePerKeyAndSayWhenToRetry(t *testing.T) {
	l := New(Config{Rate: 1, Burst: 2})
	for i := range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("token %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 {
		t.Fatalf("past the burst: allowed %v, retry after %v; want refused with a wait", ok, wait)
	}
	if spent, wait := l.Exhausted("a"); !spent || wait <= 0 {
		t.Fatalf("Exhausted = %v, %v; want spent with a wait", spent, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key's bucket was spent by the first")
	}
	if spent, _ := l.Exhausted("never-seen"); spent {
		t.Fatal("a key never seen is spent")
	}
}

func TestOffLimiterAllowsEverything(t *testing.T) {
	var none *Limiter
	off := New(Config{})
	for i := range 1000 {
		if ok, _ := none.Allow("k"); !ok {
			t.Fatalf("a nil limiter refused request %d", i)
		}
		if ok, _ := off.Allow("k"); !ok {
			t.Fatalf("a limiter with no rate refused request %d", i)
		}
	}
}

func TestKeysAreBounded(t *testing.T) {
	l := New(Config{Rate: 1, Burst: 1, MaxKeys: 100})
	for i := range 10000 {
		l.Allow(fmt.Sprint("k", i))
	}
	if n := len(l.buckets); n > 100 {
		t.Fatalf("%d buckets held, want at most 100", n)
	}
}
