package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

var ctx = context.Background()

func newSubscription(t *testing.T, store *db.DB) *domain.WebhookSubscription {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	auth, err := domain.NewAuthorization(domain.AuthBasic, "user", "pass", "")
	if err != nil {
		t.Fatal(err)
	}
	s := &domain.WebhookSubscription{
		ID: domain.NewID(), Provider: domain.ProviderDixa, Name: "test",
		SubscribedEvents: []string{"ConversationNoteAdded"}, SecretKey: "abcd", Authorization: auth,
		Enabled: true, CreatedAt: now, UpdatedAt: now, CreatedBy: "admin", UpdatedBy: "admin",
	}
	if err := store.CreateSubscription(ctx, s); err != nil {
		t.Fatalf("create subscription: %v", err)
	}
	return s
}

func newEvent(sub *domain.WebhookSubscription, key, csid string, status domain.ConversationStatus, at time.Time) *domain.Event {
	e := &domain.Event{
		ID: domain.NewID(), Provider: sub.Provider, Type: domain.EventConversationStatusChanged,
		ProviderEventType: "Conversation" + string(status), OccurredAt: at, ReceivedAt: time.Now(),
		SubscriptionID: sub.ID, DedupeKey: key, Payload: domain.RawJSON(`{"k":"` + key + `"}`),
	}
	if csid != "" {
		e.Conversation = &domain.ConversationUpdate{ExternalID: csid, Kind: domain.KindConversation, Status: status, ProviderStatus: string(status)}
	}
	return e
}

func delivery(sub *domain.WebhookSubscription, events ...*domain.Event) *domain.Delivery {
	return &domain.Delivery{Events: events, Log: domain.DeliveryLog{
		SubscriptionID: sub.ID, Event: "ConversationOpen", Outcome: domain.OutcomeAccepted,
		DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now(), Success: true, ResponseCode: 200, ResponseText: "OK"},
		Payload:        "{}",
	}}
}

func TestSubscriptionsRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		s := newSubscription(t, store)
		got, err := store.FindSubscription(ctx, s.ID)
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		if got.Name != s.Name || got.SecretKey != s.SecretKey || !got.CreatedAt.Equal(s.CreatedAt) ||
			len(got.SubscribedEvents) != 1 || got.Authorization.Check("Basic dXNlcjpwYXNz") != nil {
			t.Fatalf("round trip changed the subscription: %+v", got)
		}
		if _, err := store.FindSubscription(ctx, "missing"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("unknown id: got %v, want not found", err)
		}
		list, err := store.ListSubscriptions(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
	})
}

func TestAppendDeduplicatesAndOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)
		res, err := store.AppendDeliveries(ctx, []*domain.Delivery{
			delivery(sub, newEvent(sub, "a", "1", domain.StatusOpen, t0)),
			delivery(sub, newEvent(sub, "b", "1", domain.StatusPending, t0.Add(time.Second))),
			delivery(sub, newEvent(sub, "a", "1", domain.StatusOpen, t0)), // redelivery in the same batch
		})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		if len(res[0].Appended) != 1 || len(res[1].Appended) != 1 || len(res[2].Appended) != 0 || res[2].Duplicates != 1 {
			t.Fatalf("results: %+v", res)
		}
		if !res[0].Appended[0].Position.Less(res[1].Appended[0].Position) {
			t.Fatalf("positions not increasing: %v %v", res[0].Appended[0].Position, res[1].Appended[0].Position)
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil {
			t.Fatalf("events: %v", err)
		}
		if len(events) != 2 || events[0].DedupeKey != "a" || events[1].DedupeKey != "b" || string(events[0].Payload) != `{"k":"a"}` {
			t.Fatalf("events: %+v", events)
		}
		after, err := store.Events(ctx, nil, events[0].Position, 10)
		if err != nil || len(after) != 1 || after[0].ID != events[1].ID {
			t.Fatalf("events after the first: %+v %v", after, err)
		}
		logs, err := store.DeliveryLogs(ctx, sub.ID, nil, 10)
		if err != nil || len(logs) != 3 || logs[0].Outcome != domain.OutcomeDuplicate || logs[2].Outcome != domain.OutcomeAccepted {
			t.Fatalf("logs: %+v %v", logs, err)
		}
	})
}

func TestConcurrentRedeliveriesStoreOneEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		var wg sync.WaitGroup
		appended := make([]int, 8)
		for i := range appended {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, newEvent(sub, "same", "7", domain.StatusOpen, time.Now()))})
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				appended[i] = len(res[0].Appended)
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range appended {
			total += n
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 100)
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(events) != 1 {
			t.Fatalf("appended %d, stored %d; want 1 and 1", total, len(events))
		}
	})
}

func TestOlderEventNeverOverwritesNewerState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)
		closed := newEvent(sub, "closed", "42", domain.StatusClosed, t0.Add(time.Minute))
		open := newEvent(sub, "open", "42", domain.StatusOpen, t0)
		for _, e := range []*domain.Event{closed, open} {
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := store.FindConversation(ctx, domain.ConversationID(domain.ProviderDixa, "", "42"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != domain.StatusClosed || c.ProviderStatus == nil || *c.ProviderStatus != "CLOSED" {
			t.Fatalf("status = %s (%v), want CLOSED", c.Status, c.ProviderStatus)
		}
		if !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("created %v updated %v", c.CreatedAt, c.UpdatedAt)
		}
		newer := newEvent(sub, "reopen", "42", domain.StatusOpen, t0.Add(2*time.Minute))
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, newer)}); err != nil {
			t.Fatal(err)
		}
		if c, _ = store.FindConversation(ctx, c.ID); c.Status != domain.StatusOpen {
			t.Fatalf("a newer event did not move the state: %s", c.Status)
		}
	})
}

func TestEventFilterAndPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
		var ds []*domain.Delivery
		for i := range 25 {
			e := newEvent(sub, fmt.Sprint(i), fmt.Sprint(i%3), domain.StatusOpen, t0.Add(time.Duration(i)*time.Hour))
			if i%2 == 1 {
				e.Type = domain.EventNoteAdded
			}
			ds = append(ds, delivery(sub, e))
		}
		if _, err := store.AppendDeliveries(ctx, ds); err != nil {
			t.Fatal(err)
		}
		var seen []string
		after := domain.Position(0)
		for {
			page, err := store.Events(ctx, nil, after, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				seen = append(seen, e.DedupeKey)
			}
			after = page[len(page)-1].Position
		}
		if len(seen) != 25 || seen[0] != "0" || seen[24] != "24" {
			t.Fatalf("paged %v", seen)
		}
		conv := domain.ConversationID(domain.ProviderDixa, "", "1")
		since := t0.Add(5 * time.Hour)
		got, err := store.Events(ctx, &domain.EventFilter{Types: []domain.EventType{domain.EventNoteAdded}, ConversationID: &conv, Since: &since}, domain.Position(0), 100)
		if err != nil {
			t.Fatal(err)
		}
		// Odd i with i%3 == 1 and i >= 5: 7, 13, 19.
		if len(got) != 3 || got[0].DedupeKey != "7" || got[2].DedupeKey != "19" {
			t.Fatalf("filtered: %d events", len(got))
		}
		convs, err := store.ListConversations(ctx, nil, domain.SeqPage{Limit: 2})
		if err != nil || len(convs) != 2 {
			t.Fatalf("conversations: %v %v", convs, err)
		}
		rest, err := store.ListConversations(ctx, nil, domain.SeqPage{After: convs[1].Seq, Limit: 10})
		if err != nil || len(rest) != 1 {
			t.Fatalf("conversations after: %v %v", rest, err)
		}
	})
}

func TestMigrateDownAndUpAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		if err := store.Ready(ctx); err != nil {
			t.Fatalf("ready after up: %v", err)
		}
		// Versions may have gaps (migrations numbered on branches merged
		// in another order): each step down lands on a lower version.
		for v := store.LatestVersion(); v > 0; {
			if err := store.Migrate("down"); err != nil {
				t.Fatalf("down from %d: %v", v, err)
			}
			got, _, err := store.MigrationVersion()
			if err != nil || got >= v {
				t.Fatalf("version after down from %d: %d %v", v, got, err)
			}
			v = got
		}
		if err := store.Ready(ctx); err == nil {
			t.Fatal("ready with no schema")
		}
		if err := store.Migrate("up"); err != nil {
			t.Fatalf("up: %v", err)
		}
		if v, dirty, err := store.MigrationVersion(); err != nil || dirty || v != store.LatestVersion() {
			t.Fatalf("version after up: %d %v %v", v, dirty, err)
		}
	})
}

func TestDeliveryLogKeepsTheNewestEntries(t *testing.T) {
	each := func(t *testing.T, url string) {
		store := dbtest.Open(t, url, db.Options{LogLimit: 5})
		sub := newSubscription(t, store)
		other := newSubscription(t, store)
		for i := range 8 {
			l := delivery(sub).Log
			l.Event = fmt.Sprint(i)
			if err := store.AddDeliveryLog(ctx, &l); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, newEvent(sub, "x", "1", domain.StatusOpen, time.Now()))}); err != nil {
			t.Fatal(err)
		}
		otherLog := delivery(other).Log
		if err := store.AddDeliveryLog(ctx, &otherLog); err != nil {
			t.Fatal(err)
		}
		if n, err := store.PruneDeliveryLogs(ctx); err != nil || n != 4 {
			t.Fatalf("pruned %d entries (%v), want 4", n, err)
		}
		logs, err := store.DeliveryLogs(ctx, sub.ID, nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) != 5 || logs[0].Event != "ConversationOpen" || logs[1].Event != "7" || logs[4].Event != "4" {
			var names []string
			for _, l := range logs {
				names = append(names, l.Event)
			}
			t.Fatalf("kept %v, want the newest 5", names)
		}
		if logs, _ := store.DeliveryLogs(ctx, other.ID, nil, 100); len(logs) != 1 {
			t.Fatalf("pruning one subscription touched another: %d", len(logs))
		}
		// A later run starts where this one ended and still keeps the newest.
		for i := range 3 {
			l := delivery(sub).Log
			l.Event = fmt.Sprint("later-", i)
			if err := store.AddDeliveryLog(ctx, &l); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := store.PruneDeliveryLogs(ctx); err != nil || n != 3 {
			t.Fatalf("the second run pruned %d entries (%v), want 3", n, err)
		}
		if logs, _ := store.DeliveryLogs(ctx, sub.ID, nil, 100); len(logs) != 5 || logs[0].Event != "later-2" || logs[4].Event != "7" {
			t.Fatalf("after the second run kept %d entries, newest %q", len(logs), logs[0].Event)
		}
	}
	t.Run("sqlite", func(t *testing.T) { each(t, dbtest.SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { each(t, dbtest.PostgresURL(t)) })
}

func TestUpdateAndDeleteSubscription(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		s := newSubscription(t, store)
		s.Name, s.Enabled = "renamed", false
		s.Rotate("new-secret", time.Hour, time.Now())
		s.Conditions = domain.Conditions{List: []domain.Condition{{ID: 1, Field: domain.FieldChannel, Operator: domain.OpEquals, Values: []string{"EMAIL"}}}, Match: domain.MatchAll}
		if err := store.UpdateSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := store.FindSubscription(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "renamed" || got.Enabled || got.SecretKey != "new-secret" || len(got.PreviousSecrets) != 1 ||
			got.PreviousSecrets[0].Key != "abcd" || len(got.Conditions.List) != 1 || got.CreatedBy != "admin" {
			t.Fatalf("updated subscription: %+v", got)
		}
		if secrets := got.VerifyingSecrets(time.Now()); len(secrets) != 2 {
			t.Fatalf("verifying secrets %v", secrets)
		}
		// A write made from a read older than the last write is refused.
		stale := *got
		got.Name = "first"
		if err := store.UpdateSubscription(ctx, got); err != nil {
			t.Fatal(err)
		}
		stale.Name = "stale"
		if err := store.UpdateSubscription(ctx, &stale); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("stale write: %v, want ECONFLICT", err)
		}
		if now, _ := store.FindSubscription(ctx, s.ID); now.Name != "first" || now.Version != got.Version {
			t.Fatalf("after the stale write: %+v", now)
		}
		if err := store.DeleteSubscription(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := store.FindSubscription(ctx, s.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
		if err := store.DeleteSubscription(ctx, s.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("second delete: %v", err)
		}
		s.ID = "missing"
		if err := store.UpdateSubscription(ctx, s); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("update of an unknown id: %v", err)
		}
	})
}

func TestHeadIsTheNewestReadableEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		head, err := store.Head(ctx)
		if err != nil || !head.IsZero() {
			t.Fatalf("empty history: head %v, %v", head, err)
		}
		sub := newSubscription(t, store)
		now := time.Now()
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{
			delivery(sub, newEvent(sub, "a", "c1", domain.StatusOpen, now), newEvent(sub, "b", "c1", domain.StatusOpen, now)),
		}); err != nil {
			t.Fatal(err)
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil || len(events) != 2 {
			t.Fatalf("events: %d, %v", len(events), err)
		}
		if head, err = store.Head(ctx); err != nil || head != events[1].Position {
			t.Fatalf("head %v (%v), want the newest event's position %v", head, err, events[1].Position)
		}
	})
}

// A value PostgreSQL cannot keep (a NUL character in text) is the
// delivery's own fault: the error says so, so its sender is answered 400,
// not asked to retry. SQLite keeps such text.
func TestTextTheStoreCannotKeepIsTheDeliverysOwnError(t *testing.T) {
	store := dbtest.Open(t, dbtest.PostgresURL(t))
	sub := newSubscription(t, store)
	bad := newEvent(sub, "nul", "c\x00nul", domain.StatusOpen, time.Now())
	_, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, bad)})
	if domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("err = %v (%s), want EINVALID", err, domain.ErrorCode(err))
	}
	if n, _ := store.CountEvents(ctx); n != 0 {
		t.Fatalf("%d events stored", n)
	}
	// The same in a read: a NUL in an id is the caller's error.
	if _, err := store.FindConversation(ctx, "cv_\x00"); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("reading id with a NUL: %v (%s), want EINVALID", err, domain.ErrorCode(err))
	}
}
