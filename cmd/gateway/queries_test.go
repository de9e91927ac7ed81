package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// seedConversations stores n conversations, each with a requester, an
// assignee and perConv messages, through the store's real write path.
func seedConversations(t *testing.T, m *Main, n, perConv int) {
	t.Helper()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ds []*domain.Delivery
	for c := range n {
		for i := range perConv {
			at := t0.Add(time.Duration(c*perConv+i) * time.Second)
			e := &domain.Event{
				ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventMessageCreated, ProviderEventType: "ConversationMessageAdded",
				OccurredAt: at, ReceivedAt: at, SubscriptionID: "seed", DedupeKey: fmt.Sprintf("seed:%d:%d", c, i), Payload: domain.RawJSON(`{}`),
				Conversation: &domain.ConversationUpdate{
					Account: "org", ExternalID: fmt.Sprint(1000 + c), Status: domain.StatusOpen, Channel: "EMAIL", Subject: fmt.Sprintf("Subject %d", c),
					Requester: &domain.Person{ExternalID: fmt.Sprintf("contact-%d", c), Role: domain.RoleContact, Name: fmt.Sprintf("Contact %d", c), Account: "org"},
					Assignee:  &domain.Person{ExternalID: fmt.Sprintf("agent-%d", c%7), Role: domain.RoleAgent, Name: fmt.Sprintf("Agent %d", c%7), Account: "org"},
				},
				Message: &domain.Message{ExternalID: fmt.Sprintf("m-%d-%d", c, i), Direction: domain.DirectionInbound, Content: fmt.Sprintf("message %d", i),
					Author: &domain.Person{ExternalID: fmt.Sprintf("contact-%d", c), Role: domain.RoleContact, Account: "org"}},
			}
			ds = append(ds, &domain.Delivery{Events: []*domain.Event{e}, Log: domain.DeliveryLog{SubscriptionID: "seed", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: at}}})
		}
	}
	if _, err := m.DB.AppendDeliveries(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
}

// TestConversationPageCostsConstantStatements is the N+1 check: a page of
// 100 conversations with their last 10 messages, requester and assignee
// (and each message's author) costs the same small number of statements as
// a page of 5.
func TestConversationPageCostsConstantStatements(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		// The count is the process's: the outbound dispatcher's re-read of
		// its endpoints (every fifth of the lease) is slowed so that it
		// cannot land in a measured query.
		m := startGateway(t, databaseURL, "-outbound-lease-ttl", "1h")
		seedConversations(t, m, 120, 12)
		query := func(n int) (int64, int) {
			before := m.DB.Statements()
			var out struct {
				Conversations struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Subject   string
							Requester struct{ Name string }
							Assignee  struct{ Name string }
							Messages  struct {
								Edges []struct {
									Node struct {
										Content string
										Author  struct{ ExternalID string }
									}
								}
								PageInfo struct{ HasPreviousPage bool }
							}
						}
					}
				}
			}
			graphQL(t, m, `query($n: Int) { conversations(first: $n) { totalCount edges { node { subject
				requester { name } assignee { name }
				messages(last: 10) { edges { node { content author { externalId } } } pageInfo { hasPreviousPage } } } } } }`,
				map[string]any{"n": n}, &out)
			cost := m.DB.Statements() - before
			edges := out.Conversations.Edges
			if len(edges) != n || out.Conversations.TotalCount != 120 {
				t.Fatalf("page of %d: %d edges, totalCount %d", n, len(edges), out.Conversations.TotalCount)
			}
			for i, e := range edges {
				msgs := e.Node.Messages.Edges
				if e.Node.Requester.Name != fmt.Sprintf("Contact %d", i) || e.Node.Assignee.Name != fmt.Sprintf("Agent %d", i%7) ||
					len(msgs) != 10 || msgs[0].Node.Content != "message 2" || msgs[9].Node.Content != "message 11" ||
					!e.Node.Messages.PageInfo.HasPreviousPage || msgs[0].Node.Author.ExternalID != fmt.Sprintf("contact-%d", i) {
					t.Fatalf("conversation %d: %+v", i, e.Node)
				}
			}
			return cost, len(edges)
		}
		// Other background work (the delivery-log pruner every 10 s) may
		// run during one query, never during both of two.
		cost := func(n int) int64 {
			a, _ := query(n)
			b, _ := query(n)
			return min(a, b)
		}
		small, large := cost(5), cost(100)
		t.Logf("statements: %d for 5 conversations, %d for 100", small, large)
		// One statement each for the page, the count, the latest messages
		// and the people (requesters, assignees and authors): the page
		// reads ahead what its nodes select, so the count does not depend
		// on how a busy machine schedules the nodes' resolvers.
		if large != small || large > 5 {
			t.Fatalf("a page of 100 conversations cost %d statements, a page of 5 cost %d: want a small constant", large, small)
		}
	})
}

func TestConversationFiltersAndBackwardPaging(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	seedConversations(t, m, 30, 1)
	type page struct {
		Conversations struct {
			TotalCount int
			Edges      []struct {
				Cursor string
				Node   struct {
					ID, ExternalID string
				}
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       string
			}
		}
	}
	var last page
	graphQL(t, m, `{ conversations(last: 5) { totalCount edges { cursor node { id externalId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, &last)
	if e := last.Conversations.Edges; len(e) != 5 || e[0].Node.ExternalID != "1025" || e[4].Node.ExternalID != "1029" || !last.Conversations.PageInfo.HasPreviousPage {
		t.Fatalf("last 5: %+v", last.Conversations)
	}
	var prev page
	graphQL(t, m, `query($b: String) { conversations(last: 5, before: $b) { edges { node { externalId } } pageInfo { hasNextPage hasPreviousPage } } }`,
		map[string]any{"b": last.Conversations.PageInfo.StartCursor}, &prev)
	if e := prev.Conversations.Edges; len(e) != 5 || e[0].Node.ExternalID != "1020" || e[4].Node.ExternalID != "1024" || !prev.Conversations.PageInfo.HasNextPage {
		t.Fatalf("5 before: %+v", prev.Conversations)
	}
	var filtered page
	graphQL(t, m, `{ conversations(filter: {providers: [DIXA], statuses: [OPEN], channels: ["email"], search: "subject 2"}) { totalCount edges { node { externalId } } } }`, nil, &filtered)
	// "Subject 2", "Subject 20".."Subject 29".
	if filtered.Conversations.TotalCount != 11 || len(filtered.Conversations.Edges) != 11 {
		t.Fatalf("search: %+v", filtered.Conversations)
	}
	var none page
	graphQL(t, m, `{ conversations(filter: {statuses: [CLOSED]}) { totalCount edges { node { externalId } } } }`, nil, &none)
	if none.Conversations.TotalCount != 0 || len(none.Conversations.Edges) != 0 {
		t.Fatalf("closed: %+v", none.Conversations)
	}
	agentID := domain.PersonID(domain.ProviderDixa, domain.RoleAgent, "org", "agent-3")
	var byAgent page
	graphQL(t, m, `query($a: ID) { conversations(filter: {assigneeId: $a}) { totalCount } }`, map[string]any{"a": agentID}, &byAgent)
	if byAgent.Conversations.TotalCount != 4 { // 3, 10, 17, 24
		t.Fatalf("by assignee: %d", byAgent.Conversations.TotalCount)
	}
	var people struct {
		Contacts struct{ TotalCount int } `json:"contacts"`
		Agents   struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ID, Name, Role string }
			}
		} `json:"agents"`
	}
	graphQL(t, m, `{ contacts(first: 2) { totalCount } agents(search: "agent 3") { totalCount edges { node { id name role } } } }`, nil, &people)
	if people.Contacts.TotalCount != 30 || people.Agents.TotalCount != 1 || people.Agents.Edges[0].Node.ID != agentID || people.Agents.Edges[0].Node.Role != "AGENT" {
		t.Fatalf("people: %+v", people)
	}
	for _, id := range []string{last.Conversations.Edges[0].Node.ID, agentID} {
		var node struct {
			Node struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		graphQL(t, m, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}, &node)
		if node.Node.ID != id {
			t.Fatalf("node(%s) = %+v", id, node.Node)
		}
	}
	cases := []struct{ query, code, msg string }{
		{`{ conversations(first: 1, last: 1) { totalCount } }`, "BAD_USER_INPUT", "first or last"},
		{`{ conversations(after: "bm9wZQ") { totalCount } }`, "BAD_USER_INPUT", "invalid cursor"},
		{`{ conversations(last: 5000) { totalCount } }`, "BAD_USER_INPUT", "at most 1000"},
		{`{ events(first: 10001) { edges { cursor } } }`, "BAD_USER_INPUT", "at most 10000"},
		{`{ conversations(first: 1000) { edges { node { messages(first: 1000) { edges { node { author { name } } } } } } } }`, "QUERY_TOO_COMPLEX", "limit of 50000"},
		{`{ conversations { edges { node { messages { edges { node { conversation { messages { edges { node { conversation { messages { edges { node { id } } } } } } } } } } } } } } }`, "QUERY_TOO_COMPLEX", "depth"},
	}
	// The history pages in pages of up to 10,000 events.
	var history struct {
		Events struct{ Edges []struct{ Cursor string } }
	}
	graphQL(t, m, `{ events(first: 10000) { edges { cursor } } }`, nil, &history)
	if len(history.Events.Edges) == 0 {
		t.Fatal("events(first: 10000) returned no events")
	}
	for _, c := range cases {
		before := m.DB.Statements()
		code, msg := gqlError(t, m, c.query, nil)
		if code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: got %s %q, want %s mentioning %q", c.query, code, msg, c.code, c.msg)
		}
		if c.code == "QUERY_TOO_COMPLEX" && m.DB.Statements() != before {
			t.Errorf("%s: a refused query ran %d statements", c.query, m.DB.Statements()-before)
		}
	}
}

func TestPersistedQueriesAndIntrospectionSwitch(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	query := `{ webhookSubscriptions { id } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	send := func(body map[string]any) gqlResponse {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", m.URL()+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out gqlResponse
		_ = json.NewDecoder(res.Body).Decode(&out)
		return out
	}
	if r := send(map[string]any{"extensions": ext}); len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %+v", r)
	}
	if r := send(map[string]any{"query": query, "extensions": ext}); len(r.Errors) != 0 {
		t.Fatalf("registering: %+v", r)
	}
	if r := send(map[string]any{"extensions": ext}); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "webhookSubscriptions") {
		t.Fatalf("by hash: %s %+v", r.Data, r.Errors)
	}
	if r := graphQLRaw(t, m, adminToken, `{ __schema { queryType { name } } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("introspection on: %+v", r.Errors)
	}

	cfg, _, err := ParseConfig("test", []string{"-addr", "127.0.0.1:0", "-database-url", dbtest.SQLiteURL(t), "-admin-token", adminToken, "-introspection=false"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	closed := NewMain(cfg, m.Logger)
	if err := closed.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	if r := graphQLRaw(t, closed, adminToken, `{ __schema { queryType { name } } }`, nil); len(r.Errors) == 0 {
		t.Fatalf("introspection answered with it turned off: %s", r.Data)
	}
}

// TestPayloadsLeaveAsStored: a GraphQL answer carries each payload as it
// was stored, not re-encoded (encoding/json would write "<" as \u003c).
func TestPayloadsLeaveAsStored(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	body := []byte(`{"event_id":"raw-1","event_fqn":"CONVERSATION_NOTE_ADDED","event_version":"1",` +
		`"event_timestamp":"2024-05-01T10:00:00.000Z","organization":{"id":"org"},"data":{"conversation":{"csid":5,"status":"OPEN"},` +
		`"note_id":"n-1","text":"a <b> & c","created_at":"2024-05-01T10:00:00.000Z"}}`)
	if status, answer := postDixa(t, sub.URL, sub.SecretKey, body); status != http.StatusOK {
		t.Fatalf("delivery: %d %s", status, answer)
	}
	answer, err := postGraphQL(http.DefaultClient, m.URL()+"/graphql", adminToken, `{ events { edges { node { payload } } } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(answer) || !bytes.Contains(answer, []byte(`"text":"a <b> & c"`)) {
		t.Fatalf("answer %s: want valid JSON holding the stored text as it is", answer)
	}
}

// TestListingsWrittenAsTheyGoOutMatchThoseWrittenInPlace: over POST, a page
// of events is written into the response as it goes out; over GET, into
// the response's data first. Both answer the same bytes, beside another
// root field, with an error in the response, and for a page too large for
// the socket's buffers.
func TestListingsWrittenAsTheyGoOutMatchThoseWrittenInPlace(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		postLargeNotes(t, m, 60)
		do := func(method, query string) []byte { return answerTo(t, m, method, query) }
		for _, query := range []string{
			`{ events(first: 100) { edges { cursor node { id type provider occurredAt receivedAt payload payloadExpired } } pageInfo { hasNextPage endCursor } } }`,
			`{ a: events(first: 3) { edges { node { id payload } } } b: events(first: 2) { edges { node { id } } } conversations(first: 2) { edges { node { id } } } }`,
			`{ events(first: 5) { edges { node { id payload } } } bad: events(after: "not a cursor") { edges { node { id } } } }`,
		} {
			post, get := do("POST", query), do("GET", query)
			if !bytes.Equal(post, get) {
				t.Fatalf("%s\nPOST answered\n%.600s\nGET answered\n%.600s", query, post, get)
			}
			if bytes.IndexByte(post, 0) >= 0 {
				t.Fatalf("a NUL byte in the answer: %.300s", post)
			}
		}
		if big := do("POST", `{ events(first: 100) { edges { node { payload } } } }`); len(big) < 100_000 || !bytes.Contains(big, []byte(`note 59`)) {
			t.Fatalf("the page of 60 large payloads: %d bytes", len(big))
		}
	})
}

// postLargeNotes posts n Dixa notes of about 2.6 KB each, with quotes,
// backslashes and characters beyond ASCII in their payloads.
func postLargeNotes(t *testing.T, m *Main, n int) {
	t.Helper()
	sub := createDixaSubscription(t, m)
	for i := range n {
		note := strings.Repeat(fmt.Sprintf("note %d \" \\ \u00e9 😀 ", i), 100)
		text, _ := json.Marshal(note)
		body := fmt.Sprintf(`{"event_id":"splice-%d","event_fqn":"CONVERSATION_NOTE_ADDED","event_version":"1",`+
			`"event_timestamp":"2024-05-01T10:00:%02d.000Z","organization":{"id":"org"},"data":{"conversation":{"csid":%d,"status":"OPEN"},`+
			`"note_id":"n-%d","text":%s,"created_at":"2024-05-01T10:00:00.000Z"}}`, i, i%60, i%7, i, text)
		if status, answer := postDixa(t, sub.URL, sub.SecretKey, []byte(body)); status != http.StatusOK {
			t.Fatalf("delivery: %d %s", status, answer)
		}
	}
}

// answerTo sends query to m by POST (whose listings of events are written
// as they go out, a large page read in chunks) or by GET (written in
// place), and returns the answer, which must be JSON.
func answerTo(t *testing.T, m *Main, method, query string) []byte {
	t.Helper()
	req := graphQLRequest(m.URL()+"/graphql", adminToken, query, nil)
	if method == "GET" {
		req, _ = http.NewRequest("GET", m.URL()+"/graphql?query="+url.QueryEscape(query), nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(answer) {
		t.Fatalf("%s answered invalid JSON: %.300s", method, answer)
	}
	return answer
}

// TestPagesReadInChunksEndWhereTheResponseBudgetEnds: a page of events
// read in chunks (POST) and cut by the response's payload budget in its
// second chunk ends on the same event as the page read whole (GET), with
// hasNextPage.
func TestPagesReadInChunksEndWhereTheResponseBudgetEnds(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL, "-max-response-bytes", "100000")
		postLargeNotes(t, m, 60)
		query := `{ events(first: 100) { edges { cursor node { id payload } } pageInfo { hasNextPage endCursor } } }`
		post, get := answerTo(t, m, "POST", query), answerTo(t, m, "GET", query)
		if !bytes.Equal(post, get) {
			t.Fatalf("POST answered\n%.300s\nGET answered\n%.300s", post, get)
		}
		var page struct {
			Data struct {
				Events struct {
					Edges    []json.RawMessage
					PageInfo struct{ HasNextPage bool }
				}
			}
		}
		if err := json.Unmarshal(post, &page); err != nil {
			t.Fatal(err)
		}
		// Chunks of 25 events of about 2.6 KB: 100,000 bytes end the page
		// in its second chunk.
		if n := len(page.Data.Events.Edges); n <= 25 || n >= 50 || !page.Data.Events.PageInfo.HasNextPage {
			t.Fatalf("a page of %d events, hasNextPage %v: want one cut by the budget in its second chunk", n, page.Data.Events.PageInfo.HasNextPage)
		}
	})
}
