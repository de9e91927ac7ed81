// Package stream serves live event streams: each stream replays the stored
// events after its cursor and then follows new ones as they commit. Every
// event comes from the store, by cursor (read by the stream itself, or by
// the tail that the streams share), so there is no gap and no duplicate at
// the seam.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/domain"
)

// pageBytes bounds the payload bytes of one read of the store, so a stream
// that replays large payloads holds a few megabytes, not a page of them.
const pageBytes = 4 << 20

// EventReader reads the stored event history by cursor.
type EventReader interface {
	// EventsWithin reads up to limit events after the position; it stops
	// early, reporting cut, where their payloads would pass maxBytes.
	EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error)
	// Head returns the position of the newest stored event, or the zero
	// position when there is none.
	Head(ctx context.Context) (domain.Position, error)
}

// Hub owns every open stream's goroutine and the one tail reader they
// share. It is safe for concurrent use; Close ends every stream and waits
// for them.
//
// Streams near the head of the history read it from the tail's window in
// memory: one store read per commit serves them all, however many there
// are. A stream further behind (replaying history, or resuming after a
// long absence) reads the store by its own cursor until it reaches the
// window. A stream whose reader does not keep up blocks only its own
// goroutine: the tail and the other streams never wait for it.
type Hub struct {
	store    EventReader
	logger   *slog.Logger
	tail     *tail
	pageSize int
	// buffer is how many events wait for a slow reader; slowTimeout how
	// long a full buffer may stay full before the stream is ended.
	buffer      int
	slowTimeout time.Duration
	// replay holds a token for each page a stream behind the window
	// reads and sends (see readPage); the turns yield to foreground
	// for at most replayYield.
	replay chan struct{}
	// catchUp holds a token for each short read of a stream that may be
	// near the head (see readPage): as many as replay turns, apart from
	// them so that they never wait behind a replay.
	catchUp     chan struct{}
	foreground  Foreground
	replayYield time.Duration

	open    atomic.Int64 // open streams
	blocked atomic.Int64 // streams waiting on a full buffer
	metrics Metrics

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add against Close
	closed bool
	wg     sync.WaitGroup
}

// Window bounds of the shared tail: the newest events kept in memory for
// live streams, by count and by payload bytes.
const (
	WindowEvents = 10000
	WindowBytes  = 64 << 20
)

// NewHub returns a hub reading from store and woken by b. Without a
// wake-up, its tail reads the store every poll, so that a lost wake-up
// only delays events.
// Config configures a Hub. Zero fields take the defaults named.
type Config struct {
	Store  EventReader
	Broker *broker.Broker
	// Poll is how often the streams re-read the store without a wake-up.
	Poll   time.Duration
	Logger *slog.Logger
	// Buffer is how many events wait for a slow reader (default 256);
	// SlowTimeout how long a full buffer may stay full before its stream
	// is ended (default 10s).
	Buffer      int
	SlowTimeout time.Duration
	// WindowEvents and WindowBytes bound the shared window of the newest
	// events (defaults: the constants of the same names).
	WindowEvents, WindowBytes int
	// ReplayConcurrency bounds the streams behind the window that read
	// and send a page at once (default DefaultReplayConcurrency); the
	// others wait their turn. A turn lasts from the read of a page until
	// the stream's reader has taken all of it. As many short reads of
	// streams that may be near the head run at once besides (see
	// catchUpEvents), without waiting for the replays.
	ReplayConcurrency int
	// Foreground is the work replays yield to (deliveries waiting to
	// commit): before each store read and each chunk of a page it hands
	// its reader, a replaying stream waits until none has been in flight
	// for ReplayQuiet, for at most ReplayYield (default
	// DefaultReplayYield). Nil yields to nothing.
	Foreground  Foreground
	ReplayYield time.Duration
	// Metrics is told of each stream opened and ended; nil tells no one.
	Metrics Metrics
}

// Metrics counts the live streams, by the transport named in their
// context (see WithTransport) and the reason they ended.
type Metrics interface {
	StreamOpened(transport string)
	StreamClosed(transport, reason string)
}

// Reasons a stream ends, as Metrics is told.
const (
	// EndedByClient: the reader went away (or its key was revoked).
	EndedByClient = "client"
	// EndedSlow: the reader did not keep up for SlowTimeout.
	EndedSlow = "slow"
	// EndedShutdown: the hub closed.
	EndedShutdown = "shutdown"
	// EndedExpired: retention removed events after the stream's cursor.
	EndedExpired = "expired"
)

// Transports a stream is served over, as Metrics is told.
const (
	TransportWebsocket = "websocket"
	TransportSSE       = "sse"
	TransportUnknown   = "unknown"
)

type transportKey struct{}

// WithTransport returns a context whose streams are served over transport.
func WithTransport(ctx context.Context, transport string) context.Context {
	return context.WithValue(ctx, transportKey{}, transport)
}

func transportFrom(ctx context.Context) string {
	if t, ok := ctx.Value(transportKey{}).(string); ok {
		return t
	}
	return TransportUnknown
}

// DefaultReplayConcurrency is how many replaying streams take a turn at
// once by default. A turn keeps about one core busy (the store reading a
// page, then the stream's reader encoding and writing it), so on a machine
// of two cores, shared with the database, one turn leaves the other core
// to ingest and queries; more turns replay no faster there and delay
// deliveries. Raise it on machines with more cores.
const DefaultReplayConcurrency = 1

// DefaultReplayYield is how long a replay waits at most, by default, for a
// pause in the deliveries before it reads or hands on more regardless:
// while deliveries never pause, each turn still moves on by one read or
// one chunk of a page every DefaultReplayYield. Each such step takes CPU
// from the deliveries it overlaps: at 20 ms, ingest's p99 beside 1,000
// replaying streams reached twice its idle value; at 50 ms it stays
// within that.
const DefaultReplayYield = 50 * time.Millisecond

// NewHub starts the hub's shared tail reader, configured by cfg; its
// settings do not change afterwards.
func NewHub(cfg Config) *Hub {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 256
	}
	if cfg.SlowTimeout <= 0 {
		cfg.SlowTimeout = 10 * time.Second
	}
	if cfg.WindowEvents <= 0 {
		cfg.WindowEvents = WindowEvents
	}
	if cfg.WindowBytes <= 0 {
		cfg.WindowBytes = WindowBytes
	}
	if cfg.ReplayConcurrency <= 0 {
		cfg.ReplayConcurrency = DefaultReplayConcurrency
	}
	if cfg.ReplayYield == 0 {
		cfg.ReplayYield = DefaultReplayYield
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{store: cfg.Store, logger: cfg.Logger, pageSize: 500, buffer: cfg.Buffer, slowTimeout: cfg.SlowTimeout, metrics: cfg.Metrics,
		replay: make(chan struct{}, cfg.ReplayConcurrency), catchUp: make(chan struct{}, cfg.ReplayConcurrency), foreground: cfg.Foreground, replayYield: cfg.ReplayYield, ctx: ctx, cancel: cancel}
	h.tail = newTail(cfg.Store, cfg.Broker, cfg.Poll, h.pageSize, cfg.WindowEvents, cfg.WindowBytes, func(err error) {
		cfg.Logger.Warn("stream tail read failed; retrying", "err", err)
	})
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.tail.run(ctx)
	}()
	return h
}

// Subscribe starts a stream of the events after `after` that pass filter.
// The channel is closed when ctx ends or the hub closes. A reader that does
// not keep up delays only its own stream: once its buffer has stayed full
// for SlowTimeout the stream ends, and the Closer in ctx (if any) is told
// the cursor to resume from.
func (h *Hub) Subscribe(ctx context.Context, filter *domain.EventFilter, after domain.Position) <-chan *domain.Event {
	out := make(chan *domain.Event, h.buffer)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(out)
		return out
	}
	h.open.Add(1)
	transport := transportFrom(ctx)
	if h.metrics != nil {
		h.metrics.StreamOpened(transport)
	}
	wake := WakeFrom(ctx)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() {
			close(out)
			if wake != nil {
				wake()
			}
		}()
		defer h.open.Add(-1)
		reason := h.run(ctx, filter, after, out)
		if h.metrics != nil {
			h.metrics.StreamClosed(transport, reason)
		}
	}()
	return out
}

// run serves one stream until it ends, and says why it ended.
//
// The stream follows the tail (joins it) only once it needs the window: when
// its cursor is inside it, or when a read of the store came back short, so
// that the stream has caught up with the store. A stream replaying from far
// behind reads the store by its own cursor and costs the tail nothing: with
// no stream following, the tail reads nothing as events commit.
//
// Behind the window, a stream that may be near the head (it has not read
// yet, or its last read came back short) first reads a few events without a
// replay turn (see readPage): one that is at the head joins the window at
// once instead of waiting behind the replays for a turn. Only a stream that
// found a full page takes replay turns until it catches up.
func (h *Hub) run(ctx context.Context, filter *domain.EventFilter, after domain.Position, out chan<- *domain.Event) (reason string) {
	following, near := false, true
	follow := func() {
		if !following {
			following = true
			h.tail.join()
		}
	}
	defer func() {
		if following {
			h.tail.leave()
		}
	}()
	defer func() {
		// A stream ended by its reader and by the hub at once counts as
		// the hub's.
		if reason == EndedByClient && h.ctx.Err() != nil {
			reason = EndedShutdown
		}
		// At shutdown, tell the reader to reconnect (to another replica)
		// and where to resume.
		if h.ctx.Err() != nil && ctx.Err() == nil {
			if closer := CloserFrom(ctx); closer != nil {
				closer(CloseRestart, "gateway shutting down: reconnect and resume after "+after.String())
			}
		}
	}()
	for {
		w := h.tail.since(after, filter, h.pageSize)
		var wait <-chan time.Time
		if w.inside {
			follow()
			if ended := h.send(ctx, w.events, &after, out); ended != "" {
				return ended
			}
			after = w.scanned
			if len(w.events) == h.pageSize {
				continue
			}
		} else {
			// Behind the window: read the store by cursor. A short page
			// (not cut by bytes) means every matching event up to the
			// window's head (taken before the read, so visible to it) was
			// read, so the cursor may jump there and join the window.
			turns, limit := h.replay, h.pageSize
			if near {
				turns, limit = h.catchUp, catchUpEvents
			}
			n, cut, ended, err := h.readPage(ctx, filter, &after, out, turns, limit)
			if ended != "" {
				return ended
			}
			if err != nil {
				if ctx.Err() != nil || h.ctx.Err() != nil {
					return EndedByClient
				}
				if domain.ErrorCode(err) == domain.ECURSOREXPIRED {
					h.expired(ctx, err)
					return EndedExpired
				}
				h.logger.Warn("stream read failed; retrying", "err", err)
				wait = time.After(min(h.tail.poll, time.Second))
			} else {
				if near = n < limit && !cut; !near {
					continue
				}
				follow() // caught up with the store: the window is next
				if w.ready && after.Less(w.head) {
					after = w.head
				}
				if w.ready {
					continue // into the window
				}
			}
		}
		select {
		case <-w.changed:
		case <-wait:
		case <-ctx.Done():
			return EndedByClient
		case <-h.ctx.Done():
			return EndedShutdown
		}
	}
}

// send hands events to the reader, moving the cursor past each one. It
// says why when the stream must end: its reader stayed too slow for
// SlowTimeout (EndedSlow), or the stream or the hub was closed.
func (h *Hub) send(ctx context.Context, events []*domain.Event, after *domain.Position, out chan<- *domain.Event) (ended string) {
	wake := WakeFrom(ctx)
	for _, e := range events {
		select {
		case out <- e:
			*after = e.Position
			if wake != nil {
				wake()
			}
			continue
		default:
		}
		slow := time.NewTimer(h.slowTimeout)
		h.blocked.Add(1)
		select {
		case out <- e:
			h.blocked.Add(-1)
			*after = e.Position
			slow.Stop()
			if wake != nil {
				wake()
			}
			continue
		case <-slow.C:
			ended = EndedSlow
			// Everything up to `after` is in the buffer and will still be
			// delivered: the reader resumes after it.
			h.logger.Info("stream reader too slow; ending its stream", "resume_after", after.String())
			if closer := CloserFrom(ctx); closer != nil {
				closer(CloseTooSlow, "subscriber too slow: resume after "+after.String())
			}
		case <-ctx.Done():
			slow.Stop()
		case <-h.ctx.Done():
			slow.Stop()
		}
		h.blocked.Add(-1)
		if ended == "" {
			ended = EndedByClient // run tells a closed hub apart
		}
		return ended
	}
	return ""
}

// expired ends a stream that retention overtook while it was reading the
// history: the events after its cursor are partly gone, and going on would
// leave a gap its reader could not see.
func (h *Hub) expired(ctx context.Context, err error) {
	var de *domain.Error
	errors.As(err, &de)
	oldest := de.Horizon.String()
	h.logger.Info("stream cursor older than the retention horizon; ending its stream", "oldest_cursor", oldest)
	if closer := CloserFrom(ctx); closer != nil {
		closer(CloseCursorExpired, "cursor expired: events were removed by retention; oldest cursor "+oldest)
	}
}

// Stats is a snapshot of a hub's streams.
type Stats struct {
	Streams int // open streams
	Blocked int // streams whose reader has let their buffer fill
}

// Stats returns how many streams are open and how many are waiting for a
// reader that does not keep up.
func (h *Hub) Stats() Stats {
	return Stats{Streams: int(h.open.Load()), Blocked: int(h.blocked.Load())}
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

// CloseTryAgain is the websocket close code (RFC 6455 "try again later")
// of a stream that cannot go on for now, such as when the state its
// conditions test cannot be read; the reason carries the cursor to resume
// from.
const CloseTryAgain = 1013

// CloseCursorExpired is the websocket close code (410, Gone, in the
// application range) of a stream whose cursor retention overtook; the
// reason names the oldest cursor still available.
const CloseCursorExpired = 4410

type wakeKey struct{}

// WithWake returns a context whose streams call wake after each event they
// put in their channel, and after closing it, so that their reader need
// not keep a goroutine waiting on the channel: it can drain the channel
// when woken. wake must not block. A nil wake calls nothing.
func WithWake(ctx context.Context, wake func()) context.Context {
	return context.WithValue(ctx, wakeKey{}, wake)
}

// WakeFrom returns the wake function of ctx, or nil.
func WakeFrom(ctx context.Context) func() {
	wake, _ := ctx.Value(wakeKey{}).(func())
	return wake
}

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
