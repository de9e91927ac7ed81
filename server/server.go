// Package server routes the gateway's HTTP surface: GraphQL (HTTP,
// websocket, SSE) and its SDL behind bearer auth and CORS, the browser
// pages (GraphiQL and the console), webhooks and health.
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
	// CORSAllowedOrigins are the origins whose pages may call the API; no
	// cross-origin call is allowed when empty.
	CORSAllowedOrigins []string
	// SSEKeepAlive is how often an idle SSE stream gets a comment line, so
	// that proxies between it and its client do not close it as idle.
	SSEKeepAlive time.Duration
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
	mux.Handle("GET /schema.graphql", cfg.requireToken(cfg.schemaHandler(), false))
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
	return telemetry.Requests(withCORS(cfg.CORSAllowedOrigins, mux), cfg.Logger)
}

func (cfg Config) graphQL(q *quota) http.Handler {
	srv := handler.New(cfg.Schema)
	srv.AddTransport(websocketTransport{
		init:        cfg.websocketInit,
		keepAlive:   10 * time.Second,
		pingPong:    10 * time.Second,
		initTimeout: 10 * time.Second,
		readLimit:   websocketReadLimit,
		shared:      newSharedResponses(),
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: cfg.SSEKeepAlive})
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
			next.ServeHTTP(w, r.WithContext(ctx))
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

// websocketReadLimit bounds a message a websocket client sends.
const websocketReadLimit = 1 << 20

// websocketInit authenticates a websocket's connection_init payload, and
// returns the connection's context: it ends when the key is revoked, after
// the socket was closed with 4403, and its streams close the socket with
// their own codes (see stream.Closer).
func (cfg Config) websocketInit(ctx context.Context, payload transport.InitPayload, conn *wsConn) (context.Context, error) {
	header := payload.Authorization()
	if header == "" {
		header, _ = payload["authorization"].(string)
	}
	id, err := cfg.Authenticator.Authenticate(ctx, auth.BearerToken(header))
	if err != nil {
		code := closeForbidden
		if domain.ErrorCode(err) == domain.EUNAVAILABLE {
			code = stream.CloseTryAgain
		}
		return nil, &closeError{code: code, reason: domain.ErrorMessage(err)}
	}
	ctx = stream.WithTransport(withConnection(domain.WithIdentity(ctx, id)), stream.TransportWebsocket)
	// The watched context ends when the key is revoked; the socket then
	// closes. Writing our close frame first tells the client why.
	watched, _ := cfg.Sessions.Watch(ctx, id)
	connCtx, cancel := context.WithCancel(ctx)
	context.AfterFunc(watched, func() {
		if errors.Is(context.Cause(watched), auth.ErrKeyRevoked) {
			conn.WriteClose(closeForbidden, "API key revoked") // the first close frame wins
		}
		cancel()
	})
	// Streams close the socket themselves when their reader falls behind
	// or the gateway shuts down, saying why and where to resume.
	return stream.WithCloser(connCtx, func(code int, reason string) {
		conn.WriteClose(code, reason)
		time.AfterFunc(time.Second, cancel) // a client that reads nothing cannot stall the close
	}), nil
}

// SessionWatcher ends a session's context when its key is revoked.
type SessionWatcher interface {
	Watch(ctx context.Context, id *domain.Identity) (context.Context, func())
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
