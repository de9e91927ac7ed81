package db_test

import (
	"database/sql"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestAppendingFindsRowsByKeyHoweverTheTablesGrew: an append reads and
// updates the stored rows it touches by key, never by scanning a whole
// table, even on connections whose plans were made while the tables were
// nearly empty and that no ANALYZE has refreshed since (PostgreSQL keeps a
// prepared statement's generic plan, and this server runs no autovacuum).
// It counts the sequential scans PostgreSQL's statistics record for the
// history and its projections while twenty single deliveries are stored
// into tables grown a hundredfold.
func TestAppendingFindsRowsByKeyHoweverTheTablesGrew(t *testing.T) {
	u := dbtest.PostgresURL(t)
	store := dbtest.Open(t, u)
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	schema := parsed.Query().Get("search_path")
	stats, err := sql.Open("pgx", os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()

	sub := newSubscription(t, store)
	payload := domain.RawJSON(`{"text":"Hello"}`)
	n := 0
	appendBatch := func(size int) {
		t.Helper()
		ds := make([]*domain.Delivery, size)
		for i := range ds {
			n++
			ds[i] = delivery(sub, messageEvent(sub, n, n%1000, payload))
		}
		if _, err := store.AppendDeliveries(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	tables := []string{"events", "conversations", "people", "messages"}
	// seqScans waits until the statistics count every event appended (a
	// backend reports its counts within about ten seconds of going idle)
	// and returns each table's sequential scans.
	seqScans := func() map[string]int64 {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			rows, err := stats.Query(`SELECT relname, seq_scan, n_tup_ins FROM pg_stat_user_tables WHERE schemaname = $1`, schema)
			if err != nil {
				t.Fatal(err)
			}
			scans, inserted := map[string]int64{}, int64(0)
			for rows.Next() {
				var name string
				var seq, ins int64
				if err := rows.Scan(&name, &seq, &ins); err != nil {
					t.Fatal(err)
				}
				scans[name] = seq
				if name == "events" {
					inserted = ins
				}
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if inserted == int64(n) {
				return scans
			}
			if time.Now().After(deadline) {
				t.Fatalf("the statistics count %d events inserted, want %d", inserted, n)
			}
		}
	}

	for range 10 {
		appendBatch(1) // plans are made while the tables are nearly empty
	}
	for range 40 {
		appendBatch(100) // and the tables grow a hundredfold
	}
	before := seqScans()
	for range 20 {
		appendBatch(1)
	}
	after := seqScans()
	for _, table := range tables {
		if d := after[table] - before[table]; d != 0 {
			t.Errorf("storing 20 deliveries scanned %s whole %d times", table, d)
		}
	}
}
