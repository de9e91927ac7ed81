// Package broker wakes the readers of the event stream when events have been
// committed. It carries no events: readers read the store from their own
// cursor, so a wake-up that is merged with another, or lost, never loses an
// event; it only delays one until the next wake-up or poll.
package broker

import (
	"sync"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Broker fans wake-ups out to its subscriptions. Publish never blocks: each
// subscription holds at most one pending wake-up. All methods are safe for
// concurrent use.
type Broker struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// New returns an empty broker.
func New() *Broker {
	return &Broker{subs: make(map[*Subscription]struct{})}
}

// Subscription receives wake-ups until it is closed.
type Subscription struct {
	c chan struct{}
	b *Broker
}

// C is signalled after events were committed since the last receive. It is
// closed when the subscription or the broker is closed.
func (s *Subscription) C() <-chan struct{} { return s.c }

// Close stops the wake-ups and closes C. It is idempotent.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if _, ok := s.b.subs[s]; ok {
		delete(s.b.subs, s)
		close(s.c)
	}
}

// Subscribe returns a new subscription. On a closed broker, its C is
// already closed.
func (b *Broker) Subscribe() *Subscription {
	s := &Subscription{c: make(chan struct{}, 1), b: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.c)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Publish tells every subscription that events were committed. Call it only
// after the commit: a reader woken earlier would not find them.
func (b *Broker) Publish(events []*domain.Event) {
	if len(events) > 0 {
		b.Wake()
	}
}

// Wake tells every subscription that events may have been committed, such
// as by another gateway process.
func (b *Broker) Wake() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- struct{}{}:
		default: // a wake-up is already pending; it covers these events too
		}
	}
}

// Close closes every subscription; later ones start closed.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.c)
	}
}
