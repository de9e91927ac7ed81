package subscriptions_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

// fakeStore counts its reads. With a gate, a read takes its snapshot and
// then waits for the gate before answering it: a read that races a change.
type fakeStore struct {
	mu    sync.Mutex
	subs  map[string]*domain.WebhookSubscription
	reads int
	err   error
	gate  chan struct{}
}

func newFakeStore(subs ...*domain.WebhookSubscription) *fakeStore {
	f := &fakeStore{subs: map[string]*domain.WebhookSubscription{}}
	for _, s := range subs {
		f.subs[s.ID] = s
	}
	return f
}

func (f *fakeStore) FindSubscription(ctx context.Context, id string) (*domain.WebhookSubscription, error) {
	f.mu.Lock()
	f.reads++
	s, known := f.subs[id]
	var snapshot domain.WebhookSubscription
	if known {
		snapshot = *s
	}
	err, gate := f.err, f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	switch {
	case err != nil:
		return nil, err
	case !known:
		return nil, domain.Errorf(domain.ENOTFOUND, "webhook subscription %q not found", id)
	}
	return &snapshot, nil
}

// set stores s, as a change made by another process that announced
// nothing.
func (f *fakeStore) set(s *domain.WebhookSubscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs[s.ID] = s
}

func (f *fakeStore) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func (f *fakeStore) setGate(gate chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = gate
}

// gated returns a cache over a store holding subs whose reads wait until
// the returned gate is closed. Call it inside the synctest bubble.
func gated(subs ...*domain.WebhookSubscription) (*subscriptions.Cache, *fakeStore, chan struct{}) {
	store := newFakeStore(subs...)
	gate := make(chan struct{})
	store.setGate(gate)
	return subscriptions.New(subscriptions.Config{Store: store}), store, gate
}

func sub(name string) *domain.WebhookSubscription {
	return &domain.WebhookSubscription{ID: domain.NewID(), Provider: domain.ProviderDixa, Name: name, Enabled: true}
}

// find looks id up and fails the test on an error.
func find(t *testing.T, c *subscriptions.Cache, id string) *subscriptions.Compiled {
	t.Helper()
	found, err := c.Find(context.Background(), id)
	if err != nil {
		t.Fatalf("find %s: %v", id, err)
	}
	return found
}

// lookups starts n concurrent lookups of id and returns their answers once
// every one has ended.
func lookups(c *subscriptions.Cache, id string, n int) func() []*subscriptions.Compiled {
	out := make([]*subscriptions.Compiled, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i], errs[i] = c.Find(context.Background(), id) })
	}
	return func() []*subscriptions.Compiled {
		wg.Wait()
		for _, err := range errs {
			if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
				panic(err)
			}
		}
		return out
	}
}

func TestConcurrentMissesShareOneStoreRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sub("shared")
		c, store, gate := gated(s)

		answers := lookups(c, s.ID, 50)
		synctest.Wait() // every lookup is waiting: one in the store, the others for it
		reads := store.readCount()
		close(gate)
		found := answers()
		if reads != 1 {
			t.Fatalf("50 concurrent lookups read the store %d times, want 1", reads)
		}
		for _, f := range found {
			if f == nil || f != found[0] || f.Subscription.Name != "shared" {
				t.Fatalf("a lookup found %+v, want the one shared answer", f)
			}
		}
	})
}

func TestConcurrentLookupsOfAnUnknownIDShareOneStoreRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, store, gate := gated()

		answers := lookups(c, "unknown", 20)
		synctest.Wait()
		reads := store.readCount()
		close(gate)
		for _, found := range answers() {
			if found != nil {
				t.Fatalf("an unknown id found %+v", found)
			}
		}
		if reads != 1 {
			t.Fatalf("20 concurrent lookups of an unknown id read the store %d times, want 1", reads)
		}
	})
}

// A read that began before a change and ends after it must not be kept:
// it would serve the old subscription until the TTL.
func TestReadRacingAForgetIsNotKept(t *testing.T) {
	for _, forget := range []struct {
		name string
		f    func(c *subscriptions.Cache, id string)
	}{
		{"Forget", func(c *subscriptions.Cache, id string) { c.Forget(id) }},
		{"ForgetAll", func(c *subscriptions.Cache, _ string) { c.ForgetAll() }},
		{"Notify id", func(c *subscriptions.Cache, id string) { c.Notify(id) }},
		{"Notify reconnect", func(c *subscriptions.Cache, _ string) { c.Notify("") }},
	} {
		t.Run(forget.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := sub("before")
				c, store, gate := gated(s)

				stale := lookups(c, s.ID, 1)
				synctest.Wait() // the read has taken its snapshot
				changed := *s
				changed.Enabled = false
				store.set(&changed)
				forget.f(c, s.ID)

				// A lookup after the change reads anew rather than
				// waiting for the stale read (which would deadlock here).
				store.setGate(nil)
				if got := find(t, c, s.ID); got.Subscription.Enabled {
					t.Fatal("the lookup after the change got the old subscription")
				}
				close(gate)
				if got := stale()[0]; !got.Subscription.Enabled {
					t.Fatal("the lookup that began before the change saw it; the test raced")
				}
				if got := find(t, c, s.ID); got.Subscription.Enabled {
					t.Fatal("the stale read was kept")
				}
				if n := store.readCount(); n != 2 {
					t.Fatalf("store read %d times, want 2", n)
				}
			})
		})
	}
}

func TestConditionsAreCompiledOncePerVersion(t *testing.T) {
	s := sub("filtered")
	s.Conditions = domain.Conditions{Match: domain.MatchAll, List: []domain.Condition{
		{ID: 1, Field: domain.FieldChannel, Operator: domain.OpEquals, Values: []string{"EMAIL"}},
	}}
	store := newFakeStore(s)
	c := subscriptions.New(subscriptions.Config{Store: store})

	first := find(t, c, s.ID)
	if first.ConditionsErr != nil || first.Matcher.String() != "1" {
		t.Fatalf("compiled %q, %v", first.Matcher, first.ConditionsErr)
	}
	for range 10 {
		if again := find(t, c, s.ID); again != first || again.Matcher != first.Matcher {
			t.Fatal("a lookup of an unchanged subscription compiled its conditions again")
		}
	}
	changed := *s
	changed.Conditions.List = append(changed.Conditions.List, domain.Condition{ID: 2, Field: domain.FieldStatus, Operator: domain.OpEquals, Values: []string{"OPEN"}})
	store.set(&changed)
	c.Forget(s.ID)
	if next := find(t, c, s.ID); next.Matcher.String() != "1 AND 2" {
		t.Fatalf("after the change the conditions compile to %q, want 1 AND 2", next.Matcher)
	}
	if n := store.readCount(); n != 2 {
		t.Fatalf("store read %d times, want 2", n)
	}
}

func TestConditionsThatDoNotCompileMatchEveryEvent(t *testing.T) {
	s := sub("broken")
	s.Conditions = domain.Conditions{Match: domain.MatchExpression, Expression: "1 and", List: []domain.Condition{
		{ID: 1, Field: domain.FieldChannel, Operator: domain.OpEquals, Values: []string{"EMAIL"}},
	}}
	c := subscriptions.New(subscriptions.Config{Store: newFakeStore(s)})

	found := find(t, c, s.ID)
	if found.ConditionsErr == nil {
		t.Fatal("conditions that do not compile gave no error")
	}
	if !found.Matcher.Match(&domain.Event{Provider: domain.ProviderDixa}) {
		t.Fatal("conditions that do not compile filtered an event")
	}
}

func TestSubscriptionsAreReadAgainAfterTheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sub("v1")
		store := newFakeStore(s)
		c := subscriptions.New(subscriptions.Config{Store: store, TTL: time.Minute})

		find(t, c, s.ID)
		changed := *s
		changed.Name = "v2"
		store.set(&changed) // and its announcement is lost
		time.Sleep(time.Minute - time.Nanosecond)
		if got := find(t, c, s.ID); got.Subscription.Name != "v1" || store.readCount() != 1 {
			t.Fatalf("within the TTL: %q after %d reads, want the cached v1", got.Subscription.Name, store.readCount())
		}
		time.Sleep(time.Nanosecond)
		if got := find(t, c, s.ID); got.Subscription.Name != "v2" {
			t.Fatalf("after the TTL: %q, want v2", got.Subscription.Name)
		}
	})
}

func TestUnknownIDsAreRememberedBriefly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newFakeStore()
		c := subscriptions.New(subscriptions.Config{Store: store, TTL: time.Minute, MissTTL: time.Second, MaxMisses: 2})
		missing := func(id string, reads int) {
			t.Helper()
			if _, err := c.Find(context.Background(), id); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Fatalf("find %s: %v, want ENOTFOUND", id, err)
			}
			if n := store.readCount(); n != reads {
				t.Fatalf("after finding %s the store was read %d times, want %d", id, n, reads)
			}
		}
		missing("a", 1)
		missing("a", 1)
		time.Sleep(time.Second)
		missing("a", 2)

		// Creating the subscription forgets the miss at once.
		s := sub("created")
		s.ID = "a"
		store.set(s)
		c.Forget("a")
		if got := find(t, c, "a"); got.Subscription.Name != "created" {
			t.Fatalf("found %+v", got)
		}

		// Only the newest MaxMisses unknown ids are remembered.
		missing("b", 4)
		missing("c", 5)
		missing("d", 6)
		missing("c", 6)
		missing("d", 6)
		missing("b", 7)
	})
}

func TestStoreFailuresAreNotKept(t *testing.T) {
	s := sub("flaky")
	store := newFakeStore(s)
	store.err = domain.Unavailable("down", errors.New("connection refused"))
	c := subscriptions.New(subscriptions.Config{Store: store})

	if _, err := c.Find(context.Background(), s.ID); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Fatalf("find with the store down: %v, want EUNAVAILABLE", err)
	}
	store.mu.Lock()
	store.err = nil
	store.mu.Unlock()
	if got := find(t, c, s.ID); got.Subscription.Name != "flaky" {
		t.Fatalf("found %+v", got)
	}
}

// A delivery whose client leaves stops waiting; the read it waited for
// still answers the others.
func TestAbandonedLookupLeavesTheReadToOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := sub("patient")
		c, _, gate := gated(s)

		reader := lookups(c, s.ID, 1)
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		abandoned := make(chan error, 1)
		go func() {
			_, err := c.Find(ctx, s.ID)
			abandoned <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-abandoned; domain.ErrorCode(err) != domain.EUNAVAILABLE {
			t.Fatalf("abandoned lookup: %v, want EUNAVAILABLE", err)
		}
		close(gate)
		if got := reader()[0]; got == nil || got.Subscription.Name != "patient" {
			t.Fatalf("the reader found %+v", got)
		}
	})
}

func TestNotifyOfAnIDForgetsOnlyIt(t *testing.T) {
	a, b := sub("a"), sub("b")
	store := newFakeStore(a, b)
	c := subscriptions.New(subscriptions.Config{Store: store})
	find(t, c, a.ID)
	find(t, c, b.ID)

	c.Notify(a.ID)
	find(t, c, a.ID)
	find(t, c, b.ID)
	if n := store.readCount(); n != 3 {
		t.Fatalf("store read %d times, want 3: a again, b from memory", n)
	}
	c.Notify("")
	find(t, c, a.ID)
	find(t, c, b.ID)
	if n := store.readCount(); n != 5 {
		t.Fatalf("store read %d times, want 5: a reconnection forgets everything", n)
	}
}
