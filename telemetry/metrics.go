// Package telemetry makes the gateway observable: Prometheus metrics,
// OpenTelemetry traces, and request ids, access logs and structured logs.
// Components never import it: each declares the small interface it reports
// to, and cmd/gateway hands them this package's implementations.
package telemetry

import (
	"database/sql"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// namespace prefixes every metric of the gateway's own.
const namespace = "gateway"

// UnknownLabel stands for a label value outside its closed set: a delivery
// to a provider slug that names none, a stream opened over a transport that
// is not told apart.
const UnknownLabel = "unknown"

// GraphQL request outcomes, the outcome label of
// gateway_graphql_requests_total.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Metrics holds every collector of the gateway's own metrics, registered
// once on one registry. Its methods are what components report to; they
// are safe for concurrent use and, on the ingest path, do no label lookup
// that allocates: the children of every label set of the closed sets are
// made here, once.
type Metrics struct {
	providers map[domain.Provider]*providerMetrics
	unknown   *providerMetrics

	batchSize      prometheus.Histogram
	commitDuration prometheus.Histogram

	streamSubscribers *prometheus.GaugeVec
	streamClosed      *prometheus.CounterVec

	graphqlRequests *prometheus.CounterVec
	graphqlDuration *prometheus.HistogramVec
}

// providerMetrics are one provider's curried children.
type providerMetrics struct {
	deliveries map[domain.DeliveryOutcome]prometheus.Counter
	duration   prometheus.Observer
	stored     map[domain.EventType]prometheus.Counter
	// otherType counts stored events of a type outside domain.EventTypes.
	otherType prometheus.Counter
}

// deliveryOutcomes is the closed set of the outcome label.
var deliveryOutcomes = []domain.DeliveryOutcome{
	domain.OutcomeAccepted, domain.OutcomeDuplicate, domain.OutcomeFiltered, domain.OutcomeRefused, domain.OutcomeChallenge,
}

// NewMetrics makes the gateway's collectors and registers them, with the Go
// runtime's and the process's, on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "webhook_deliveries_total",
		Help: "Webhook deliveries answered, by provider and outcome (accepted, duplicate, filtered, refused, challenge).",
	}, []string{"provider", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "webhook_delivery_duration_seconds",
		Help:    "Time from a webhook delivery's arrival to its answer, by provider.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"provider"})
	stored := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "events_stored_total",
		Help: "Events appended to the history by webhook deliveries, by provider and unified type.",
	}, []string{"provider", "type"})
	m := &Metrics{
		providers: map[domain.Provider]*providerMetrics{},
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "ingest_batch_size",
			Help:    "Deliveries committed together in one ingest transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 .. 512: past INGEST_BATCH's default
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "ingest_commit_duration_seconds",
			Help:    "Time one ingest batch takes to commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		streamSubscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "stream_subscribers",
			Help: "Live event streams open, by transport (websocket, sse).",
		}, []string{"transport"}),
		streamClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "stream_closed_total",
			Help: "Live event streams ended, by reason (client, slow, expired, shutdown).",
		}, []string{"reason"}),
		graphqlRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_requests_total",
			Help: "GraphQL operations run, by operation type (query, mutation, subscription) and outcome (ok, error).",
		}, []string{"operation_type", "outcome"}),
		graphqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_request_duration_seconds",
			Help:    "Time a GraphQL query or mutation takes to answer, by operation type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation_type"}),
	}
	curry := func(label string) *providerMetrics {
		pm := &providerMetrics{
			deliveries: map[domain.DeliveryOutcome]prometheus.Counter{},
			duration:   duration.WithLabelValues(label),
			stored:     map[domain.EventType]prometheus.Counter{},
			otherType:  stored.WithLabelValues(label, UnknownLabel),
		}
		for _, o := range deliveryOutcomes {
			pm.deliveries[o] = deliveries.WithLabelValues(label, string(o))
		}
		for _, t := range domain.EventTypes {
			pm.stored[t] = stored.WithLabelValues(label, string(t))
		}
		return pm
	}
	for _, p := range domain.Providers {
		m.providers[p] = curry(p.Slug())
	}
	m.unknown = curry(UnknownLabel)
	reg.MustRegister(deliveries, duration, stored, m.batchSize, m.commitDuration, m.streamSubscribers, m.streamClosed,
		m.graphqlRequests, m.graphqlDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) provider(p domain.Provider) *providerMetrics {
	if pm, ok := m.providers[p]; ok {
		return pm
	}
	return m.unknown
}

// Delivered counts a webhook delivery answered with outcome after took; an
// invalid provider counts as unknown.
func (m *Metrics) Delivered(p domain.Provider, outcome domain.DeliveryOutcome, took time.Duration) {
	pm := m.provider(p)
	if c, ok := pm.deliveries[outcome]; ok {
		c.Inc()
	}
	pm.duration.Observe(took.Seconds())
}

// BatchCommitted records an ingest batch of size deliveries that committed
// in took, appending events.
func (m *Metrics) BatchCommitted(size int, took time.Duration, events []*domain.Event) {
	m.batchSize.Observe(float64(size))
	m.commitDuration.Observe(took.Seconds())
	for _, e := range events {
		pm := m.provider(e.Provider)
		if c, ok := pm.stored[e.Type]; ok {
			c.Inc()
		} else {
			pm.otherType.Inc()
		}
	}
}

// StreamOpened counts a live stream opened over transport.
func (m *Metrics) StreamOpened(transport string) {
	m.streamSubscribers.WithLabelValues(transport).Inc()
}

// StreamClosed counts a live stream over transport ended for reason.
func (m *Metrics) StreamClosed(transport, reason string) {
	m.streamSubscribers.WithLabelValues(transport).Dec()
	m.streamClosed.WithLabelValues(reason).Inc()
}

// GraphQLAnswered counts a GraphQL operation of operationType (query,
// mutation, subscription) and its outcome; took is observed for queries
// and mutations, whose answer is one response.
func (m *Metrics) GraphQLAnswered(operationType, outcome string, took time.Duration) {
	m.graphqlRequests.WithLabelValues(operationType, outcome).Inc()
	if took >= 0 {
		m.graphqlDuration.WithLabelValues(operationType).Observe(took.Seconds())
	}
}

// RegisterPool registers gauges of a database/sql connection pool, read
// from stats at each scrape.
func RegisterPool(reg prometheus.Registerer, stats func() sql.DBStats) {
	reg.MustRegister(poolCollector{stats: stats})
}

var (
	poolOpen = prometheus.NewDesc(namespace+"_db_connections_open",
		"Connections open to the database, in use or idle.", nil, nil)
	poolInUse = prometheus.NewDesc(namespace+"_db_connections_in_use",
		"Connections running a statement or holding a transaction.", nil, nil)
	poolIdle = prometheus.NewDesc(namespace+"_db_connections_idle",
		"Connections open and idle.", nil, nil)
	poolMaxOpen = prometheus.NewDesc(namespace+"_db_connections_max_open",
		"Most connections the pool may open.", nil, nil)
	poolWaits = prometheus.NewDesc(namespace+"_db_wait_count_total",
		"Times a statement waited for a free connection.", nil, nil)
	poolWaited = prometheus.NewDesc(namespace+"_db_wait_duration_seconds_total",
		"Time statements spent waiting for a free connection.", nil, nil)
)

// poolCollector reads the pool's statistics when scraped, so the pool
// pays nothing between scrapes.
type poolCollector struct{ stats func() sql.DBStats }

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolMaxOpen, poolWaits, poolWaited} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(poolMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, s.WaitDuration.Seconds())
}
