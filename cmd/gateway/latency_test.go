package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// BenchmarkStreamLatency measures, over real websockets, how long 100
// subscribers take to receive an event after its webhook was posted,
// with and without one more subscriber that never reads:
//
//	go test ./cmd/gateway -run '^$' -bench StreamLatency -benchtime 300x
//
// Before the timer starts, large events that only the non-reading
// subscriber selects fill its socket and its stream's buffer, so that
// during the measurement its stream is really blocked; the "blocked"
// metric reports how many streams were waiting on a full buffer when the
// measurement ended (1 with the stuck subscriber, 0 without).
//
// With TEST_DATABASE_URL set, it runs on PostgreSQL too.
func BenchmarkStreamLatency(b *testing.B) {
	benchEachStore(b, func(b *testing.B, newDatabase func(testing.TB) string) {
		for _, stuck := range []bool{false, true} {
			b.Run(map[bool]string{false: "no-stuck-subscriber", true: "one-stuck-subscriber"}[stuck], func(b *testing.B) {
				benchmarkStreamLatency(b, newDatabase(b), stuck)
			})
		}
	})
}

// benchEachStore runs a benchmark on the embedded store and on PostgreSQL (or
// skips that half without TEST_DATABASE_URL); newDatabase gives a fresh,
// empty database.
func benchEachStore(b *testing.B, f func(b *testing.B, newDatabase func(testing.TB) string)) {
	b.Run("sqlite", func(b *testing.B) { f(b, dbtest.SQLiteURL) })
	b.Run("postgres", func(b *testing.B) { f(b, dbtest.PostgresURL) })
}

func benchmarkStreamLatency(b *testing.B, databaseURL string, stuck bool) {
	// The stuck subscriber stays for the whole run.
	cfg, _, err := ParseConfig("bench", []string{"-addr", "127.0.0.1:0", "-database-url", databaseURL, "-admin-token", adminToken, "-stream-slow-timeout", "1h"}, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dial := func(query string) *websocket.Conn {
		conn := dialGraphQL(b, ctx, m, "graphql-transport-ws")
		conn.SetReadLimit(1 << 20)
		for _, msg := range []string{
			`{"type":"connection_init","payload":{"Authorization":"Bearer ` + adminToken + `"}}`,
			`{"id":"1","type":"subscribe","payload":{"query":"` + query + `"}}`,
		} {
			if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				b.Fatal(err)
			}
		}
		return conn
	}
	if stuck {
		defer dial("subscription { eventStream(fromBeginning: true) { payload } }").CloseNow() // subscribes, then never reads
	}
	sent := sync.Map{} // ticket id -> when its webhook was posted
	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	for range 100 {
		conn := dial("subscription { eventStream(fromBeginning: true, filter: {types: [CONVERSATION_CREATED]}) { payload } }")
		defer conn.CloseNow()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for got := 0; got < b.N; {
				_, data, err := conn.Read(ctx)
				if err != nil {
					return
				}
				var msg struct {
					Type    string
					Payload struct {
						Data struct {
							EventStream struct {
								Payload struct{ TicketID string }
							}
						}
					}
				}
				if json.Unmarshal(data, &msg) != nil {
					continue
				}
				if msg.Type == "ping" {
					_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
					continue
				}
				if msg.Type != "next" {
					continue
				}
				if at, ok := sent.Load(msg.Payload.Data.EventStream.Payload.TicketID); ok {
					mu.Lock()
					latencies = append(latencies, time.Since(at.(time.Time)))
					mu.Unlock()
				}
				got++
			}
		}()
	}
	var sub subscription
	var out struct {
		C subscription `json:"createWebhookSubscription"`
	}
	resp := graphQLRaw(b, m, adminToken, `mutation { createWebhookSubscription(input: {provider: CLOUDCX, name: "bench"}) { id url } }`, nil)
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		b.Fatal(err)
	}
	sub = out.C
	time.Sleep(500 * time.Millisecond) // every subscriber is listening
	// 600 events of 32 KiB that only an unfiltered stream receives:
	// more than the stuck subscriber's socket and buffer can hold.
	filler := strings.Repeat("x", 32<<10)
	for i := range 600 {
		res, err := http.Post(sub.URL, "application/json", strings.NewReader(fmt.Sprintf(`{"event":"BenchFiller","ticketId":"f-%d","filler":"%s"}`, i, filler)))
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
	}
	want := map[bool]int{false: 0, true: 1}[stuck]
	for deadline := time.Now().Add(30 * time.Second); m.Hub.Stats().Blocked != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d streams blocked on a full buffer, want %d", m.Hub.Stats().Blocked, want)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ticket := fmt.Sprintf("t-%d-%d", i, time.Now().UnixNano())
		sent.Store(ticket, time.Now())
		res, err := http.Post(sub.URL, "application/json", strings.NewReader(`{"event":"TicketCreated","ticketId":"`+ticket+`"}`))
		if err != nil {
			b.Fatal(err)
		}
		var answer struct{ Events []string }
		_ = json.NewDecoder(res.Body).Decode(&answer)
		res.Body.Close()
		if len(answer.Events) != 1 {
			b.Fatalf("delivery answered %d: %+v", res.StatusCode, answer)
		}
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	b.StopTimer()
	blocked := m.Hub.Stats().Blocked
	if len(latencies) == 0 {
		b.Fatal("no event received")
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(latencies))/float64(b.N), "receivers")
	b.ReportMetric(float64(blocked), "blocked")
}
