package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

func createKey(t *testing.T, m *Main, name, scope string) (id, token string) {
	t.Helper()
	var out struct {
		K struct{ ID, Token, Scope string } `json:"createApiKey"`
	}
	graphQL(t, m, `mutation($n: String!, $s: ApiKeyScope!) { createApiKey(name: $n, scope: $s) { id token scope } }`,
		map[string]any{"n": name, "s": scope}, &out)
	if out.K.ID == "" || !strings.HasPrefix(out.K.Token, "gk_") || out.K.Scope != scope {
		t.Fatalf("created key: %+v", out.K)
	}
	return out.K.ID, out.K.Token
}

func getWithToken(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestAPIKeysScopesAndRevocation(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		readID, readToken := createKey(t, m, "analytics", "READ")
		_, adminKey := createKey(t, m, "ops", "ADMIN")

		if resp := graphQLRaw(t, m, "", `{ events { edges { cursor } } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Fatalf("no token: %+v", resp)
		}
		if resp := graphQLRaw(t, m, readToken, `{ events { edges { cursor } } conversations { totalCount } }`, nil); len(resp.Errors) != 0 {
			t.Fatalf("READ key query: %+v", resp.Errors)
		}
		for _, q := range []string{
			`mutation { createWebhookSubscription(input: {provider: DIXA, name: "x"}) { id } }`,
			`mutation { createApiKey(name: "escalate", scope: ADMIN) { token } }`,
			`{ apiKeys { id } }`,
		} {
			resp := graphQLRaw(t, m, readToken, q, nil)
			if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("READ key %s: %+v", q, resp)
			}
		}
		if subs, _ := m.DB.ListSubscriptions(t.Context()); len(subs) != 0 {
			t.Fatalf("a forbidden mutation created %d subscriptions", len(subs))
		}
		if resp := graphQLRaw(t, m, adminKey, `mutation { createWebhookSubscription(input: {provider: CLOUDCX, name: "by key"}) { createdBy } }`, nil); len(resp.Errors) != 0 || !strings.Contains(string(resp.Data), `"ops"`) {
			t.Fatalf("ADMIN key mutation: %s %+v", resp.Data, resp.Errors)
		}
		if code := getWithToken(t, m.URL()+"/export/events", readToken); code != http.StatusOK {
			t.Fatalf("READ key export: %d", code)
		}
		var keys struct {
			Keys []struct {
				ID, Name, Scope, Prefix string
				RevokedAt               *time.Time
			} `json:"apiKeys"`
		}
		graphQL(t, m, `{ apiKeys { id name scope prefix revokedAt } }`, nil, &keys)
		if len(keys.Keys) != 2 || !strings.HasPrefix(readToken, keys.Keys[1].Prefix) || keys.Keys[1].RevokedAt != nil {
			t.Fatalf("key list: %+v", keys.Keys)
		}
		if b, _ := json.Marshal(keys); strings.Contains(string(b), readToken) {
			t.Fatal("the key list shows a token")
		}

		// An open stream authenticated by the READ key.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn := dialGraphQL(t, ctx, m, "graphql-transport-ws")
		defer conn.CloseNow()
		write := func(v any) {
			b, _ := json.Marshal(v)
			if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
				t.Fatal(err)
			}
		}
		write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + readToken}})
		if _, b, err := conn.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
			t.Fatalf("init with READ key: %s %v", b, err)
		}
		write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { eventStream { id } }`}})

		var revoked struct {
			R bool `json:"revokeApiKey"`
		}
		graphQL(t, m, `mutation($id: ID!) { revokeApiKey(id: $id) }`, map[string]any{"id": readID}, &revoked)
		if !revoked.R {
			t.Fatal("revoke answered false")
		}
		if resp := graphQLRaw(t, m, readToken, `{ events { edges { cursor } } }`, nil); len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || !strings.Contains(resp.Errors[0].Message, "revoked") {
			t.Fatalf("revoked key over HTTP: %+v", resp)
		}
		for {
			_, _, err := conn.Read(ctx)
			if err == nil {
				continue // a ping, or nothing of interest
			}
			if status := websocket.CloseStatus(err); status != 4403 {
				t.Fatalf("open websocket after revocation: %v (close status %d), want close 4403", err, status)
			}
			break
		}
		if code, _ := gqlError(t, m, `mutation { revokeApiKey(id: "nope") }`, nil); code != "NOT_FOUND" {
			t.Fatalf("revoke unknown: %s", code)
		}
	})
}

func TestWebsocketRefusesABadTokenInConnectionInit(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dialGraphQL(t, ctx, m, "graphql-transport-ws")
	defer conn.CloseNow()
	_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{"Authorization":"Bearer wrong"}}`))
	_, _, err := conn.Read(ctx)
	if status := websocket.CloseStatus(err); status != 4403 {
		t.Fatalf("bad token: %v (close status %d), want 4403", err, status)
	}
}

func TestWebsocketWithoutConnectionInitIsClosed(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := dialGraphQL(t, ctx, m, "graphql-transport-ws")
	defer conn.CloseNow()
	start := time.Now()
	_, _, err := conn.Read(ctx) // send nothing: no connection_init
	// graphql-transport-ws: 4408 "Connection initialisation timeout".
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4408 || !strings.Contains(ce.Reason, "initialisation timeout") || time.Since(start) > 20*time.Second {
		t.Fatalf("no connection_init: %v after %v, want close 4408 for the 10 s init timeout", err, time.Since(start))
	}
}
