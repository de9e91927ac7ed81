package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
)

func appendEvents(t *testing.T, store *db.DB, b *broker.Broker, from, to int) {
	t.Helper()
	var ds []*domain.Delivery
	for i := from; i < to; i++ {
		ds = append(ds, &domain.Delivery{
			Events: []*domain.Event{{
				ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
				OccurredAt: time.Now(), ReceivedAt: time.Now(), SubscriptionID: "s", DedupeKey: fmt.Sprint(i),
				Payload: domain.RawJSON(`{}`),
			}},
			Log: domain.DeliveryLog{SubscriptionID: "s", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}},
		})
	}
	res, err := store.AppendDeliveries(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		b.Publish(r.Appended)
	}
}

func receive(t *testing.T, c <-chan *domain.Event, n int) []string {
	t.Helper()
	keys, err := collect(c, n)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestStreamReplaysThenFollowsWithoutGapOrDuplicate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		b := broker.New()
		// A long poll: live events must arrive by wake-up, not by polling.
		hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		defer hub.Close()
		appendEvents(t, store, b, 0, 1200) // more than a page of history

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		all := hub.Subscribe(ctx, nil, domain.Position(0))
		got := receive(t, all, 1200)
		appendEvents(t, store, b, 1200, 1210)
		got = append(got, receive(t, all, 10)...)
		for i, k := range got {
			if k != fmt.Sprint(i) {
				t.Fatalf("event %d is %s: out of order or duplicated", i, k)
			}
		}

		events, err := store.Events(ctx, nil, domain.Position(0), 600)
		if err != nil {
			t.Fatal(err)
		}
		resumed := hub.Subscribe(ctx, nil, events[599].Position)
		rest := receive(t, resumed, 610)
		if rest[0] != "600" || rest[609] != "1209" {
			t.Fatalf("resumed stream starts at %s ends at %s", rest[0], rest[609])
		}
		select {
		case e := <-resumed:
			t.Fatalf("unexpected extra event %s", e.DedupeKey)
		case <-time.After(200 * time.Millisecond):
		}
		cancel()
		for range resumed { // closed once the subscriber's context ends
		}
	})
}

func TestHubCloseEndsStreams(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	hub := stream.NewHub(stream.Config{Store: store, Broker: broker.New(), Poll: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	c := hub.Subscribe(context.Background(), nil, domain.Position(0))
	hub.Close()
	if _, ok := <-c; ok {
		t.Fatal("stream open after hub close")
	}
}

// concurrentReads is a store that counts the replay reads running at once.
type concurrentReads struct {
	*db.DB
	mu        sync.Mutex
	now, most int
}

func (s *concurrentReads) EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	s.mu.Lock()
	s.now++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.now--
		s.mu.Unlock()
	}()
	time.Sleep(5 * time.Millisecond) // reads overlap unless they are made to wait
	return s.DB.EventsWithin(ctx, filter, after, limit, maxBytes)
}

// TestReplaysShareABoundedNumberOfStoreReads: however many streams replay
// at once, no more than ReplayConcurrency of their page reads, and as many
// of their first short reads, run together, and every stream still
// receives the whole history.
func TestReplaysShareABoundedNumberOfStoreReads(t *testing.T) {
	store := &concurrentReads{DB: dbtest.Open(t, dbtest.SQLiteURL(t))}
	b := broker.New()
	hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, ReplayConcurrency: 2, SlowTimeout: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer hub.Close()
	appendEvents(t, store.DB, b, 0, 1200)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var streams []<-chan *domain.Event
	for range 12 {
		streams = append(streams, hub.Subscribe(ctx, nil, domain.Position(0)))
	}
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Go(func() {
			got, err := collect(s, 1200)
			if err != nil {
				t.Errorf("stream %d: %v", i, err)
			} else if got[0] != "0" || got[1199] != "1199" {
				t.Errorf("stream %d received %s..%s", i, got[0], got[1199])
			}
		})
	}
	wg.Wait()
	// The shared tail reads the store beside the replays.
	store.mu.Lock() // the tail may still be reading
	most := store.most
	store.mu.Unlock()
	if most > 2+2+1 {
		t.Fatalf("%d store reads ran at once, want at most 2 replays, 2 short reads and the tail's", most)
	}
}
