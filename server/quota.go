package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
	"github.com/helpdesk-gateway/gateway/ratelimit"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Quotas bound what one API key, and everyone together, may ask of
// GraphQL at a time. Zero fields impose nothing.
type Quotas struct {
	// PerKey limits each API key's GraphQL requests (the bootstrap admin
	// token counts as one key).
	PerKey *ratelimit.Limiter
	// MaxConcurrent bounds the queries and mutations run at once over
	// HTTP; live streams are bounded by the subscription limits instead.
	MaxConcurrent int
	// MaxSubscriptionsPerConnection bounds the live subscriptions of one
	// websocket; MaxSubscriptionsPerKey those of one key, over every
	// websocket and SSE stream. Past either, the subscribing operation is
	// answered an error and the connection stays open.
	MaxSubscriptionsPerConnection int
	MaxSubscriptionsPerKey        int
}

// quota enforces Quotas. It is safe for concurrent use.
type quota struct {
	Quotas
	running chan struct{}
	mu      sync.Mutex
	perKey  map[string]int
}

func newQuota(q Quotas) *quota {
	qt := &quota{Quotas: q, perKey: map[string]int{}}
	if q.MaxConcurrent > 0 {
		qt.running = make(chan struct{}, q.MaxConcurrent)
	}
	return qt
}

func keyOf(id *domain.Identity) string {
	if id == nil {
		return ""
	}
	if id.KeyID == "" {
		return "admin"
	}
	return id.KeyID
}

// admit answers 429 for a request over its key's rate or over the
// concurrency bound, or runs next.
func (q *quota) admit(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if ok, wait := q.PerKey.Allow(keyOf(domain.IdentityFrom(r.Context()))); !ok {
		writeGraphQLError(w, domain.RateLimited(wait, "too many GraphQL requests for this API key; retry later"))
		return
	}
	stream := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	if q.running == nil || stream {
		next.ServeHTTP(w, r)
		return
	}
	select {
	case q.running <- struct{}{}:
		defer func() { <-q.running }()
		next.ServeHTTP(w, r)
	default:
		writeGraphQLError(w, domain.RateLimited(0, "too many GraphQL requests running; retry later"))
	}
}

// writeGraphQLError answers err in GraphQL's error shape, with its HTTP
// status.
func writeGraphQLError(w http.ResponseWriter, err error) {
	code := map[string]string{domain.ERATELIMITED: "RATE_LIMITED", domain.EUNAVAILABLE: "UNAVAILABLE"}[domain.ErrorCode(err)]
	if code == "" {
		code = "UNAUTHENTICATED"
	}
	status := httperror.Status(err)
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", httperror.RetryAfter(err))
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", httperror.RetryAfterSeconds)
	}
	httperror.WriteJSON(w, status, map[string]any{"errors": []*gqlerror.Error{{
		Message: domain.ErrorMessage(err), Extensions: map[string]any{"code": code},
	}}})
}

// connSubscriptionsKey holds a websocket's count of live subscriptions.
type connSubscriptionsKey struct{}

// withConnection marks ctx as a websocket connection's, counting its
// subscriptions.
func withConnection(ctx context.Context) context.Context {
	return context.WithValue(ctx, connSubscriptionsKey{}, new(atomic.Int64))
}

// subscriptions bounds the live subscriptions per connection and per key:
// a subscription over a bound is answered an error; one admitted holds its
// places until its context ends.
func (q *quota) subscriptions(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	conn, _ := ctx.Value(connSubscriptionsKey{}).(*atomic.Int64)
	if conn == nil || q.MaxSubscriptionsPerConnection <= 0 {
		conn = nil
	} else if conn.Add(1) > int64(q.MaxSubscriptionsPerConnection) {
		conn.Add(-1)
		return refused(q.MaxSubscriptionsPerConnection, "this connection")
	}
	key := keyOf(domain.IdentityFrom(ctx))
	counted := q.MaxSubscriptionsPerKey > 0
	if counted {
		q.mu.Lock()
		full := q.perKey[key] >= q.MaxSubscriptionsPerKey
		if !full {
			q.perKey[key]++
		}
		q.mu.Unlock()
		if full {
			if conn != nil {
				conn.Add(-1)
			}
			return refused(q.MaxSubscriptionsPerKey, "this API key")
		}
	}
	context.AfterFunc(ctx, func() {
		if conn != nil {
			conn.Add(-1)
		}
		if counted {
			q.mu.Lock()
			if q.perKey[key]--; q.perKey[key] <= 0 {
				delete(q.perKey, key)
			}
			q.mu.Unlock()
		}
	})
	return next(ctx)
}

func refused(limit int, whose string) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
		Message:    "too many live subscriptions on " + whose + ": the limit is " + strconv.Itoa(limit) + "; end one first",
		Extensions: map[string]any{"code": "RATE_LIMITED"},
	}}})
}
