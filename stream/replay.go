package stream

import (
	"context"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Foreground is the work that replays yield to: deliveries waiting to
// commit. Idle is safe for concurrent use.
type Foreground interface {
	// Idle returns a channel that is closed once no foreground work is in
	// flight (it is closed already when none is), and when the last work
	// ended (the zero time if none has).
	Idle() (idle <-chan struct{}, since time.Time)
}

// replayChunk is how many events of a page a replaying stream hands its
// reader at once. The reader encodes and writes them while the turn is
// held; the next chunk waits until the reader has taken all but a few, so
// that a turn never leaves more than a chunk of work behind it and yields
// to deliveries between chunks.
const replayChunk = 64

// ReplayQuiet is how long no delivery must have been in flight before a
// replay reads or hands on more: deliveries that follow one another
// closely are one busy spell, which replays do not slip into.
const ReplayQuiet = 2 * time.Millisecond

// drainPoll is how often a replaying stream looks whether its reader has
// taken what it was handed: a channel tells no one when it empties.
// drainStall is how long a reader may take nothing before the stream gives
// up its turn (see readPage).
const (
	drainPoll  = 200 * time.Microsecond
	drainStall = 20 * time.Millisecond
)

// readPage reads up to limit events of the store for a stream behind the
// window and hands them to the reader, holding one of turns throughout:
// from before the read until the reader has taken the whole page, so that
// the turn covers the encoding and writing of the page as well as its
// read. Replays (a page of pageSize, on the replay turns) thus take turns
// on a bounded part of the database's connections and of the CPU, so that
// ingest and queries keep the rest however many streams replay; a stream
// that may be near the head reads catchUpEvents on the catch-up turns, so
// that it never waits behind a replay. Before the read and before each
// chunk of the page, the stream yields to the deliveries in flight (see
// yield).
//
// A reader that takes nothing for drainStall is not encoding either: the
// stream gives up its turn and hands it the rest of the page as a live
// stream would, without a turn, until SlowTimeout ends the stream if its
// buffer stays full. A stuck reader thus never keeps the other streams
// waiting. It returns how many events the page held and whether it was
// cut by bytes, or why the stream must end (as send does).
func (h *Hub) readPage(ctx context.Context, filter *domain.EventFilter, after *domain.Position, out chan<- *domain.Event, turns chan struct{}, limit int) (n int, cut bool, ended string, err error) {
	release, ended := h.take(ctx, turns)
	if ended != "" {
		return 0, false, ended, nil
	}
	defer release()
	if ended := h.yield(ctx); ended != "" {
		return 0, false, ended, nil
	}
	page, cut, err := h.store.EventsWithin(ctx, filter, *after, limit, pageBytes)
	if err != nil {
		return 0, false, "", err
	}
	// A chunk always fits the room the drain leaves in the buffer, so
	// handing it on never waits for the reader.
	chunk := max(1, min(replayChunk, h.buffer/2))
	for i := 0; i < len(page); i += chunk {
		stalled, ended := h.drain(ctx, out, chunk/4)
		if ended != "" {
			return 0, false, ended, nil
		}
		if stalled {
			release()
			return len(page), cut, h.send(ctx, page[i:], after, out), nil
		}
		if i > 0 {
			if ended := h.yield(ctx); ended != "" {
				return 0, false, ended, nil
			}
		}
		if ended := h.send(ctx, page[i:min(i+chunk, len(page))], after, out); ended != "" {
			return 0, false, ended, nil
		}
	}
	if _, ended := h.drain(ctx, out, 0); ended != "" {
		return 0, false, ended, nil
	}
	return len(page), cut, "", nil
}

// catchUpEvents is how many events a stream that may be near the head
// reads on a catch-up turn (see run): a full read of so few says the
// stream is replaying, and it takes replay turns from then on.
const catchUpEvents = 16

// take waits for one of turns, and returns the function that gives it
// back (once, however often called), or why the stream must end.
func (h *Hub) take(ctx context.Context, turns chan struct{}) (release func(), ended string) {
	select {
	case turns <- struct{}{}:
		return sync.OnceFunc(func() { <-turns }), ""
	case <-ctx.Done():
		return nil, EndedByClient
	case <-h.ctx.Done():
		return nil, EndedShutdown
	}
}

// yield waits until no foreground work has been in flight for ReplayQuiet,
// or for at most ReplayYield: while deliveries keep coming, a replay turn
// still moves on by one read or chunk each ReplayYield. It says why the
// stream must end if it was closed meanwhile.
func (h *Hub) yield(ctx context.Context) (ended string) {
	if h.foreground == nil {
		return ""
	}
	var bound <-chan time.Time // started once the replay has to wait
	for {
		idle, since := h.foreground.Idle()
		var busy <-chan struct{}   // closed when the work in flight ends
		var quiet <-chan time.Time // fires when the quiet spell would be long enough
		select {
		case <-idle:
			left := ReplayQuiet - time.Since(since)
			if left <= 0 {
				return ""
			}
			quiet = time.After(left)
		default:
			busy = idle
		}
		if bound == nil {
			bound = time.After(h.replayYield)
		}
		select {
		case <-busy:
		case <-quiet:
		case <-bound:
			return ""
		case <-ctx.Done():
			return EndedByClient
		case <-h.ctx.Done():
			return EndedShutdown
		}
	}
}

// drain waits until at most left of the events handed to the reader are
// still waiting in its buffer, or reports stalled once the reader has
// taken none for drainStall. It says why the stream must end if it was
// closed meanwhile.
func (h *Hub) drain(ctx context.Context, out chan<- *domain.Event, left int) (stalled bool, ended string) {
	waiting := len(out)
	if waiting <= left {
		return false, ""
	}
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	progress := time.Now()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false, EndedByClient
		case <-h.ctx.Done():
			return false, EndedShutdown
		}
		now := len(out)
		switch {
		case now <= left:
			return false, ""
		case now < waiting:
			waiting, progress = now, time.Now()
		case time.Since(progress) >= drainStall:
			return true, ""
		}
	}
}
