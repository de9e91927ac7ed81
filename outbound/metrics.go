package outbound

import (
	"sync/atomic"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the dispatcher's collectors. Every label has a closed set
// of values: endpoints are many and come and go, so none is a label;
// their lag shows as the largest one and their health as a count by
// state.
type metrics struct {
	attempts *prometheus.CounterVec
	latency  prometheus.Histogram
	states   *prometheus.GaugeVec
}

// latencyBuckets reach from a healthy receiver's few milliseconds to the
// day an event is retried for at most.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600}

func newMetrics(reg prometheus.Registerer, d *Dispatcher) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_outbound_attempts_total",
			Help: "Attempts to push an event to a webhook endpoint, by outcome: delivered (2xx), retry (failed, tried again later), failed (given up or refused for good).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gateway_outbound_delivery_latency_seconds",
			Help:    "From an event's receipt by the gateway (its commit follows within the ingest batch) to an endpoint's 2xx answer, retries included.",
			Buckets: latencyBuckets,
		}),
		states: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_outbound_endpoints",
			Help: "Webhook endpoints in the store by state (ACTIVE, FAILING, DISABLED), as this process last read them; every process reports the same endpoints.",
		}, []string{"state"}),
	}
	for _, o := range []string{domain.AttemptDelivered, domain.AttemptRetry, domain.AttemptFailed} {
		m.attempts.WithLabelValues(o)
	}
	for _, s := range []domain.EndpointState{domain.EndpointActive, domain.EndpointFailing, domain.EndpointDisabled} {
		m.states.WithLabelValues(string(s))
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gateway_outbound_lag_seconds_max",
		Help: "The longest any endpoint this process delivers to has been waiting on its oldest unsettled event: 0 when every one is caught up.",
	}, func() float64 { return d.maxLag().Seconds() })
	if reg != nil {
		reg.MustRegister(m.attempts, m.latency, m.states, lag)
	}
	return m
}

// countStates sets the endpoints-by-state gauge from a listing of them all.
func (m *metrics) countStates(endpoints []*domain.WebhookEndpoint) {
	counts := map[domain.EndpointState]int{domain.EndpointActive: 0, domain.EndpointFailing: 0, domain.EndpointDisabled: 0}
	for _, e := range endpoints {
		counts[e.State()]++
	}
	for s, n := range counts {
		m.states.WithLabelValues(string(s)).Set(float64(n))
	}
}

// recorded counts an attempt once it is durable.
func (m *metrics) recorded(a *domain.WebhookAttempt, e *domain.Event, now time.Time) {
	m.attempts.WithLabelValues(a.Outcome).Inc()
	if a.Outcome == domain.AttemptDelivered && !e.ReceivedAt.IsZero() {
		m.latency.Observe(max(0, now.Sub(e.ReceivedAt).Seconds()))
	}
}

// lagMark is when the oldest event an endpoint has not settled yet was
// received, in Unix nanoseconds; 0 when it is caught up.
type lagMark struct{ since atomic.Int64 }

func (l *lagMark) behind(e *domain.Event) {
	if e == nil {
		l.since.Store(0)
		return
	}
	l.since.Store(e.ReceivedAt.UnixNano())
}

// maxLag is the largest lag among the endpoints this process delivers to.
func (d *Dispatcher) maxLag() time.Duration {
	now := d.cfg.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out time.Duration
	for _, w := range d.workers {
		if since := w.lag.since.Load(); since != 0 {
			out = max(out, now.Sub(time.Unix(0, since)))
		}
	}
	return out
}
