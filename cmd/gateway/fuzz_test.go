package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// panicWatch is a log handler that remembers whether anything was logged
// at error level: a resolver's panic is logged so, and answered as an
// internal error.
type panicWatch struct {
	slog.Handler
	mu     sync.Mutex
	errors []string
}

func (p *panicWatch) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		p.mu.Lock()
		p.errors = append(p.errors, r.Message)
		p.mu.Unlock()
	}
	return nil
}

func (p *panicWatch) Enabled(context.Context, slog.Level) bool { return true }

// FuzzGraphQLRequest sends arbitrary documents and variables through the
// gateway's real HTTP handler, schema and an empty store: every request is
// answered within the request budget, with a status the gateway means, and
// nothing panics.
//
//	go test ./cmd/gateway -run '^$' -fuzz FuzzGraphQLRequest -fuzztime 5m
func FuzzGraphQLRequest(f *testing.F) {
	for _, seed := range []struct{ query, vars string }{
		{`{ events(first: 10) { edges { cursor node { id type payload conversation { id status } } } pageInfo { hasNextPage endCursor } } }`, `{}`},
		{`query($a: String) { events(first: 5, after: $a) { edges { node { id } } } }`, `{"a": "ZXYyOjE"}`},
		{`{ conversations(first: 3, filter: {search: "x"}) { totalCount edges { node { id messages(last: 2) { edges { node { content } } } requester { name } } } } }`, `{}`},
		{`mutation { createWebhookSubscription(input: {provider: DIXA, name: "f"}) { id secretKey } }`, `{}`},
		{`{ node(id: "x") { id } webhookSubscriptions { id eventLogs(first: 1) { payload } } }`, `{}`},
		{`query { ...F0 } fragment F0 on Query { ...F1 ...F1 } fragment F1 on Query { __typename }`, `{}`},
		{`{ __schema { types { name fields { name } } } }`, `{}`},
	} {
		f.Add(seed.query, seed.vars)
	}
	watch := &panicWatch{}
	m := startGatewayLogged(f, dbtest.SQLiteURL(f), slog.New(watch), "-graphql-timeout", "2s", "-graphql-rate", "1000000")
	handler := m.server.Handler
	f.Fuzz(func(t *testing.T, query, vars string) {
		var variables any
		if json.Unmarshal([]byte(vars), &variables) != nil {
			variables = nil
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
		req := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		rec := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(rec, req)
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("answered after %v, over the 2s budget: %q", took, query)
		}
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, query, rec.Body.String())
		}
		answer, _ := io.ReadAll(rec.Body)
		if bytes.Contains(answer, []byte(`"INTERNAL"`)) {
			t.Fatalf("internal error for %q %s: %s", query, vars, answer)
		}
		watch.mu.Lock()
		logged := strings.Join(watch.errors, "; ")
		watch.errors = nil
		watch.mu.Unlock()
		if logged != "" {
			t.Fatalf("%q %s logged an error: %s", query, vars, logged)
		}
	})
}
