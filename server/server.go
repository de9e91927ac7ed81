// Package server routes the gateway's HTTP surface: GraphQL (HTTP,
// websocket, SSE) behind bearer auth, GraphiQL, webhooks and health.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/auth"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
	"github.com/helpdesk-gateway/gateway/resolvers"
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
	Webhooks      http.Handler
	// Export serves GET /export/events.
	Export http.Handler
	Ready  Readiness
	Logger *slog.Logger
	// Introspection enables GraphQL schema introspection.
	Introspection bool
	// Limits bound each operation's depth and complexity.
	Limits QueryLimits
	// Extensions are added to the GraphQL handler (the dataloaders).
	Extensions []graphql.HandlerExtension
}

// New returns the gateway's HTTP handler.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}/{subscriptionId}", cfg.Webhooks)
	mux.Handle("/graphql", cfg.requireToken(cfg.graphQL(), true))
	mux.Handle("GET /export/events", cfg.requireToken(cfg.Export, false))
	mux.Handle("GET /{$}", playground.Handler("Helpdesk gateway", "/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httperror.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := cfg.Ready.Ready(ctx); err != nil {
			cfg.Logger.Warn("not ready", "err", err)
			httperror.Write(w, err)
			return
		}
		httperror.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return mux
}

func (cfg Config) graphQL() http.Handler {
	srv := handler.New(cfg.Schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		PingPongInterval:      10 * time.Second,
		InitTimeout:           10 * time.Second,
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			// Auth is a token in connection_init, not a cookie, so any
			// origin may connect.
			InsecureSkipVerify: true,
		}},
		InitFunc: cfg.websocketInit,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	limits := cfg.Limits
	srv.Use(&limits)
	for _, ext := range cfg.Extensions {
		srv.Use(ext)
	}
	srv.SetErrorPresenter(resolvers.ErrorPresenter(cfg.Logger))
	srv.SetRecoverFunc(resolvers.RecoverFunc(cfg.Logger))
	return srv
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
			w.Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
			if !websockets {
				httperror.Write(w, err)
				return
			}
			// GraphQL clients expect GraphQL's error shape.
			httperror.WriteJSON(w, httperror.Status(err), map[string]any{"errors": []*gqlerror.Error{{
				Message: domain.ErrorMessage(err), Extensions: map[string]any{"code": "UNAUTHENTICATED"},
			}}})
			return
		}
		next.ServeHTTP(w, r.WithContext(domain.WithIdentity(ctx, id)))
	})
}

func (cfg Config) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	header := payload.Authorization()
	if header == "" {
		header, _ = payload["authorization"].(string)
	}
	id, err := cfg.Authenticator.Authenticate(ctx, auth.BearerToken(header))
	if err != nil {
		return ctx, nil, err
	}
	return domain.WithIdentity(ctx, id), nil, nil
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
