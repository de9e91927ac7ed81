// Package server routes the gateway's HTTP surface: GraphQL (HTTP,
// websocket, SSE) behind bearer auth, the browser pages (GraphiQL and the
// console), webhooks and health.
package server

import (
	"context"
	"errors"
	"github.com/vektah/gqlparser/v2/ast"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/auth"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
	"github.com/helpdesk-gateway/gateway/resolvers"
	"github.com/helpdesk-gateway/gateway/stream"
	"github.com/helpdesk-gateway/gateway/telemetry"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Authenticator turns a bearer token into an identity.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*domain.Identity, error)
}

// Readiness reports whether the store can serve.
type Readiness interface {
	Ready(ctx context.Context) error
}

// Config is what the routes are built from.
type Config struct {
	Schema        graphql.ExecutableSchema
	Authenticator Authenticator
	Sessions      SessionWatcher
	Webhooks      http.Handler
	// Export serves GET /export/events.
	Export http.Handler
	// Pages serves the browser pages: GET / (GraphiQL), /console and
	// /console/assets/.
	Pages  http.Handler
	Ready  Readiness
	Logger *slog.Logger
	// Introspection enables GraphQL schema introspection.
	Introspection bool
	// Limits bound each operation's depth and complexity.
	Limits QueryLimits
	// MaxResponseBytes bounds the payload bytes one response may hold.
	MaxResponseBytes int
	// Request bounds each GraphQL request before and while it runs.
	Request RequestLimits
	// Quotas bound what one API key, and everyone together, may ask.
	Quotas Quotas
	// Extensions are added to the GraphQL handler (the dataloaders).
	Extensions []graphql.HandlerExtension
	// Metrics, when set, serves GET /metrics.
	Metrics http.Handler
}

// RequestLimits bound a GraphQL request before its operation is
// validated, and while it runs.
type RequestLimits struct {
	// MaxBytes bounds a request's body (POST) or query string (GET).
	MaxBytes int64
	// MaxTokens bounds the tokens the parser reads from a document, so a
	// document's validation is bounded too.
	MaxTokens int
	// Timeout bounds a query's or mutation's run; subscriptions run on.
	Timeout time.Duration
}

// New returns the gateway's HTTP handler. Every request gets an id and an
// access-log line (see telemetry.Requests).
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}/{subscriptionId}", cfg.Webhooks)
	q := newQuota(cfg.Quotas)
	gql := sseResume(cfg.graphQL(q))
	mux.Handle("/graphql", cfg.limitBody(cfg.requireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			gql.ServeHTTP(w, r) // bounded per subscription, once authenticated
			return
		}
		q.admit(w, r, gql)
	}), true)))
	mux.Handle("GET /export/events", cfg.requireToken(cfg.Export, false))
	mux.Handle("GET /{$}", cfg.Pages)
	mux.Handle("GET /console", cfg.Pages)
	mux.Handle("GET /console/", cfg.Pages)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httperror.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := cfg.Ready.Ready(ctx); err != nil {
			cfg.Logger.WarnContext(r.Context(), "not ready", "err", err)
			httperror.Write(w, err)
			return
		}
		httperror.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	return telemetry.Requests(mux, cfg.Logger)
}

func (cfg Config) graphQL(q *quota) http.Handler {
	srv := handler.New(cfg.Schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		PingPongInterval:      10 * time.Second,
		InitTimeout:           10 * time.Second,
		Implementation: socketRecorder{transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			// Auth is a token in connection_init, not a cookie, so any
			// origin may connect.
			InsecureSkipVerify: true,
		}}},
		InitFunc: cfg.websocketInit,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(rawDataPOST{})
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		// "Did you mean ...?" would tell what introspection hides.
		srv.SetDisableSuggestion(true)
	}
	if cfg.Request.MaxTokens > 0 {
		srv.SetParserTokenLimit(cfg.Request.MaxTokens)
	}
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	limits := cfg.Limits
	srv.Use(&limits)
	for _, ext := range cfg.Extensions {
		srv.Use(ext)
	}
	srv.AroundRootFields(requireAdmin)
	srv.AroundOperations(q.subscriptions)
	if cfg.MaxResponseBytes > 0 {
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			return next(resolvers.WithResponseBudget(ctx, cfg.MaxResponseBytes))
		})
	}
	if cfg.Request.Timeout > 0 {
		srv.AroundOperations(deadline(cfg.Request.Timeout))
	}
	srv.AroundFields(resolvers.InternalErrors)
	srv.SetErrorPresenter(resolvers.ErrorPresenter(cfg.Logger))
	srv.SetRecoverFunc(resolvers.RecoverFunc(cfg.Logger))
	return srv
}

// limitBody refuses a GraphQL request body over the limit, and reads no
// more of it than that.
func (cfg Config) limitBody(next http.Handler) http.Handler {
	if cfg.Request.MaxBytes <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > cfg.Request.MaxBytes || int64(len(r.URL.RawQuery)) > cfg.Request.MaxBytes {
			httperror.Write(w, domain.Errorf(domain.ETOOLARGE, "the GraphQL request exceeds the limit of %d bytes", cfg.Request.MaxBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, cfg.Request.MaxBytes)
		next.ServeHTTP(w, r)
	})
}

// deadline ends a query or mutation that runs longer than d: its
// resolvers' context is cancelled, so the store reads it started end too.
// Subscriptions are long-lived by design.
func deadline(d time.Duration) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Subscription {
			return next(ctx)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		handler := next(ctx)
		// A query or mutation has one response: once it is made, nothing
		// runs on under this context.
		return func(ctx context.Context) *graphql.Response {
			defer cancel()
			return handler(ctx)
		}
	}
}

// requireToken authenticates requests by bearer token. Where websockets
// are served (GraphQL), a handshake carries its token in connection_init
// instead and is let through to be authenticated there.
func (cfg Config) requireToken(next http.Handler, websockets bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := resolvers.WithBaseURL(r.Context(), baseURL(r))
		if websockets && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, socketSlotKey{}, &socketSlot{})))
			return
		}
		id, err := cfg.Authenticator.Authenticate(ctx, auth.BearerToken(r.Header.Get("Authorization")))
		if err != nil {
			if httperror.Status(err) == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
			}
			if !websockets {
				httperror.Write(w, err)
				return
			}
			// GraphQL clients expect GraphQL's error shape.
			code := "UNAUTHENTICATED"
			if domain.ErrorCode(err) == domain.EUNAVAILABLE {
				code = "UNAVAILABLE"
				w.Header().Set("Retry-After", httperror.RetryAfterSeconds)
			}
			httperror.WriteJSON(w, httperror.Status(err), map[string]any{"errors": []*gqlerror.Error{{
				Message: domain.ErrorMessage(err), Extensions: map[string]any{"code": code},
			}}})
			return
		}
		// A long request (an SSE stream, an export) ends when its key is
		// revoked.
		ctx, stop := cfg.Sessions.Watch(domain.WithIdentity(ctx, id), id)
		defer stop()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// closeForbidden closes a websocket whose key was refused or revoked.
const closeForbidden = 4403

func (cfg Config) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	header := payload.Authorization()
	if header == "" {
		header, _ = payload["authorization"].(string)
	}
	id, err := cfg.Authenticator.Authenticate(ctx, auth.BearerToken(header))
	if err != nil {
		msg := domain.ErrorMessage(err)
		code := closeForbidden
		if domain.ErrorCode(err) == domain.EUNAVAILABLE {
			code = stream.CloseTryAgain
		}
		return transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), msg), nil, errors.New(msg)
	}
	ctx = stream.WithTransport(withConnection(domain.WithIdentity(ctx, id)), stream.TransportWebsocket)
	// The watched context ends when the key is revoked; gqlgen then closes
	// the socket. Writing our close frame first tells the client why.
	watched, _ := cfg.Sessions.Watch(ctx, id)
	slot, _ := ctx.Value(socketSlotKey{}).(*socketSlot)
	if slot == nil || slot.conn == nil {
		return watched, nil, nil
	}
	conn, cancel := context.WithCancel(ctx)
	context.AfterFunc(watched, func() {
		if errors.Is(context.Cause(watched), auth.ErrKeyRevoked) {
			_ = slot.conn.WriteClose(closeForbidden, "API key revoked") // the first close frame wins
		}
		cancel()
	})
	// Streams close the socket themselves when their reader falls behind
	// or the gateway shuts down, saying why and where to resume.
	return stream.WithCloser(conn, func(code int, reason string) {
		go func() { _ = slot.conn.WriteClose(code, reason) }()
		time.AfterFunc(time.Second, cancel) // a client that reads nothing cannot stall the close
	}), nil, nil
}

// SessionWatcher ends a session's context when its key is revoked.
type SessionWatcher interface {
	Watch(ctx context.Context, id *domain.Identity) (context.Context, func())
}

// socketSlot holds a request's websocket once it is accepted, so that the
// server can close it with a close code of its own.
type socketSlot struct{ conn transport.WebsocketConn }

type socketSlotKey struct{}

// socketRecorder puts each accepted websocket in its request's slot.
type socketRecorder struct {
	transport.WebsocketImplementation
}

func (s socketRecorder) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	accepted, err := s.WebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return accepted, err
	}
	conn := protocolConn{accepted}
	if slot, ok := r.Context().Value(socketSlotKey{}).(*socketSlot); ok {
		slot.conn = conn
	}
	return conn, nil
}

// closeInitTimeout is graphql-transport-ws's close code for a socket that
// sent no connection_init in time.
const closeInitTimeout = 4408

// protocolConn closes a graphql-transport-ws socket that never sent
// connection_init with the protocol's own code, 4408, where gqlgen sends a
// generic protocol error (1002).
type protocolConn struct{ transport.WebsocketConn }

func (c protocolConn) WriteClose(code int, message string) error {
	if code == transport.WebsocketCloseProtocolError && message == "connection initialisation timeout" && c.Subprotocol() == "graphql-transport-ws" {
		code = closeInitTimeout
	}
	return c.WebsocketConn.WriteClose(code, message)
}

// SetReadLimit and SetReadDeadline pass on the optional abilities of the
// wrapped connection, which gqlgen finds by type assertion.
func (c protocolConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c protocolConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// adminQueries are the queries only the ADMIN scope may run: they show
// credentials or where integrators receive data.
var adminQueries = map[string]bool{"apiKeys": true, "webhookEndpoints": true, "webhookEndpoint": true}

// requireAdmin refuses mutations and the admin queries to callers without
// the ADMIN scope, over every transport.
func requireAdmin(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rf := graphql.GetRootFieldContext(ctx)
	if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation || (rf != nil && adminQueries[rf.Field.Name]) {
		if err := auth.Require(ctx, domain.ScopeAdmin); err != nil {
			graphql.AddError(ctx, err)
			return graphql.Null
		}
	}
	return next(ctx)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
