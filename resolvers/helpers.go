package resolvers

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

const defaultPageSize = 100

// pageSize validates a connection's `first`.
func (r *Resolver) pageSize(first *int) (int, error) {
	if first == nil {
		return min(defaultPageSize, r.MaxPageSize), nil
	}
	if *first < 0 {
		return 0, domain.Errorf(domain.EINVALID, "first must not be negative, got %d", *first)
	}
	if *first > r.MaxPageSize {
		return 0, domain.Errorf(domain.EINVALID, "first must be at most %d, got %d", r.MaxPageSize, *first)
	}
	return *first, nil
}

func parseAfter(after *string) (domain.Position, error) {
	if after == nil {
		return domain.Position{}, nil
	}
	return domain.ParseCursor(*after)
}

// eventConnection reads one page of events: n+1 are read to learn whether
// there is a next page.
func (r *Resolver) eventConnection(ctx context.Context, filter *domain.EventFilter, first *int, after *string) (*graph.EventConnection, error) {
	n, err := r.pageSize(first)
	if err != nil {
		return nil, err
	}
	pos, err := parseAfter(after)
	if err != nil {
		return nil, err
	}
	events, err := r.Store.Events(ctx, filter, pos, n+1)
	if err != nil {
		return nil, err
	}
	conn := &graph.EventConnection{Edges: []*graph.EventEdge{}, PageInfo: &graph.PageInfo{HasPreviousPage: after != nil && *after != ""}}
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

const conversationCursorPrefix = "cv1:"

func conversationCursor(c *domain.Conversation) string {
	return seqCursor(conversationCursorPrefix, c.Seq)
}

func parseConversationCursor(after *string) (int64, error) {
	return parseSeqCursor(conversationCursorPrefix, "conversation", after)
}

// seqCursor encodes a sequence number as an opaque cursor of one kind.
func seqCursor(prefix string, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.FormatInt(seq, 10)))
}

func parseSeqCursor(prefix, kind string, after *string) (int64, error) {
	if after == nil || *after == "" {
		return 0, nil
	}
	bad := domain.Errorf(domain.EINVALID, "invalid cursor %q: use the cursor of a %s or page", *after, kind)
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil {
		return 0, bad
	}
	rest, ok := strings.CutPrefix(string(raw), prefix)
	if !ok {
		return 0, bad
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || seq < 0 {
		return 0, bad
	}
	return seq, nil
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

func callerName(ctx context.Context) string {
	if id := domain.IdentityFrom(ctx); id != nil {
		return id.Name
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// deliveryStatuses gives the latest delivery of each subscribed event, or of
// each event delivered recently when the subscription keeps all events.
func (r *Resolver) deliveryStatuses(ctx context.Context, s *domain.WebhookSubscription) ([]*domain.EventDeliveryStatus, error) {
	events := s.SubscribedEvents
	if len(events) == 0 {
		logs, err := r.Store.EventLogs(ctx, s.ID, nil, 1000)
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
		logs, err := r.Store.EventLogs(ctx, s.ID, &e, 1)
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

func (r *Resolver) person(ctx context.Context, id *string) (*domain.Person, error) {
	if id == nil || *id == "" {
		return nil, nil
	}
	people, err := r.Store.FindPeople(ctx, []string{*id})
	if err != nil || len(people) == 0 {
		return nil, err
	}
	return people[0], nil
}

func (r *Resolver) message(ctx context.Context, id string) (*domain.Message, error) {
	messages, err := r.Store.FindMessages(ctx, []string{id})
	if err != nil || len(messages) == 0 {
		return nil, err
	}
	return messages[0], nil
}

const messageCursorPrefix = "ms1:"

func (r *Resolver) messageConnection(ctx context.Context, conversationID string, first *int, after *string) (*graph.MessageConnection, error) {
	n, err := r.pageSize(first)
	if err != nil {
		return nil, err
	}
	afterSeq, err := parseSeqCursor(messageCursorPrefix, "message", after)
	if err != nil {
		return nil, err
	}
	list, err := r.Store.Messages(ctx, conversationID, afterSeq, n+1)
	if err != nil {
		return nil, err
	}
	conn := &graph.MessageConnection{Edges: []*graph.MessageEdge{}, PageInfo: &graph.PageInfo{HasPreviousPage: afterSeq > 0}}
	if len(list) > n {
		list = list[:n]
		conn.PageInfo.HasNextPage = true
	}
	for _, m := range list {
		conn.Edges = append(conn.Edges, &graph.MessageEdge{Cursor: seqCursor(messageCursorPrefix, m.Seq), Node: m})
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}
