package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

func newAPIKey(t *testing.T, store *db.DB, name string, scope domain.APIKeyScope, at time.Time) *domain.APIKey {
	t.Helper()
	k := &domain.APIKey{
		ID: domain.NewID(), Name: name, Scope: scope, Prefix: "gk_" + name,
		Hash: domain.RandomHex(32), CreatedAt: at, CreatedBy: "admin",
	}
	if err := store.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatalf("create API key: %v", err)
	}
	return k
}

func TestAPIKeysRoundTripAndListNewestFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 3, 1, 9, 30, 0, 123456000, time.UTC)
		old := newAPIKey(t, store, "old", domain.ScopeRead, t0)
		mid := newAPIKey(t, store, "mid", domain.ScopeAdmin, t0.Add(time.Minute))
		recent := newAPIKey(t, store, "new", domain.ScopeRead, t0.Add(2*time.Minute))
		if err := store.RevokeAPIKey(ctx, mid.ID, t0.Add(time.Hour)); err != nil {
			t.Fatalf("revoke: %v", err)
		}

		got, err := store.FindAPIKeyByHash(ctx, old.Hash)
		if err != nil {
			t.Fatalf("find by hash: %v", err)
		}
		if got.ID != old.ID || got.Name != "old" || got.Scope != domain.ScopeRead || got.Prefix != old.Prefix ||
			got.Hash != old.Hash || !got.CreatedAt.Equal(t0) || got.CreatedBy != "admin" || got.RevokedAt != nil || got.LastUsedAt != nil {
			t.Fatalf("round trip changed the key: %+v, want %+v", got, old)
		}
		byID, err := store.FindAPIKey(ctx, mid.ID)
		if err != nil {
			t.Fatalf("find by id: %v", err)
		}
		if byID.Scope != domain.ScopeAdmin || byID.RevokedAt == nil || !byID.RevokedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("find by id: %+v, want the revoked ADMIN key", byID)
		}

		list, err := store.ListAPIKeys(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var names []string
		for _, k := range list {
			names = append(names, k.Name)
		}
		if len(list) != 3 || list[0].ID != recent.ID || list[1].ID != mid.ID || list[2].ID != old.ID {
			t.Fatalf("list = %v, want [new mid old], the revoked one included", names)
		}
		if list[1].RevokedAt == nil {
			t.Fatal("list lost the revocation time")
		}
	})
}

func TestAPIKeyLookupsOfUnknownKeysAreNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		newAPIKey(t, store, "k", domain.ScopeRead, time.Now())
		if _, err := store.FindAPIKeyByHash(ctx, domain.RandomHex(32)); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("unknown hash: got %v, want not found", err)
		}
		if _, err := store.FindAPIKey(ctx, "missing"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("unknown id: got %v, want not found", err)
		}
		if err := store.RevokeAPIKey(ctx, "missing", time.Now()); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("revoke unknown id: got %v, want not found", err)
		}
		if err := store.MarkAPIKeyUsed(ctx, "missing", time.Now()); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("mark unknown id used: got %v, want not found", err)
		}
		list, err := store.ListAPIKeys(ctx)
		if err != nil || len(list) != 1 || list[0].RevokedAt != nil {
			t.Fatalf("a failed revocation changed the keys: %v %v", list, err)
		}
	})
}

func TestRevokingTwiceKeepsTheFirstTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
		k := newAPIKey(t, store, "k", domain.ScopeRead, t0)
		other := newAPIKey(t, store, "other", domain.ScopeRead, t0)
		first := t0.Add(time.Hour)
		if err := store.RevokeAPIKey(ctx, k.ID, first); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		if err := store.RevokeAPIKey(ctx, k.ID, first.Add(time.Hour)); err != nil {
			t.Fatalf("revoke again: %v", err)
		}
		got, err := store.FindAPIKey(ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
			t.Fatalf("revoked at %v, want the first time %v", got.RevokedAt, first)
		}
		if o, err := store.FindAPIKey(ctx, other.ID); err != nil || o.RevokedAt != nil {
			t.Fatalf("revoking one key touched another: %+v %v", o, err)
		}
	})
}

func TestMarkAPIKeyUsed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		k := newAPIKey(t, store, "k", domain.ScopeRead, time.Now())
		at := time.Date(2024, 5, 1, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600))
		if err := store.MarkAPIKeyUsed(ctx, k.ID, at); err != nil {
			t.Fatalf("mark used: %v", err)
		}
		got, err := store.FindAPIKeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) || got.LastUsedAt.Location() != time.UTC {
			t.Fatalf("last used at %v, want %v in UTC", got.LastUsedAt, at)
		}
	})
}

func TestAPIKeyHashesAreUnique(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		k := newAPIKey(t, store, "k", domain.ScopeRead, time.Now())
		dup := *k
		dup.ID = domain.NewID()
		if err := store.CreateAPIKey(context.Background(), &dup); err == nil {
			t.Fatal("a second key with the same hash was stored")
		}
	})
}
