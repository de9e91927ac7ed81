package stream_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
)

func TestSlowReaderIsClosedWithTheCursorToResumeFrom(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	b := broker.New()
	hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Buffer: 10, SlowTimeout: 200 * time.Millisecond})
	defer hub.Close()
	appendEvents(t, store, b, 0, 50)

	closed := make(chan string, 1)
	ctx := stream.WithCloser(context.Background(), func(code int, reason string) {
		if code != stream.CloseTooSlow {
			t.Errorf("close code %d, want %d", code, stream.CloseTooSlow)
		}
		closed <- reason
	})
	slow := hub.Subscribe(ctx, nil, domain.Position(0))
	var reason string
	select {
	case reason = <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("a reader that reads nothing was not closed")
	}
	// What was buffered is still delivered; the reason says where to resume.
	var got []*domain.Event
	for e := range slow {
		got = append(got, e)
	}
	if len(got) != 10 {
		t.Fatalf("buffered events delivered: %d, want 10", len(got))
	}
	if want := "resume after " + got[9].Cursor(); !containsString(reason, want) {
		t.Fatalf("reason %q does not carry %q", reason, want)
	}
	resumed := hub.Subscribe(context.Background(), nil, got[9].Position)
	rest := receive(t, resumed, 40)
	if rest[0] != "10" || rest[39] != "49" {
		t.Fatalf("resumed from %s to %s", rest[0], rest[39])
	}
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// BenchmarkFanoutLatency measures how long 100 readers take to receive a
// committed event, with and without one more reader that never reads:
//
//	go test ./stream -run '^$' -bench FanoutLatency -benchtime 200x
func BenchmarkFanoutLatency(b *testing.B) {
	for _, stuck := range []int{0, 1} {
		b.Run(map[int]string{0: "no-stuck-reader", 1: "one-stuck-reader"}[stuck], func(b *testing.B) {
			store := dbtest.Open(b, dbtest.SQLiteURL(b))
			br := broker.New()
			// A small buffer, so the reader that never reads is blocked after
			// ten events, and stays blocked for the whole run.
			hub := stream.NewHub(stream.Config{Store: store, Broker: br, Poll: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Buffer: 10, SlowTimeout: time.Hour})
			defer hub.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for range stuck {
				hub.Subscribe(ctx, nil, domain.Position(0)) // never read
			}
			const readers = 100
			var mu sync.Mutex
			var latencies []time.Duration
			var wg sync.WaitGroup
			for range readers {
				c := hub.Subscribe(ctx, nil, domain.Position(0))
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := 0; n < b.N; n++ {
						e := <-c
						d := time.Since(e.ReceivedAt)
						mu.Lock()
						latencies = append(latencies, d)
						mu.Unlock()
					}
				}()
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := &domain.Event{ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
					OccurredAt: time.Now(), ReceivedAt: time.Now(), SubscriptionID: "s", DedupeKey: domain.NewID(), Payload: domain.RawJSON(`{}`)}
				res, err := store.AppendDeliveries(ctx, []*domain.Delivery{{Events: []*domain.Event{e}, Log: domain.DeliveryLog{SubscriptionID: "s", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}}})
				if err != nil {
					b.Fatal(err)
				}
				br.Publish(res[0].Appended)
				time.Sleep(2 * time.Millisecond)
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(hub.Stats().Blocked), "blocked") // 1 when the stuck reader's stream waits on its full buffer
			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
