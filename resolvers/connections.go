package resolvers

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// Cursor prefixes of the listings ordered by sequence number. Each kind of
// cursor is only valid for its own listing.
const (
	conversationCursor = "cv1:"
	messageCursor      = "ms1:"
	personCursor       = "pn1:"
)

// seqCursor encodes a sequence number as an opaque cursor of one kind.
func seqCursor(prefix string, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.FormatInt(seq, 10)))
}

func parseSeqCursor(prefix, arg string, cursor *string) (int64, error) {
	if cursor == nil || *cursor == "" {
		return 0, nil
	}
	bad := domain.Errorf(domain.EINVALID, "invalid cursor %q in %s: use a cursor from this listing", *cursor, arg)
	raw, err := base64.RawURLEncoding.DecodeString(*cursor)
	if err != nil {
		return 0, bad
	}
	rest, ok := strings.CutPrefix(string(raw), prefix)
	if !ok {
		return 0, bad
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || seq <= 0 {
		return 0, bad
	}
	return seq, nil
}

// seqPage validates Relay arguments: first/after pages forward, last/before
// backward; one more row than asked is read to learn whether there is more.
func (r *Resolver) seqPage(prefix string, first *int, after *string, last *int, before *string) (domain.SeqPage, int, error) {
	if first != nil && last != nil {
		return domain.SeqPage{}, 0, domain.Errorf(domain.EINVALID, "give first or last, not both")
	}
	var p domain.SeqPage
	var err error
	if p.After, err = parseSeqCursor(prefix, "after", after); err != nil {
		return p, 0, err
	}
	if p.Before, err = parseSeqCursor(prefix, "before", before); err != nil {
		return p, 0, err
	}
	n, err := r.pageSize(first)
	if last != nil {
		p.Backward = true
		if n, err = r.limitArg("last", last); err != nil {
			return p, 0, err
		}
	}
	if err != nil {
		return p, 0, err
	}
	p.Limit = n + 1
	return p, n, nil
}

func (r *Resolver) limitArg(name string, v *int) (int, error) {
	if *v < 0 {
		return 0, domain.Errorf(domain.EINVALID, "%s must not be negative, got %d", name, *v)
	}
	if *v > r.MaxPageSize {
		return 0, domain.Errorf(domain.EINVALID, "%s must be at most %d, got %d", name, r.MaxPageSize, *v)
	}
	return *v, nil
}

// trimPage cuts the extra row read by seqPage and says which way there is
// more.
func trimPage[T any](rows []T, p domain.SeqPage, n int) ([]T, *graph.PageInfo) {
	info := &graph.PageInfo{}
	if len(rows) > n {
		if p.Backward {
			rows = rows[len(rows)-n:]
			info.HasPreviousPage = true
		} else {
			rows = rows[:n]
			info.HasNextPage = true
		}
	}
	if p.Backward {
		info.HasNextPage = info.HasNextPage || p.Before > 0
	} else {
		info.HasPreviousPage = info.HasPreviousPage || p.After > 0
	}
	return rows, info
}

func setCursors(info *graph.PageInfo, cursors []string) {
	if len(cursors) > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
}

// wants reports whether the query selects field on the object being
// resolved, so that costly fields (counts) are computed only when asked.
func wants(ctx context.Context, field string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == field {
			return true
		}
	}
	return false
}

func (r *Resolver) conversationConnection(ctx context.Context, filter *domain.ConversationFilter, first *int, after *string, last *int, before *string) (*graph.ConversationConnection, error) {
	p, n, err := r.seqPage(conversationCursor, first, after, last, before)
	if err != nil {
		return nil, err
	}
	rows, err := r.Store.ListConversations(ctx, filter, p)
	if err != nil {
		return nil, err
	}
	rows, info := trimPage(rows, p, n)
	conn := &graph.ConversationConnection{Edges: make([]*graph.ConversationEdge, len(rows)), PageInfo: info}
	cursors := make([]string, len(rows))
	for i, c := range rows {
		cursors[i] = seqCursor(conversationCursor, c.Seq)
		conn.Edges[i] = &graph.ConversationEdge{Cursor: cursors[i], Node: c}
	}
	setCursors(info, cursors)
	if wants(ctx, "totalCount") {
		if conn.TotalCount, err = r.Store.CountConversations(ctx, filter); err != nil {
			return nil, err
		}
	}
	r.prefetchConversations(ctx, rows)
	return conn, nil
}

func (r *Resolver) personConnection(ctx context.Context, role domain.PersonRole, search *string, first *int, after *string) (*graph.PersonConnection, error) {
	p, n, err := r.seqPage(personCursor, first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	rows, err := r.Store.ListPeople(ctx, role, search, p)
	if err != nil {
		return nil, err
	}
	rows, info := trimPage(rows, p, n)
	conn := &graph.PersonConnection{Edges: make([]*graph.PersonEdge, len(rows)), PageInfo: info}
	cursors := make([]string, len(rows))
	for i, x := range rows {
		cursors[i] = seqCursor(personCursor, x.Seq)
		conn.Edges[i] = &graph.PersonEdge{Cursor: cursors[i], Node: x}
	}
	setCursors(info, cursors)
	if wants(ctx, "totalCount") {
		if conn.TotalCount, err = r.Store.CountPeople(ctx, role, search); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

// messageConnection pages a conversation's messages. The common "last n"
// page goes through a loader, so a page of conversations with their latest
// messages costs one statement for all of them.
func (r *Resolver) messageConnection(ctx context.Context, conversationID string, first *int, after *string, last *int, before *string) (*graph.MessageConnection, error) {
	p, n, err := r.seqPage(messageCursor, first, after, last, before)
	if err != nil {
		return nil, err
	}
	var rows []*domain.Message
	if p.Backward && p.Before == 0 && p.After == 0 {
		if rows, err = r.load(ctx).lastMessages.Load(ctx, lastKey{conversationID, p.Limit}); err != nil {
			return nil, err
		}
	} else if rows, err = r.Store.ListMessages(ctx, conversationID, p); err != nil {
		return nil, err
	}
	rows, info := trimPage(rows, p, n)
	conn := &graph.MessageConnection{Edges: make([]*graph.MessageEdge, len(rows)), PageInfo: info}
	cursors := make([]string, len(rows))
	for i, m := range rows {
		cursors[i] = seqCursor(messageCursor, m.Seq)
		conn.Edges[i] = &graph.MessageEdge{Cursor: cursors[i], Node: m}
	}
	setCursors(info, cursors)
	return conn, nil
}

// node finds any object by its global id: the prefix of a derived id names
// its kind; other ids are events or webhook subscriptions.
func (r *Resolver) node(ctx context.Context, id string) (domain.Node, error) {
	l := r.load(ctx)
	var n domain.Node
	var err error
	switch {
	case strings.HasPrefix(id, "cv_"):
		var c *domain.Conversation
		if c, err = l.conversation.Load(ctx, id); c != nil {
			n = c
		}
	case strings.HasPrefix(id, "pn_"):
		var p *domain.Person
		if p, err = l.person.Load(ctx, id); p != nil {
			n = p
		}
	case strings.HasPrefix(id, "ms_"):
		var m *domain.Message
		if m, err = l.message.Load(ctx, id); m != nil {
			n = m
		}
	default:
		var e *domain.Event
		if e, err = nilIfNotFound(r.Store.FindEvent(ctx, id)); e != nil {
			return e, nil
		} else if err != nil {
			return nil, err
		}
		var s *domain.WebhookSubscription
		if s, err = l.subscription.Load(ctx, id); s != nil {
			n = s
		}
	}
	return n, err
}
