package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	dto "github.com/prometheus/client_model/go"
)

const adminToken = "test-admin-token"

// requestTimeout bounds each request of the HTTP helpers: a wedged gateway
// fails its test instead of hanging it until the go test timeout, which
// skips the cleanups.
const requestTimeout = 30 * time.Second

// startGateway runs the real gateway on a free port against databaseURL,
// with flags added to its command line.
func startGateway(t testing.TB, databaseURL string, flags ...string) *Main {
	t.Helper()
	return startGatewayLogged(t, databaseURL, slog.New(slog.NewTextHandler(io.Discard, nil)), flags...)
}

// startGatewayLogged is startGateway logging to logger.
func startGatewayLogged(t testing.TB, databaseURL string, logger *slog.Logger, flags ...string) *Main {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-database-url", databaseURL, "-admin-token", adminToken, "-stream-poll", "200ms"}, flags...)
	cfg, rest, err := ParseConfig("test", args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) > 0 {
		// A boolean flag takes its value as -flag=false: "-flag false"
		// ends the flags at "false".
		t.Fatalf("flags %q: %q left unparsed", flags, rest)
	}
	m := NewMain(cfg, logger)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("run gateway: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// graphQL posts a query and decodes data into out; it fails on any error.
func graphQL(t testing.TB, m *Main, query string, vars map[string]any, out any) {
	t.Helper()
	resp := graphQLRaw(t, m, adminToken, query, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		t.Fatalf("decode data %s: %v", resp.Data, err)
	}
}

func graphQLRaw(t testing.TB, m *Main, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return graphQLAt(t, m.URL(), token, query, vars)
}

// graphQLAt posts a query to the gateway at base.
func graphQLAt(t testing.TB, base, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("decode graphql response (status %d): %v", res.StatusCode, err)
	}
	return out
}

type subscription struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	SecretKey string `json:"secretKey"`
}

func createDixaSubscription(t testing.TB, m *Main) subscription {
	t.Helper()
	var out struct {
		Create subscription `json:"createWebhookSubscription"`
	}
	graphQL(t, m, `mutation($in: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $in) { id url secretKey } }`,
		map[string]any{"in": map[string]any{"provider": "DIXA", "name": "e2e"}}, &out)
	if out.Create.ID == "" || len(out.Create.SecretKey) != 64 || !strings.HasSuffix(out.Create.URL, "/webhooks/dixa/"+out.Create.ID) {
		t.Fatalf("created subscription: %+v", out.Create)
	}
	return out.Create
}

// postDixa delivers body signed with secret and returns the status and body.
func postDixa(t testing.TB, url, secret string, body []byte) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-DIXA-SIGNATURE", dixa.Sign(secret, time.Now(), body))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type event struct {
	ID                string          `json:"id"`
	Cursor            string          `json:"cursor"`
	Type              string          `json:"type"`
	ProviderEventType string          `json:"providerEventType"`
	Payload           json.RawMessage `json:"payload"`
	Conversation      *struct {
		ExternalID string `json:"externalId"`
		Status     string `json:"status"`
	} `json:"conversation"`
}

const eventFields = `id cursor type providerEventType payload conversation { externalId status }`

func listEvents(t *testing.T, m *Main) []event {
	t.Helper()
	var out struct {
		Events struct {
			Edges []struct {
				Cursor string `json:"cursor"`
				Node   event  `json:"node"`
			} `json:"edges"`
		} `json:"events"`
	}
	graphQL(t, m, `{ events(first: 1000) { edges { cursor node { `+eventFields+` } } } }`, nil, &out)
	var events []event
	for _, e := range out.Events.Edges {
		if e.Cursor != e.Node.Cursor {
			t.Fatalf("edge cursor %q differs from node cursor %q", e.Cursor, e.Node.Cursor)
		}
		events = append(events, e.Node)
	}
	return events
}

// wsStream is a websocket client (graphql-transport-ws or legacy
// graphql-ws) of one eventStream subscription. A goroutine reads every
// message into a channel: coder/websocket closes a connection whose read is
// cancelled, so waits are done on the channel instead.
type wsStream struct {
	t        *testing.T
	conn     *websocket.Conn
	messages chan map[string]any
	// closeErr is the read error that ended the connection; it is set
	// before messages is closed.
	closeErr error
}

// openStream subscribes to eventStream after the cursor after, or from the
// beginning of the history when after is nil: the test's store starts
// empty, so every event the test posts reaches the stream, however soon
// after the subscribe message it is posted.
func openStream(t *testing.T, m *Main, protocol string, after *string) *wsStream {
	t.Helper()
	return openSubscription(t, m, protocol, `subscription($after: String, $fromBeginning: Boolean) { eventStream(after: $after, fromBeginning: $fromBeginning) { `+eventFields+` } }`,
		map[string]any{"after": after, "fromBeginning": after == nil})
}

// dialGraphQL opens a websocket to the gateway's /graphql speaking protocol.
func dialGraphQL(t testing.TB, ctx context.Context, m *Main, protocol string) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(m.URL(), "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return conn
}

// openSubscription starts one GraphQL subscription over a websocket.
func openSubscription(t *testing.T, m *Main, protocol, query string, vars map[string]any) *wsStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dialGraphQL(t, ctx, m, protocol)
	conn.SetReadLimit(4 << 20)
	s := &wsStream{t: t, conn: conn, messages: make(chan map[string]any, 20000)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.messages)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				s.closeErr = err
				return
			}
			var msg map[string]any
			if json.Unmarshal(b, &msg) != nil {
				continue
			}
			switch msg["type"] {
			case "ping": // graphql-transport-ws: a client that does not answer is cut off
				_ = conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
			case "ka", "pong":
			default:
				s.messages <- msg
			}
		}
	}()
	t.Cleanup(func() {
		conn.CloseNow()
		<-done
	})
	s.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + adminToken}})
	if msg := s.read(); msg["type"] != "connection_ack" {
		t.Fatalf("want connection_ack, got %v", msg)
	}
	start := "subscribe"
	if protocol == "graphql-ws" {
		start = "start"
	}
	s.send(map[string]any{"id": "1", "type": start, "payload": map[string]any{"query": query, "variables": vars}})
	return s
}

func (s *wsStream) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		s.t.Fatalf("websocket write: %v", err)
	}
}

func (s *wsStream) read() map[string]any {
	s.t.Helper()
	select {
	case msg, ok := <-s.messages:
		if !ok {
			s.t.Fatal("websocket closed")
		}
		return msg
	case <-time.After(30 * time.Second): // on PostgreSQL, a long transaction elsewhere in the cluster holds new events back
		s.t.Fatal("no websocket message within 30s")
	}
	return nil
}

// next reads the stream's next event.
func (s *wsStream) next() event {
	s.t.Helper()
	return s.event(s.read())
}

// event decodes a message that must carry an event.
func (s *wsStream) event(msg map[string]any) event {
	s.t.Helper()
	if msg["type"] != "next" && msg["type"] != "data" {
		s.t.Fatalf("want an event, got %v", msg)
	}
	b, _ := json.Marshal(msg["payload"])
	var p struct {
		Data struct {
			EventStream event `json:"eventStream"`
		} `json:"data"`
		Errors []any `json:"errors"`
	}
	if err := json.Unmarshal(b, &p); err != nil || len(p.Errors) > 0 {
		s.t.Fatalf("stream payload %s: %v", b, err)
	}
	return p.Data.EventStream
}

// closedWith waits for the server to close the connection and returns its
// close code and reason, skipping any messages before.
func (s *wsStream) closedWith() (websocket.StatusCode, string) {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case _, ok := <-s.messages:
			if !ok {
				var ce websocket.CloseError
				if errors.As(s.closeErr, &ce) {
					return ce.Code, ce.Reason
				}
				return -1, fmt.Sprint(s.closeErr)
			}
		case <-deadline:
			s.t.Fatal("the server did not close the connection")
		}
	}
}

// tryNext reads the stream's next event if one arrives within wait.
func (s *wsStream) tryNext(wait time.Duration) (event, bool) {
	s.t.Helper()
	select {
	case msg, ok := <-s.messages:
		if !ok {
			s.t.Fatal("websocket closed")
		}
		return s.event(msg), true
	case <-time.After(wait):
		return event{}, false
	}
}

// expectSilence fails if a message arrives within d.
func (s *wsStream) expectSilence(d time.Duration) {
	s.t.Helper()
	select {
	case msg := <-s.messages:
		s.t.Fatalf("unexpected message: %v", msg)
	case <-time.After(d):
	}
}

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "adapters", "dixa", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func eachStore(t *testing.T, f func(t *testing.T, databaseURL string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, dbtest.SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, dbtest.PostgresURL(t)) })
}

func TestWebhookReachesQueryAndLiveStreams(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		live := openStream(t, m, "graphql-transport-ws", nil)
		legacy := openStream(t, m, "graphql-ws", nil)
		live.expectSilence(300 * time.Millisecond)

		note := readSeed(t, "conversation_note_added_seed1.json")
		if status, body := postDixa(t, sub.URL, sub.SecretKey, note); status != http.StatusOK || !strings.Contains(body, `"accepted"`) {
			t.Fatalf("delivery: %d %s", status, body)
		}
		events := listEvents(t, m)
		if len(events) != 1 {
			t.Fatalf("stored %d events, want 1", len(events))
		}
		first := events[0]
		if first.Type != "NOTE_ADDED" || first.ProviderEventType != "ConversationNoteAdded" ||
			first.Conversation == nil || first.Conversation.ExternalID != "1234" || first.Conversation.Status != "OPEN" {
			t.Fatalf("stored event: %+v", first)
		}
		// The store keeps the body byte for byte (the ingest and store tests
		// check that); inside a GraphQL JSON response it is the same value.
		if !sameJSON(t, first.Payload, note) {
			t.Fatalf("payload changed:\n%s\nwant\n%s", first.Payload, note)
		}
		for _, s := range []*wsStream{live, legacy} {
			if got := s.next(); got.ID != first.ID || got.Cursor != first.Cursor {
				t.Fatalf("stream got %+v, want %s", got, first.ID)
			}
		}

		for _, name := range []string{"conversation_note_added_seed2.json", "conversation_closed.json"} {
			if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
				t.Fatalf("delivery of %s: %d %s", name, status, body)
			}
		}
		all := listEvents(t, m)
		if len(all) != 3 {
			t.Fatalf("stored %d events, want 3", len(all))
		}
		for _, want := range all[1:] {
			if got := live.next(); got.ID != want.ID {
				t.Fatalf("live stream got %s, want %s", got.ID, want.ID)
			}
		}
		live.expectSilence(300 * time.Millisecond)

		// A stream resumed from the first event's cursor gets exactly the
		// events after it: replayed, then live, with no duplicate.
		resumed := openStream(t, m, "graphql-transport-ws", &first.Cursor)
		for _, want := range all[1:] {
			if got := resumed.next(); got.ID != want.ID {
				t.Fatalf("resumed stream got %s, want %s", got.ID, want.ID)
			}
		}
		resumed.expectSilence(300 * time.Millisecond)
		if status, _ := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_open.json")); status != http.StatusOK {
			t.Fatalf("delivery of conversation_open: %d", status)
		}
		latest := listEvents(t, m)
		if got := resumed.next(); got.ID != latest[3].ID {
			t.Fatalf("resumed stream got %s, want the new event %s", got.ID, latest[3].ID)
		}
		resumed.expectSilence(300 * time.Millisecond)
	})
}

func TestRefusedDeliveriesStoreNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		note := readSeed(t, "conversation_note_added_seed1.json")

		var wg sync.WaitGroup
		statuses := make([]int, 3)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _ = postDixa(t, sub.URL, sub.SecretKey, note)
			}()
		}
		wg.Wait()
		for _, s := range statuses {
			if s != http.StatusOK {
				t.Fatalf("concurrent redeliveries answered %v, want 200 each", statuses)
			}
		}
		if n := len(listEvents(t, m)); n != 1 {
			t.Fatalf("3 concurrent deliveries stored %d events, want 1", n)
		}

		big := append([]byte(`{"event_id":"big","pad":"`), bytes.Repeat([]byte("x"), 2<<20)...)
		big = append(big, `"}`...)
		other := readSeed(t, "conversation_open.json")
		cases := []struct {
			name   string
			secret string
			body   []byte
			status int
			error  string
		}{
			{"bad signature", "00" + sub.SecretKey[2:], other, http.StatusUnauthorized, "signature"},
			{"missing signature", "", other, http.StatusUnauthorized, "X-DIXA-SIGNATURE"},
			{"body over 1 MiB", sub.SecretKey, big, http.StatusRequestEntityTooLarge, "limit"},
			{"invalid JSON", sub.SecretKey, []byte(`{"event_id": "x",`), http.StatusBadRequest, "JSON"},
		}
		for _, c := range cases {
			status, body := postDixa(t, sub.URL, c.secret, c.body)
			var answer struct{ Error string }
			if err := json.Unmarshal([]byte(body), &answer); err != nil {
				t.Fatalf("%s: answer %q is not JSON", c.name, body)
			}
			if status != c.status || !strings.Contains(strings.ToLower(answer.Error), strings.ToLower(c.error)) {
				t.Fatalf("%s: got %d %q, want %d mentioning %q", c.name, status, answer.Error, c.status, c.error)
			}
		}
		if status, _ := postDixa(t, strings.Replace(sub.URL, sub.ID, "00000000-0000-4000-8000-000000000000", 1), sub.SecretKey, other); status != http.StatusNotFound {
			t.Fatalf("unknown subscription: %d, want 404", status)
		}
		if n := len(listEvents(t, m)); n != 1 {
			t.Fatalf("refused deliveries stored events: %d, want 1", n)
		}
	})
}

func TestGraphQLNeedsBearerToken(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	for _, token := range []string{"", "wrong"} {
		resp := graphQLRaw(t, m, token, `{ webhookSubscriptions { id } }`, nil)
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Fatalf("token %q: %+v", token, resp)
		}
	}
	resp := graphQLRaw(t, m, adminToken, `{ events(after: "nonsense") { edges { cursor } } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "cursor") {
		t.Fatalf("invalid cursor: %+v", resp)
	}
	resp = graphQLRaw(t, m, adminToken, `{ conversations(first: 1001) { edges { cursor } } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "1000") {
		t.Fatalf("first over the maximum: %+v", resp)
	}
}

func TestEmbeddedStoreIsCreatedAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite://" + filepath.Join(dir, "data", "gateway.db") // the folder does not exist yet
	m := startGateway(t, url)
	res, err := http.Get(m.URL() + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	sub := createDixaSubscription(t, m)
	for _, name := range []string{"conversation_created.json", "conversation_note_added_seed1.json"} {
		if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
			t.Fatalf("delivery: %d %s", status, body)
		}
	}
	before := listEvents(t, m)
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "gateway.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	again := startGateway(t, url)
	after := listEvents(t, again)
	b1, _ := json.Marshal(before)
	b2, _ := json.Marshal(after)
	if len(before) != 2 || !bytes.Equal(b1, b2) {
		t.Fatalf("events before restart %s, after %s", b1, b2)
	}
}

func TestEventStreamOverSSEAndShutdownEndsStreams(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	lines := openSSE(t, m, `subscription { eventStream(fromBeginning: true) { id type } }`)
	if status, _ := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_note_added_seed1.json")); status != http.StatusOK {
		t.Fatalf("delivery: %d", status)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("SSE stream ended before the event")
			}
			got = strings.HasPrefix(line, "data:") && strings.Contains(line, `"NOTE_ADDED"`)
		case <-deadline:
			t.Fatal("no event over SSE")
		}
	}
	live := openStream(t, m, "graphql-transport-ws", nil)
	if got := live.next(); got.Type != "NOTE_ADDED" {
		t.Fatalf("websocket replay: %+v", got)
	}
	waitForSample(t, m, "gateway_stream_subscribers", map[string]string{"transport": "sse"}, 1)
	waitForSample(t, m, "gateway_stream_subscribers", map[string]string{"transport": "websocket"}, 1)
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	// Shutdown closes the open streams with "service restart" and the
	// cursor to resume from, so clients reconnect elsewhere and resume.
	if code, reason := live.closedWith(); code != 1012 || !strings.Contains(reason, "resume after") {
		t.Fatalf("closed with %d %q on shutdown, want 1012 and the cursor", code, reason)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	gathered, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]*dto.MetricFamily{}
	for _, g := range gathered {
		f[g.GetName()] = g
	}
	expectSample(t, f, "gateway_stream_closed_total", map[string]string{"reason": "shutdown"}, 2)
	expectSample(t, f, "gateway_stream_subscribers", map[string]string{"transport": "sse"}, 0)
	expectSample(t, f, "gateway_stream_subscribers", map[string]string{"transport": "websocket"}, 0)
}

// sseRequest is a GraphQL subscription request over SSE with the admin
// token.
func sseRequest(ctx context.Context, m *Main, query string, vars map[string]any) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, "POST", m.URL()+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	return req
}

// openSSE starts a GraphQL subscription over SSE and returns the lines of
// its answer as they arrive; the channel closes when the stream ends.
func openSSE(t *testing.T, m *Main, query string) <-chan string {
	t.Helper()
	res, err := http.DefaultClient.Do(sseRequest(context.Background(), m, query, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("SSE answer: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-t.Context().Done():
				return
			}
		}
	}()
	return lines
}

func TestSSEEventsCarryTheirCursorAndResumeWithLastEventID(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	for _, name := range []string{"conversation_created.json", "conversation_open.json", "conversation_closed.json"} {
		if status, _ := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
			t.Fatal(status)
		}
	}
	all := listEvents(t, m)
	stream := func(lastEventID string, n int) (ids []string, types []string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := sseRequest(ctx, m, `subscription($after: String) { eventStream(after: $after, fromBeginning: true) { cursor providerEventType } }`, nil)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() && len(types) < n {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "id: "); ok {
				ids = append(ids, id)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var p struct {
					Data struct {
						EventStream struct{ Cursor, ProviderEventType string }
					}
				}
				if err := json.Unmarshal([]byte(data), &p); err != nil {
					t.Fatalf("data %s: %v", data, err)
				}
				types = append(types, p.Data.EventStream.ProviderEventType)
			}
		}
		return ids, types
	}
	ids, types := stream("", 3)
	if len(ids) != 3 || ids[0] != all[0].Cursor || ids[2] != all[2].Cursor || types[0] != "ConversationCreated" {
		t.Fatalf("ids %v types %v", ids, types)
	}
	ids, types = stream(ids[0], 2)
	if len(types) != 2 || types[0] != "ConversationOpen" || types[1] != "ConversationClosed" || ids[0] != all[1].Cursor {
		t.Fatalf("resumed with Last-Event-ID: ids %v types %v", ids, types)
	}
}
