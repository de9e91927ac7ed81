package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/resolvers"
	"github.com/helpdesk-gateway/gateway/stream"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Websocket close codes the transport sends besides the streams' own (see
// stream.Close*).
const (
	closeNormal        = 1000
	closeProtocolError = 1002
	// closeForbidden closes a websocket whose key was refused or revoked.
	closeForbidden = 4403
	// closeInitTimeout is graphql-transport-ws's code for a socket that
	// sent no connection_init in time; graphql-ws sockets get 1002.
	closeInitTimeout = 4408
)

// The websocket subprotocols served.
const (
	protocolTransportWS = "graphql-transport-ws"
	protocolGraphQLWS   = "graphql-ws"
)

// websocketTransport serves GraphQL over websockets in both protocols
// GraphQL clients speak: graphql-transport-ws and the older graphql-ws (also
// what a client that names no subprotocol gets). It implements
// graphql.Transport.
//
// An idle connection costs one goroutine, which reads the client's
// messages (the request's own returns once the socket is accepted, and the
// handshake's buffers with it), plus the hub's one for each live stream:
// keep-alives, pings, the init timeout and closing on a cancelled context
// are timers and context callbacks. A live eventStream keeps no goroutine
// of its own while it waits (see relay), and an event's response is
// executed once for all the subscriptions that ask the same of it (see
// sharedResponses), not once per subscriber. Other operations run on a
// goroutine each until they end.
type websocketTransport struct {
	// init authenticates connection_init's payload. On success it returns
	// the connection's context; on failure a *closeError saying how to
	// close the socket.
	init func(ctx context.Context, payload transport.InitPayload, conn *wsConn) (context.Context, error)
	// keepAlive is how often an idle graphql-ws socket gets "ka".
	keepAlive time.Duration
	// pingPong is how often a graphql-transport-ws socket is pinged; one
	// that answers no ping within twice this is closed.
	pingPong time.Duration
	// initTimeout bounds the wait for connection_init.
	initTimeout time.Duration
	// readLimit bounds a message from the client.
	readLimit int64
	// shared is where subscriptions share their events' responses.
	shared *sharedResponses
}

// closeError is an init failure: the socket is closed with code and reason.
type closeError struct {
	code   int
	reason string
}

func (e *closeError) Error() string { return e.reason }

var _ graphql.Transport = websocketTransport{}

func (t websocketTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") != ""
}

func (t websocketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		Subprotocols: []string{protocolGraphQLWS, protocolTransportWS},
		// Auth is a token in connection_init, not a cookie, so any origin
		// may connect.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept answered the request
	}
	ws.SetReadLimit(t.readLimit)
	c := &wsConn{
		t:           &t,
		ws:          ws,
		transportWS: ws.Subprotocol() == protocolTransportWS,
		exec:        exec,
		base:        baseURL(r),
		active:      map[string]context.CancelFunc{},
	}
	// Once initialised, the socket is served on a goroutine of its own,
	// and the request's returns: the server's connection, its 4 KiB buffers and the deep
	// stack of the handlers it ran through are freed. The socket's context
	// keeps the request's values, and ends with the socket.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	if !c.handshake(ctx) {
		cancel()
		return
	}
	go func() {
		defer cancel()
		c.serve()
	}()
}

// wsConn is one websocket: its protocol state and the operations it runs.
// Writes may come from any goroutine (coder/websocket serialises frames);
// mu guards the rest.
type wsConn struct {
	t           *websocketTransport
	ws          *websocket.Conn
	transportWS bool // graphql-transport-ws, else graphql-ws
	exec        graphql.GraphExecutor
	base        string          // the base URL the request came to
	ctx         context.Context // the connection's, once initialised

	mu           sync.Mutex
	active       map[string]context.CancelFunc // operations by id
	closed       bool                          // close began
	closing      bool                          // a close frame was sent (or is being sent)
	keepAlive    *time.Timer                   // the next ka or ping
	readDeadline *time.Timer                   // closes a socket that stopped answering pings
	receivedPong bool
}

// clientMessage is a message from the client, in either protocol.
type clientMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
}

// messageKind is what a client's message asks, whatever its protocol
// calls it.
type messageKind int

const (
	kindInit messageKind = iota
	kindTerminate
	kindStart
	kindStop
	kindPing
	kindPong
	kindServer // a server's message type, sent by the client
)

// String names a kind in "unexpected message" errors.
func (k messageKind) String() string {
	switch k {
	case kindInit:
		return "init"
	case kindTerminate:
		return "connection close"
	case kindStart:
		return "start"
	case kindStop:
		return "stop subscription"
	case kindPing:
		return "ping"
	case kindPong:
		return "pong"
	}
	return "server message"
}

var (
	// errInvalidMessage is a message that is no JSON, or of no type
	// either protocol knows.
	errInvalidMessage = errors.New("invalid message received")
	// errWrongDirection is a server's message type sent by the client.
	errWrongDirection = errors.New("invalid client->server message type")
)

var transportWSKinds = map[string]messageKind{
	"connection_init": kindInit, "subscribe": kindStart, "complete": kindStop, "ping": kindPing, "pong": kindPong,
}

var transportWSServerTypes = map[string]bool{"connection_ack": true, "next": true, "error": true}

var graphqlWSKinds = map[string]messageKind{
	"connection_init": kindInit, "connection_terminate": kindTerminate, "start": kindStart, "stop": kindStop,
	"connection_ack": kindServer, "connection_error": kindServer, "data": kindServer, "error": kindServer,
	"complete": kindServer, "ka": kindServer,
}

// next reads the client's next message.
func (c *wsConn) next(ctx context.Context) (clientMessage, messageKind, error) {
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		return clientMessage{}, 0, err
	}
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return m, 0, errInvalidMessage
	}
	if c.transportWS {
		if kind, ok := transportWSKinds[m.Type]; ok {
			return m, kind, nil
		}
		if transportWSServerTypes[m.Type] {
			return m, 0, errWrongDirection
		}
		return m, 0, errInvalidMessage
	}
	kind, ok := graphqlWSKinds[m.Type]
	if !ok {
		return m, 0, errInvalidMessage
	}
	return m, kind, nil
}

// handshake waits for connection_init and authenticates it, answering
// connection_ack; it reports false when the socket was closed instead.
func (c *wsConn) handshake(ctx context.Context) bool {
	var timedOut *time.Timer
	if c.t.initTimeout > 0 {
		timedOut = time.AfterFunc(c.t.initTimeout, func() {
			code := closeProtocolError
			if c.transportWS {
				code = closeInitTimeout
			}
			c.close(code, "connection initialisation timeout")
		})
	}
	m, kind, err := c.next(ctx)
	if timedOut != nil && !timedOut.Stop() {
		return false // closed by the timer
	}
	if err != nil {
		if errors.Is(err, errInvalidMessage) {
			c.connectionError("invalid json")
		}
		c.close(closeProtocolError, "decoding error")
		return false
	}
	switch kind {
	case kindInit:
		var payload transport.InitPayload
		if len(m.Payload) > 0 {
			if err := json.Unmarshal(m.Payload, &payload); err != nil {
				c.close(closeProtocolError, "decoding error")
				return false
			}
		}
		connCtx, err := c.t.init(ctx, payload, c)
		if err != nil {
			c.connectionError(err.Error())
			ce := &closeError{code: closeNormal, reason: "terminated"}
			errors.As(err, &ce)
			c.close(ce.code, ce.reason)
			return false
		}
		c.ctx = connCtx
		c.write(c.frame("connection_ack", "", nil))
		if !c.transportWS {
			c.write(c.frame("ka", "", nil))
		}
		return true
	case kindTerminate:
		c.close(closeNormal, "terminated")
	default:
		c.connectionError("unexpected message " + kind.String())
		c.close(closeProtocolError, "unexpected message")
	}
	return false
}

// serve reads the client's messages until the socket closes, keeping the
// socket alive meanwhile.
func (c *wsConn) serve() {
	// The connection's context ends when its key is revoked or the server
	// shuts down; the socket closes then.
	stop := context.AfterFunc(c.ctx, func() { c.close(closeNormal, "terminated") })
	defer stop()
	defer c.close(closeNormal, "terminated")
	c.mu.Lock()
	switch {
	case !c.transportWS && c.t.keepAlive > 0:
		c.keepAlive = time.AfterFunc(c.t.keepAlive, c.sendKeepAlive)
	case c.transportWS && c.t.pingPong > 0:
		c.keepAlive = time.AfterFunc(c.t.pingPong, c.sendPing)
		c.setReadDeadlineLocked(2 * c.t.pingPong)
	}
	c.mu.Unlock()
	for {
		start := graphql.Now()
		m, kind, err := c.next(context.Background())
		if err != nil {
			return
		}
		switch kind {
		case kindStart:
			c.subscribe(start, m)
		case kindStop:
			c.mu.Lock()
			cancelOp := c.active[m.ID]
			c.mu.Unlock()
			if cancelOp != nil {
				cancelOp()
			}
		case kindTerminate:
			c.close(closeNormal, "terminated")
			return
		case kindPing:
			c.write(c.frame("pong", "", m.Payload))
		case kindPong:
			c.mu.Lock()
			c.receivedPong = true
			c.setReadDeadlineLocked(0)
			c.mu.Unlock()
		default:
			c.connectionError("unexpected message " + kind.String())
			c.close(closeProtocolError, "unexpected message")
			return
		}
	}
}

// sendKeepAlive writes graphql-ws's "ka" and schedules the next.
func (c *wsConn) sendKeepAlive() {
	c.write(c.frame("ka", "", nil))
	c.mu.Lock()
	if !c.closed {
		c.keepAlive.Reset(c.t.keepAlive)
	}
	c.mu.Unlock()
}

// sendPing writes graphql-transport-ws's ping and schedules the next. A
// socket that answered the previous ping must answer this one within
// twice the interval; one that did not keeps its earlier deadline.
func (c *wsConn) sendPing() {
	c.write(c.frame("ping", "", nil))
	c.mu.Lock()
	if !c.closed {
		if c.receivedPong {
			c.setReadDeadlineLocked(2 * c.t.pingPong)
		}
		c.receivedPong = false
		c.keepAlive.Reset(c.t.pingPong)
	}
	c.mu.Unlock()
}

// setReadDeadlineLocked closes the socket, without a close frame, unless
// a pong clears the deadline within d; d == 0 clears it. Call with mu held.
func (c *wsConn) setReadDeadlineLocked(d time.Duration) {
	if c.readDeadline != nil {
		c.readDeadline.Stop()
		c.readDeadline = nil
	}
	if d > 0 && !c.closed {
		c.readDeadline = time.AfterFunc(d, func() { _ = c.ws.CloseNow() })
	}
}

// subscribe starts the operation a start (graphql-ws) or subscribe
// (graphql-transport-ws) message asks for, on a goroutine of its own: the
// reading goroutine parses, validates and executes nothing, so its stack
// stays small.
func (c *wsConn) subscribe(start time.Time, m clientMessage) {
	ctx, cancel := context.WithCancel(c.ctx)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cancel()
		return
	}
	c.active[m.ID] = cancel
	c.mu.Unlock()
	go c.start(ctx, cancel, m.ID, start, m.Payload)
}

// start prepares and runs an operation. A live eventStream's responses
// are then written by a goroutine started afresh (see relay), whose stack
// holds none of what preparing the operation needed.
func (c *wsConn) start(ctx context.Context, cancel context.CancelFunc, id string, start time.Time, payload json.RawMessage) {
	ctx = graphql.StartOperationTrace(ctx)
	rc := c.prepare(ctx, id, start, payload)
	if rc == nil {
		c.forget(id, cancel)
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	var tap *resolvers.EventTap
	if rc.Operation.Operation == ast.Subscription && c.t.shared != nil {
		ctx, tap = resolvers.WithEventTap(ctx)
	}
	c.guard(ctx, rc, id, cancel, func() bool {
		var r *relay
		if tap != nil {
			// Until it is set up, the relay is taken: wakes wait for it.
			r = &relay{c: c, id: id, rc: rc, tap: tap, cancel: cancel}
			r.running.Store(true)
			ctx = stream.WithWake(ctx, r.wake)
		}
		responses, ctx := c.exec.DispatchOperation(ctx, rc)
		if r != nil && tap.Events() != nil {
			r.ctx, r.responses, r.events = ctx, responses, tap.Events()
			r.group = c.t.shared.join(c.t.shared.key(ctx, rc, c.base))
			r.drain()
			return true // the relay ends the operation
		}
		for {
			response := responses(ctx)
			if response == nil {
				return false
			}
			c.sendResponse(id, response)
		}
	})
}

// prepare decodes and validates an operation, or answers why it cannot
// run (an error, then complete) and returns nil.
func (c *wsConn) prepare(ctx context.Context, id string, start time.Time, payload json.RawMessage) *graphql.OperationContext {
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		c.sendError(id, &gqlerror.Error{Message: "invalid json"})
		c.complete(id)
		return nil
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, err := c.exec.CreateOperationContext(ctx, params)
	if err != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), err)
		if errcode.GetErrorKind(err) == errcode.KindProtocol {
			c.sendError(id, resp.Errors...)
		} else {
			c.sendResponse(id, &graphql.Response{Errors: err})
		}
		c.complete(id)
		return nil
	}
	return rc
}

// guard runs an operation's responses, fn, and then ends the operation:
// with complete, or with an error when fn panicked. When fn reports that
// it handed the operation on, it is left running.
func (c *wsConn) guard(ctx context.Context, rc *graphql.OperationContext, id string, cancel context.CancelFunc, fn func() (handedOn bool)) {
	handedOn := false
	defer func() {
		if handedOn {
			return
		}
		if r := recover(); r != nil {
			err := rc.Recover(ctx, r)
			var gqlErr *gqlerror.Error
			if !errors.As(err, &gqlErr) {
				gqlErr = &gqlerror.Error{}
				if err != nil {
					gqlErr.Message = err.Error()
				}
			}
			c.sendError(id, gqlErr)
		} else if c.ctx.Err() == nil {
			// A cancelled connection closes the socket; complete would
			// say the operation ended normally.
			c.complete(id)
		}
		c.forget(id, cancel)
	}()
	handedOn = fn()
}

// forget removes an ended operation.
func (c *wsConn) forget(id string, cancel context.CancelFunc) {
	c.mu.Lock()
	delete(c.active, id)
	c.mu.Unlock()
	cancel()
}

// relay writes the responses to a live eventStream's events. It keeps no
// goroutine while it waits: the stream wakes it (see stream.WithWake) after
// each event it queues and when it ends, and a goroutine drains the queue
// then, and is gone once the queue is empty. Each event's response is
// shared with the other subscriptions of the same key (see
// sharedResponses): one of them executes the event, the others write what
// it made.
type relay struct {
	c         *wsConn
	id        string
	rc        *graphql.OperationContext
	tap       *resolvers.EventTap
	cancel    context.CancelFunc
	ctx       context.Context
	responses graphql.ResponseHandler
	events    <-chan *domain.Event
	group     *responseGroup

	running atomic.Bool   // a goroutine drains the queue, or the relay ended
	wakes   atomic.Uint64 // counts wakes, so a drain that stops sees one it missed
}

// wake starts a goroutine draining the queue, unless one runs.
func (r *relay) wake() {
	r.wakes.Add(1)
	if r.running.CompareAndSwap(false, true) {
		go r.drain()
	}
}

// drain writes the queued events' responses, then lets go of the relay,
// unless the stream woke it meanwhile. It ends the operation when the
// stream ends.
func (r *relay) drain() {
	defer func() {
		if p := recover(); p != nil {
			r.end(p)
		}
	}()
	for {
		seen := r.wakes.Load()
		for more := true; more; {
			select {
			case e, ok := <-r.events:
				if !ok || !r.deliver(e) {
					r.end(nil)
					return // the relay stays taken: it ended
				}
			default:
				more = false
			}
		}
		r.running.Store(false)
		if r.wakes.Load() == seen || !r.running.CompareAndSwap(false, true) {
			return
		}
	}
}

// deliver writes e's response; false when the operation ended instead.
func (r *relay) deliver(e *domain.Event) bool {
	if r.ctx.Err() != nil {
		return false
	}
	shared, encode := r.group.take(e)
	if !encode {
		select {
		case <-shared.done:
		case <-r.ctx.Done():
			return false
		}
		if shared.payload != nil {
			r.c.write(r.c.frame(r.c.dataType(), r.id, shared.payload))
			return true
		}
		shared = nil // its execution failed: execute it here
	}
	var payload []byte
	defer func() { shared.finish(payload) }()
	r.tap.Execute(e)
	response := r.responses(r.ctx)
	if response == nil {
		return false
	}
	payload, err := json.Marshal(response)
	if err != nil {
		panic(err)
	}
	r.c.write(r.c.frame(r.c.dataType(), r.id, payload))
	return true
}

// end ends the operation: with an error when it panicked, else with
// complete while the connection is open.
func (r *relay) end(panicked any) {
	r.tap.Close()
	r.c.t.shared.leave(r.group)
	r.c.guard(r.ctx, r.rc, r.id, r.cancel, func() bool {
		if panicked != nil {
			panic(panicked)
		}
		return false
	})
}

func (c *wsConn) dataType() string {
	if c.transportWS {
		return "next"
	}
	return "data"
}

func (c *wsConn) sendResponse(id string, response *graphql.Response) {
	b, err := json.Marshal(response)
	if err != nil {
		panic(err)
	}
	c.write(c.frame(c.dataType(), id, b))
}

func (c *wsConn) complete(id string) {
	c.write(c.frame("complete", id, nil))
}

func (c *wsConn) sendError(id string, errs ...*gqlerror.Error) {
	list := make([]error, len(errs))
	for i, err := range errs {
		list[i] = err
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(err)
	}
	c.write(c.frame("error", id, b))
}

// connectionError tells a graphql-ws client why its connection fails;
// graphql-transport-ws says it with the close frame alone.
func (c *wsConn) connectionError(message string) {
	if c.transportWS {
		return
	}
	b, err := json.Marshal(&gqlerror.Error{Message: message})
	if err != nil {
		panic(err)
	}
	c.write(c.frame("connection_error", "", b))
}

// frame is a message to the client: {"payload":…,"id":…,"type":…}, the
// first two when given.
func (c *wsConn) frame(typ, id string, payload []byte) []byte {
	b := make([]byte, 0, len(payload)+len(id)+len(typ)+32)
	b = append(b, '{')
	if len(payload) > 0 {
		b = append(b, `"payload":`...)
		b = append(b, payload...)
		b = append(b, ',')
	}
	if id != "" {
		q, _ := json.Marshal(id)
		b = append(b, `"id":`...)
		b = append(b, q...)
		b = append(b, ',')
	}
	b = append(b, `"type":"`...)
	b = append(b, typ...)
	return append(b, `"}`...)
}

// write sends a text message; a socket that is closing takes no more.
func (c *wsConn) write(msg []byte) {
	_ = c.ws.Write(context.Background(), websocket.MessageText, msg)
}

// WriteClose starts the close handshake with code and reason, unless one
// began already: the first close frame wins. It does not wait for the
// client's answer (coder/websocket waits up to five seconds for it).
func (c *wsConn) WriteClose(code int, reason string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.mu.Unlock()
	go func() { _ = c.ws.Close(websocket.StatusCode(code), reason) }()
}

// close closes the socket with code and reason (unless a close frame was
// sent already) and cancels its operations. Only the first call acts.
func (c *wsConn) close(code int, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.keepAlive != nil {
		c.keepAlive.Stop()
	}
	c.setReadDeadlineLocked(0)
	active := c.active
	c.active = map[string]context.CancelFunc{}
	c.mu.Unlock()
	c.WriteClose(code, reason)
	for _, cancel := range active {
		cancel()
	}
}
