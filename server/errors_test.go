package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
	"github.com/helpdesk-gateway/gateway/resolvers"
	"github.com/helpdesk-gateway/gateway/telemetry"
)

// failingStore fails every read it is asked for with a driver's text.
type failingStore struct{ resolvers.Store }

const driverText = "pq: relation \"secret_table\" does not exist at 10.0.0.7"

func (failingStore) ListSubscriptions(context.Context) ([]*domain.WebhookSubscription, error) {
	return nil, errors.New(driverText)
}

type admin struct{}

func (admin) Authenticate(context.Context, string) (*domain.Identity, error) {
	return &domain.Identity{Name: "test", Admin: true, Scope: domain.ScopeAdmin}, nil
}

func (admin) Watch(ctx context.Context, _ *domain.Identity) (context.Context, func()) {
	return ctx, func() {}
}

type gqlResponse struct {
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func post(t *testing.T, h http.Handler, query string) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response %q: %v", rec.Body.String(), err)
	}
	return resp
}

func TestResolverErrorsThatAreNotDomainErrorsAreInternal(t *testing.T) {
	var logs bytes.Buffer
	// As in the gateway, the logger reads the request id from the context.
	logger := slog.New(telemetry.LogHandler(slog.NewTextHandler(&logs, nil)))
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{
		Store: failingStore{}, Logger: logger, Now: time.Now, MaxPageSize: 100,
	}})
	h := New(Config{Schema: schema, Authenticator: admin{}, Sessions: admin{}, Logger: logger, Webhooks: http.NotFoundHandler(), Export: http.NotFoundHandler(), Pages: http.NotFoundHandler()})

	resp := post(t, h, `query Hooks { webhookSubscriptions { id } }`)
	if len(resp.Errors) != 1 {
		t.Fatalf("errors %+v, want one", resp.Errors)
	}
	e := resp.Errors[0]
	if e.Extensions["code"] != "INTERNAL" || strings.Contains(e.Message, "secret_table") || e.Message != "internal error" {
		t.Fatalf("error %+v, want INTERNAL with a generic message", e)
	}
	for _, want := range []string{"secret_table", "path=webhookSubscriptions", "request_id=req-42", "operation=Hooks"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}

	// Errors gqlgen finds in the document stay the caller's, as they were.
	for query, want := range map[string]string{
		`{ webhookSubscriptions { nope } }`:                                                 `Cannot query field "nope"`,
		`{ webhookSubscriptions(first: 1) { id } }`:                                         `Unknown argument "first"`,
		`mutation { createWebhookSubscription(input: {provider: NOPE, name: "x"}) { id } }`: `NOPE`,
	} {
		resp := post(t, h, query)
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] == "INTERNAL" || !strings.Contains(resp.Errors[0].Message, want) {
			t.Errorf("%s: errors %+v, want the caller's error naming %q", query, resp.Errors, want)
		}
	}
}

func TestEnumInputErrorsAreInvalid(t *testing.T) {
	var p domain.Provider
	if err := p.UnmarshalGQL("NOPE"); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("UnmarshalGQL(NOPE) = %v, want an EINVALID error", err)
	}
}
