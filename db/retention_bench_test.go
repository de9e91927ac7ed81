package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// BenchmarkPruneEvents removes 20,000 events of 1 KB the way retention
// does (PruneEvents in batches of 500) and, as the same run's baseline,
// the same events from a copy in one unbounded DELETE, the statement
// retention avoids because it would hold its locks and its WAL for the
// whole history at once.
//
//	go test ./db -run '^$' -bench PruneEvents -benchtime 1x
func BenchmarkPruneEvents(b *testing.B) {
	const events, batch = 20000, 500
	seed := func(b *testing.B, url string) *db.DB {
		store := dbtest.Open(b, url)
		payload := domain.RawJSON(fmt.Sprintf(`{"text":%q}`, string(make([]byte, 1000))))
		received := time.Now().Add(-time.Hour)
		for start := 0; start < events; start += batch {
			ds := make([]*domain.Delivery, batch)
			for i := range ds {
				ds[i] = &domain.Delivery{Events: []*domain.Event{{
					ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
					OccurredAt: received, ReceivedAt: received, SubscriptionID: "bench", DedupeKey: fmt.Sprint(start + i), Payload: payload,
				}}, Log: domain.DeliveryLog{SubscriptionID: "bench", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: received}}}
			}
			if _, err := store.AppendDeliveries(ctx, ds); err != nil {
				b.Fatal(err)
			}
		}
		return store
	}
	each := func(b *testing.B, url func(testing.TB) string) {
		var batched, single time.Duration
		for range b.N {
			b.StopTimer()
			pruned, copyURL := seed(b, url(b)), url(b)
			seed(b, copyURL)
			b.StartTimer()
			start := time.Now()
			for {
				n, _, err := pruned.PruneEvents(ctx, time.Now(), batch)
				if err != nil {
					b.Fatal(err)
				}
				if n < batch {
					break
				}
			}
			batched += time.Since(start)
			b.StopTimer()
			conn, dialect, err := db.OpenSQL(copyURL)
			if err != nil {
				b.Fatal(err)
			}
			del := "DELETE FROM events WHERE received_at < ?"
			if dialect == db.Postgres {
				del = "DELETE FROM events WHERE received_at < $1"
			}
			start = time.Now()
			if _, err := conn.ExecContext(ctx, del, time.Now().UTC()); err != nil {
				b.Fatal(err)
			}
			single += time.Since(start)
			conn.Close()
			if n, _ := pruned.CountEvents(ctx); n != 0 {
				b.Fatalf("%d events left after pruning", n)
			}
		}
		b.ReportMetric(float64(events*b.N)/batched.Seconds(), "events/s")
		b.ReportMetric(float64(events*b.N)/single.Seconds(), "baseline-events/s")
	}
	b.Run("sqlite", func(b *testing.B) { each(b, dbtest.SQLiteURL) })
	b.Run("postgres", func(b *testing.B) { each(b, dbtest.PostgresURL) })
}
