package auth_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/auth"
	"github.com/helpdesk-gateway/gateway/domain"
)

// session authenticates token and watches its identity.
func session(t *testing.T, keys *auth.Keys, parent context.Context, token string) (context.Context, func()) {
	t.Helper()
	id, err := keys.Authenticate(parent, token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return keys.Watch(parent, id)
}

func waitDone(t *testing.T, c context.Context, within time.Duration) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(within):
		t.Fatalf("watched context still alive after %v", within)
	}
}

func alive(t *testing.T, c context.Context) {
	t.Helper()
	if err := c.Err(); err != nil {
		t.Fatalf("watched context ended: %v (cause %v)", err, context.Cause(c))
	}
}

// waitFor polls cond, for what ends asynchronously.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchOfTheAdminIsTheContextItself(t *testing.T) {
	keys, _, _ := newKeys(t)
	id, err := keys.Authenticate(ctx, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	parent, cancel := context.WithCancel(ctx)
	defer cancel()
	watched, stop := keys.Watch(parent, id)
	if watched != parent {
		t.Fatal("the admin's session got a watched context")
	}
	stop()
	alive(t, parent)
	if len(keys.WatchedSessions()) != 0 {
		t.Fatal("the admin's session is watched")
	}
}

func TestLocalRevokeEndsSessionsAtOnce(t *testing.T) {
	keys, store, _ := newKeys(t, time.Hour)
	// Re-checks never come in this test: only Revoke can end the session.
	key, token := create(t, keys, "k", domain.ScopeRead)
	_, otherToken := create(t, keys, "other", domain.ScopeRead)
	first, stop1 := session(t, keys, ctx, token)
	defer stop1()
	second, stop2 := session(t, keys, ctx, token)
	defer stop2()
	other, stopOther := session(t, keys, ctx, otherToken)
	defer stopOther()

	if err := keys.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []context.Context{first, second} {
		if c.Err() == nil {
			t.Fatal("a session of the revoked key is still alive after Revoke returned")
		}
		if cause := context.Cause(c); !errors.Is(cause, auth.ErrKeyRevoked) {
			t.Fatalf("cause = %v, want ErrKeyRevoked", cause)
		}
	}
	alive(t, other)
	if finds, _, _ := store.counts(); finds != 0 {
		t.Fatalf("%d re-checks ran; the revocation was to end the sessions by itself", finds)
	}
	waitFor(t, "the revoked key's watch to be released", func() bool {
		_, watched := keys.WatchedSessions()[key.ID]
		return !watched
	})
}

func TestRevokeBetweenAuthenticateAndWatchEndsTheSession(t *testing.T) {
	keys, _, _ := newKeys(t, time.Hour)
	key, token := create(t, keys, "k", domain.ScopeRead)
	id, err := keys.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	watched, stop := keys.Watch(ctx, id)
	defer stop()
	if !errors.Is(context.Cause(watched), auth.ErrKeyRevoked) {
		t.Fatalf("session of a key revoked before Watch: cause %v", context.Cause(watched))
	}
}

func TestRecheckEndsSessionsOfAKeyRevokedElsewhere(t *testing.T) {
	keys, store, _ := newKeys(t, 10*time.Millisecond)
	key, token := create(t, keys, "k", domain.ScopeRead)
	_, otherToken := create(t, keys, "other", domain.ScopeRead)
	watched, stop := session(t, keys, ctx, token)
	defer stop()
	other, stopOther := session(t, keys, ctx, otherToken)
	defer stopOther()

	waitFor(t, "a re-check", func() bool { finds, _, _ := store.counts(); return finds >= 2 })
	alive(t, watched)
	store.revokeOutOfBand(key.ID)
	waitDone(t, watched, 2*time.Second)
	if cause := context.Cause(watched); !errors.Is(cause, auth.ErrKeyRevoked) {
		t.Fatalf("cause = %v, want ErrKeyRevoked", cause)
	}
	alive(t, other)

	// What a re-check found out holds for later sessions too.
	if _, err := keys.Authenticate(ctx, token); !errors.Is(err, auth.ErrKeyRevoked) {
		t.Fatalf("authenticate after the re-check: %v", err)
	}
}

func TestRecheckKeepsSessionsWhileTheStoreIsDown(t *testing.T) {
	keys, store, _ := newKeys(t, 5*time.Millisecond)
	key, token := create(t, keys, "k", domain.ScopeRead)
	watched, stop := session(t, keys, ctx, token)
	defer stop()

	store.setDown(domain.Unavailable("the store is unavailable; retry later", errors.New("connection refused")))
	before, _, _ := store.counts()
	waitFor(t, "re-checks against the store that is down", func() bool { finds, _, _ := store.counts(); return finds >= before+3 })
	alive(t, watched)

	store.setDown(nil)
	store.revokeOutOfBand(key.ID)
	waitDone(t, watched, 2*time.Second)
}

func TestOneRecheckPerKeyWhateverItsSessions(t *testing.T) {
	keys, store, _ := newKeys(t, 20*time.Millisecond)
	_, token := create(t, keys, "k", domain.ScopeRead)
	var stops []func()
	for range 20 {
		_, stop := session(t, keys, ctx, token)
		stops = append(stops, stop)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	// 200ms / 20ms is 10 ticks: one poller makes about 10 reads, one per
	// session would make about 200.
	if finds, _, _ := store.counts(); finds > 30 {
		t.Fatalf("%d re-checks in 200ms for one key: more than one per interval", finds)
	}
	if got := keys.WatchedSessions(); len(got) != 1 {
		t.Fatalf("watched = %v, want one key", got)
	}
}

func TestStopReleasesEveryGoroutine(t *testing.T) {
	keys, store, _ := newKeys(t, time.Millisecond)
	_, a := create(t, keys, "a", domain.ScopeRead)
	_, b := create(t, keys, "b", domain.ScopeAdmin)
	baseline := runtime.NumGoroutine()

	var stops []func()
	var watched []context.Context
	for i := range 10 {
		token := a
		if i%2 == 1 {
			token = b
		}
		c, stop := session(t, keys, ctx, token)
		watched = append(watched, c)
		stops = append(stops, stop)
	}
	if got := keys.WatchedSessions(); len(got) != 2 {
		t.Fatalf("watched = %v, want two keys", got)
	}
	waitFor(t, "re-checks", func() bool { finds, _, _ := store.counts(); return finds > 4 })
	for _, stop := range stops {
		stop()
	}
	// stop waits for the last session's poller: nothing is left at once.
	if got := keys.WatchedSessions(); len(got) != 0 {
		t.Fatalf("watched after stop = %v", got)
	}
	if !keys.WaitPollers(5 * time.Second) {
		t.Fatal("re-check goroutines still running")
	}
	for _, c := range watched {
		if !errors.Is(context.Cause(c), context.Canceled) {
			t.Fatalf("cause after stop = %v, want context.Canceled", context.Cause(c))
		}
	}
	stops[0]() // stop twice is harmless
	waitFor(t, "goroutines to settle", func() bool { return runtime.NumGoroutine() <= baseline })
}

func TestParentDoneReleasesEveryGoroutine(t *testing.T) {
	keys, _, _ := newKeys(t, time.Millisecond)
	_, token := create(t, keys, "k", domain.ScopeRead)
	baseline := runtime.NumGoroutine()
	parent, cancel := context.WithCancel(ctx)
	for range 5 {
		session(t, keys, parent, token) // stop dropped, as a request-bound session may
	}
	if got := keys.WatchedSessions(); len(got) != 1 {
		t.Fatalf("watched = %v, want one key", got)
	}
	cancel()
	waitFor(t, "the watch to be released", func() bool { return len(keys.WatchedSessions()) == 0 })
	if !keys.WaitPollers(5 * time.Second) {
		t.Fatal("re-check goroutines still running")
	}
	waitFor(t, "goroutines to settle", func() bool { return runtime.NumGoroutine() <= baseline })
}

func TestCloseEndsSessionsAndLaterWatches(t *testing.T) {
	keys, _, _ := newKeys(t)
	_, token := create(t, keys, "k", domain.ScopeRead)
	watched, stop := session(t, keys, ctx, token)
	defer stop()
	keys.Close()
	if !errors.Is(context.Cause(watched), auth.ErrClosed) {
		t.Fatalf("cause after Close = %v, want ErrClosed", context.Cause(watched))
	}
	if len(keys.WatchedSessions()) != 0 {
		t.Fatal("watches left after Close")
	}
	later, stopLater := session(t, keys, ctx, token)
	defer stopLater()
	if !errors.Is(context.Cause(later), auth.ErrClosed) {
		t.Fatalf("Watch after Close: cause %v, want ErrClosed", context.Cause(later))
	}
}
