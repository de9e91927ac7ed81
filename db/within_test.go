package db_test

import (
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

func TestEventsWithinStopsAtTheByteBudget(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		for i := range 10 {
			e := newEvent(sub, string(rune('a'+i)), "c1", domain.StatusOpen, time.Now())
			e.Payload = domain.RawJSON(`{"k":"` + string(make([]byte, 0)) + `0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}`)
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		size := 108
		events, cut, err := store.EventsWithin(ctx, nil, 0, 11, 3*size+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 4 || !cut {
			t.Fatalf("read %d events (cut %v), want 4, cut: the fourth starts under the budget", len(events), cut)
		}
		for i, e := range events {
			if len(e.Payload) != size || e.ID == "" || e.Position == 0 {
				t.Fatalf("event %d: %d bytes of payload, id %q, position %d", i, len(e.Payload), e.ID, e.Position)
			}
		}
		all, cut, err := store.EventsWithin(ctx, nil, 0, 11, 1<<20)
		if err != nil || len(all) != 10 || cut {
			t.Fatalf("with room for all: %d events, cut %v, %v", len(all), cut, err)
		}
		first, cut, err := store.EventsWithin(ctx, nil, 0, 11, 1)
		if err != nil || len(first) != 1 || !cut {
			t.Fatalf("with room for none: %d events, cut %v, %v; want the first alone", len(first), cut, err)
		}
		some, cut, err := store.EventsWithin(ctx, nil, events[1].Position, 3, 1<<20)
		if err != nil || len(some) != 3 || cut || some[0].Position != events[2].Position {
			t.Fatalf("after the second, 3: %d events, cut %v, %v", len(some), cut, err)
		}
	})
}
