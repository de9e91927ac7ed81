package resolvers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
	"github.com/vektah/gqlparser/v2/ast"
)

// DirectEncoding is a gqlgen handler extension that writes the hot
// listings, Query.events and Query.conversations, straight to JSON when
// their selection asks only for fields that are plain values of the rows
// read, or that the listing has already loaded in bulk (a conversation's
// requester and assignee, and its newest messages). gqlgen resolves every
// field of every node as a call of its own, with a goroutine for each
// element of a list: for a page of thousands of events that costs more
// than reading the page. The data comes from the same resolvers, with the
// same limits; only the encoding differs, and it writes what gqlgen would.
// Any other selection, and any error, takes gqlgen's way.
type DirectEncoding struct {
	Resolver *Resolver
}

var (
	_ graphql.HandlerExtension = DirectEncoding{}
	_ graphql.FieldInterceptor = DirectEncoding{}
)

// ExtensionName implements graphql.HandlerExtension.
func (DirectEncoding) ExtensionName() string { return "DirectEncoding" }

// Validate implements graphql.HandlerExtension.
func (DirectEncoding) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptField implements graphql.FieldInterceptor. A field resolver
// that answers a graphql.Marshaler in place of its model has that written
// as the field's value.
func (d DirectEncoding) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Query" || (fc.Field.Name != "events" && fc.Field.Name != "conversations") {
		return next(ctx)
	}
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	var chunk *pageChunk
	if s := splicesFrom(ctx); s != nil && fc.Field.Name == "events" && edgesFirst(oc, fc.Field.Selections) &&
		len(graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})) == 1 {
		// The only listing of the response, written as it goes out with
		// its edges before its pageInfo: it may be read in chunks.
		ctx, chunk = withChunkedPage(ctx)
	}
	res, err := next(ctx)
	if err != nil {
		return res, err
	}
	var out bytes.Buffer
	e := directEncoder{ctx: ctx, r: d.Resolver, oc: oc, buf: &out}
	ok := false
	switch conn := res.(type) {
	case *graph.EventConnection:
		var pager *eventPager // the rest of a page read in chunks
		if chunk != nil {
			pager = chunk.pager
		}
		if s := splicesFrom(ctx); s != nil && conn != nil && e.streamable(fc.Field.Selections, conn) {
			// Written as the response goes out, not into memory first.
			token := s.add(func(w io.Writer) error {
				bw := bufio.NewWriterSize(w, 64<<10)
				e := directEncoder{ctx: ctx, r: d.Resolver, oc: oc, buf: bw}
				if pager == nil {
					e.eventConnection(fc.Field.Selections, conn)
					return bw.Flush()
				}
				// The operation's context ends when it has run, before its
				// response is written: the rest of the page is read under
				// its values and its deadline only.
				pager.ctx = context.WithoutCancel(ctx)
				if deadline, ok := ctx.Deadline(); ok {
					var cancel context.CancelFunc
					pager.ctx, cancel = context.WithDeadline(pager.ctx, deadline)
					defer cancel()
				}
				e.eventConnectionInChunks(fc.Field.Selections, conn, pager)
				return bw.Flush()
			})
			return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, token) }), nil
		}
		if pager != nil && conn != nil {
			if err := pager.complete(conn); err != nil {
				return nil, err
			}
		}
		out.Reset()
		ok = conn != nil && e.eventConnection(fc.Field.Selections, conn)
	case *graph.ConversationConnection:
		ok = conn != nil && e.conversationConnection(fc.Field.Selections, conn)
	}
	if !ok {
		return res, nil
	}
	data := out.Bytes()
	return graphql.WriterFunc(func(w io.Writer) { _, _ = w.Write(data) }), nil
}

// streamable reports whether a page of events can be written after the
// fact, when gqlgen's way is no longer open: the selection is one the
// encoder writes (tried on the page's first edge), and no edge holds what
// the encoder leaves to gqlgen (no node, a zero time, a missing payload
// where the first edge has one).
func (e *directEncoder) streamable(sel ast.SelectionSet, conn *graph.EventConnection) bool {
	probe := &graph.EventConnection{Edges: conn.Edges[:min(1, len(conn.Edges))], PageInfo: conn.PageInfo}
	if !e.eventConnection(sel, probe) {
		return false
	}
	for _, ed := range conn.Edges {
		if ed == nil || conn.Edges[0].Node == nil || !writable(ed.Node, len(conn.Edges[0].Node.Payload) > 0) {
			return false
		}
	}
	return true
}

// writable reports whether an event of a page written after the fact can
// be: it has its times, and its payload if the page's first has one.
func writable(ev *domain.Event, payload bool) bool {
	return ev != nil && !ev.OccurredAt.IsZero() && !ev.ReceivedAt.IsZero() && (len(ev.Payload) > 0) == payload
}

// Splices are the values of a response written as it goes out: a value's
// place in the response's data holds a token until then. A transport that
// writes the data itself (the server's POST transport) puts Splices in
// the operation's context and calls Write for the data; other transports
// leave it out, and the values are written in place. Safe for concurrent
// use: root fields resolve concurrently.
type Splices struct {
	nonce   string
	mu      sync.Mutex
	writers []func(io.Writer) error
}

type splicesKey struct{}

// WithSplices returns a context whose listings may be spliced into its
// response's data, and the Splices that will hold them.
func WithSplices(ctx context.Context) (context.Context, *Splices) {
	s := &Splices{nonce: domain.RandomHex(8)}
	return context.WithValue(ctx, splicesKey{}, s), s
}

func splicesFrom(ctx context.Context) *Splices {
	s, _ := ctx.Value(splicesKey{}).(*Splices)
	return s
}

// add holds write and returns the token that stands for its value: a NUL
// byte, which JSON text never holds outside a string and which strings
// escape, the response's nonce and the value's number, and a NUL.
func (s *Splices) add(write func(io.Writer) error) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writers = append(s.writers, write)
	return "\x00" + s.nonce + ":" + strconv.Itoa(len(s.writers)-1) + "\x00"
}

// Write writes data to w with each token in it replaced by its value. A
// nil Splices writes data as it is.
func (s *Splices) Write(w io.Writer, data []byte) error {
	if s == nil {
		_, err := w.Write(data)
		return err
	}
	s.mu.Lock()
	writers := s.writers
	s.mu.Unlock()
	if len(writers) == 0 {
		_, err := w.Write(data)
		return err
	}
	prefix := []byte("\x00" + s.nonce + ":")
	for {
		at := bytes.Index(data, prefix)
		if at < 0 {
			_, err := w.Write(data)
			return err
		}
		if _, err := w.Write(data[:at]); err != nil {
			return err
		}
		rest := data[at+len(prefix):]
		end := bytes.IndexByte(rest, 0)
		n, err := strconv.Atoi(string(rest[:max(end, 0)]))
		if end < 0 || err != nil || n < 0 || n >= len(writers) {
			return fmt.Errorf("malformed splice in response data")
		}
		if err := writers[n](w); err != nil {
			return err
		}
		data = rest[end+1:]
	}
}

// directEncoder writes one listing. Each method writes the value of one
// type for a selection and reports false where the selection asks for
// something it does not write; the listing then goes gqlgen's way and the
// buffer is dropped.
type directEncoder struct {
	ctx context.Context
	r   *Resolver
	oc  *graphql.OperationContext
	buf writer
}

// writer is what directEncoder writes to: a buffer, or a response on its
// way out (see Splices).
type writer interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

// The interfaces each type implements, as gqlgen collects fields for them
// (fragments on Node apply).
var (
	eventTypes        = []string{"Event", "Node"}
	conversationTypes = []string{"Conversation", "Node"}
	personTypes       = []string{"Person", "Node"}
	messageTypes      = []string{"Message", "Node"}
	pageInfoTypes     = []string{"PageInfo"}
)

// object writes the fields of one object, each once by its response name,
// with write, which writes a field's value or reports false.
func (e *directEncoder) object(fields []graphql.CollectedField, write func(f graphql.CollectedField) bool) bool {
	e.buf.WriteByte('{')
	for i, f := range fields {
		if written(fields[:i], f.Alias) {
			continue
		}
		if i > 0 {
			e.buf.WriteByte(',')
		}
		writeQuoted(e.buf, f.Alias)
		e.buf.WriteByte(':')
		if !write(f) {
			return false
		}
	}
	e.buf.WriteByte('}')
	return true
}

// written reports whether one of fields answers to alias. CollectFields
// merges the fields of one response name, so this is gqlgen's guard
// against repeats without its map: a selection has a few fields.
func written(fields []graphql.CollectedField, alias string) bool {
	for _, f := range fields {
		if f.Alias == alias {
			return true
		}
	}
	return false
}

func (e *directEncoder) eventConnection(sel ast.SelectionSet, conn *graph.EventConnection) bool {
	if b, ok := e.buf.(*bytes.Buffer); ok {
		size := 0
		for _, ed := range conn.Edges {
			if ed.Node != nil {
				size += len(ed.Node.Payload) + 256
			}
		}
		b.Grow(size)
	}
	return connection(e, sel, "EventConnection", "EventEdge", eventTypes, pageInfoOf(conn.PageInfo), slices.Values(conn.Edges),
		func(ed *graph.EventEdge) string { return ed.Cursor },
		func(fields []graphql.CollectedField, ed *graph.EventEdge) bool { return e.event(fields, ed.Node) }, nil)
}

// pageInfoOf returns info as connection takes it.
func pageInfoOf(info *graph.PageInfo) func() *graph.PageInfo {
	return func() *graph.PageInfo { return info }
}

// edgesFirst reports whether a selection of an EventConnection asks for
// its edges and, if for its pageInfo too, after them: a page read in
// chunks knows its pageInfo only once its edges are written.
func edgesFirst(oc *graphql.OperationContext, sel ast.SelectionSet) bool {
	edges := false
	for _, f := range graphql.CollectFields(oc, sel, []string{"EventConnection"}) {
		switch f.Name {
		case "edges":
			edges = true
		case "pageInfo":
			if !edges {
				return false
			}
		}
	}
	return edges
}

// eventConnectionInChunks writes a page whose first chunk is conn's and
// whose rest p reads as it goes (see eventPager). A later chunk's event
// the encoder would not write (one stored without its times or payload),
// or a failed read, ends the page early with hasNextPage: the caller pages
// on from the last cursor written, and learns there what went wrong.
func (e *directEncoder) eventConnectionInChunks(sel ast.SelectionSet, conn *graph.EventConnection, p *eventPager) bool {
	chunks, stop := p.rest()
	defer stop()
	info := *conn.PageInfo
	early := false
	edges := func(yield func(*graph.EventEdge) bool) {
		for _, ed := range conn.Edges {
			if !yield(ed) {
				return
			}
		}
		for c := range chunks {
			if c.err != nil {
				early = true
				return
			}
			for _, ev := range c.events {
				if !writable(ev, true) {
					early = true
					return
				}
				ed := &graph.EventEdge{Cursor: ev.Cursor(), Node: ev}
				if !yield(ed) {
					return
				}
				info.EndCursor = &ed.Cursor
			}
		}
	}
	return connection(e, sel, "EventConnection", "EventEdge", eventTypes, func() *graph.PageInfo {
		info.HasNextPage = early || p.more
		return &info
	}, edges,
		func(ed *graph.EventEdge) string { return ed.Cursor },
		func(fields []graphql.CollectedField, ed *graph.EventEdge) bool { return e.event(fields, ed.Node) }, nil)
}

// connection writes a Relay connection: its edges (cursor and node, the
// node written by node), its pageInfo, and any other field with other.
func connection[E any](e *directEncoder, sel ast.SelectionSet, typename, edgeType string, nodeTypes []string, info func() *graph.PageInfo,
	edges iter.Seq[E], cursor func(E) string, node func([]graphql.CollectedField, E) bool, other func(graphql.CollectedField) bool,
) bool {
	return e.object(graphql.CollectFields(e.oc, sel, []string{typename}), func(f graphql.CollectedField) bool {
		switch f.Name {
		case "__typename":
			writeQuoted(e.buf, typename)
		case "pageInfo":
			return e.pageInfo(f, info())
		case "edges":
			edge := graphql.CollectFields(e.oc, f.Selections, []string{edgeType})
			var nodeFields []graphql.CollectedField
			for _, ef := range edge {
				if ef.Name == "node" {
					nodeFields = graphql.CollectFields(e.oc, ef.Selections, nodeTypes)
				}
			}
			e.buf.WriteByte('[')
			i := 0
			for ed := range edges {
				if i > 0 {
					e.buf.WriteByte(',')
				}
				i++
				if !e.object(edge, func(ef graphql.CollectedField) bool {
					switch ef.Name {
					case "__typename":
						writeQuoted(e.buf, edgeType)
					case "cursor":
						writeQuoted(e.buf, cursor(ed))
					case "node":
						return node(nodeFields, ed)
					default:
						return false
					}
					return true
				}) {
					return false
				}
			}
			e.buf.WriteByte(']')
		default:
			return other != nil && other(f)
		}
		return true
	})
}

func (e *directEncoder) event(fields []graphql.CollectedField, ev *domain.Event) bool {
	if ev == nil {
		return false
	}
	return e.object(fields, func(f graphql.CollectedField) bool {
		switch f.Name {
		case "__typename":
			writeQuoted(e.buf, "Event")
		case "id":
			writeQuoted(e.buf, ev.ID)
		case "cursor":
			writeQuoted(e.buf, ev.Cursor())
		case "provider":
			ev.Provider.MarshalGQL(e.buf)
		case "type":
			ev.Type.MarshalGQL(e.buf)
		case "providerEventType":
			writeQuoted(e.buf, ev.ProviderEventType)
		case "dedupeKey":
			writeQuoted(e.buf, ev.DedupeKey)
		case "occurredAt":
			return e.time(ev.OccurredAt)
		case "receivedAt":
			return e.time(ev.ReceivedAt)
		case "payload":
			if len(ev.Payload) == 0 {
				return false
			}
			e.buf.Write(ev.Payload)
		case "payloadExpired":
			e.bool(ev.PayloadExpired)
		default:
			return false
		}
		return true
	})
}

func (e *directEncoder) pageInfo(f graphql.CollectedField, p *graph.PageInfo) bool {
	if p == nil {
		return false
	}
	return e.object(graphql.CollectFields(e.oc, f.Selections, pageInfoTypes), func(f graphql.CollectedField) bool {
		switch f.Name {
		case "__typename":
			writeQuoted(e.buf, "PageInfo")
		case "hasNextPage":
			e.bool(p.HasNextPage)
		case "hasPreviousPage":
			e.bool(p.HasPreviousPage)
		case "startCursor":
			e.optString(p.StartCursor)
		case "endCursor":
			e.optString(p.EndCursor)
		default:
			return false
		}
		return true
	})
}

func (e *directEncoder) conversationConnection(sel ast.SelectionSet, conn *graph.ConversationConnection) bool {
	return connection(e, sel, "ConversationConnection", "ConversationEdge", conversationTypes, pageInfoOf(conn.PageInfo), slices.Values(conn.Edges),
		func(ed *graph.ConversationEdge) string { return ed.Cursor },
		func(fields []graphql.CollectedField, ed *graph.ConversationEdge) bool {
			return e.conversation(fields, ed.Node)
		},
		func(f graphql.CollectedField) bool {
			if f.Name != "totalCount" {
				return false
			}
			e.buf.Write(strconv.AppendInt(nil, int64(conn.TotalCount), 10))
			return true
		})
}

func (e *directEncoder) conversation(fields []graphql.CollectedField, c *domain.Conversation) bool {
	if c == nil {
		return false
	}
	return e.object(fields, func(f graphql.CollectedField) bool {
		switch f.Name {
		case "__typename":
			writeQuoted(e.buf, "Conversation")
		case "id":
			writeQuoted(e.buf, c.ID)
		case "provider":
			c.Provider.MarshalGQL(e.buf)
		case "externalId":
			writeQuoted(e.buf, c.ExternalID)
		case "kind":
			c.Kind.MarshalGQL(e.buf)
		case "status":
			c.Status.MarshalGQL(e.buf)
		case "providerStatus":
			e.optString(c.ProviderStatus)
		case "channel":
			e.optString(c.Channel)
		case "subject":
			e.optString(c.Subject)
		case "createdAt":
			return e.time(c.CreatedAt)
		case "updatedAt":
			return e.time(c.UpdatedAt)
		case "account":
			writeQuoted(e.buf, c.Account)
		case "tags":
			e.strings(c.Tags)
		case "requester", "assignee":
			// Loaded in bulk with the page (prefetchConversations).
			id := c.RequesterID
			if f.Name == "assignee" {
				id = c.AssigneeID
			}
			p, err := e.r.personByID(e.ctx, id)
			if err != nil {
				return false
			}
			if p == nil {
				e.buf.WriteString("null")
				return true
			}
			return e.person(graphql.CollectFields(e.oc, f.Selections, personTypes), p)
		case "messages":
			return e.lastMessages(f, c)
		default:
			return false
		}
		return true
	})
}

// lastMessages writes a conversation's newest messages, the page the
// listing loaded in bulk (messages(last: n) without cursors); any other
// page of messages goes gqlgen's way, through the loaders.
func (e *directEncoder) lastMessages(f graphql.CollectedField, c *domain.Conversation) bool {
	args := f.ArgumentMap(e.oc.Variables)
	first, after, last, before := intArg(args["first"]), stringArg(args["after"]), intArg(args["last"]), stringArg(args["before"])
	if first != nil || after != nil || before != nil || last == nil {
		return false
	}
	conn, err := e.r.messageConnection(e.ctx, c.ID, first, after, last, before)
	if err != nil || conn == nil {
		return false
	}
	return connection(e, f.Selections, "MessageConnection", "MessageEdge", messageTypes, pageInfoOf(conn.PageInfo), slices.Values(conn.Edges),
		func(ed *graph.MessageEdge) string { return ed.Cursor },
		func(fields []graphql.CollectedField, ed *graph.MessageEdge) bool { return e.message(fields, ed.Node) }, nil)
}

func (e *directEncoder) message(fields []graphql.CollectedField, m *domain.Message) bool {
	if m == nil {
		return false
	}
	return e.object(fields, func(f graphql.CollectedField) bool {
		switch f.Name {
		case "__typename":
			writeQuoted(e.buf, "Message")
		case "id":
			writeQuoted(e.buf, m.ID)
		case "externalId":
			writeQuoted(e.buf, m.ExternalID)
		case "private":
			e.bool(m.Private)
		case "content":
			writeQuoted(e.buf, m.Content)
		case "contentType":
			writeQuoted(e.buf, m.ContentType)
		case "createdAt":
			return e.time(m.CreatedAt)
		case "updatedAt":
			return e.time(m.UpdatedAt)
		default:
			return false
		}
		return true
	})
}

func (e *directEncoder) person(fields []graphql.CollectedField, p *domain.Person) bool {
	return e.object(fields, func(f graphql.CollectedField) bool {
		switch f.Name {
		case "__typename":
			writeQuoted(e.buf, "Person")
		case "id":
			writeQuoted(e.buf, p.ID)
		case "provider":
			p.Provider.MarshalGQL(e.buf)
		case "externalId":
			writeQuoted(e.buf, p.ExternalID)
		case "role":
			p.Role.MarshalGQL(e.buf)
		case "name":
			writeQuoted(e.buf, p.Name)
		case "firstName":
			writeQuoted(e.buf, p.FirstName)
		case "lastName":
			writeQuoted(e.buf, p.LastName)
		case "email":
			writeQuoted(e.buf, p.Email)
		case "emails":
			e.strings(p.Emails)
		case "phone":
			writeQuoted(e.buf, p.Phone)
		case "company":
			writeQuoted(e.buf, p.Company)
		case "avatarUrl":
			writeQuoted(e.buf, p.AvatarURL)
		case "deleted":
			e.bool(p.Deleted)
		case "updatedAt":
			return e.time(p.UpdatedAt)
		default:
			return false
		}
		return true
	})
}

// time writes a Time! as gqlgen does; a zero time is an error there, so
// it goes gqlgen's way.
func (e *directEncoder) time(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	var b [64]byte
	out := append(b[:0], '"')
	out = append(t.AppendFormat(out, time.RFC3339Nano), '"')
	e.buf.Write(out)
	return true
}

func (e *directEncoder) bool(v bool) {
	if v {
		e.buf.WriteString("true")
	} else {
		e.buf.WriteString("false")
	}
}

func (e *directEncoder) optString(s *string) {
	if s == nil {
		e.buf.WriteString("null")
		return
	}
	writeQuoted(e.buf, *s)
}

func (e *directEncoder) strings(list []string) {
	e.buf.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		writeQuoted(e.buf, s)
	}
	e.buf.WriteByte(']')
}

// writeQuoted writes s as a JSON string exactly as gqlgen's String scalar
// does: control characters, quotes and backslashes escaped, the rest,
// invalid UTF-8 included, as it is.
func writeQuoted(b writer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		if c < 0x20 || c == '\\' || c == '"' {
			b.WriteString(s[start:i])
			switch c {
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			case '\n':
				b.WriteString(`\n`)
			case '\\':
				b.WriteString(`\\`)
			case '"':
				b.WriteString(`\"`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
			start = i + 1
		}
		i++
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
