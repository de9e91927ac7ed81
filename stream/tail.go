package stream

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/domain"
)

// tail is the one reader of the store's newest events that all the hub's
// streams share: woken by the broker (and by its poll), it reads what
// committed since its head, once, and keeps the newest events in a window
// that live streams read from memory. A stream whose cursor is older than
// the window reads the store itself until it reaches the window.
//
// The window holds every event in (start, head] of the history, in stream
// order: positions are handed out in commit order, so nothing can still
// appear inside it. It is bounded by
// an event count and by payload bytes; eviction moves start forward.
//
// All methods are safe for concurrent use. Only run adds to the window;
// forget and an idle tail drop it, starting a new generation.
type tail struct {
	store    EventReader
	broker   *broker.Broker
	poll     time.Duration
	pageSize int
	onError  func(error)

	kick chan struct{} // a stream wants the window (re)started

	mu       sync.Mutex
	limit    int    // events kept in the window
	maxBytes int    // payload bytes kept in the window
	ready    bool   // start and head are known
	gen      uint64 // counts the window's restarts
	start    domain.Position
	head     domain.Position
	events   []*domain.Event
	bytes    int
	streams  int           // streams following the window; with none, the tail rests
	changed  chan struct{} // closed (and replaced) whenever head moves or the window restarts
}

func newTail(store EventReader, b *broker.Broker, poll time.Duration, pageSize, limit, maxBytes int, onError func(error)) *tail {
	return &tail{store: store, broker: b, poll: poll, pageSize: pageSize, limit: limit, maxBytes: maxBytes, onError: onError,
		kick: make(chan struct{}, 1), changed: make(chan struct{})}
}

// window is what a stream learns from one look at the tail.
type window struct {
	events  []*domain.Event // events after the cursor that pass the filter
	scanned domain.Position // the cursor may move here: nothing before it is missing
	inside  bool            // the cursor is inside the window; otherwise read the store
	head    domain.Position // the window's head (valid when ready)
	ready   bool
	changed <-chan struct{} // closed when there may be more to see
}

// since returns up to max events after `after` that pass filter, from the
// window.
func (t *tail) since(after domain.Position, filter *domain.EventFilter, max int) window {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := window{changed: t.changed, head: t.head, ready: t.ready, scanned: after}
	if !t.ready || after.Less(t.start) {
		return w
	}
	w.inside = true
	i := sort.Search(len(t.events), func(i int) bool { return after.Less(t.events[i].Position) })
	for ; i < len(t.events) && len(w.events) < max; i++ {
		e := t.events[i]
		w.scanned = e.Position
		if filter.Match(e) {
			w.events = append(w.events, e)
		}
	}
	if i == len(t.events) && after.Less(t.head) {
		w.scanned = t.head
	}
	return w
}

// join and leave count the streams that follow the window: the tail reads
// only while some stream may want what it reads. A stream replaying from far
// behind does not follow it until it has caught up with the store.
func (t *tail) join() {
	t.mu.Lock()
	t.streams++
	t.mu.Unlock()
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *tail) leave() {
	t.mu.Lock()
	t.streams--
	t.mu.Unlock()
}

// run follows the store until ctx ends.
func (t *tail) run(ctx context.Context) {
	wake := t.broker.Subscribe()
	defer wake.Close()
	ticker := time.NewTicker(t.poll)
	defer ticker.Stop()
	// A failed read is tried again soon, backing off to at most a second,
	// rather than at the next wake-up or poll.
	var retry *time.Timer
	backoff := 10 * time.Millisecond
	for {
		err := t.advance(ctx)
		if err != nil && ctx.Err() == nil {
			t.onError(err)
		}
		var retryC <-chan time.Time
		if err != nil {
			retry = time.NewTimer(backoff)
			retryC = retry.C
			backoff = min(2*backoff, time.Second, t.poll)
		} else {
			backoff = 10 * time.Millisecond
		}
		select {
		case _, ok := <-wake.C():
			if !ok {
				return
			}
		case <-t.kick:
		case <-retryC:
		case <-ticker.C:
		case <-ctx.Done():
			return
		}
		if retry != nil {
			retry.Stop()
			retry = nil
		}
	}
}

// advance reads what committed after head into the window. With no
// stream open it drops the window instead, so an idle gateway reads
// nothing; the next stream starts it again from the store's head.
func (t *tail) advance(ctx context.Context) error {
	t.mu.Lock()
	idle, ready, head, gen := t.streams == 0, t.ready, t.head, t.gen
	if idle && ready {
		t.reset()
	}
	t.mu.Unlock()
	if idle {
		return nil
	}
	if !ready {
		pos, err := t.store.Head(ctx)
		if err != nil {
			return err
		}
		t.mu.Lock()
		if t.gen == gen {
			t.ready, t.start, t.head = true, pos, pos
			t.notify()
		}
		t.mu.Unlock()
		head = pos
	}
	for {
		page, cut, err := t.store.EventsWithin(ctx, nil, head, t.pageSize, pageBytes)
		if domain.ErrorCode(err) == domain.ECURSOREXPIRED {
			// Retention removed events the window had not read yet: it
			// starts again from the store's head, and the streams it held
			// read the store, which tells them their cursors expired.
			t.mu.Lock()
			if t.gen == gen {
				t.reset()
			}
			t.mu.Unlock()
			select {
			case t.kick <- struct{}{}:
			default:
			}
			return nil
		}
		if err != nil {
			return err
		}
		if len(page) > 0 {
			head = page[len(page)-1].Position
			if !t.append(page, gen) {
				return nil // the window was dropped meanwhile; whoever dropped it kicks the tail
			}
		}
		if len(page) < t.pageSize && !cut {
			return nil
		}
	}
}

// reset empties the window and starts a new generation of it, so that a
// read begun before is not added to it. Call with mu held.
func (t *tail) reset() {
	t.ready, t.events, t.bytes = false, nil, 0
	t.gen++
	t.notify()
}

// append adds a page read after head to the window, evicting the oldest
// events beyond its bounds, and wakes the streams. It reports false, and
// adds nothing, when the window was dropped since the read began.
func (t *tail) append(page []*domain.Event, gen uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != gen || !t.ready {
		return false
	}
	for _, e := range page {
		t.events = append(t.events, e)
		t.bytes += len(e.Payload)
	}
	t.head = page[len(page)-1].Position
	drop := 0
	for len(t.events)-drop > t.limit || (t.bytes > t.maxBytes && len(t.events)-drop > 1) {
		t.bytes -= len(t.events[drop].Payload)
		t.start = t.events[drop].Position
		t.events[drop] = nil
		drop++
	}
	t.events = t.events[drop:]
	t.notify()
	return true
}

// notify wakes every stream waiting on the tail. Call with mu held.
func (t *tail) notify() {
	close(t.changed)
	t.changed = make(chan struct{})
}
