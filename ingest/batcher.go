package ingest

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// DeliveryStore keeps deliveries durably, all of a batch in one transaction.
type DeliveryStore interface {
	AppendDeliveries(ctx context.Context, ds []*domain.Delivery) ([]domain.DeliveryResult, error)
}

// Publisher announces committed events to live streams.
type Publisher interface {
	Publish(events []*domain.Event)
}

// Batcher commits concurrent deliveries together (group commit): while one
// transaction commits, the deliveries that arrive queue up and share the
// next one. A delivery's Submit returns only once its transaction has
// committed, and events are published only after that.
//
// Submit is safe for concurrent use. Close stops accepting, commits what is
// queued, and waits for the workers.
type Batcher struct {
	store    DeliveryStore
	pub      Publisher
	logger   *slog.Logger
	maxBatch int
	timeout  time.Duration
	metrics  BatchMetrics
	tracer   oteltrace.Tracer

	mu     sync.RWMutex
	closed bool
	queue  chan *pending
	wg     sync.WaitGroup

	// inFlight counts the deliveries submitted whose commit has not
	// ended; idle is closed while it is zero, since the last one ended
	// at idleSince.
	flightMu  sync.Mutex
	inFlight  int
	idle      chan struct{}
	idleSince time.Time
}

type pending struct {
	d    *domain.Delivery
	done chan outcome
	// span is the submitting request's span, which the batch's span is
	// linked to.
	span oteltrace.SpanContext
}

type outcome struct {
	res domain.DeliveryResult
	err error
}

// BatcherConfig configures a Batcher.
type BatcherConfig struct {
	Store     DeliveryStore
	Publisher Publisher
	// Workers commit batches side by side, each of up to MaxBatch
	// deliveries.
	Workers, MaxBatch int
	Logger            *slog.Logger
	// Metrics is told of each committed batch; nil is told nothing.
	Metrics BatchMetrics
	// Tracer makes a span of each batch's commit; nil makes none.
	Tracer oteltrace.Tracer
}

// BatchMetrics records committed batches.
type BatchMetrics interface {
	// BatchCommitted records a batch of size deliveries that committed in
	// took, appending events.
	BatchCommitted(size int, took time.Duration, events []*domain.Event)
}

// NewBatcher starts cfg.Workers workers that each commit up to
// cfg.MaxBatch deliveries per transaction.
func NewBatcher(cfg BatcherConfig) *Batcher {
	b := &Batcher{
		store: cfg.Store, pub: cfg.Publisher, logger: cfg.Logger, maxBatch: cfg.MaxBatch, timeout: 30 * time.Second,
		metrics: cfg.Metrics, tracer: cfg.Tracer,
		queue: make(chan *pending, cfg.Workers*cfg.MaxBatch),
		idle:  make(chan struct{}),
	}
	close(b.idle)
	for range cfg.Workers {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

// Submit stores d and returns what the store did with it. It waits for the
// commit even if ctx ends first, so that an answer never misreports.
func (b *Batcher) Submit(ctx context.Context, d *domain.Delivery) (domain.DeliveryResult, error) {
	b.begin()
	defer b.end()
	p := &pending{d: d, done: make(chan outcome, 1), span: oteltrace.SpanContextFromContext(ctx)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return domain.DeliveryResult{}, domain.Errorf(domain.EUNAVAILABLE, "the gateway is shutting down; retry later")
	}
	select {
	case b.queue <- p:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return domain.DeliveryResult{}, domain.Unavailable("the request ended before it was stored", ctx.Err())
	}
	o := <-p.done
	return o.res, o.err
}

// Idle returns a channel that is closed once no delivery is waiting to
// commit (it is closed already when none is), and when the last one
// ended (the zero time if none has): background work, such as replaying
// streams, waits on it so as not to compete with deliveries.
func (b *Batcher) Idle() (idle <-chan struct{}, since time.Time) {
	b.flightMu.Lock()
	defer b.flightMu.Unlock()
	return b.idle, b.idleSince
}

func (b *Batcher) begin() {
	b.flightMu.Lock()
	if b.inFlight == 0 {
		b.idle = make(chan struct{})
	}
	b.inFlight++
	b.flightMu.Unlock()
}

func (b *Batcher) end() {
	b.flightMu.Lock()
	b.inFlight--
	if b.inFlight == 0 {
		b.idleSince = time.Now()
		close(b.idle)
	}
	b.flightMu.Unlock()
}

func (b *Batcher) work() {
	defer b.wg.Done()
	for first := range b.queue {
		batch := []*pending{first}
	fill:
		for len(batch) < b.maxBatch {
			select {
			case p, ok := <-b.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

// commit stores a batch. When the shared transaction fails, each delivery
// is tried alone, so one that cannot be stored does not fail the others.
func (b *Batcher) commit(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	ctx, span := b.startSpan(ctx, batch)
	if b.logger.Enabled(ctx, slog.LevelDebug) {
		b.logger.DebugContext(ctx, "committing ingest batch", "size", len(batch))
	}
	start := time.Now()
	ds := make([]*domain.Delivery, len(batch))
	for i, p := range batch {
		ds[i] = p.d
	}
	results, err := b.store.AppendDeliveries(ctx, ds)
	if span != nil {
		if err != nil {
			span.SetStatus(codes.Error, "batch commit failed")
		}
		span.End()
	}
	if err == nil {
		var appended []*domain.Event
		for i, p := range batch {
			appended = append(appended, results[i].Appended...)
			p.done <- outcome{res: results[i]}
		}
		if b.metrics != nil {
			b.metrics.BatchCommitted(len(batch), time.Since(start), appended)
		}
		b.pub.Publish(appended)
		return
	}
	if len(batch) == 1 {
		batch[0].done <- outcome{err: err}
		return
	}
	b.logger.Warn("batch commit failed; storing its deliveries one by one", "size", len(batch), "err", err)
	for _, p := range batch {
		b.commit([]*pending{p})
	}
}

// startSpan starts the span of a batch's commit, or returns a nil span
// when there is no tracer. One transaction serves every delivery of the
// batch, but a span has one parent: it is the first delivery's span (the
// one whose arrival the batch was opened for), so a delivery that commits
// alone, the usual case when the load is light, has its commit and SQL
// in its own trace. Every delivery's span, the first's too, is linked, so
// each delivery's trace leads to the commit that stored it.
func (b *Batcher) startSpan(ctx context.Context, batch []*pending) (context.Context, oteltrace.Span) {
	if b.tracer == nil {
		return ctx, nil
	}
	links := make([]oteltrace.Link, 0, len(batch))
	for _, p := range batch {
		if p.span.IsValid() {
			links = append(links, oteltrace.Link{SpanContext: p.span})
		}
	}
	if batch[0].span.IsValid() {
		ctx = oteltrace.ContextWithSpanContext(ctx, batch[0].span)
	}
	return b.tracer.Start(ctx, "ingest batch commit", oteltrace.WithLinks(links...),
		oteltrace.WithAttributes(attribute.Int("gateway.batch_size", len(batch))))
}

// Close stops accepting deliveries, commits the queued ones and waits.
func (b *Batcher) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}
