package resolvers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// listingStore holds a few events, conversations, people and messages
// whose strings need every kind of escaping; the methods the listings do
// not call are left to the embedded nil Store.
type listingStore struct {
	Store
	events        []*domain.Event
	conversations []*domain.Conversation
	people        []*domain.Person
	messages      map[string][]*domain.Message
}

func (s *listingStore) EventsWithin(_ context.Context, _ *domain.EventFilter, after domain.Position, limit, _ int) ([]*domain.Event, bool, error) {
	return s.eventsAfter(after, limit, true), false, nil
}

func (s *listingStore) EventsWithoutPayload(_ context.Context, _ *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error) {
	return s.eventsAfter(after, limit, false), nil
}

func (s *listingStore) eventsAfter(after domain.Position, limit int, payload bool) []*domain.Event {
	var out []*domain.Event
	for _, e := range s.events {
		if e.Position > after && len(out) < limit {
			c := *e
			if !payload {
				c.Payload = nil
			}
			out = append(out, &c)
		}
	}
	return out
}

func (s *listingStore) CheckCursor(context.Context, domain.Position) error { return nil }

func (s *listingStore) ListConversations(_ context.Context, _ *domain.ConversationFilter, p domain.SeqPage) ([]*domain.Conversation, error) {
	list := slices.Clone(s.conversations)
	if p.Backward {
		slices.Reverse(list)
	}
	list = list[:min(p.Limit, len(list))]
	if p.Backward {
		slices.Reverse(list)
	}
	return list, nil
}

func (s *listingStore) CountConversations(context.Context, *domain.ConversationFilter) (int, error) {
	return len(s.conversations), nil
}

func (s *listingStore) FindPeople(_ context.Context, ids []string) ([]*domain.Person, error) {
	var out []*domain.Person
	for _, p := range s.people {
		if slices.Contains(ids, p.ID) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *listingStore) LastMessages(_ context.Context, ids []string, n int) (map[string][]*domain.Message, error) {
	out := map[string][]*domain.Message{}
	for _, id := range ids {
		ms := s.messages[id]
		out[id] = ms[max(0, len(ms)-n):]
	}
	return out, nil
}

func (s *listingStore) ListMessages(_ context.Context, id string, p domain.SeqPage) ([]*domain.Message, error) {
	ms := s.messages[id]
	if p.Backward {
		return ms[max(0, len(ms)-p.Limit):], nil
	}
	return ms[:min(p.Limit, len(ms))], nil
}

func (s *listingStore) FindConversations(_ context.Context, ids []string) ([]*domain.Conversation, error) {
	var out []*domain.Conversation
	for _, c := range s.conversations {
		if slices.Contains(ids, c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func newListingStore() *listingStore {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 890123000, time.UTC)
	odd := "quote \" backslash \\ newline \n tab \t bell \a nul \x00 é 😀 invalid \xff end"
	s := &listingStore{messages: map[string][]*domain.Message{}}
	for i := range 5 {
		s.events = append(s.events, &domain.Event{
			Position: domain.Position(100 + i), ID: fmt.Sprintf("ev%d", i), Provider: domain.ProviderDixa,
			Type: domain.EventMessageCreated, ProviderEventType: odd, DedupeKey: fmt.Sprintf("k%d", i),
			OccurredAt: t0.Add(time.Duration(i) * time.Second), ReceivedAt: t0.In(time.FixedZone("X", 3600)),
			Payload: domain.RawJSON(fmt.Sprintf(`{"n": %d, "s": "\u00e9\n", "a": [1, 2.50, null]}`, i)), PayloadExpired: i == 3,
		})
	}
	sub := "Subject " + odd
	status := "open"
	s.people = []*domain.Person{
		{ID: "pn1", Provider: domain.ProviderDixa, ExternalID: "c1", Role: domain.RoleContact, Name: odd, Email: "a@example.com",
			Emails: []string{"a@example.com", "b@example.com"}, UpdatedAt: t0},
		{ID: "pn2", Provider: domain.ProviderDixa, ExternalID: "a1", Role: domain.RoleAgent, Name: "Agent", Deleted: true, UpdatedAt: t0},
	}
	requester, assignee, missing := "pn1", "pn2", "pn-gone"
	for i := range 4 {
		c := &domain.Conversation{ID: fmt.Sprintf("cv%d", i), Provider: domain.ProviderDixa, ExternalID: fmt.Sprint(i),
			Kind: domain.KindTicket, Status: domain.StatusOpen, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), Account: "org", Seq: int64(i + 1)}
		switch i {
		case 0:
			c.Subject, c.ProviderStatus, c.RequesterID, c.AssigneeID, c.Tags = &sub, &status, &requester, &assignee, []string{"vip", odd}
		case 1:
			c.RequesterID = &missing // no such person: null
		case 2:
			c.RequesterID = &assignee
		}
		s.conversations = append(s.conversations, c)
		for j := range i {
			s.messages[c.ID] = append(s.messages[c.ID], &domain.Message{ID: fmt.Sprintf("ms%d%d", i, j), ConversationID: c.ID,
				ExternalID: fmt.Sprint(j), Content: odd, Private: j%2 == 1, CreatedAt: t0.Add(time.Duration(j) * time.Minute),
				UpdatedAt: t0, Seq: int64(10*i + j + 1)})
		}
	}
	return s
}

// directCounter counts the listings DirectEncoding wrote itself.
type directCounter struct {
	DirectEncoding
	n *atomic.Int32 // root fields resolve concurrently
}

func (d directCounter) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := d.DirectEncoding.InterceptField(ctx, next)
	if _, ok := res.(graphql.WriterFunc); ok {
		d.n.Add(1)
	}
	return res, err
}

// TestDirectEncodingWritesWhatGqlgenWrites runs each listing through gqlgen
// with and without DirectEncoding and requires the same bytes, and that the
// selections it claims were written by it while the others fell back.
func TestDirectEncodingWritesWhatGqlgenWrites(t *testing.T) {
	store := newListingStore()
	serve := func(direct *atomic.Int32) *httptest.Server {
		r := &Resolver{Store: store, MaxPageSize: 100, MaxEventPageSize: 100, Now: time.Now}
		srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: r}))
		srv.AddTransport(transport.POST{})
		srv.Use(Loaders{Store: store})
		if direct != nil {
			srv.Use(directCounter{DirectEncoding{Resolver: r}, direct})
		}
		srv.AroundFields(InternalErrors)
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		return ts
	}
	var written atomic.Int32
	plain, direct := serve(nil), serve(&written)
	post := func(ts *httptest.Server, query string, vars map[string]any) []byte {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		res, err := http.Post(ts.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out bytes.Buffer
		if _, err := out.ReadFrom(res.Body); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	allEvent := `id cursor provider type providerEventType dedupeKey occurredAt receivedAt payload payloadExpired __typename`
	allPerson := `id provider externalId role name firstName lastName email emails phone company avatarUrl deleted updatedAt __typename`
	allConversation := `id provider externalId kind status providerStatus channel subject createdAt updatedAt account tags __typename
		requester { ` + allPerson + ` } assignee { name }`
	allMessage := `id externalId private content contentType createdAt updatedAt __typename`
	pageInfo := `pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }`
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		direct      bool
	}{
		{"every plain event field", `{ events(first: 3) { __typename edges { __typename cursor node { ` + allEvent + ` } } ` + pageInfo + ` } }`, nil, true},
		{"events without payload", `{ events(first: 10) { edges { node { id type occurredAt } } pageInfo { endCursor } } }`, nil, true},
		{"events after a cursor", `query($a: String) { events(first: 2, after: $a) { edges { cursor } ` + pageInfo + ` } }`,
			map[string]any{"a": domain.Position(101).String()}, true},
		{"aliases, fragments, directives and repeats", `query($yes: Boolean!, $no: Boolean!) { page: events(first: 4) {
			e: edges { node { ...F ... on Node { id } i: id id t: type @include(if: $yes) p: payload @skip(if: $yes) occurredAt @include(if: $no) } }
			edges { cursor } } } fragment F on Event { dedupeKey id }`, map[string]any{"yes": true, "no": false}, true},
		{"an event field with a resolver of its own", `{ events(first: 2) { edges { node { id reason } } } }`, nil, false},
		{"every plain conversation field", `{ conversations(first: 10) { totalCount __typename ` + pageInfo + ` edges { cursor __typename node { ` +
			allConversation + ` messages(last: 2) { __typename ` + pageInfo + ` edges { cursor __typename node { ` + allMessage + ` } } } } } } }`, nil, true},
		{"the last conversations", `{ conversations(last: 2) { edges { node { id messages(last: 5) { edges { node { content } } } } } ` + pageInfo + ` } }`, nil, true},
		{"the first messages go through the loaders", `{ conversations(first: 3) { edges { node { id messages(first: 1) { edges { node { id } } } } } } }`, nil, false},
		{"a message field with a resolver of its own", `{ conversations(first: 3) { edges { node { messages(last: 1) { edges { node { author { id } } } } } } } }`, nil, false},
		{"both listings at once", `{ events(first: 1) { edges { node { id } } } conversations(first: 1) { edges { node { id } } } }`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := written.Load()
			want, got := post(plain, tc.query, tc.vars), post(direct, tc.query, tc.vars)
			if strings.Contains(string(want), `"errors"`) {
				t.Fatalf("the query failed: %s", want)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("direct encoding wrote\n%s\ngqlgen writes\n%s", got, want)
			}
			if used := written.Load() > before; used != tc.direct {
				t.Errorf("written directly: %v, want %v", used, tc.direct)
			}
		})
	}
}

// TestSplicesReplaceTheirTokens: each token in the data is replaced by its
// value as the data is written; data without one, or with no Splices,
// goes out as it is; a token that names no value is an error.
func TestSplicesReplaceTheirTokens(t *testing.T) {
	_, s := WithSplices(context.Background())
	a := s.add(func(w io.Writer) error { _, err := io.WriteString(w, `[1,2]`); return err })
	b := s.add(func(w io.Writer) error { _, err := io.WriteString(w, `{"x":"\u0000"}`); return err })
	var out bytes.Buffer
	if err := s.Write(&out, []byte(`{"a":`+a+`,"b":`+b+`,"c":`+a+`}`)); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `{"a":[1,2],"b":{"x":"\u0000"},"c":[1,2]}` {
		t.Errorf("spliced %q", got)
	}
	out.Reset()
	var none *Splices
	if err := none.Write(&out, []byte(`{"a":1}`)); err != nil || out.String() != `{"a":1}` {
		t.Errorf("no splices: %q, %v", out.String(), err)
	}
	bad := strings.Replace(a, ":0", ":7", 1)
	if err := s.Write(io.Discard, []byte(`{"a":`+bad+`}`)); err == nil {
		t.Error("a token naming no value was written")
	}
}
