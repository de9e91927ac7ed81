// Package export streams the event history as NDJSON for analytics jobs:
// GET /export/events pages through the store a page at a time and writes
// one event a line, so an export of any length takes the memory of two
// pages: the one written and the next, read meanwhile.
package export

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
)

// EventReader reads the event history a page at a time, in stream order,
// after a position. A page shorter than limit, and not cut, means the end
// of the history at that moment.
type EventReader interface {
	domain.LegacyCursors
	// EventsWithin stops a page early, reporting cut, where its payloads
	// would pass maxBytes.
	EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error)
}

// PageBytes bounds the payload bytes of one page an export reads, so its
// memory stays the same whatever the payloads' sizes.
const PageBytes = 8 << 20

// DefaultPageSize is how many events Handler reads at a time when its
// PageSize is not set.
const DefaultPageSize = 1000

// ContentType is the media type of an export.
const ContentType = "application/x-ndjson"

// Handler serves GET /export/events: the events that pass the filter in the
// query, after the cursor in `after`, as NDJSON.
//
// The caller authenticates and puts the identity in the request's context
// (domain.WithIdentity, as the server's bearer auth does). A request without
// one is refused with 401: the whole history must not leak because the
// handler was mounted without auth, or behind middleware that lets some
// requests through unauthenticated (websocket upgrades, for GraphQL).
//
// The status is decided before the first byte: bad parameters are a 400 and
// a store that fails on the first page a 503. A store error after that ends
// the stream with a line {"error": ..., "resumeAfter": <cursor>} naming the
// last event written, so the client resumes with after=<resumeAfter>.
type Handler struct {
	Store EventReader
	// PageSize is how many events are read from the store, written and
	// flushed at a time; 0 means DefaultPageSize.
	PageSize int
	Logger   *slog.Logger
}

// ServeHTTP streams one export.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httperror.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	if domain.IdentityFrom(r.Context()) == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
		httperror.Write(w, domain.Errorf(domain.EUNAUTHORIZED, "missing or invalid bearer token"))
		return
	}
	q, err := parseQuery(r.Context(), r.URL.RawQuery, h.Store)
	if err != nil {
		httperror.Write(w, err)
		return
	}
	if r.Method == http.MethodHead {
		// The body would be thrown away: do not read the history for it.
		setHeaders(w)
		w.WriteHeader(http.StatusOK)
		return
	}
	h.stream(r.Context(), w, q)
}

func setHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

// page is one read of the history, and how many events it asked for.
type page struct {
	events []*domain.Event
	asked  int
	cut    bool
	err    error
}

// stream writes the export. The next page is read while the current one
// is encoded and written, so that the database and the encoding run side
// by side: an export holds two pages at most, and one statement at a time.
func (h *Handler) stream(ctx context.Context, w http.ResponseWriter, q *query) {
	log := h.logger()
	size := h.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	enc := newEncoder(w)
	defer enc.release()
	rc := http.NewResponseController(w)
	asked := func(written int) int {
		if q.limit > 0 && q.limit-written < size {
			return q.limit - written
		}
		return size
	}
	read := func(after domain.Position, n int) <-chan page {
		out := make(chan page, 1) // the reader never waits for the writer
		go func() {
			events, cut, err := h.Store.EventsWithin(ctx, &q.filter, after, n, PageBytes)
			out <- page{events: events, asked: n, cut: cut, err: err}
		}()
		return out
	}
	last := q.after // the position of the last event written: where to resume
	written := 0
	started := false
	next := read(last, asked(0))
	for {
		p := <-next
		if p.err != nil {
			if ctx.Err() != nil {
				log.Debug("export ended: the client went away", "events", written)
				return
			}
			if !started {
				log.Warn("export failed before its first event", "err", p.err)
				httperror.Write(w, p.err)
				return
			}
			log.Error("export ended by a store error", "err", p.err, "events", written, "resume_after", last.String())
			_ = enc.writeError(domain.ErrorMessage(p.err), last.String())
			_ = enc.flush()
			_ = rc.Flush()
			return
		}
		if !started {
			setHeaders(w)
			w.WriteHeader(http.StatusOK)
			started = true
		}
		more := (len(p.events) == p.asked || p.cut) && (q.limit == 0 || written+len(p.events) < q.limit) && len(p.events) > 0
		if more {
			next = read(p.events[len(p.events)-1].Position, asked(written+len(p.events)))
		}
		for i, e := range p.events {
			if err := enc.writeEvent(e); err != nil {
				log.Debug("export ended: the client went away", "events", written+i)
				return
			}
			last = e.Position
			// The line is encoded: let the event go.
			p.events[i] = nil
		}
		written += len(p.events)
		if err := enc.flush(); err != nil {
			log.Debug("export ended: the client went away", "events", written)
			return
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			log.Debug("export ended: the client went away", "events", written)
			return
		}
		if !more || ctx.Err() != nil {
			return
		}
	}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// encoder writes NDJSON lines through a buffer that it reuses for every
// line, and is itself reused across exports.
type encoder struct {
	bw   *bufio.Writer
	line []byte
}

// maxKeptLine bounds the line buffer an encoder keeps for the next export:
// one huge payload should not pin its size in the pool for good.
const maxKeptLine = 256 << 10

var encoders = sync.Pool{New: func() any {
	return &encoder{bw: bufio.NewWriterSize(io.Discard, 64<<10), line: make([]byte, 0, 4<<10)}
}}

func newEncoder(w io.Writer) *encoder {
	e := encoders.Get().(*encoder)
	e.bw.Reset(w)
	return e
}

func (e *encoder) release() {
	e.bw.Reset(io.Discard) // drop the response writer
	if cap(e.line) > maxKeptLine {
		e.line = make([]byte, 0, 4<<10)
	}
	encoders.Put(e)
}

func (e *encoder) writeEvent(ev *domain.Event) error {
	e.line = appendEvent(e.line[:0], ev)
	_, err := e.bw.Write(e.line)
	return err
}

func (e *encoder) writeError(msg, resumeAfter string) error {
	e.line = appendErrorLine(e.line[:0], msg, resumeAfter)
	_, err := e.bw.Write(e.line)
	return err
}

func (e *encoder) flush() error { return e.bw.Flush() }
