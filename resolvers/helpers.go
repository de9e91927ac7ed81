package resolvers

import (
	"context"
	"math"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// DefaultPageSize is a connection's page when it names no `first`; the
// complexity of such a field counts it too (SetComplexity).
const DefaultPageSize = 100

// pageSize validates a connection's `first`.
func (r *Resolver) pageSize(first *int) (int, error) {
	return firstWithin(first, r.MaxPageSize)
}

// eventPageSize validates the `first` of a listing of events, which may
// be longer than other pages: a job paging the whole history reads it in
// fewer, larger pages.
func (r *Resolver) eventPageSize(first *int) (int, error) {
	return firstWithin(first, max(r.MaxEventPageSize, r.MaxPageSize))
}

func firstWithin(first *int, most int) (int, error) {
	if first == nil {
		return min(DefaultPageSize, most), nil
	}
	if *first < 0 {
		return 0, domain.Errorf(domain.EINVALID, "first must not be negative, got %d", *first)
	}
	if *first > most {
		return 0, domain.Errorf(domain.EINVALID, "first must be at most %d, got %d", most, *first)
	}
	return *first, nil
}

func (r *Resolver) parseAfter(ctx context.Context, after *string) (domain.Position, error) {
	if after == nil {
		return 0, nil
	}
	return domain.ParseCursor(ctx, *after, r.Store)
}

// eventConnection reads one page of events: n+1 are read to learn whether
// there is a next page.
func (r *Resolver) eventConnection(ctx context.Context, filter *domain.EventFilter, first *int, after *string) (*graph.EventConnection, error) {
	n, err := r.eventPageSize(first)
	if err != nil {
		return nil, err
	}
	pos, err := r.parseAfter(ctx, after)
	if err != nil {
		return nil, err
	}
	var events []*domain.Event
	cut := false
	if c := chunkedPage(ctx); c != nil && n > minPageChunk && payloadSelected(ctx) {
		chunk := max(minPageChunk, (n+pageChunks-1)/pageChunks)
		p := &eventPager{ctx: ctx, r: r, filter: filter, chunk: min(chunk, firstPageChunk), left: n, after: pos}
		events, err = p.read()
		cut, p.chunk = p.more, chunk
		if !p.done() {
			c.pager = p // the rest is read as the page is written, or by complete
		}
	} else if payloadSelected(ctx) {
		events, cut, err = readWithin(ctx, func(maxBytes int) ([]*domain.Event, bool, error) {
			return r.Store.EventsWithin(ctx, filter, pos, n+1, maxBytes)
		})
	} else {
		events, err = r.Store.EventsWithoutPayload(ctx, filter, pos, n+1)
	}
	if err != nil {
		return nil, err
	}
	conn := &graph.EventConnection{Edges: []*graph.EventEdge{}, PageInfo: &graph.PageInfo{HasPreviousPage: after != nil && *after != "", HasNextPage: cut}}
	if len(events) > n {
		events = events[:n]
		conn.PageInfo.HasNextPage = true
	}
	for _, e := range events {
		conn.Edges = append(conn.Edges, &graph.EventEdge{Cursor: e.Cursor(), Node: e})
	}
	if len(events) > 0 {
		start, end := events[0].Cursor(), events[len(events)-1].Cursor()
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &start, &end
	} else if after != nil && *after != "" {
		// An empty page resumes where it was asked to: the caller keeps its place.
		conn.PageInfo.EndCursor = after
	}
	return conn, nil
}

type responseBudgetKey struct{}

// responseBudget is what is left of a response's payload bytes. Root
// fields run concurrently: a read holds the budget while it runs.
type responseBudget struct {
	mu          sync.Mutex
	left, limit int
}

// WithResponseBudget bounds the payload bytes the response of the
// operation run under ctx may hold: a page of events whose payloads would
// pass it ends early, with hasNextPage, so the caller pages on; once it is
// spent, further pages with payloads are refused.
func WithResponseBudget(ctx context.Context, maxBytes int) context.Context {
	return context.WithValue(ctx, responseBudgetKey{}, &responseBudget{left: maxBytes, limit: maxBytes})
}

// readWithin runs read with what is left of the response's budget, and
// spends what the events it returns hold.
func readWithin(ctx context.Context, read func(maxBytes int) ([]*domain.Event, bool, error)) ([]*domain.Event, bool, error) {
	b, _ := ctx.Value(responseBudgetKey{}).(*responseBudget)
	if b == nil {
		return read(math.MaxInt)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left <= 0 {
		// The page is empty and says more follow; the error tells why,
		// without nulling the pages the response already holds.
		graphql.AddError(ctx, domain.Errorf(domain.ETOOLARGE, "this response holds its limit of %d bytes of payloads already: ask for them in another request", b.limit))
		return nil, true, nil
	}
	events, cut, err := read(b.left)
	for _, e := range events {
		b.left -= len(e.Payload)
	}
	return events, cut, err
}

// payloadSelected reports whether the connection being resolved selects
// its events' payloads (edges { node { payload } }), through fragments too.
func payloadSelected(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return true
	}
	oc := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, []string{"EventConnection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, []string{"EventEdge"}) {
			if node.Name != "node" {
				continue
			}
			for _, f := range graphql.CollectFields(oc, node.Selections, []string{"Event", "Node"}) {
				if f.Name == "payload" {
					return true
				}
			}
		}
	}
	return false
}

// maskSecret shows enough of a secret to recognise it, never enough to use it.
func maskSecret(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

type baseURLKey struct{}

// WithBaseURL returns a context that carries the external base URL of the
// request being served, used when no PublicURL is configured.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseURLKey{}, base)
}

func (r *Resolver) baseURL(ctx context.Context) string {
	if r.PublicURL != "" {
		return strings.TrimRight(r.PublicURL, "/")
	}
	base, _ := ctx.Value(baseURLKey{}).(string)
	return strings.TrimRight(base, "/")
}

// deliveryStatuses gives the latest delivery of each subscribed event, or of
// each event delivered recently when the subscription keeps all events.
func (r *Resolver) deliveryStatuses(ctx context.Context, s *domain.WebhookSubscription) ([]*domain.EventDeliveryStatus, error) {
	events := s.SubscribedEvents
	if len(events) == 0 {
		logs, err := r.Store.DeliveryLogs(ctx, s.ID, nil, 1000)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, l := range logs {
			if l.Event != "" && !seen[l.Event] {
				seen[l.Event] = true
				events = append(events, l.Event)
			}
		}
	}
	out := make([]*domain.EventDeliveryStatus, 0, len(events))
	for _, e := range events {
		logs, err := r.Store.DeliveryLogs(ctx, s.ID, &e, 1)
		if err != nil {
			return nil, err
		}
		var status domain.DeliveryStatus = domain.NoRecentDelivery{Event: e}
		if len(logs) > 0 {
			status = logs[0].DeliveryDetail
		}
		out = append(out, &domain.EventDeliveryStatus{Event: e, DeliveryStatus: status})
	}
	return out, nil
}

// nilIfNotFound turns a lookup's ENOTFOUND into a null answer, as GraphQL
// expects of a nullable field.
func nilIfNotFound[T any](v *T, err error) (*T, error) {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	}
	return v, err
}

func (r *Resolver) personByID(ctx context.Context, id *string) (*domain.Person, error) {
	if id == nil || *id == "" {
		return nil, nil
	}
	return r.load(ctx).person.Load(ctx, *id)
}
