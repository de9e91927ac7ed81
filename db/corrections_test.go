package db_test

import (
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

func TestCorrectionIsAppendedAtTheHeadAndTheOriginalStays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		now := time.Now().UTC().Truncate(time.Microsecond)
		original := newEvent(sub, "dixa:body", "", "", now)
		original.Type, original.Reason = domain.EventOther, "not understood yet"
		later := newEvent(sub, "later", "2", domain.StatusOpen, now)
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, original), delivery(sub, later)}); err != nil {
			t.Fatal(err)
		}
		head, _ := store.Head(ctx)

		// The same translation again is no correction.
		same := newEvent(sub, "dixa:body", "", "", now)
		same.Type, same.Reason = domain.EventOther, "not understood yet"
		if appended, err := store.Correct(ctx, original, []*domain.Event{same}); err != nil || len(appended) != 0 {
			t.Fatalf("an unchanged translation appended %v, %v", appended, err)
		}
		fresh := newEvent(sub, "dixa:body", "1", domain.StatusPending, now)
		appended, err := store.Correct(ctx, original, []*domain.Event{fresh})
		if err != nil || len(appended) != 1 {
			t.Fatalf("correct: %v %v", appended, err)
		}
		page, err := store.Events(ctx, nil, head, 10)
		if err != nil || len(page) != 1 {
			t.Fatalf("after the old head: %v %v", page, err)
		}
		c := page[0]
		if c.Corrects != original.ID || c.Type != domain.EventConversationStatusChanged || c.DedupeKey != "dixa:body#correction:"+original.ID ||
			string(c.Payload) != string(original.Payload) {
			t.Errorf("correction %+v", c)
		}
		if got, err := store.FindEvent(ctx, original.ID); err != nil || got.Type != domain.EventOther || got.Reason == "" || !got.ReceivedAt.Equal(c.ReceivedAt) {
			t.Errorf("the original changed: %+v %v", got, err)
		}
		if got, err := store.CorrectionOf(ctx, original.ID); err != nil || got == nil || got.ID != c.ID {
			t.Errorf("correction of the original: %+v %v", got, err)
		}
		if got, err := store.CorrectionOf(ctx, c.ID); err != nil || got != nil {
			t.Errorf("correction of the correction: %+v %v", got, err)
		}
		if _, err := store.FindConversation(ctx, c.ConversationID); err != nil {
			t.Errorf("the correction was not projected: %v", err)
		}
		ids := func(corrected *bool) []string {
			events, err := store.Events(ctx, &domain.EventFilter{Corrected: corrected}, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range events {
				out = append(out, e.ID)
			}
			return out
		}
		yes, no := true, false
		if got := ids(nil); len(got) != 3 {
			t.Errorf("unfiltered: %v, want all three", got)
		}
		if got := ids(&no); len(got) != 2 || got[0] != later.ID || got[1] != c.ID {
			t.Errorf("corrected: false gives %v, want %s %s", got, later.ID, c.ID)
		}
		if got := ids(&yes); len(got) != 1 || got[0] != original.ID {
			t.Errorf("corrected: true gives %v, want %s", got, original.ID)
		}
		// The correction re-translated the same way is left be.
		again := newEvent(sub, "dixa:body", "1", domain.StatusPending, now)
		if appended, err := store.Correct(ctx, c, []*domain.Event{again}); err != nil || len(appended) != 0 {
			t.Fatalf("correcting the correction with the same translation appended %v, %v", appended, err)
		}
	})
}
