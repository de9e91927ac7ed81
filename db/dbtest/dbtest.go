// Package dbtest gives tests fresh, migrated stores: a private schema in the
// PostgreSQL database named by TEST_DATABASE_URL, or a temporary SQLite file.
package dbtest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/domain"
)

// PostgresURL returns the URL of a new, empty schema in the database named
// by TEST_DATABASE_URL, dropped when the test ends. Without that variable
// the test is skipped, or fails when CI is set: CI must never skip the
// PostgreSQL tests.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("TEST_DATABASE_URL is not set: skipping the PostgreSQL tests")
	}
	conn, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close()
	schema := "test_" + domain.RandomHex(6)
	if _, err := conn.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("open TEST_DATABASE_URL: %v", err)
			return
		}
		defer conn.Close()
		if _, err := conn.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteURL returns the URL of a new SQLite file in the test's temporary
// folder.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "gateway.db")
}

// Open opens and migrates the store at rawURL, closed when the test ends.
func Open(t testing.TB, rawURL string, opts ...db.Options) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), rawURL, opts...)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate("up"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return store
}

// Each runs f as a subtest against a fresh store of every dialect.
func Each(t *testing.T, f func(t *testing.T, store *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, Open(t, SQLiteURL(t))) })
	t.Run("postgres", func(t *testing.T) { f(t, Open(t, PostgresURL(t))) })
}
