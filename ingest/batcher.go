package ingest

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
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

	mu     sync.RWMutex
	closed bool
	queue  chan *pending
	wg     sync.WaitGroup
}

type pending struct {
	d    *domain.Delivery
	done chan outcome
}

type outcome struct {
	res domain.DeliveryResult
	err error
}

// NewBatcher starts workers that each commit up to maxBatch deliveries per
// transaction.
func NewBatcher(store DeliveryStore, pub Publisher, workers, maxBatch int, logger *slog.Logger) *Batcher {
	b := &Batcher{
		store: store, pub: pub, logger: logger, maxBatch: maxBatch, timeout: 30 * time.Second,
		queue: make(chan *pending, workers*maxBatch),
	}
	for range workers {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

// Submit stores d and returns what the store did with it. It waits for the
// commit even if ctx ends first, so that an answer never misreports.
func (b *Batcher) Submit(ctx context.Context, d *domain.Delivery) (domain.DeliveryResult, error) {
	p := &pending{d: d, done: make(chan outcome, 1)}
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
	ds := make([]*domain.Delivery, len(batch))
	for i, p := range batch {
		ds[i] = p.d
	}
	results, err := b.store.AppendDeliveries(ctx, ds)
	if err == nil {
		var appended []*domain.Event
		for i, p := range batch {
			appended = append(appended, results[i].Appended...)
			p.done <- outcome{res: results[i]}
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
