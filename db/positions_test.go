package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// TestMigrationNumbersStoredEventsAndKeepsFormerCursors: events stored
// under (transaction, sequence) positions are numbered in that order, the
// head follows them, and a cursor of the former form resumes where it did.
func TestMigrationNumbersStoredEventsAndKeepsFormerCursors(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []string{SQLite, Postgres} {
		t.Run(dialect, func(t *testing.T) {
			store := openAt(t, dialect, 4)
			// Former positions, inserted out of order: three transactions,
			// whose sequence numbers interleave.
			former := []domain.LegacyCursor{{Tx: 900, Seq: 3}, {Tx: 700, Seq: 5}, {Tx: 900, Seq: 1}, {Tx: 800, Seq: 2}, {Tx: 700, Seq: 4}}
			if dialect == SQLite {
				// SQLite wrote tx 0 and its sequence alone ordered the history.
				former = []domain.LegacyCursor{{Seq: 4}, {Seq: 2}, {Seq: 9}, {Seq: 5}, {Seq: 1}}
			}
			for i, c := range former {
				err := store.gorm.Exec(`INSERT INTO events (tx, seq, id, provider, type, provider_event_type, dedupe_key,
					subscription_id, occurred_at, received_at, payload) VALUES (?, ?, ?, 'DIXA', 'OTHER', 'X', ?, 's', ?, ?, ?)`,
					c.Tx, c.Seq, fmt.Sprintf("ev%d-%d", c.Tx, c.Seq), fmt.Sprint("k", i), time.Now().UTC(), time.Now().UTC(), []byte(`{}`)).Error
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := store.Migrate("up"); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			events, err := store.Events(ctx, nil, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events {
				got = append(got, e.ID)
			}
			want := map[string][]string{
				Postgres: {"ev700-4", "ev700-5", "ev800-2", "ev900-1", "ev900-3"},
				SQLite:   {"ev0-1", "ev0-2", "ev0-4", "ev0-5", "ev0-9"},
			}[dialect]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("history after the migration %v, want %v", got, want)
			}
			// PostgreSQL's are numbered from 1; SQLite's sequence already was
			// in commit order and stays.
			positions := map[string][]domain.Position{Postgres: {1, 2, 3, 4, 5}, SQLite: {1, 2, 4, 5, 9}}[dialect]
			for i, e := range events {
				if e.Position != positions[i] {
					t.Fatalf("event %s at position %d, want %d", e.ID, e.Position, positions[i])
				}
			}
			newest := positions[len(positions)-1]
			// A former cursor resumes after its event, or after the newest
			// event before it when it named none.
			resume := map[string]map[domain.LegacyCursor]domain.Position{
				Postgres: {{Tx: 700, Seq: 5}: 2, {Tx: 800, Seq: 99}: 3, {Tx: 100, Seq: 1}: 0, {Tx: 999, Seq: 0}: 5},
				SQLite:   {{Seq: 4}: 4, {Seq: 3}: 2, {Seq: 0}: 0, {Seq: 100}: 9},
			}[dialect]
			for c, want := range resume {
				pos, err := domain.ParseCursor(ctx, domain.LegacyCursorString(c), store)
				if err != nil || pos != want {
					t.Errorf("former cursor %+v resumes at %d (%v), want %d", c, pos, err, want)
				}
			}
			// New events follow the numbered ones, and their positions are
			// not taken for former cursors.
			e := &domain.Event{ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
				DedupeKey: "new", SubscriptionID: "s", OccurredAt: time.Now(), ReceivedAt: time.Now(), Payload: domain.RawJSON(`{}`)}
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{{Events: []*domain.Event{e},
				Log: domain.DeliveryLog{SubscriptionID: "s", DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}}}); err != nil {
				t.Fatal(err)
			}
			if e.Position != newest+1 {
				t.Fatalf("the first new event is at %d, want %d", e.Position, newest+1)
			}
			last := domain.LegacyCursor{Tx: 1 << 40}
			if dialect == SQLite {
				last = domain.LegacyCursor{Seq: 1 << 40}
			}
			if pos, err := domain.ParseCursor(ctx, domain.LegacyCursorString(last), store); err != nil || pos != newest {
				t.Fatalf("a former cursor past every former event resumes at %d (%v), want %d: the new events follow it", pos, err, newest)
			}
		})
	}
}

// openAt opens a fresh store migrated to version.
func openAt(t *testing.T, dialect string, version uint) *DB {
	t.Helper()
	var url string
	if dialect == SQLite {
		url = "sqlite://" + filepath.Join(t.TempDir(), "gateway.db")
	} else {
		url = privatePostgresSchema(t)
	}
	store, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m, err := store.migrator()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Migrate(version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	return store
}

// privatePostgresSchema is dbtest.PostgresURL, which this package's own
// tests cannot import (dbtest imports db).
func privatePostgresSchema(t *testing.T) string {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests")
		}
		t.Skip("TEST_DATABASE_URL is not set: skipping the PostgreSQL tests")
	}
	admin, err := Open(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "test_" + domain.RandomHex(6)
	if err := admin.gorm.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := Open(context.Background(), base)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if err := admin.gorm.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			t.Error(err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
