package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
)

// deliveries is a stream.Foreground whose deliveries in flight the test
// sets; asked receives each time a replay finds one in flight.
type deliveries struct {
	mu    sync.Mutex
	busy  chan struct{} // open while a delivery is in flight; nil when none is
	asked chan struct{}
}

func newDeliveries(busy bool) *deliveries {
	f := &deliveries{asked: make(chan struct{}, 1)}
	if busy {
		f.begin()
	}
	return f
}

func (f *deliveries) Idle() (<-chan struct{}, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy != nil {
		select {
		case f.asked <- struct{}{}:
		default:
		}
		return f.busy, time.Time{}
	}
	idle := make(chan struct{})
	close(idle)
	return idle, time.Time{} // long quiet
}

func (f *deliveries) begin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy == nil {
		f.busy = make(chan struct{})
	}
}

func (f *deliveries) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.busy)
	f.busy = nil
}

// head is the position of the newest stored event.
func head(t *testing.T, store *db.DB) domain.Position {
	t.Helper()
	pos, err := store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

// replayReads is a store that counts the reads of the history before
// head (the replays'; the shared tail reads after it) and calls onRead,
// if set, after each.
type replayReads struct {
	*db.DB
	head   domain.Position
	mu     sync.Mutex
	reads  int
	onRead func()
}

func (s *replayReads) EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	page, cut, err := s.DB.EventsWithin(ctx, filter, after, limit, maxBytes)
	if after < s.head {
		s.mu.Lock()
		s.reads++
		onRead := s.onRead
		s.mu.Unlock()
		if onRead != nil {
			onRead()
		}
	}
	return page, cut, err
}

func (s *replayReads) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// waitAsked waits until the replay finds a delivery in flight; an event
// reaching the reader first means the replay did not wait for it.
func waitAsked(t *testing.T, f *deliveries, s <-chan *domain.Event) {
	t.Helper()
	select {
	case <-f.asked:
	case e := <-s:
		t.Fatalf("event %s replayed while a delivery was in flight", e.Cursor())
	case <-time.After(10 * time.Second):
		t.Fatal("the replay never asked for the deliveries in flight")
	}
}

// TestReplaysYieldToDeliveriesInFlight: a replay neither reads the store
// nor hands its reader another chunk of a page while a delivery is in
// flight (with a yield bound too long to matter), and goes on once none
// is.
func TestReplaysYieldToDeliveriesInFlight(t *testing.T) {
	const n = 200
	store := &replayReads{DB: dbtest.Open(t, dbtest.SQLiteURL(t))}
	b := broker.New()
	appendEvents(t, store.DB, b, 0, n)
	store.head = head(t, store.DB)
	fg := newDeliveries(true)
	hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, SlowTimeout: time.Hour,
		Foreground: fg, ReplayYield: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	s := hub.Subscribe(ctx, nil, domain.Position(0))
	waitAsked(t, fg, s)
	if reads := store.count(); reads != 0 {
		t.Fatalf("the stream read the store %d times while a delivery was in flight", reads)
	}
	// A delivery arrives just after each read. The stream's first read,
	// a short one, finds it is behind: it hands those events on, and its
	// replay waits before reading a page.
	store.mu.Lock()
	store.onRead = fg.begin
	store.mu.Unlock()
	fg.end()
	probe := receive(t, s, 16)
	waitAsked(t, fg, s)
	if reads := store.count(); reads != 1 {
		t.Fatalf("the replay read the store while a delivery was in flight (%d reads)", reads)
	}
	// The replay reads its page, hands on its first chunk and then waits
	// again.
	fg.end()
	first := receive(t, s, 64)
	waitAsked(t, fg, s)
	if len(s) != 0 {
		t.Fatalf("%d more events handed on while a delivery was in flight", len(s))
	}
	store.mu.Lock()
	store.onRead = nil
	store.mu.Unlock()
	fg.end()
	rest := receive(t, s, n-16-64)
	if probe[0] != "0" || probe[15] != "15" || first[0] != "16" || first[63] != "79" || rest[0] != "80" || rest[len(rest)-1] != "199" {
		t.Fatalf("read %s..%s, then replayed %s..%s then %s..%s", probe[0], probe[15], first[0], first[63], rest[0], rest[len(rest)-1])
	}
}

// TestReplaysGoOnWhileDeliveriesNeverPause: the yield is bounded, so a
// replay still delivers the whole history while deliveries are always in
// flight.
func TestReplaysGoOnWhileDeliveriesNeverPause(t *testing.T) {
	const n = 600
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	b := broker.New()
	appendEvents(t, store, b, 0, n)
	hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, SlowTimeout: time.Hour,
		Foreground: newDeliveries(true), ReplayYield: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := receive(t, hub.Subscribe(ctx, nil, domain.Position(0)), n)
	if got[0] != "0" || got[n-1] != "599" {
		t.Fatalf("replayed %s..%s", got[0], got[n-1])
	}
}

// buffered is a store that, at each replay read, counts the streams
// whose readers have not yet taken every event handed to them.
type buffered struct {
	*db.DB
	head    domain.Position
	mu      sync.Mutex
	streams []<-chan *domain.Event
	most    int
}

func (s *buffered) EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	if after < s.head {
		s.mu.Lock()
		pending := 0
		for _, c := range s.streams {
			if len(c) > 0 {
				pending++
			}
		}
		s.most = max(s.most, pending)
		s.mu.Unlock()
	}
	return s.DB.EventsWithin(ctx, filter, after, limit, maxBytes)
}

// TestReplayTurnLastsUntilTheReaderTookThePage: a replay turn is given up
// only once the reader has taken the page, and a catch-up turn once the
// reader has taken its few events, so when a stream reads, at most the
// other turns' readers still have events to encode and write.
func TestReplayTurnLastsUntilTheReaderTookThePage(t *testing.T) {
	const n, streams, turns = 1200, 6, 2
	store := &buffered{DB: dbtest.Open(t, dbtest.SQLiteURL(t))}
	b := broker.New()
	appendEvents(t, store.DB, b, 0, n)
	store.head = head(t, store.DB)
	hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, ReplayConcurrency: turns, SlowTimeout: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range streams {
		s := hub.Subscribe(ctx, nil, domain.Position(0))
		store.mu.Lock()
		store.streams = append(store.streams, s)
		store.mu.Unlock()
		wg.Go(func() {
			// A reader that takes its time over each event, as one that
			// encodes and writes it does.
			for k := range n {
				select {
				case e := <-s:
					if want := fmt.Sprint(k); e.DedupeKey != want {
						t.Errorf("stream %d: event %s, want %s", i, e.DedupeKey, want)
						return
					}
				case <-time.After(10 * time.Second):
					t.Errorf("stream %d: %d events of %d", i, k, n)
					return
				}
				time.Sleep(20 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	// Were turns given up as soon as the page was handed on, most readers
	// would still have events whenever a stream reads.
	store.mu.Lock() // the tail may still be reading
	most := store.most
	store.mu.Unlock()
	if most > 2*turns {
		t.Fatalf("a stream read while %d readers still had events handed to them, want at most the %d replay and %d catch-up turns'", most, turns, turns)
	}
}

// TestReplayingStreamsLeaveTheTailAtRest: streams replaying from far
// behind read the store by their own cursors; until one catches up, the
// commits that go on make no read of the store for the window.
func TestReplayingStreamsLeaveTheTailAtRest(t *testing.T) {
	store := &counting{DB: dbtest.Open(t, dbtest.SQLiteURL(t))}
	b := broker.New()
	appendEvents(t, store.DB, b, 0, 1000)
	// Readers that take nothing: each stream fills its buffer of 16 with
	// its first read, then reads a page it cannot hand on and waits, far
	// behind, until its reader goes.
	hub := quietHub(store, b, stream.Config{Buffer: 16, SlowTimeout: time.Hour})
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const streams = 5
	for range streams {
		hub.Subscribe(ctx, nil, domain.Position(0))
	}
	// Each reads its first events and a page, then waits.
	before := int64(-1)
	for deadline := time.Now().Add(10 * time.Second); store.reads.Load() != before; time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the streams' reads of the store did not settle")
		}
		before = store.reads.Load()
	}
	if before < streams {
		t.Fatalf("%d reads of the store, want at least one a stream", before)
	}
	for i := range 5 {
		appendEvents(t, store.DB, b, 1000+i, 1001+i)
		time.Sleep(20 * time.Millisecond) // each commit's wake-up is taken alone
	}
	if reads := store.reads.Load() - before; reads != 0 {
		t.Fatalf("5 commits made %d reads of the store while every stream replayed far behind", reads)
	}
}

// TestLiveStreamDoesNotWaitBehindAReplay: a stream opened at the head
// receives a new event while a replay holds the only replay turn.
func TestLiveStreamDoesNotWaitBehindAReplay(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	b := broker.New()
	appendEvents(t, store, b, 0, 1000)
	hub := quietHub(store, b, stream.Config{ReplayConcurrency: 1, SlowTimeout: time.Hour})
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A replay whose reader takes its time over each event, as one that
	// encodes and writes it does: its turn lasts until it took its page
	// of 500, a few seconds.
	replay := hub.Subscribe(ctx, nil, domain.Position(0))
	var replayed atomic.Int64
	go func() {
		for range replay {
			replayed.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); replayed.Load() <= 16; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replay did not start")
		}
	}
	live := hub.Subscribe(ctx, nil, head(t, store))
	appendEvents(t, store, b, 1000, 1001)
	if got := receive(t, live, 1); got[0] != "1000" {
		t.Fatalf("the live stream received %s, want 1000", got[0])
	}
	if n := replayed.Load(); n >= 16+500 {
		t.Fatalf("the live stream received its event only once the replay had taken its page (%d events)", n)
	}
}
