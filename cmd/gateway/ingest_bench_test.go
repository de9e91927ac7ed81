package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
)

// BenchmarkIngest measures durable webhooks per second through a running
// gateway: 64 concurrent clients post signed Dixa deliveries, each answered
// only after its event is committed; at the end every one is stored.
//
//	go test ./cmd/gateway -run '^$' -bench Ingest -benchtime 20000x
//
// With TEST_DATABASE_URL set, it runs on PostgreSQL too.
func BenchmarkIngest(b *testing.B) {
	benchEachStore(b, func(b *testing.B, newDatabase func(testing.TB) string) {
		m := startGateway(b, newDatabase(b))
		sub := createDixaSubscription(b, m)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		const clients = 64
		var next atomic.Int64
		var failed atomic.Value
		run := fmt.Sprint(time.Now().UnixNano())
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					body := []byte(fmt.Sprintf(`{"event_id":"bench-%s-%d","event_fqn":"CONVERSATION_MESSAGE_ADDED","event_version":"1",`+
						`"event_timestamp":"2024-05-01T10:00:00.000Z","organization":{"id":"org"},"data":{"conversation":{"csid":%d,"channel":"EMAIL","status":"OPEN"},`+
						`"message":{"message_id":"m-%s-%d","direction":"inbound","text":"Hello, I need help with my order.","author":{"id":"c-%d","name":"Customer"}}}}`,
						run, i, i%500, run, i, i%500))
					req, _ := http.NewRequest("POST", sub.URL, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-DIXA-SIGNATURE", dixa.Sign(sub.SecretKey, time.Now(), body))
					res, err := client.Do(req)
					if err != nil {
						failed.Store(err.Error())
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						failed.Store(fmt.Sprintf("delivery %d answered %d", i, res.StatusCode))
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		if f := failed.Load(); f != nil {
			b.Fatal(f)
		}
		n, err := m.DB.CountEvents(context.Background())
		if err != nil || n != int64(b.N) {
			b.Fatalf("%d of %d deliveries stored (%v)", n, b.N, err)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "webhooks/s")
	})
}
