package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/resolvers"
	"github.com/helpdesk-gateway/gateway/stream"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// testInit accepts the token "good" and refuses any other with 4403.
func testInit(ctx context.Context, payload transport.InitPayload, conn *wsConn) (context.Context, error) {
	if payload.Authorization() != "Bearer good" {
		return nil, &closeError{code: closeForbidden, reason: "invalid API key"}
	}
	return ctx, nil
}

// wsServer serves gqlgen's test schema over the transport.
func wsServer(t *testing.T, tr websocketTransport) (*testserver.TestServer, string) {
	t.Helper()
	ts := testserver.New()
	if tr.init == nil {
		tr.init = testInit
	}
	if tr.readLimit == 0 {
		tr.readLimit = websocketReadLimit
	}
	ts.AddTransport(tr)
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	return ts, "ws" + strings.TrimPrefix(srv.URL, "http")
}

// testClient is a websocket client that reads into a channel.
type testClient struct {
	t        *testing.T
	conn     *websocket.Conn
	messages chan map[string]any
	err      error // why the socket closed, once messages is closed
}

func dialTest(t *testing.T, url, protocol string) *testClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var protocols []string
	if protocol != "" {
		protocols = []string{protocol}
	}
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protocols})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &testClient{t: t, conn: conn, messages: make(chan map[string]any, 100)}
	go func() {
		defer close(c.messages)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				c.err = fmt.Errorf("not JSON: %s", b)
				return
			}
			c.messages <- m
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return c
}

// init sends connection_init with a good token and expects its ack.
func (c *testClient) init() {
	c.t.Helper()
	c.send(`{"type":"connection_init","payload":{"Authorization":"Bearer good"}}`)
	c.expect("connection_ack")
}

func (c *testClient) send(msg string) {
	c.t.Helper()
	if err := c.conn.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *testClient) read() map[string]any {
	c.t.Helper()
	select {
	case m, ok := <-c.messages:
		if !ok {
			c.t.Fatalf("socket closed: %v", c.err)
		}
		return m
	case <-time.After(5 * time.Second):
		c.t.Fatal("no message within 5s")
	}
	return nil
}

func (c *testClient) expect(typ string) map[string]any {
	c.t.Helper()
	m := c.read()
	if m["type"] != typ {
		c.t.Fatalf("want %s, got %v", typ, m)
	}
	return m
}

// closed waits for the socket to close and returns its close code and
// reason, skipping messages before.
func (c *testClient) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-c.messages:
			if !ok {
				var ce websocket.CloseError
				if errors.As(c.err, &ce) {
					return ce.Code, ce.Reason
				}
				return -1, fmt.Sprint(c.err)
			}
		case <-deadline:
			c.t.Fatal("the socket did not close")
		}
	}
}

func TestWebsocketTransportWSSubscription(t *testing.T) {
	ts, url := wsServer(t, websocketTransport{})
	c := dialTest(t, url, protocolTransportWS)
	c.init()
	c.send(`{"type":"subscribe","id":"s1","payload":{"query":"subscription { name }"}}`)
	ts.SendNextSubscriptionMessage()
	m := c.expect("next")
	if m["id"] != "s1" || fmt.Sprint(m["payload"]) != "map[data:map[name:test]]" {
		t.Fatalf("next: %v", m)
	}
	ts.SendCompleteSubscriptionMessage()
	if m := c.expect("complete"); m["id"] != "s1" {
		t.Fatalf("complete: %v", m)
	}
	// A query runs once and completes.
	c.send(`{"type":"subscribe","id":"q1","payload":{"query":"{ name }"}}`)
	if m := c.expect("next"); fmt.Sprint(m["payload"]) != "map[data:map[name:test]]" {
		t.Fatalf("query: %v", m)
	}
	c.expect("complete")
	// A document that does not parse is an error, then complete.
	c.send(`{"type":"subscribe","id":"bad","payload":{"query":"subscription {"}}`)
	if m := c.read(); m["type"] != "error" && m["type"] != "next" {
		t.Fatalf("want an error for a bad document, got %v", m)
	}
	c.expect("complete")
	// ping is answered with pong, carrying its payload.
	c.send(`{"type":"ping","payload":{"n":1}}`)
	if m := c.expect("pong"); fmt.Sprint(m["payload"]) != "map[n:1]" {
		t.Fatalf("pong: %v", m)
	}
}

func TestWebsocketGraphQLWSSubscriptionAndStop(t *testing.T) {
	ts, url := wsServer(t, websocketTransport{})
	for _, protocol := range []string{protocolGraphQLWS, ""} { // no subprotocol: graphql-ws
		c := dialTest(t, url, protocol)
		c.init()
		c.expect("ka")
		c.send(`{"type":"start","id":"1","payload":{"query":"subscription { name }"}}`)
		ts.SendNextSubscriptionMessage()
		if m := c.expect("data"); m["id"] != "1" {
			t.Fatalf("data: %v", m)
		}
		c.send(`{"type":"stop","id":"1"}`)
		c.expect("complete")
		c.send(`{"type":"connection_terminate"}`)
		if code, reason := c.closed(); code != websocket.StatusNormalClosure || reason != "terminated" {
			t.Fatalf("terminate: %d %q", code, reason)
		}
	}
}

func TestWebsocketInitRefusedClosesWithItsCode(t *testing.T) {
	_, url := wsServer(t, websocketTransport{})
	c := dialTest(t, url, protocolTransportWS)
	c.send(`{"type":"connection_init","payload":{"Authorization":"Bearer bad"}}`)
	if code, reason := c.closed(); code != closeForbidden || reason != "invalid API key" {
		t.Fatalf("got %d %q", code, reason)
	}
	// graphql-ws hears why first.
	c = dialTest(t, url, protocolGraphQLWS)
	c.send(`{"type":"connection_init","payload":{"Authorization":"Bearer bad"}}`)
	m := c.expect("connection_error")
	if fmt.Sprint(m["payload"]) != "map[message:invalid API key]" {
		t.Fatalf("connection_error: %v", m)
	}
	if code, _ := c.closed(); code != closeForbidden {
		t.Fatalf("graphql-ws: got %d", code)
	}
}

func TestWebsocketInitTimeoutCodes(t *testing.T) {
	_, url := wsServer(t, websocketTransport{initTimeout: 100 * time.Millisecond})
	for protocol, want := range map[string]websocket.StatusCode{protocolTransportWS: closeInitTimeout, protocolGraphQLWS: closeProtocolError} {
		c := dialTest(t, url, protocol)
		if code, reason := c.closed(); code != want || reason != "connection initialisation timeout" {
			t.Fatalf("%s: got %d %q", protocol, code, reason)
		}
	}
}

func TestWebsocketBadFirstMessages(t *testing.T) {
	_, url := wsServer(t, websocketTransport{})
	for _, tc := range []struct{ protocol, msg, reason string }{
		{protocolTransportWS, `not json`, "decoding error"},
		{protocolTransportWS, `{"type":"next"}`, "decoding error"},
		{protocolTransportWS, `{"type":"subscribe","id":"1","payload":{}}`, "unexpected message"},
		{protocolGraphQLWS, `{"type":"ka"}`, "unexpected message"},
	} {
		c := dialTest(t, url, tc.protocol)
		c.send(tc.msg)
		if code, reason := c.closed(); code != closeProtocolError || reason != tc.reason {
			t.Fatalf("%s %s: got %d %q", tc.protocol, tc.msg, code, reason)
		}
	}
}

func TestWebsocketPingsAndCutsASilentClient(t *testing.T) {
	_, url := wsServer(t, websocketTransport{pingPong: 100 * time.Millisecond})
	// A client that answers keeps its socket.
	c := dialTest(t, url, protocolTransportWS)
	c.init()
	for range 4 {
		c.expect("ping")
		c.send(`{"type":"pong"}`)
	}
	// One that does not is cut off within twice the interval.
	silent := dialTest(t, url, protocolTransportWS)
	silent.init()
	start := time.Now()
	silent.closed()
	if took := time.Since(start); took > time.Second {
		t.Fatalf("a silent client kept its socket for %v", took)
	}
	c.expect("ping") // the other one is still served
}

func TestWebsocketKeepAliveForGraphQLWS(t *testing.T) {
	_, url := wsServer(t, websocketTransport{keepAlive: 50 * time.Millisecond})
	c := dialTest(t, url, protocolGraphQLWS)
	c.init()
	for range 3 {
		c.expect("ka")
	}
}

// TestWebsocketReadsWhatCameWithTheHandshake sends connection_init in the
// same write as the upgrade request, so that the server reads it with the
// request's headers: it must still reach the socket.
func TestWebsocketReadsWhatCameWithTheHandshake(t *testing.T) {
	_, url := wsServer(t, websocketTransport{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
	init := []byte(`{"type":"connection_init","payload":{"Authorization":"Bearer good"}}`)
	frame := []byte{0x81, 0x80 | byte(len(init)), 1, 2, 3, 4} // masked text frame
	for i, b := range init {
		frame = append(frame, b^[]byte{1, 2, 3, 4}[i%4])
	}
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	head := make([]byte, 2)
	if _, err := r.Read(head[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(head[1:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, head[1]&0x7f)
	if _, err := r.Read(body); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(`"connection_ack"`)) {
		t.Fatalf("want connection_ack, got % x %s", head, body)
	}
}

// TestFrameWriterSendsEveryFrameWhole writes messages around each payload
// length encoding's bounds through the small buffers and checks that the
// client reads each one intact.
func TestFrameWriterSendsEveryFrameWhole(t *testing.T) {
	sizes := []int{0, 1, 13, 14, 15, 16, 17, 125, 126, 127, 4095, 65535, 65536, 70000}
	done := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(smallBuffers{w}, r, nil)
		if err != nil {
			done <- err
			return
		}
		ctx := ws.CloseRead(r.Context()) // reads the pongs
		for _, n := range sizes {
			if err := ws.Write(ctx, websocket.MessageBinary, message(n)); err != nil {
				done <- err
				return
			}
			// Control frames go through the same writer.
			if err := ws.Ping(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
		ws.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	for _, n := range sizes {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("message of %d bytes: %v", n, err)
		}
		if !bytes.Equal(b, message(n)) {
			t.Fatalf("message of %d bytes arrived as %d bytes, altered", n, len(b))
		}
	}
	// Reading on answers the last ping, then hears the close.
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("want the server's close, got %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func message(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return b
}

// eventSchema is a schema whose subscription streams the events a test
// publishes, through the transport's tap as eventStream does, and counts
// how often an event's response is executed.
type eventSchema struct {
	mu         sync.Mutex
	streams    []chan *domain.Event
	wakes      []func()
	executions atomic.Int64
}

func (s *eventSchema) executable() graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { name: String! }
		type Subscription { events(tag: String): String! }
	`})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ComplexityFunc: func(ctx context.Context, typeName, fieldName string, childComplexity int, args map[string]any) (int, bool) {
			return 1, true
		},
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			if graphql.GetOperationContext(ctx).Operation.Operation != ast.Subscription {
				return graphql.OneShot(&graphql.Response{Data: []byte(`{"name":"test"}`)})
			}
			src := make(chan *domain.Event, 16)
			s.mu.Lock()
			s.streams = append(s.streams, src)
			s.wakes = append(s.wakes, stream.WakeFrom(ctx))
			s.mu.Unlock()
			events := resolvers.TapEvents(ctx, src)
			return func(ctx context.Context) *graphql.Response {
				select {
				case e, ok := <-events:
					if !ok {
						return nil
					}
					s.executions.Add(1)
					return &graphql.Response{Data: []byte(`{"events":"` + e.ID + `"}`)}
				case <-ctx.Done():
					return nil
				}
			}
		},
	}
}

// publish hands e to every open stream, waking its reader as the hub does.
func (s *eventSchema) publish(e *domain.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, src := range s.streams {
		src <- e
		if s.wakes[i] != nil {
			s.wakes[i]()
		}
	}
}

// end closes every stream, as the hub does when it ends them.
func (s *eventSchema) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, src := range s.streams {
		close(src)
		if s.wakes[i] != nil {
			s.wakes[i]()
		}
	}
	s.streams, s.wakes = nil, nil
}

func (s *eventSchema) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

func TestSubscriptionsAskingTheSameShareEachEventsExecution(t *testing.T) {
	schema := &eventSchema{}
	srv := handler.New(schema.executable())
	shared := newSharedResponses()
	srv.AddTransport(websocketTransport{init: testInit, readLimit: websocketReadLimit, shared: shared})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")

	subscribe := func(protocol, id, variables string) *testClient {
		c := dialTest(t, url, protocol)
		c.init()
		start := "subscribe"
		if protocol == protocolGraphQLWS {
			c.expect("ka")
			start = "start"
		}
		c.send(`{"type":"` + start + `","id":"` + id + `","payload":{"query":"subscription($tag: String) { events(tag: $tag) }","variables":` + variables + `}}`)
		return c
	}
	same := []*testClient{
		subscribe(protocolTransportWS, "a", `{"tag":"x"}`),
		subscribe(protocolTransportWS, "b", `{"tag":"x"}`),
		subscribe(protocolGraphQLWS, "c", `{"tag":"x"}`),
	}
	other := subscribe(protocolTransportWS, "d", `{"tag":"y"}`)
	for deadline := time.Now().Add(5 * time.Second); schema.open() < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the subscriptions did not open")
		}
	}
	const events = 20
	for i := range events {
		schema.publish(&domain.Event{ID: fmt.Sprint("e", i)})
	}
	for _, c := range append(same, other) {
		for i := range events {
			m := c.read()
			if m["type"] != "next" && m["type"] != "data" {
				t.Fatalf("want an event, got %v", m)
			}
			want := fmt.Sprintf("map[data:map[events:e%d]]", i)
			if got := fmt.Sprint(m["payload"]); got != want {
				t.Fatalf("event %d: got %s, want %s", i, got, want)
			}
		}
	}
	// One execution of each event for the three that ask the same, one
	// for the one that asks otherwise.
	if got := schema.executions.Load(); got != 2*events {
		t.Fatalf("%d executions for %d events and two distinct subscriptions", got, events)
	}
	if got := shared.size(); got != 2 {
		t.Fatalf("%d groups open, want 2", got)
	}
	// The streams' end completes each subscription, and its group goes.
	schema.end()
	for _, c := range append(same, other) {
		c.expect("complete")
	}
	for deadline := time.Now().Add(5 * time.Second); shared.size() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d groups left open after their subscriptions ended", shared.size())
		}
	}
}

func TestSubscriptionEndsWhenTheClientCompletesIt(t *testing.T) {
	schema := &eventSchema{}
	srv := handler.New(schema.executable())
	shared := newSharedResponses()
	srv.AddTransport(websocketTransport{init: testInit, readLimit: websocketReadLimit, shared: shared})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := dialTest(t, "ws"+strings.TrimPrefix(hs.URL, "http"), protocolTransportWS)
	c.init()
	c.send(`{"type":"subscribe","id":"a","payload":{"query":"subscription { events }"}}`)
	for deadline := time.Now().Add(5 * time.Second); schema.open() < 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the subscription did not open")
		}
	}
	schema.publish(&domain.Event{ID: "e0"})
	c.expect("next")
	c.send(`{"type":"complete","id":"a"}`)
	// The operation's context ends; the stream (here the test's) is closed
	// by its owner, and the relay ends with it.
	schema.end()
	for deadline := time.Now().Add(5 * time.Second); shared.size() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the group stayed open")
		}
	}
}

func TestResponseGroupExecutesEachEventOnce(t *testing.T) {
	s := newSharedResponses()
	g := s.join("k")
	if s.join("k") != g {
		t.Fatal("one key, two groups")
	}
	e := &domain.Event{ID: "e"}
	r, encode := g.take(e)
	if !encode {
		t.Fatal("the first to take an event must execute it")
	}
	r2, encode2 := g.take(e)
	if encode2 || r2 != r {
		t.Fatal("the second to take an event must wait for the first's response")
	}
	select {
	case <-r2.done:
		t.Fatal("done before the response was made")
	default:
	}
	r.finish([]byte(`{"data":1}`))
	<-r2.done
	if string(r2.payload) != `{"data":1}` {
		t.Fatalf("payload %s", r2.payload)
	}
	// An event pushed out of the ring is executed again.
	for i := range recentResponses {
		r, _ := g.take(&domain.Event{ID: fmt.Sprint(i)})
		r.finish(nil)
	}
	if _, encode := g.take(e); !encode {
		t.Fatal("an event older than the ring was not executed again")
	}
	s.leave(g)
	s.leave(g)
	if s.size() != 0 {
		t.Fatal("the group outlived its subscriptions")
	}
}
