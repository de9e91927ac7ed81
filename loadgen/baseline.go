package loadgen

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/domain"
)

// BaselineConfig configures Baseline.
type BaselineConfig struct {
	// DatabaseURL names the gateway's database: postgres://... or
	// sqlite://<path>.
	DatabaseURL string
	// Clients is how many inserts are in flight at once.
	Clients int
	// Payloads are the rows' payloads, inserted in turn, one row each:
	// the deliveries' bodies, so that rows and deliveries are the same size.
	Payloads [][]byte
	// Timeout bounds each insert; zero means 30 seconds.
	Timeout time.Duration
	// MaxErrors ends the run after that many failed inserts; zero means 100.
	MaxErrors int
}

// BaselineResult is what Baseline measured.
type BaselineResult struct {
	Dialect string
	Clients int
	// Rows is how many inserts ran; Latency is each one's commit.
	Rows    int
	Elapsed time.Duration
	Latency Latency
	Errors  []ErrorCount
	Stopped bool

	timing    timing
	maxErrors int
}

// Rate returns the rows committed per second.
func (b *BaselineResult) Rate() float64 { return b.timing.rate() }

// Failed returns how many inserts failed.
func (b *BaselineResult) Failed() int { return b.timing.failed() }

// String is the report: one line of figures, then a line for each kind of
// error, if any.
func (b *BaselineResult) String() string {
	return fmt.Sprintf("baseline  one row per commit (%s)  %d clients  %d rows  %s\n",
		b.Dialect, b.Clients, b.Rows, b.timing.summary()) + b.timing.details(b.maxErrors)
}

// Baseline measures what the database does without the gateway: each
// payload inserted into a scratch table in a transaction of its own, from
// Clients concurrent clients. The table is dropped afterwards.
func Baseline(ctx context.Context, cfg BaselineConfig) (*BaselineResult, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = 100
	}
	if cfg.Clients <= 0 || len(cfg.Payloads) == 0 {
		return nil, fmt.Errorf("baseline: want at least one client and one payload")
	}
	conn, dialect, err := db.OpenSQL(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer conn.Close()
	table := "bench_baseline_" + domain.RandomHex(4) // two runs at once do not share a table
	create := "CREATE TABLE " + table + " (id bigserial PRIMARY KEY, payload bytea NOT NULL)"
	insert := "INSERT INTO " + table + " (payload) VALUES ($1)"
	if dialect == db.SQLite {
		create = "CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)"
		insert = "INSERT INTO " + table + " (payload) VALUES (?)"
		// SQLite has one writer: clients queue for the one connection, as
		// the store's do, instead of spinning on busy_timeout.
		conn.SetMaxOpenConns(1)
	} else {
		conn.SetMaxOpenConns(cfg.Clients)
		conn.SetMaxIdleConns(cfg.Clients)
	}
	if err := warm(ctx, conn, cfg.Clients, cfg.Timeout); err != nil {
		return nil, fmt.Errorf("baseline: connect to %s: %w", dialect, err)
	}
	if err := execWithin(ctx, conn, cfg.Timeout, create); err != nil {
		return nil, fmt.Errorf("baseline: create the scratch table: %w", err)
	}
	res := &BaselineResult{Dialect: dialect, Clients: cfg.Clients, maxErrors: cfg.MaxErrors}
	res.timing = measure(ctx, cfg.Clients, len(cfg.Payloads), cfg.MaxErrors, func() (operation, func()) {
		return func(ctx context.Context, i int) outcome {
			if err := execWithin(ctx, conn, cfg.Timeout, insert, cfg.Payloads[i]); err != nil {
				return outcome{failure: "insert error", detail: err.Error()}
			}
			return outcome{}
		}, func() {}
	})
	res.Rows = res.timing.succeeded + res.timing.failed()
	res.Elapsed, res.Latency, res.Errors, res.Stopped = res.timing.elapsed, res.timing.latency, res.timing.errors, res.timing.stopped
	// The table goes even when the run was interrupted.
	if err := execWithin(context.WithoutCancel(ctx), conn, cfg.Timeout, "DROP TABLE "+table); err != nil {
		return res, fmt.Errorf("baseline: drop the scratch table %s: %w", table, err)
	}
	return res, nil
}

// execWithin runs one statement, autocommitted, within timeout.
func execWithin(ctx context.Context, conn *sql.DB, timeout time.Duration, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := conn.ExecContext(ctx, query, args...)
	return err
}

// warm opens the pool's connections before the clock starts: the
// gateway's pool is open too when its run starts.
func warm(ctx context.Context, conn *sql.DB, clients int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	held := make([]*sql.Conn, 0, clients)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range clients {
		if len(held) > 0 && conn.Stats().MaxOpenConnections == len(held) {
			break
		}
		c, err := conn.Conn(ctx)
		if err != nil {
			return err
		}
		held = append(held, c)
	}
	return nil
}

// Ratio is the gateway's deliveries per second over the baseline's rows
// per second, as a report line.
func Ratio(in *Ingest, base *BaselineResult) string {
	if base.Rate() == 0 {
		return "ratio     -  (the baseline committed no row)\n"
	}
	return fmt.Sprintf("ratio     %.2f  (gateway deliveries/s ÷ baseline rows/s)\n", in.Rate()/base.Rate())
}
