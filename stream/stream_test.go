package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
