package telemetry

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/prometheus/client_golang/prometheus"
)

func TestRequestIDsAreKeptWhenSaneAndReplacedOtherwise(t *testing.T) {
	for _, c := range []struct {
		name, id string
		kept     bool
	}{
		{"uuid", "0b6f2c1e-8a4d-4b7e-9f55-3c2d1e0a9b8c", true},
		{"token characters", "req_42.a~b+c*d", true},
		{"longest kept", strings.Repeat("a", maxRequestID), true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", maxRequestID+1), false},
		{"space", "a b", false},
		{"quote", `a"b`, false},
		{"newline", "a\nb", false},
		{"not ASCII", "ä", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(LogHandler(slog.NewJSONHandler(&logs, nil)))
			var seen string
			h := Requests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestID(r.Context())
				logger.InfoContext(r.Context(), "inside")
			}), logger)
			req := httptest.NewRequest("GET", "/x?secret=1", nil)
			req.Header["X-Request-Id"] = []string{c.id}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			echoed := rec.Header().Get(RequestIDHeader)
			if echoed != seen || (echoed == c.id) != c.kept || echoed == "" {
				t.Fatalf("id %q: echoed %q, in context %q, want kept %v", c.id, echoed, seen, c.kept)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 2 || strings.Contains(logs.String(), "secret") {
				t.Fatalf("log lines %q: want the handler's and the access line, no query string", lines)
			}
			for _, l := range lines {
				var line map[string]any
				if err := json.Unmarshal([]byte(l), &line); err != nil || line["request_id"] != echoed {
					t.Fatalf("log line %s lacks request_id %q", l, echoed)
				}
			}
		})
	}
}

func TestDeliveriesCountUnderTheirProviderOrUnknown(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Delivered(domain.ProviderDixa, domain.OutcomeAccepted, time.Millisecond)
	m.Delivered(domain.ProviderDixa, domain.OutcomeAccepted, time.Millisecond)
	m.Delivered("", domain.OutcomeRefused, time.Millisecond)
	m.Delivered("NOSUCH", domain.OutcomeRefused, time.Millisecond)
	m.BatchCommitted(2, time.Millisecond, []*domain.Event{
		{Provider: domain.ProviderDixa, Type: domain.EventType("MESSAGE_CREATED")},
		{Provider: domain.ProviderDixa, Type: domain.EventType("NOT_A_TYPE")},
	})
	for _, c := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"gateway_webhook_deliveries_total", map[string]string{"provider": "dixa", "outcome": "accepted"}, 2},
		{"gateway_webhook_deliveries_total", map[string]string{"provider": "unknown", "outcome": "refused"}, 2},
		{"gateway_webhook_deliveries_total", map[string]string{"provider": "cinnox", "outcome": "accepted"}, 0},
		{"gateway_events_stored_total", map[string]string{"provider": "dixa", "type": "MESSAGE_CREATED"}, 1},
		{"gateway_events_stored_total", map[string]string{"provider": "dixa", "type": UnknownLabel}, 1},
	} {
		if got := counter(t, reg, c.family, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
}

// counter returns the value of family's counter with exactly labels.
func counter(t *testing.T, g prometheus.Gatherer, family string, labels map[string]string) float64 {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != family {
			continue
		}
	next:
		for _, m := range f.Metric {
			if len(m.Label) != len(labels) {
				continue
			}
			for _, l := range m.Label {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return m.Counter.GetValue()
		}
	}
	t.Fatalf("no %s%v", family, labels)
	return 0
}

// BenchmarkDeliveryMetrics compares the cost per delivery of the curried
// children Metrics keeps with a label lookup per delivery, in the same run:
//
//	go test ./telemetry -run '^$' -bench DeliveryMetrics -benchmem
func BenchmarkDeliveryMetrics(b *testing.B) {
	b.Run("curried", func(b *testing.B) {
		m := NewMetrics(prometheus.NewRegistry())
		b.ReportAllocs()
		for b.Loop() {
			m.Delivered(domain.ProviderDixa, domain.OutcomeAccepted, time.Millisecond)
		}
	})
	b.Run("baseline-label-lookup", func(b *testing.B) {
		counts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"provider", "outcome"})
		durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h"}, []string{"provider"})
		b.ReportAllocs()
		for b.Loop() {
			p := domain.ProviderDixa.Slug()
			counts.WithLabelValues(p, string(domain.OutcomeAccepted)).Inc()
			durations.WithLabelValues(p).Observe(time.Millisecond.Seconds())
		}
	})
}
