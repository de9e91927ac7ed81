package db_test

import (
	"errors"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// expiredAt fails the test unless err is ECURSOREXPIRED naming horizon as
// the oldest position still available.
func expiredAt(t *testing.T, what string, err error, horizon domain.Position) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.ECURSOREXPIRED || de.Horizon != horizon {
		t.Fatalf("%s: got %v, want ECURSOREXPIRED with horizon %d", what, err, horizon)
	}
}

// Pruning removes a prefix of the history batch by batch, records the
// horizon, leaves the projections as they were, and refuses cursors the
// prefix took; payload pruning keeps the events and empties their bodies.
func TestPruningRemovesOldEventsKeepsProjectionsAndRecordsTheHorizon(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		old := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		cutoff := old.Add(time.Hour)
		received := func(e *domain.Event, at time.Time) *domain.Event { e.ReceivedAt = at; return e }
		opened := received(newEvent(sub, "k1", "c1", domain.StatusOpen, old), old)
		opened.Message = &domain.Message{ExternalID: "m1", Direction: domain.DirectionInbound, Content: "Hello",
			Author: &domain.Person{ExternalID: "p1", Name: "Customer"}}
		opened.Conversation.Requester = &domain.Person{ExternalID: "p1", Name: "Customer"}
		events := []*domain.Event{
			opened,
			received(newEvent(sub, "k2", "c1", domain.StatusResolved, old.Add(time.Minute)), old),
			received(newEvent(sub, "k3", "c2", domain.StatusOpen, old.Add(2*time.Minute)), old),
			received(newEvent(sub, "k4", "c2", domain.StatusPending, old.Add(3*time.Minute)), time.Now()),
			// Received long ago but appended after a recent event, as a
			// correction is: only a prefix goes, so it stays for now.
			received(newEvent(sub, "k5", "c3", domain.StatusOpen, old.Add(4*time.Minute)), old),
		}
		for _, e := range events {
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		if pos, err := store.LegacyPosition(ctx, domain.LegacyCursor{Tx: 1, Seq: 1}); err != nil || pos != 0 {
			t.Fatalf("a former cursor before any pruning: %d %v, want the start", pos, err)
		}

		// Batches of two: two, then one, then nothing left.
		for i, want := range []int{2, 1, 0} {
			n, horizon, err := store.PruneEvents(ctx, cutoff, 2)
			if err != nil || n != want {
				t.Fatalf("batch %d: removed %d (%v), want %d", i, n, err, want)
			}
			if n > 0 && horizon != events[2*i+n-1].Position {
				t.Fatalf("batch %d: horizon %d, want %d", i, horizon, events[2*i+n-1].Position)
			}
		}
		horizon := events[2].Position
		if got, err := store.Horizon(ctx); err != nil || got != horizon {
			t.Fatalf("horizon %d %v, want %d", got, err, horizon)
		}
		left, err := store.Events(ctx, nil, 0, 10)
		if err != nil || len(left) != 2 || left[0].ID != events[3].ID || left[1].ID != events[4].ID {
			t.Fatalf("events left: %v %v, want the last two", left, err)
		}

		// The projections keep the latest state their removed events left.
		if c, err := store.FindConversation(ctx, events[0].ConversationID); err != nil || c.Status != domain.StatusResolved {
			t.Fatalf("conversation c1 after pruning: %+v %v, want RESOLVED", c, err)
		}
		if c, err := store.FindConversation(ctx, events[3].ConversationID); err != nil || c.Status != domain.StatusPending {
			t.Fatalf("conversation c2 after pruning: %+v %v, want PENDING", c, err)
		}
		msgs, err := store.ListMessages(ctx, events[0].ConversationID, domain.SeqPage{Limit: 10})
		if err != nil || len(msgs) != 1 || msgs[0].Content != "Hello" || msgs[0].ID != opened.MessageID {
			t.Fatalf("messages of c1: %v %v", msgs, err)
		}
		c1, _ := store.FindConversation(ctx, events[0].ConversationID)
		if c1.RequesterID == nil {
			t.Fatal("c1 lost its requester")
		}
		if people, err := store.FindPeople(ctx, []string{*c1.RequesterID}); err != nil || len(people) != 1 || people[0].Name != "Customer" {
			t.Fatalf("requester: %v %v", people, err)
		}

		// The boundary: a cursor at the horizon reads on; one before it
		// is refused by every read, and so is a former cursor whose events
		// are gone.
		if err := store.CheckCursor(ctx, horizon); err != nil {
			t.Fatalf("cursor at the horizon: %v", err)
		}
		if page, err := store.Events(ctx, nil, horizon, 10); err != nil || len(page) != 2 {
			t.Fatalf("reading after the horizon: %v %v", page, err)
		}
		_, err = store.Events(ctx, nil, horizon-1, 10)
		expiredAt(t, "Events one before the horizon", err, horizon)
		_, err = store.EventsWithoutPayload(ctx, nil, events[0].Position, 10)
		expiredAt(t, "EventsWithoutPayload", err, horizon)
		_, _, err = store.EventsWithin(ctx, nil, events[1].Position, 10, 1<<20)
		expiredAt(t, "EventsWithin", err, horizon)
		_, err = store.LegacyPosition(ctx, domain.LegacyCursor{Tx: 1, Seq: 1})
		expiredAt(t, "a former cursor", err, horizon)

		// Payloads only: the events stay, their bodies go.
		n, payloadHorizon, err := store.PrunePayloads(ctx, time.Now().Add(time.Minute), 10)
		if err != nil || n != 2 || payloadHorizon != events[4].Position {
			t.Fatalf("payload pruning: %d %d %v, want 2 up to %d", n, payloadHorizon, err, events[4].Position)
		}
		left, err = store.Events(ctx, nil, horizon, 10)
		if err != nil || len(left) != 2 {
			t.Fatalf("events after payload pruning: %v %v", left, err)
		}
		for _, e := range left {
			if !e.PayloadExpired || string(e.Payload) != domain.ExpiredPayload {
				t.Fatalf("event %s: payload %q expired %v, want %s and expired", e.ID, e.Payload, e.PayloadExpired, domain.ExpiredPayload)
			}
		}
		if bare, err := store.EventsWithoutPayload(ctx, nil, 0, 10); err != nil || len(bare) != 2 || !bare[0].PayloadExpired {
			t.Fatalf("events without payload after payload pruning: %v %v", bare, err)
		}
		if got, err := store.Horizon(ctx); err != nil || got != horizon {
			t.Fatalf("payload pruning moved the horizon: %d %v", got, err)
		}
		if n, _, err := store.PrunePayloads(ctx, time.Now().Add(time.Minute), 10); err != nil || n != 0 {
			t.Fatalf("payload pruning again: %d %v, want nothing", n, err)
		}
		if _, _, err := store.PruneEvents(ctx, cutoff, 0); err == nil {
			t.Fatal("a batch of 0 was accepted")
		}
	})
}
