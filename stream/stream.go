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
	// Buffer is how many events wait for a slow reader; SlowTimeout how
	// long a full buffer may stay full before the stream is ended.
	Buffer      int
	SlowTimeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add against Close
	closed bool
	wg     sync.WaitGroup
}

// NewHub returns a hub reading from store and woken by b.
func NewHub(store EventReader, b *broker.Broker, poll time.Duration, logger *slog.Logger) *Hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{store: store, broker: b, logger: logger, poll: poll, pageSize: 500, Buffer: 256, SlowTimeout: 10 * time.Second, ctx: ctx, cancel: cancel}
}

// Subscribe starts a stream of the events after `after` that pass filter.
// The channel is closed when ctx ends or the hub closes. A reader that does
// not keep up delays only its own stream: once its buffer has stayed full
// for SlowTimeout the stream ends, and the Closer in ctx (if any) is told
// the cursor to resume from.
func (h *Hub) Subscribe(ctx context.Context, filter *domain.EventFilter, after domain.Position) <-chan *domain.Event {
	out := make(chan *domain.Event, h.Buffer)
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
	woken, recheck := true, 0
	defer func() {
		// At shutdown, tell the reader to reconnect (to another replica)
		// and where to resume.
		if h.ctx.Err() != nil && ctx.Err() == nil {
			if closer := CloserFrom(ctx); closer != nil {
				closer(CloseRestart, "gateway shutting down: reconnect and resume after "+after.String())
			}
		}
	}()
	for {
		page, err := h.store.Events(ctx, filter, after, h.pageSize)
		if err != nil && ctx.Err() == nil {
			h.logger.Warn("stream read failed; retrying", "err", err)
		}
		for _, e := range page {
			select {
			case out <- e:
				after = e.Position
				continue
			default:
			}
			slow := time.NewTimer(h.SlowTimeout)
			select {
			case out <- e:
				after = e.Position
				slow.Stop()
			case <-slow.C:
				// Everything up to `after` is in the buffer and will still be
				// delivered: the reader resumes after it.
				h.logger.Info("stream reader too slow; ending its stream", "resume_after", after.String())
				if closer := CloserFrom(ctx); closer != nil {
					closer(CloseTooSlow, "subscriber too slow: resume after "+after.String())
				}
				return
			case <-ctx.Done():
				slow.Stop()
				return
			case <-h.ctx.Done():
				slow.Stop()
				return
			}
		}
		if err == nil && len(page) == h.pageSize {
			continue // more history to replay
		}
		// A wake-up that found nothing new usually means the new events are
		// not readable yet: on PostgreSQL an earlier transaction, still
		// running, holds the stable end of the history back. Look again
		// soon, backing off, rather than waiting for the next poll.
		var retry <-chan time.Time
		if woken && len(page) == 0 && recheck < 8 {
			retry = time.After(time.Duration(10<<recheck) * time.Millisecond)
			recheck++
		} else if len(page) > 0 {
			recheck = 0
		}
		woken = false
		select {
		case _, ok := <-wake.C():
			if !ok {
				return
			}
			woken, recheck = true, 0
		case <-retry:
			woken = true
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

// CloseTooSlow is the websocket close code of a stream whose reader fell
// too far behind; the reason carries the cursor to resume from.
const CloseTooSlow = 4008

// CloseRestart is the websocket close code sent at shutdown (RFC 6455
// "service restart"): reconnect, possibly elsewhere, and resume.
const CloseRestart = 1012

// Closer closes a live stream's connection with a close code and a reason.
type Closer func(code int, reason string)

type closerKey struct{}

// WithCloser returns a context whose streams can close their connection.
func WithCloser(ctx context.Context, c Closer) context.Context {
	return context.WithValue(ctx, closerKey{}, c)
}

// CloserFrom returns the Closer of ctx, or nil.
func CloserFrom(ctx context.Context) Closer {
	c, _ := ctx.Value(closerKey{}).(Closer)
	return c
}
