package export_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/export"
)

// BenchmarkExport is the measurement behind "exporting 100,000 events
// keeps the gateway's memory flat": it fills a SQLite store with
// EXPORT_EVENTS events (default 100000) of about 1 KiB each, exports them
// all through the Handler, and reports the Go heap in use before the export
// (base-heap-MiB) and at its highest during it (peak-heap-MiB), sampled
// every 2ms, beside events/s. Flat means the peak of page=1000 (the
// Handler as the gateway runs it) does not grow with the number of events;
// compare two runs:
//
//	EXPORT_EVENTS=10000 go test ./export -run '^$' -bench BenchmarkExport -benchtime 1x
//	EXPORT_EVENTS=100000 go test ./export -run '^$' -bench BenchmarkExport -benchtime 1x
//
// The heap figure is "/memory/classes/heap/objects:bytes": live objects and
// the garbage not yet swept, so it is what the export costs the process, not
// only what it retains. peak-rss-MiB adds what the runtime cannot see (the
// SQLite page cache), on Linux.
func BenchmarkExport(b *testing.B) {
	n := 100000
	if v := os.Getenv("EXPORT_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("EXPORT_EVENTS=%q is not a positive integer", v)
		}
	}
	store := dbtest.Open(b, "sqlite://"+filepath.Join(b.TempDir(), "gateway.db"))
	start := time.Now()
	fill(b, store, n)
	b.Logf("filled the store with %d events in %v", n, time.Since(start).Round(time.Millisecond))
	b.Run("page=1000", func(b *testing.B) { measureExport(b, &export.Handler{Store: store}, n) })
	// The control: the whole history read as one page, as an export that
	// held it all would. Its peak grows with N, which shows that the
	// sampling sees what a page costs.
	b.Run("page=all", func(b *testing.B) { measureExport(b, &export.Handler{Store: store, PageSize: n + 1}, n) })
}

func measureExport(b *testing.B, h *export.Handler, n int) {
	runtime.GC()
	debug.FreeOSMemory()
	baseHeap, baseRSS := heapObjects(), rss()
	peak := startSampling()
	exports := 0
	var written int64
	start := time.Now()
	for b.Loop() {
		w := &discard{}
		authenticated(h).ServeHTTP(w, httptest.NewRequest("GET", "/export/events?format=ndjson", nil))
		if w.status != http.StatusOK || w.lines != n {
			b.Fatalf("export answered %d with %d lines, want 200 with %d", w.status, w.lines, n)
		}
		exports++
		written = w.bytes
	}
	elapsed := time.Since(start)
	peakHeap, peakRSS := peak()

	const MiB = 1 << 20
	b.ReportMetric(float64(n*exports)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(baseHeap)/MiB, "base-heap-MiB")
	b.ReportMetric(float64(peakHeap)/MiB, "peak-heap-MiB")
	if baseRSS > 0 {
		b.ReportMetric(float64(baseRSS)/MiB, "base-rss-MiB")
		b.ReportMetric(float64(peakRSS)/MiB, "peak-rss-MiB")
	}
	b.ReportMetric(float64(written)/MiB, "body-MiB")
}

// fill appends n events, 1000 deliveries of one event a transaction, as
// ingest batches them: each with its conversation (one of 1000), and a
// body of about 1 KiB shaped like a Dixa message webhook.
func fill(b *testing.B, store *db.DB, n int) {
	b.Helper()
	sub := domain.NewID()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	text := strings.Repeat("Hello, I still cannot log in to my account after the reset. ", 8)
	batch := make([]*domain.Delivery, 0, 1000)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		csid := strconv.Itoa(i % 1000)
		body := fmt.Sprintf(`{"event_id":"%08d-4f1c-4e55-9a5b-0a6f0c2b7d31","event_fqn":"CONVERSATION_MESSAGE_ADDED","event_version":"1",`+
			`"event_timestamp":%q,"organization":{"id":"0a6f0c2b-7d31-4e55-9a5b-4f1c8e2d0001","name":"Acme Support"},`+
			`"data":{"conversation":{"csid":%s,"channel":"WIDGET_CHAT","status":"OPEN","direction":"INBOUND",`+
			`"requester":{"id":"r-%d","name":"Jane Doe","email":"jane.doe@example.com","phone":"+4512345678"}},`+
			`"author":{"id":"r-%d","name":"Jane Doe","email":"jane.doe@example.com","roles":["Contact"]},`+
			`"content":{"type":"text","value":%q},"attachments":[],"created_at":%q,"message_id":"m-%d"}}`,
			i, at.Format(time.RFC3339), csid, i%1000, i%1000, text, at.Format(time.RFC3339Nano), i)
		e := &domain.Event{
			ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventMessageCreated,
			ProviderEventType: "ConversationMessageAdded", DedupeKey: fmt.Sprintf("ev-%d", i),
			OccurredAt: at, ReceivedAt: at.Add(250 * time.Millisecond), SubscriptionID: sub,
			Conversation: &domain.ConversationUpdate{ExternalID: csid, Kind: domain.KindConversation, Status: domain.StatusOpen},
			Payload:      domain.RawJSON(body),
		}
		batch = append(batch, &domain.Delivery{Events: []*domain.Event{e}, Log: domain.DeliveryLog{
			SubscriptionID: sub, Event: e.ProviderEventType, Outcome: domain.OutcomeAccepted, Payload: "{}",
			DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: e.ReceivedAt, Success: true, ResponseCode: 200, ResponseText: "OK"},
		}})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := store.AppendDeliveries(ctx, batch); err != nil {
				b.Fatalf("fill: %v", err)
			}
			batch = batch[:0]
		}
	}
	if count, err := store.CountEvents(ctx); err != nil || count != int64(n) {
		b.Fatalf("stored %d events, want %d: %v", count, n, err)
	}
}

// discard is a ResponseWriter that counts and drops what it is sent.
type discard struct {
	header  http.Header
	status  int
	bytes   int64
	lines   int
	flushes int
}

func (d *discard) Header() http.Header {
	if d.header == nil {
		d.header = http.Header{}
	}
	return d.header
}

func (d *discard) WriteHeader(status int) { d.status = status }

func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.bytes += int64(len(p))
	d.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

func (d *discard) Flush() { d.flushes++ }

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapObjects() uint64 {
	metrics.Read(heapSample)
	return heapSample[0].Value.Uint64()
}

// rss is the process's resident memory, or 0 where /proc is not there.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// startSampling samples the heap and RSS every 2ms until the returned
// function is called, which stops it and returns the peaks.
func startSampling() (stop func() (heap, rss uint64)) {
	var (
		wg        sync.WaitGroup
		done      = make(chan struct{})
		peakHeap  uint64
		peakRSS   uint64
		takeAPeak = func() {
			peakHeap = max(peakHeap, heapObjects())
			peakRSS = max(peakRSS, rss())
		}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			takeAPeak()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		takeAPeak()
		return peakHeap, peakRSS
	}
}
