package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// messageEvent is the n-th new message in conversation conv, written by
// its customer, with one of 20 agents assigned.
func messageEvent(sub *domain.WebhookSubscription, n, conv int, payload domain.RawJSON) *domain.Event {
	return &domain.Event{ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventMessageCreated,
		ProviderEventType: "ConversationMessageAdded", OccurredAt: time.Now(), ReceivedAt: time.Now(),
		SubscriptionID: sub.ID, DedupeKey: fmt.Sprint("message-", n), Payload: payload,
		Conversation: &domain.ConversationUpdate{ExternalID: fmt.Sprint(conv), Status: domain.StatusOpen,
			Requester: &domain.Person{ExternalID: fmt.Sprint("c", conv), Name: "Customer", Email: "c@example.com"},
			Assignee:  &domain.Person{ExternalID: fmt.Sprint("a", conv%20), Role: domain.RoleAgent, Name: "Agent"}},
		Message: &domain.Message{ExternalID: fmt.Sprint("m", n), Direction: domain.DirectionInbound, Content: "Hello",
			Author: &domain.Person{ExternalID: fmt.Sprint("c", conv), Name: "Customer"}},
	}
}

// BenchmarkAppendDeliveries measures the store's side of group commit: one
// op is a batch of 32 deliveries, each a new message in one of 200
// conversations, written by its customer, with one of 20 agents assigned,
// so batches share conversations and people as real traffic does.
//
//	go test ./db -run '^$' -bench AppendDeliveries -benchtime 300x
func BenchmarkAppendDeliveries(b *testing.B) {
	const batch = 32
	each := func(b *testing.B, store *db.DB) {
		sub := &domain.WebhookSubscription{ID: domain.NewID(), Provider: domain.ProviderDixa, Name: "bench", Enabled: true,
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := store.CreateSubscription(ctx, sub); err != nil {
			b.Fatal(err)
		}
		payload := domain.RawJSON(fmt.Sprintf(`{"text":%q}`, string(make([]byte, 1000))))
		n := 0
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			ds := make([]*domain.Delivery, batch)
			for i := range ds {
				n++
				ds[i] = delivery(sub, messageEvent(sub, n, n%200, payload))
			}
			if _, err := store.AppendDeliveries(ctx, ds); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "deliveries/s")
	}
	b.Run("sqlite", func(b *testing.B) { each(b, dbtest.Open(b, dbtest.SQLiteURL(b))) })
	b.Run("postgres", func(b *testing.B) { each(b, dbtest.Open(b, dbtest.PostgresURL(b))) })
}
