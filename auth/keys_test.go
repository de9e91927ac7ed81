package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/auth"
	"github.com/helpdesk-gateway/gateway/domain"
)

const adminToken = "the-admin-token"

var ctx = context.Background()

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newKeys returns keys over a fake store and clock; a recheck given sets
// how often watched sessions re-read their key.
func newKeys(t *testing.T, recheck ...time.Duration) (*auth.Keys, *fakeStore, *clock) {
	t.Helper()
	store := newFakeStore()
	c := &clock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}
	cfg := auth.KeysConfig{AdminToken: adminToken, Store: store, Now: c.now}
	if len(recheck) > 0 {
		cfg.Recheck = recheck[0]
	}
	keys := auth.NewKeys(cfg)
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() {
			keys.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Error("Close did not return: a re-check goroutine outlived its sessions")
		}
	})
	return keys, store, c
}

func create(t *testing.T, keys *auth.Keys, name string, scope domain.APIKeyScope) (*domain.APIKey, string) {
	t.Helper()
	key, token, err := keys.Create(ctx, name, scope, "admin")
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return key, token
}

func TestAuthenticate(t *testing.T) {
	keys, store, _ := newKeys(t)
	reader, readToken := create(t, keys, "analytics", domain.ScopeRead)
	admin, adminKeyToken := create(t, keys, "ops", domain.ScopeAdmin)
	revoked, revokedToken := create(t, keys, "old", domain.ScopeRead)
	if err := keys.Revoke(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		want  *domain.Identity
		code  string
		msg   string
	}{
		{name: "admin token is the bootstrap admin", token: adminToken, want: &domain.Identity{Name: "admin", Admin: true, Scope: domain.ScopeAdmin}},
		{name: "READ key is its key", token: readToken, want: &domain.Identity{Name: "analytics", KeyID: reader.ID, Scope: domain.ScopeRead}},
		{name: "ADMIN key is an admin", token: adminKeyToken, want: &domain.Identity{Name: "ops", Admin: true, KeyID: admin.ID, Scope: domain.ScopeAdmin}},
		{name: "missing token is unauthorized", token: "", code: domain.EUNAUTHORIZED, msg: "missing bearer token"},
		{name: "unknown key is unauthorized", token: auth.NewToken(), code: domain.EUNAUTHORIZED, msg: "invalid bearer token"},
		{name: "malformed key is unauthorized", token: "gk_short", code: domain.EUNAUTHORIZED, msg: "invalid bearer token"},
		{name: "admin token with a suffix is unauthorized", token: adminToken + "x", code: domain.EUNAUTHORIZED, msg: "invalid bearer token"},
		{name: "revoked key is unauthorized", token: revokedToken, code: domain.EUNAUTHORIZED, msg: "API key revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keys.Authenticate(ctx, tt.token)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if *got != *tt.want {
					t.Fatalf("identity = %+v, want %+v", got, tt.want)
				}
				return
			}
			if got != nil || domain.ErrorCode(err) != tt.code || !strings.Contains(domain.ErrorMessage(err), tt.msg) {
				t.Fatalf("Authenticate = %+v, %v; want %s %q", got, err, tt.code, tt.msg)
			}
		})
	}

	_, hashFinds, _ := store.counts()
	if _, err := keys.Authenticate(ctx, "not-a-key-at-all"); err == nil {
		t.Fatal("garbage authenticated")
	}
	if _, after, _ := store.counts(); after != hashFinds {
		t.Fatal("a token that cannot be a key cost a store read")
	}
}

func TestAuthenticateWhenTheStoreIsDownIsUnavailable(t *testing.T) {
	keys, store, _ := newKeys(t)
	_, token := create(t, keys, "k", domain.ScopeRead)
	store.setDown(domain.Unavailable("the store is unavailable; retry later", errors.New("connection refused")))
	_, err := keys.Authenticate(ctx, token)
	if domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Fatalf("store down: got %v, want unavailable", err)
	}
	if id, err := keys.Authenticate(ctx, adminToken); err != nil || !id.Admin {
		t.Fatalf("the admin token needs no store: %v %v", id, err)
	}
}

func TestRevokedKeyStopsAtOnce(t *testing.T) {
	keys, _, _ := newKeys(t)
	key, token := create(t, keys, "k", domain.ScopeRead)
	if _, err := keys.Authenticate(ctx, token); err != nil {
		t.Fatalf("before revoke: %v", err)
	}
	if err := keys.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Authenticate(ctx, token); !errors.Is(err, auth.ErrKeyRevoked) {
		t.Fatalf("after revoke: got %v, want ErrKeyRevoked", err)
	}
	if err := keys.Revoke(ctx, key.ID); err != nil {
		t.Fatalf("revoke twice: %v", err)
	}
	if err := keys.Revoke(ctx, "missing"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("revoke unknown: got %v, want not found", err)
	}
}

func TestAuthenticateRecordsUseAtMostOncePerMinute(t *testing.T) {
	keys, store, clk := newKeys(t)
	key, token := create(t, keys, "k", domain.ScopeRead)
	for range 3 {
		if _, err := keys.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, marked := store.counts(); marked != 1 {
		t.Fatalf("recorded use %d times within a minute, want 1", marked)
	}
	clk.advance(2 * time.Minute)
	if _, err := keys.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	stored, _ := store.FindAPIKey(ctx, key.ID)
	if _, _, marked := store.counts(); marked != 2 || stored.LastUsedAt == nil || !stored.LastUsedAt.Equal(clk.now()) {
		t.Fatalf("after a minute: recorded %d times, last used %v", marked, stored.LastUsedAt)
	}
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name     string
		keyName  string
		scope    domain.APIKeyScope
		wantName string
		errField string
	}{
		{name: "READ key is created", keyName: "analytics", scope: domain.ScopeRead, wantName: "analytics"},
		{name: "name is trimmed", keyName: "  ops  ", scope: domain.ScopeAdmin, wantName: "ops"},
		{name: "100 characters are allowed", keyName: strings.Repeat("é", 100), scope: domain.ScopeRead, wantName: strings.Repeat("é", 100)},
		{name: "empty name is refused", keyName: "", scope: domain.ScopeRead, errField: "name"},
		{name: "blank name is refused", keyName: " \t ", scope: domain.ScopeRead, errField: "name"},
		{name: "101 characters are refused", keyName: strings.Repeat("a", 101), scope: domain.ScopeRead, errField: "name"},
		{name: "empty scope is refused", keyName: "k", scope: "", errField: "scope"},
		{name: "unknown scope is refused", keyName: "k", scope: "WRITE", errField: "scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, store, clk := newKeys(t)
			key, token, err := keys.Create(ctx, tt.keyName, tt.scope, "admin")
			if tt.errField != "" {
				if domain.ErrorCode(err) != domain.EINVALID || !strings.HasPrefix(domain.ErrorMessage(err), tt.errField+" ") {
					t.Fatalf("Create = %v; want invalid naming %s", err, tt.errField)
				}
				if list, _ := store.ListAPIKeys(ctx); len(list) != 0 {
					t.Fatal("a refused key was stored")
				}
				return
			}
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if key.Name != tt.wantName || key.Scope != tt.scope || key.CreatedBy != "admin" || !key.CreatedAt.Equal(clk.now()) || key.RevokedAt != nil {
				t.Fatalf("key = %+v", key)
			}
			if len(token) != 46 || !strings.HasPrefix(token, "gk_") || !strings.HasPrefix(token, key.Prefix) || len(key.Prefix) >= len(token)/2 {
				t.Fatalf("token %q, prefix %q", token, key.Prefix)
			}
			stored, err := store.FindAPIKey(ctx, key.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Hash != auth.HashToken(token) || stored.Hash == token || strings.Contains(stored.Hash, token[3:]) {
				t.Fatalf("stored hash %q for token %q", stored.Hash, token)
			}
			id, err := keys.Authenticate(ctx, token)
			if err != nil || id.KeyID != key.ID {
				t.Fatalf("the new token does not authenticate: %v %v", id, err)
			}
		})
	}
}

func TestTokensAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := auth.NewToken()
		if seen[tok] {
			t.Fatalf("token %q issued twice", tok)
		}
		seen[tok] = true
	}
}

func TestCreateWhenTheStoreIsDownIsUnavailable(t *testing.T) {
	keys, store, _ := newKeys(t)
	store.setDown(domain.Unavailable("the store is unavailable; retry later", errors.New("connection refused")))
	if _, token, err := keys.Create(ctx, "k", domain.ScopeRead, "admin"); domain.ErrorCode(err) != domain.EUNAVAILABLE || token != "" {
		t.Fatalf("Create = %q, %v; want no token and unavailable", token, err)
	}
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name     string
		id       *domain.Identity
		required domain.APIKeyScope
		code     string
	}{
		{name: "no identity is unauthorized", id: nil, required: domain.ScopeRead, code: domain.EUNAUTHORIZED},
		{name: "bootstrap admin may mutate", id: &domain.Identity{Name: "admin", Admin: true, Scope: domain.ScopeAdmin}, required: domain.ScopeAdmin},
		{name: "admin without a scope may mutate", id: &domain.Identity{Name: "admin", Admin: true}, required: domain.ScopeAdmin},
		{name: "ADMIN key may read", id: &domain.Identity{KeyID: "a", Admin: true, Scope: domain.ScopeAdmin}, required: domain.ScopeRead},
		{name: "READ key may read", id: &domain.Identity{KeyID: "r", Scope: domain.ScopeRead}, required: domain.ScopeRead},
		{name: "READ key may not mutate", id: &domain.Identity{KeyID: "r", Scope: domain.ScopeRead}, required: domain.ScopeAdmin, code: domain.EFORBIDDEN},
		{name: "identity without a scope may do nothing", id: &domain.Identity{KeyID: "x"}, required: domain.ScopeRead, code: domain.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ctx
			if tt.id != nil {
				c = domain.WithIdentity(ctx, tt.id)
			}
			if err := auth.Require(c, tt.required); domain.ErrorCode(err) != tt.code {
				t.Fatalf("Require = %v, want code %q", err, tt.code)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := map[string]string{
		"Bearer abc":    "abc",
		"bearer  abc  ": "abc",
		"Basic abc":     "",
		"Bearer":        "",
		"":              "",
		"abc":           "",
	}
	for header, want := range tests {
		if got := auth.BearerToken(header); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", header, got, want)
		}
	}
}
