package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

func newEndpoint(t *testing.T, store *db.DB) *domain.WebhookEndpoint {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	e := &domain.WebhookEndpoint{
		ID: domain.NewID(), Name: "crm", URL: "https://example.com/hook", Ordering: domain.OrderEndpoint, Enabled: true,
		Secret: domain.NewEndpointSecret(), Timeout: 10 * time.Second, CreatedAt: now, UpdatedAt: now,
	}
	if err := store.CreateEndpoint(ctx, e); err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	return e
}

func TestEndpointLeaseIsHeldByOneOwnerUntilItExpires(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEndpoint(t, store)
		lease := func(owner string, ttl time.Duration) bool {
			t.Helper()
			ok, err := store.AcquireEndpointLease(ctx, e.ID, owner, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !lease("a", 300*time.Millisecond) {
			t.Fatal("a could not take a free lease")
		}
		if lease("b", time.Minute) {
			t.Fatal("b took a lease a holds")
		}
		if !lease("a", 300*time.Millisecond) {
			t.Fatal("a could not renew its lease")
		}
		time.Sleep(400 * time.Millisecond)
		if !lease("b", time.Minute) {
			t.Fatal("b could not take an expired lease")
		}
		if err := store.ReleaseEndpointLease(ctx, e.ID, "b"); err != nil {
			t.Fatal(err)
		}
		if !lease("a", time.Minute) {
			t.Fatal("a could not take a released lease")
		}
	})
}

func TestRecordAttemptNeedsTheLeaseAndTheGeneration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEndpoint(t, store)
		if ok, err := store.AcquireEndpointLease(ctx, e.ID, "a", time.Minute); err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		at := time.Now().UTC()
		retry := at.Add(time.Second)
		a := &domain.WebhookAttempt{EndpointID: e.ID, EventID: "e1", EventPosition: 5, Attempt: 1, At: at, Status: 500, Outcome: domain.AttemptRetry, RetryAt: &retry}
		since, err := store.RecordAttempt(ctx, "a", a, 0)
		if err != nil || since == nil {
			t.Fatalf("record retry: %v %v", since, err)
		}
		if _, err := store.RecordAttempt(ctx, "b", &domain.WebhookAttempt{EndpointID: e.ID, EventID: "e1", EventPosition: 5, Attempt: 2, At: at, Outcome: domain.AttemptDelivered}, 5); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("another owner recorded an attempt: %v", err)
		}
		pending, err := store.PendingAttempts(ctx, e.ID, 0, 0)
		if err != nil || len(pending) != 1 || pending[0].RetryAt == nil || pending[0].Status != 500 {
			t.Fatalf("pending: %+v %v", pending, err)
		}
		since, err = store.RecordAttempt(ctx, "a", &domain.WebhookAttempt{EndpointID: e.ID, EventID: "e1", EventPosition: 5, Attempt: 2, At: at, Status: 200, Outcome: domain.AttemptDelivered}, 5)
		if err != nil || since != nil {
			t.Fatalf("record delivery: %v %v", since, err)
		}
		got, err := store.FindEndpoint(ctx, e.ID)
		if err != nil || got.Cursor != 5 || got.Delivered != 1 || got.Failing || got.State() != domain.EndpointActive {
			t.Fatalf("after delivery: %+v %v", got, err)
		}
		if err := store.ReplayEndpoint(ctx, e.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := store.AdvanceEndpoint(ctx, e.ID, "a", 0, 9); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("advance in a replayed generation: %v", err)
		}
		got, _ = store.FindEndpoint(ctx, e.ID)
		if got.Cursor != 0 || got.Generation != 1 {
			t.Fatalf("after replay: cursor %d generation %d", got.Cursor, got.Generation)
		}
		if pending, _ := store.PendingAttempts(ctx, e.ID, 1, 0); len(pending) != 0 {
			t.Fatalf("attempts of the former generation count in the new one: %+v", pending)
		}
		if all, _ := store.EndpointAttempts(ctx, e.ID, 0, 10); len(all) != 2 || all[0].Attempt != 2 {
			t.Fatalf("attempts, newest first: %+v", all)
		}
	})
}

func TestEndpointConditionsRoundTripThroughCreateAndUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEndpoint(t, store)
		got, err := store.FindEndpoint(ctx, e.ID)
		if err != nil || !got.Conditions.IsZero() {
			t.Fatalf("new endpoint: conditions %+v, %v; want none", got.Conditions, err)
		}
		e.Conditions = domain.Conditions{
			List: []domain.Condition{
				{ID: 1, Field: domain.FieldChannel, Operator: domain.OpEquals, Values: []string{"EMAIL"}},
				{ID: 2, Field: domain.FieldStatus, Operator: domain.OpIsOneOf, Values: []string{"OPEN", "PENDING"}},
			},
			Match: domain.MatchExpression, Expression: "1 or 2",
		}
		if err := store.UpdateEndpoint(ctx, e); err != nil {
			t.Fatal(err)
		}
		if got, err = store.FindEndpoint(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if got.Conditions.Match != domain.MatchExpression || got.Conditions.Expression != "1 or 2" || len(got.Conditions.List) != 2 ||
			got.Conditions.List[1].Values[1] != "PENDING" || got.Conditions.List[0].Field != domain.FieldChannel {
			t.Errorf("stored conditions %+v, want %+v", got.Conditions, e.Conditions)
		}
	})
}

func TestEndpointLagCountsThePendingEventsAndTheFirstOnesReceipt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEndpoint(t, store)
		if lag, err := store.EndpointLag(ctx, e); err != nil || lag.Events != 0 || !lag.Oldest.IsZero() {
			t.Fatalf("no events: lag %+v, %v; want none", lag, err)
		}
		sub := newSubscription(t, store)
		first := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		var events []*domain.Event
		for i := range 3 {
			ev := newEvent(sub, fmt.Sprintf("lag-%d", i), "c1", domain.StatusOpen, first.Add(time.Duration(i)*time.Minute))
			ev.ReceivedAt = first.Add(time.Duration(i) * time.Minute)
			events = append(events, ev)
		}
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, events...)}); err != nil {
			t.Fatal(err)
		}
		e.Cursor = events[0].Position
		lag, err := store.EndpointLag(ctx, e)
		if err != nil || lag.Events != 2 || !lag.Oldest.Equal(first.Add(time.Minute)) {
			t.Errorf("after the first event: lag %+v, %v; want 2 events, the oldest received at %s", lag, err, first.Add(time.Minute))
		}
	})
}
