package resolvers

import (
	"context"
	"math"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// A large page of events written as it goes out (see Splices) is read in
// chunks, the next read while the last is written: the response starts
// after the first chunk's read instead of the whole page's, and the
// store's reading of the rest overlaps the encoding, the writing and the
// client's reading of what came before.
//
// chunkPagesKey marks a context whose listing of events may be read so;
// eventConnection then reads the first chunk and leaves a pager in it.
type chunkPagesKey struct{}

// pageChunks is how many chunks a page is read in after its first, at
// most; a chunk holds at least minPageChunk events, the first at most
// firstPageChunk, so that the response starts soon.
const (
	pageChunks     = 4
	minPageChunk   = 16
	firstPageChunk = 256
)

// pageChunk holds the pager of a listing read in chunks, once its first
// chunk has been read.
type pageChunk struct{ pager *eventPager }

func withChunkedPage(ctx context.Context) (context.Context, *pageChunk) {
	c := &pageChunk{}
	return context.WithValue(ctx, chunkPagesKey{}, c), c
}

func chunkedPage(ctx context.Context) *pageChunk {
	c, _ := ctx.Value(chunkPagesKey{}).(*pageChunk)
	return c
}

// eventPager reads a page of events with payloads chunk by chunk. Its
// reads spend the response's payload budget as one read of the whole page
// would: a chunk starts where the one before ended, with what the page left
// of the budget, and the event read past a chunk (to learn whether more
// follow) is not counted. It is used by one goroutine at a time: the first
// chunk's reader, then rest's.
type eventPager struct {
	ctx    context.Context
	r      *Resolver
	filter *domain.EventFilter
	chunk  int
	left   int             // events the page may still hold
	after  domain.Position // where the next chunk starts
	more   bool            // events follow the last chunk read (hasNextPage)
	cut    bool            // the last chunk was cut by bytes: the page ends there
}

// read reads the next chunk.
func (p *eventPager) read() ([]*domain.Event, error) {
	limit := min(p.chunk, p.left)
	b, _ := p.ctx.Value(responseBudgetKey{}).(*responseBudget)
	maxBytes := math.MaxInt
	if b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.left <= 0 {
			p.more, p.cut = true, true // as one read would have been cut before
			return nil, nil
		}
		maxBytes = b.left
	}
	events, cut, err := p.r.Store.EventsWithin(p.ctx, p.filter, p.after, limit+1, maxBytes)
	if err != nil {
		return nil, err
	}
	p.more, p.cut = cut || len(events) > limit, cut
	events = events[:min(len(events), limit)]
	for _, e := range events {
		if b != nil {
			b.left -= len(e.Payload)
		}
		p.after = e.Position
	}
	p.left -= len(events)
	return events, nil
}

// done reports whether the page is complete.
func (p *eventPager) done() bool { return p.cut || !p.more || p.left == 0 }

// chunkRead is one chunk of the rest of a page, or the error that ended it.
type chunkRead struct {
	events []*domain.Event
	err    error
}

// rest reads the rest of the page in the background, one chunk ahead of
// its reader, until it is complete, a read fails, or stop is called.
func (p *eventPager) rest() (chunks <-chan chunkRead, stop func()) {
	c := make(chan chunkRead, 1)
	quit := make(chan struct{})
	go func() {
		defer close(c)
		for !p.done() {
			events, err := p.read()
			select {
			case c <- chunkRead{events, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return c, func() { close(quit) }
}

// complete reads the rest of the page into conn, as one read of the whole
// page would have made it.
func (p *eventPager) complete(conn *graph.EventConnection) error {
	for !p.done() {
		events, err := p.read()
		if err != nil {
			return err
		}
		for _, e := range events {
			conn.Edges = append(conn.Edges, &graph.EventEdge{Cursor: e.Cursor(), Node: e})
		}
	}
	conn.PageInfo.HasNextPage = p.more
	if n := len(conn.Edges); n > 0 {
		end := conn.Edges[n-1].Cursor
		conn.PageInfo.EndCursor = &end
	}
	return nil
}
