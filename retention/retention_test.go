package retention_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/retention"
)

// countingStore counts the pruning transactions.
type countingStore struct {
	*db.DB
	events, payloads int
}

func (s *countingStore) PruneEvents(ctx context.Context, before time.Time, limit int) (int, domain.Position, error) {
	s.events++
	return s.DB.PruneEvents(ctx, before, limit)
}

func (s *countingStore) PrunePayloads(ctx context.Context, before time.Time, limit int) (int, domain.Position, error) {
	s.payloads++
	return s.DB.PrunePayloads(ctx, before, limit)
}

// Prune goes batch by batch, each of at most Batch rows, until a short
// batch says nothing is left, and adds up what the batches did.
func TestPruneGoesBatchByBatchUntilNothingIsLeft(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		received := time.Now().Add(-time.Hour)
		var ds []*domain.Delivery
		for i := range 10 {
			ds = append(ds, &domain.Delivery{
				Events: []*domain.Event{{
					ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
					OccurredAt: received, ReceivedAt: received, SubscriptionID: "s", DedupeKey: fmt.Sprint(i), Payload: domain.RawJSON(`{"n":1}`),
				}},
				Log: domain.DeliveryLog{SubscriptionID: "s", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: received}},
			})
		}
		res, err := store.AppendDeliveries(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		last := res[len(res)-1].Appended[0].Position
		counting := &countingStore{DB: store}
		p := retention.New(retention.Config{Store: counting, Batch: 3, Pause: time.Millisecond})

		got, err := p.Prune(ctx, time.Time{}, time.Now())
		if err != nil || got.Payloads != 10 || got.PayloadHorizon != last || got.Events != 0 || counting.payloads != 4 || counting.events != 0 {
			t.Fatalf("payloads: %+v %v in %d batches, want 10 in 4 and no event", got, err, counting.payloads)
		}
		got, err = p.Prune(ctx, time.Now(), time.Time{})
		if err != nil || got.Events != 10 || got.Horizon != last || counting.events != 4 {
			t.Fatalf("events: %+v %v in %d batches, want 10 in 4", got, err, counting.events)
		}
		if n, _ := store.CountEvents(ctx); n != 0 {
			t.Fatalf("%d events left", n)
		}
	})
}
