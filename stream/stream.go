// Package stream serves live event streams: each stream replays the stored
// events after its cursor and then follows new ones as they commit, reading
// only from the store, so there is no gap and no duplicate at the seam.
package stream

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/domain"
)

// EventReader reads the stored event history by cursor.
type EventReader interface {
	Events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error)
}

// Hub owns every open stream's goroutine. It is safe for concurrent use;
// Close ends every stream and waits for them.
type Hub struct {
	store  EventReader
	broker *broker.Broker
	logger *slog.Logger
	// Poll bounds how long an event can wait when no wake-up comes, such as
	// when an earlier transaction commits after the wake-up of a later one.
	poll     time.Duration
	pageSize int

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add against Close
	closed bool
	wg     sync.WaitGroup
}

// NewHub returns a hub reading from store and woken by b.
func NewHub(store EventReader, b *broker.Broker, poll time.Duration, logger *slog.Logger) *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{store: store, broker: b, logger: logger, poll: poll, pageSize: 500, ctx: ctx, cancel: cancel}
}

// Subscribe starts a stream of the events after `after` that pass filter.
// The channel is closed when ctx ends or the hub closes. A reader that does
// not keep up delays only its own stream.
func (h *Hub) Subscribe(ctx context.Context, filter *domain.EventFilter, after domain.Position) <-chan *domain.Event {
	out := make(chan *domain.Event)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(out)
		return out
	}
	// Subscribe to wake-ups before the first read, so that a commit between
	// the read and the wait still wakes the stream.
	wake := h.broker.Subscribe()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer close(out)
		defer wake.Close()
		h.run(ctx, filter, after, wake, out)
	}()
	return out
}

func (h *Hub) run(ctx context.Context, filter *domain.EventFilter, after domain.Position, wake *broker.Subscription, out chan<- *domain.Event) {
	ticker := time.NewTicker(h.poll)
	defer ticker.Stop()
	for {
		page, err := h.store.Events(ctx, filter, after, h.pageSize)
		if err != nil && ctx.Err() == nil {
			h.logger.Warn("stream read failed; retrying", "err", err)
		}
		for _, e := range page {
			select {
			case out <- e:
				after = e.Position
			case <-ctx.Done():
				return
			case <-h.ctx.Done():
				return
			}
		}
		if err == nil && len(page) == h.pageSize {
			continue // more history to replay
		}
		select {
		case _, ok := <-wake.C():
			if !ok {
				return
			}
		case <-ticker.C:
		case <-ctx.Done():
			return
		case <-h.ctx.Done():
			return
		}
	}
}

// Close ends every stream and waits for their goroutines. Streams
// requested afterwards start closed.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}
