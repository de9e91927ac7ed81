package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

var (
	ctx         = context.Background()
	errPoisoned = errors.New("poisoned delivery")
)

// trace records, in order, what the fake store and publisher were asked.
type trace struct {
	mu    sync.Mutex
	steps []string
}

func (tr *trace) add(step string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.steps = append(tr.steps, step)
}

func (tr *trace) list() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.steps)
}

// fakeStore commits in memory. When hold is set, its first call reports
// itself on entered and waits for hold to be closed, so that deliveries
// queue up behind it.
type fakeStore struct {
	tr      *trace
	hold    chan struct{}
	entered chan struct{}
	// poisoned deliveries fail every transaction they are in.
	poisoned func(d *domain.Delivery) bool
	// duplicate events are reported as already stored.
	duplicate func(e *domain.Event) bool

	mu        sync.Mutex
	calls     [][]*domain.Delivery
	committed []*domain.Delivery
}

func newFakeStore(tr *trace, holdFirst bool) *fakeStore {
	s := &fakeStore{tr: tr}
	if holdFirst {
		s.hold, s.entered = make(chan struct{}), make(chan struct{})
	}
	return s
}

func (s *fakeStore) AppendDeliveries(ctx context.Context, ds []*domain.Delivery) ([]domain.DeliveryResult, error) {
	s.mu.Lock()
	s.calls = append(s.calls, slices.Clone(ds))
	first := len(s.calls) == 1
	s.mu.Unlock()
	s.tr.add("append")
	if first && s.hold != nil {
		close(s.entered)
		<-s.hold
	}
	for _, d := range ds {
		if s.poisoned != nil && s.poisoned(d) {
			s.tr.add("append failed")
			return nil, fmt.Errorf("append deliveries: %w", errPoisoned)
		}
	}
	results := make([]domain.DeliveryResult, len(ds))
	for i, d := range ds {
		for _, e := range d.Events {
			if s.duplicate != nil && s.duplicate(e) {
				results[i].Duplicates++
			} else {
				results[i].Appended = append(results[i].Appended, e)
			}
		}
	}
	s.mu.Lock()
	s.committed = append(s.committed, ds...)
	s.mu.Unlock()
	s.tr.add("append ok")
	return results, nil
}

func (s *fakeStore) callSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, c := range s.calls {
		out = append(out, len(c))
	}
	return out
}

func (s *fakeStore) committedSet() map[*domain.Delivery]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[*domain.Delivery]int{}
	for _, d := range s.committed {
		out[d]++
	}
	return out
}

type fakePublisher struct {
	tr        *trace
	mu        sync.Mutex
	published [][]*domain.Event
}

func (p *fakePublisher) Publish(events []*domain.Event) {
	p.tr.add("publish")
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, slices.Clone(events))
}

func (p *fakePublisher) all() []*domain.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*domain.Event
	for _, evs := range p.published {
		out = append(out, evs...)
	}
	return out
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

var deliveries int

// testDelivery is a delivery of n new events.
func testDelivery(n int) *domain.Delivery {
	deliveries++
	d := &domain.Delivery{Log: domain.DeliveryLog{SubscriptionID: "sub", Outcome: domain.OutcomeAccepted}}
	for i := range n {
		d.Events = append(d.Events, &domain.Event{ID: domain.NewID(), DedupeKey: fmt.Sprintf("d%d-e%d", deliveries, i)})
	}
	return d
}

func testDeliveries(n int) []*domain.Delivery {
	out := make([]*domain.Delivery, n)
	for i := range out {
		out[i] = testDelivery(1)
	}
	return out
}

type submitted struct {
	res domain.DeliveryResult
	err error
}

// submitAll submits every delivery from its own goroutine; wait returns
// their outcomes in order.
func submitAll(ctx context.Context, b *Batcher, ds []*domain.Delivery) (wait func() []submitted) {
	out := make([]submitted, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() {
			res, err := b.Submit(ctx, d)
			out[i] = submitted{res, err}
		})
	}
	return func() []submitted {
		wg.Wait()
		return out
	}
}

// waitEntered waits until the fake store's first call is holding.
func waitEntered(t *testing.T, s *fakeStore) {
	t.Helper()
	select {
	case <-s.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the store was never called")
	}
}

// waitQueued waits until n deliveries wait in the batcher's queue. The
// queue is a channel whose length cannot be waited on, hence the polling.
func waitQueued(t *testing.T, b *Batcher, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(b.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries queued, want %d", len(b.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkOwnResults checks that every Submit succeeded with its own
// delivery's events.
func checkOwnResults(t *testing.T, ds []*domain.Delivery, got []submitted) {
	t.Helper()
	for i, s := range got {
		if s.err != nil {
			t.Errorf("submit %d: %v", i, s.err)
			continue
		}
		if !slices.Equal(s.res.Appended, ds[i].Events) {
			t.Errorf("submit %d: appended %v, want its own events %v", i, s.res.Appended, ds[i].Events)
		}
	}
}

func TestConcurrentSubmitsShareATransaction(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, true)
	b := NewBatcher(BatcherConfig{Store: store, Publisher: &fakePublisher{tr: tr}, Workers: 1, MaxBatch: 64, Logger: discard()})
	defer b.Close()

	first := testDelivery(1)
	waitFirst := submitAll(ctx, b, []*domain.Delivery{first})
	waitEntered(t, store)
	ds := testDeliveries(20)
	wait := submitAll(ctx, b, ds)
	waitQueued(t, b, len(ds))
	close(store.hold)

	checkOwnResults(t, []*domain.Delivery{first}, waitFirst())
	checkOwnResults(t, ds, wait())
	sizes := store.callSizes()
	if len(sizes) >= 1+len(ds) {
		t.Fatalf("%d submits took %d transactions, want fewer", 1+len(ds), len(sizes))
	}
	if !slices.Equal(sizes, []int{1, len(ds)}) {
		t.Errorf("transaction sizes = %v, want [1 %d]: everything queued behind the first shares the next", sizes, len(ds))
	}
}

func TestBatchesAreBoundedByMaxBatch(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, true)
	b := NewBatcher(BatcherConfig{Store: store, Publisher: &fakePublisher{tr: tr}, Workers: 1, MaxBatch: 4, Logger: discard()})
	defer b.Close()

	waitFirst := submitAll(ctx, b, testDeliveries(1))
	waitEntered(t, store)
	ds := testDeliveries(3) // the queue holds workers*maxBatch = 4
	wait := submitAll(ctx, b, ds)
	waitQueued(t, b, len(ds))
	close(store.hold)
	waitFirst()
	checkOwnResults(t, ds, wait())

	more := testDeliveries(10)
	checkOwnResults(t, more, submitAll(ctx, b, more)())
	for _, n := range store.callSizes() {
		if n > 4 {
			t.Errorf("transaction sizes = %v, want none over maxBatch 4", store.callSizes())
			break
		}
	}
}

func TestPublishFollowsTheCommitWithExactlyTheAppendedEvents(t *testing.T) {
	t.Run("one delivery", func(t *testing.T) {
		tr := &trace{}
		store := newFakeStore(tr, false)
		store.duplicate = func(e *domain.Event) bool { return e.ID == "dup" }
		pub := &fakePublisher{tr: tr}
		b := NewBatcher(BatcherConfig{Store: store, Publisher: pub, Workers: 1, MaxBatch: 8, Logger: discard()})
		d := testDelivery(2)
		d.Events[1].ID = "dup"

		res, err := b.Submit(ctx, d)
		b.Close() // waits for the worker, and so for its Publish

		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Appended, d.Events[:1]) || res.Duplicates != 1 {
			t.Errorf("result = %+v, want the first event appended and one duplicate", res)
		}
		if want := []string{"append", "append ok", "publish"}; !slices.Equal(tr.list(), want) {
			t.Errorf("trace = %v, want %v", tr.list(), want)
		}
		if got := pub.all(); !slices.Equal(got, d.Events[:1]) {
			t.Errorf("published %v, want exactly the appended %v", got, d.Events[:1])
		}
	})
	t.Run("failed commit", func(t *testing.T) {
		tr := &trace{}
		store := newFakeStore(tr, false)
		store.poisoned = func(*domain.Delivery) bool { return true }
		pub := &fakePublisher{tr: tr}
		b := NewBatcher(BatcherConfig{Store: store, Publisher: pub, Workers: 1, MaxBatch: 8, Logger: discard()})

		_, err := b.Submit(ctx, testDelivery(1))
		b.Close()

		if !errors.Is(err, errPoisoned) {
			t.Errorf("err = %v, want the store's error", err)
		}
		if want := []string{"append", "append failed"}; !slices.Equal(tr.list(), want) {
			t.Errorf("trace = %v, want %v: nothing published for a failed commit", tr.list(), want)
		}
	})
	t.Run("batch", func(t *testing.T) {
		tr := &trace{}
		store := newFakeStore(tr, true)
		store.duplicate = func(e *domain.Event) bool { return e.ID == "dup" }
		pub := &fakePublisher{tr: tr}
		b := NewBatcher(BatcherConfig{Store: store, Publisher: pub, Workers: 1, MaxBatch: 16, Logger: discard()})

		first := testDelivery(1)
		waitFirst := submitAll(ctx, b, []*domain.Delivery{first})
		waitEntered(t, store)
		ds := []*domain.Delivery{testDelivery(2), testDelivery(1), testDelivery(3)}
		ds[0].Events[0].ID = "dup"
		ds[2].Events[1].ID = "dup"
		wait := submitAll(ctx, b, ds)
		waitQueued(t, b, len(ds))
		if steps := tr.list(); slices.Contains(steps, "publish") {
			t.Fatalf("trace = %v: published before the commit returned", steps)
		}
		close(store.hold)
		waitFirst()
		got := wait()
		b.Close()

		var appended []*domain.Event
		for i, s := range got {
			if s.err != nil {
				t.Fatalf("submit %d: %v", i, s.err)
			}
			appended = append(appended, s.res.Appended...)
		}
		if len(appended) != 4 {
			t.Fatalf("appended %d events, want the 4 that are not duplicates", len(appended))
		}
		want := []string{"append", "append ok", "publish", "append", "append ok", "publish"}
		if !slices.Equal(tr.list(), want) {
			t.Errorf("trace = %v, want %v", tr.list(), want)
		}
		// The batch's appended events, in the order the batch holds them.
		store.mu.Lock()
		var batchAppended []*domain.Event
		for _, d := range store.calls[len(store.calls)-1] {
			for _, e := range d.Events {
				if e.ID != "dup" {
					batchAppended = append(batchAppended, e)
				}
			}
		}
		store.mu.Unlock()
		pub.mu.Lock()
		defer pub.mu.Unlock()
		if len(pub.published) != 2 || !slices.Equal(pub.published[0], first.Events) || !slices.Equal(pub.published[1], batchAppended) {
			t.Errorf("published %v, want %v then exactly the batch's appended events %v", pub.published, first.Events, batchAppended)
		}
	})
}

func TestFailedBatchIsRetriedOneByOne(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, true)
	ds := testDeliveries(5)
	bad := ds[2]
	store.poisoned = func(d *domain.Delivery) bool { return d == bad }
	pub := &fakePublisher{tr: tr}
	b := NewBatcher(BatcherConfig{Store: store, Publisher: pub, Workers: 1, MaxBatch: 16, Logger: discard()})

	first := testDelivery(1)
	waitFirst := submitAll(ctx, b, []*domain.Delivery{first})
	waitEntered(t, store)
	wait := submitAll(ctx, b, ds)
	waitQueued(t, b, len(ds))
	close(store.hold)
	waitFirst()
	got := wait()
	b.Close()

	for i, s := range got {
		if ds[i] == bad {
			if !errors.Is(s.err, errPoisoned) {
				t.Errorf("the poisoned delivery: err = %v, want the store's error", s.err)
			}
			continue
		}
		if s.err != nil {
			t.Errorf("submit %d failed with the poisoned one: %v", i, s.err)
		} else if !slices.Equal(s.res.Appended, ds[i].Events) {
			t.Errorf("submit %d: appended %v, want its own events", i, s.res.Appended)
		}
	}
	if sizes := store.callSizes(); !slices.Equal(sizes, []int{1, 5, 1, 1, 1, 1, 1}) {
		t.Errorf("transaction sizes = %v, want [1 5 1 1 1 1 1]: the failed batch retried one by one", sizes)
	}
	committed := store.committedSet()
	for i, d := range append([]*domain.Delivery{first}, ds...) {
		want := 1
		if d == bad {
			want = 0
		}
		if committed[d] != want {
			t.Errorf("delivery %d committed %d times, want %d", i, committed[d], want)
		}
	}
	var want []*domain.Event
	for _, d := range append([]*domain.Delivery{first}, ds...) {
		if d != bad {
			want = append(want, d.Events...)
		}
	}
	// The queue orders concurrent submits as it likes: compare as sets.
	published := pub.all()
	seen := map[*domain.Event]int{}
	for _, e := range published {
		seen[e]++
	}
	for _, e := range want {
		seen[e]--
	}
	for e, n := range seen {
		if n != 0 {
			t.Errorf("event %s published %d times too many; published %v, want each committed event once: %v", e.DedupeKey, n, published, want)
		}
	}
}

func TestSubmitAfterCloseIsUnavailable(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, false)
	b := NewBatcher(BatcherConfig{Store: store, Publisher: &fakePublisher{tr: tr}, Workers: 2, MaxBatch: 8, Logger: discard()})
	b.Close()
	b.Close() // idempotent

	_, err := b.Submit(ctx, testDelivery(1))

	if code := domain.ErrorCode(err); code != domain.EUNAVAILABLE {
		t.Errorf("err = %v (code %q), want %s", err, code, domain.EUNAVAILABLE)
	}
	if sizes := store.callSizes(); len(sizes) != 0 {
		t.Errorf("the store was called %d times after Close", len(sizes))
	}
}

func TestCloseCommitsEverythingQueued(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, true)
	b := NewBatcher(BatcherConfig{Store: store, Publisher: &fakePublisher{tr: tr}, Workers: 1, MaxBatch: 4, Logger: discard()})

	first := testDelivery(1)
	waitFirst := submitAll(ctx, b, []*domain.Delivery{first})
	waitEntered(t, store)
	ds := testDeliveries(4)
	wait := submitAll(ctx, b, ds)
	waitQueued(t, b, len(ds))

	closed := make(chan struct{})
	go func() {
		b.Close()
		close(closed)
	}()
	waitClosing(t, b)
	if _, err := b.Submit(ctx, testDelivery(1)); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Errorf("submit while closing: err = %v, want %s", err, domain.EUNAVAILABLE)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a commit was still running")
	default:
	}
	close(store.hold)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}

	checkOwnResults(t, []*domain.Delivery{first}, waitFirst())
	checkOwnResults(t, ds, wait())
	committed := store.committedSet()
	for i, d := range append([]*domain.Delivery{first}, ds...) {
		if committed[d] != 1 {
			t.Errorf("delivery %d committed %d times, want 1", i, committed[d])
		}
	}
	if len(committed) != 1+len(ds) {
		t.Errorf("committed %d deliveries, want %d", len(committed), 1+len(ds))
	}
}

// waitClosing waits until Close has stopped accepting deliveries.
func waitClosing(t *testing.T, b *Batcher) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.RLock()
		closed := b.closed
		b.mu.RUnlock()
		if closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Close never stopped accepting deliveries")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSubmitWaitsForTheCommitWhenItsContextEnds(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, true)
	b := NewBatcher(BatcherConfig{Store: store, Publisher: &fakePublisher{tr: tr}, Workers: 1, MaxBatch: 4, Logger: discard()})
	defer b.Close()
	reqCtx, cancel := context.WithCancel(ctx)
	d := testDelivery(1)

	wait := submitAll(reqCtx, b, []*domain.Delivery{d})
	waitEntered(t, store)
	cancel()
	close(store.hold)

	// The delivery was committed, so its answer must say so.
	checkOwnResults(t, []*domain.Delivery{d}, wait())
}

// isClosed reports whether c is closed, without waiting.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestIdleWhileNoDeliveryWaitsToCommit(t *testing.T) {
	tr := &trace{}
	store := newFakeStore(tr, true)
	b := NewBatcher(BatcherConfig{Store: store, Publisher: &fakePublisher{tr: tr}, Workers: 1, MaxBatch: 64, Logger: discard()})
	defer b.Close()

	idle, since := b.Idle()
	if !isClosed(idle) || !since.IsZero() {
		t.Fatalf("a batcher that was never submitted to: idle closed %v, since %v", isClosed(idle), since)
	}
	first, second := testDelivery(1), testDelivery(1)
	waitFirst := submitAll(ctx, b, []*domain.Delivery{first})
	waitEntered(t, store)
	busy, _ := b.Idle()
	if isClosed(busy) {
		t.Fatal("idle while a delivery is committing")
	}
	waitSecond := submitAll(ctx, b, []*domain.Delivery{second})
	waitQueued(t, b, 1)
	close(store.hold)
	checkOwnResults(t, []*domain.Delivery{first}, waitFirst())
	checkOwnResults(t, []*domain.Delivery{second}, waitSecond())
	// Both deliveries were one busy spell: the channel handed out during
	// it is closed once the last of them has committed.
	if !isClosed(busy) {
		t.Fatal("not idle once every delivery committed")
	}
	idle, since = b.Idle()
	if !isClosed(idle) || since.IsZero() {
		t.Fatalf("after the deliveries: idle closed %v, since %v", isClosed(idle), since)
	}
}
