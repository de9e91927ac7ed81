package pgcluster_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/db/dbtest/pgcluster"
	"github.com/jackc/pgx/v5"
)

func run(t *testing.T, databaseURL string, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func names(t *testing.T, databaseURL string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id::text || ' ' || name FROM items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestoredSchemaKeepsRowsAndSequencesInAFreshClusterThatIsRemovedAfterward(t *testing.T) {
	source := dbtest.PostgresURL(t)
	run(t, source, "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL); INSERT INTO items (name) VALUES ('a'), ('b'), ('c')")
	dump := pgcluster.DumpSchema(t, source)

	var dir string
	var clusterURL string
	t.Run("cluster", func(t *testing.T) {
		c := pgcluster.StartCluster(t)
		clusterURL = c.URL()
		restored := c.Restore(t, dump)
		run(t, restored, "INSERT INTO items (name) VALUES ('d')")
		if got, want := names(t, restored), []string{"1 a", "2 b", "3 c", "4 d"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("restored rows %q, want %q", got, want)
		}
		// A new cluster's counter starts where initdb left it, far below
		// that of any server with a history.
		next := pgcluster.NextTransactionID(t, restored)
		if next > 10000 {
			t.Fatalf("a fresh cluster's next transaction id is %d", next)
		}
		pgcluster.ConsumeTransactionIDs(t, restored, next+500)
		if after := pgcluster.NextTransactionID(t, restored); after < next+500 {
			t.Fatalf("next transaction id %d after consuming up to %d", after, next+500)
		}
		dir = c.Dir()
	})
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cluster folder %s is still there after the test: %v", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, clusterURL); err == nil {
		conn.Close(ctx)
		t.Errorf("the cluster still accepts connections at %s after the test", clusterURL)
	}
}
