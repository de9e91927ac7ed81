// Package db is the gateway's store: gorm over PostgreSQL or an embedded
// SQLite file, with golang-migrate migrations embedded per dialect.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/XSAM/otelsql"
	"github.com/exaring/otelpgx"
	"github.com/golang-migrate/migrate/v4"
	migratedb "github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver too
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver, no cgo
)

//go:embed migrations
var migrations embed.FS

// poolSize is how many connections to PostgreSQL one gateway opens.
const poolSize = 16

// Dialects the store speaks.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	dialect string
	dsn     string
	// now is the clock used for timestamps the store sets itself.
	now func() time.Time
	// logLimit bounds each subscription's delivery log: PruneDeliveryLogs
	// deletes older entries.
	logLimit int

	statements atomic.Int64
	// readTurns admits the reads run on pgx (pgxRaw) to the pool in the
	// order they come: database/sql hands a freed connection to any one
	// of its waiters, which under a crowd of readers leaves some waiting
	// for many turns. It holds fewer turns than the pool has connections,
	// so that writes still find one.
	readTurns chan struct{}

	pruneMu sync.Mutex
	pruned  map[string]int64 // per subscription: log entries below this id are deleted
}

// Options configure an opened store; its settings do not change
// afterwards.
type Options struct {
	// LogLimit bounds each subscription's delivery log (default 1000).
	LogLimit int
	// MustExist makes Open fail with ErrNoStore where an SQLite file is
	// missing, instead of creating it and its folder: for commands that
	// only look.
	MustExist bool
	// TracerProvider, when set, makes a span of every SQL statement, with
	// its text and without its parameter values.
	TracerProvider trace.TracerProvider
}

// ErrNoStore is Open's error for a missing SQLite file under MustExist.
var ErrNoStore = errors.New("no store")

// Open connects to the store named by rawURL: postgres://... (or
// postgresql://...) or sqlite://<path>. An SQLite file and its folder are
// created when missing. Open does not migrate: call Migrate.
func Open(ctx context.Context, rawURL string, opts ...Options) (*DB, error) {
	dialect, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: dialect, dsn: dsn, now: time.Now, logLimit: 1000}
	mustExist := false
	var tp trace.TracerProvider
	for _, o := range opts {
		if o.LogLimit > 0 {
			db.logLimit = o.LogLimit
		}
		mustExist = mustExist || o.MustExist
		if o.TracerProvider != nil {
			tp = o.TracerProvider
		}
	}
	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, NowFunc: func() time.Time { return db.now().UTC() }}
	switch dialect {
	case Postgres:
		if db.sql, err = openPostgres(dsn, tp); err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.sql.SetMaxOpenConns(poolSize)
		db.sql.SetMaxIdleConns(poolSize)
		db.readTurns = make(chan struct{}, poolSize-4)
		db.sql.SetConnMaxIdleTime(5 * time.Minute)
		db.gorm, err = gorm.Open(postgres.New(postgres.Config{Conn: db.sql}), cfg)
	case SQLite:
		if mustExist {
			if _, err := os.Stat(sqlitePath(dsn)); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w at %s", ErrNoStore, sqlitePath(dsn))
			}
		}
		if err := os.MkdirAll(filepath.Dir(sqlitePath(dsn)), 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
		// The file holds signing secrets: only its owner may read it.
		// SQLite gives its -wal and -shm files the same permissions.
		if f, err := os.OpenFile(sqlitePath(dsn), os.O_RDONLY|os.O_CREATE, 0o600); err != nil {
			return nil, fmt.Errorf("create database file: %w", err)
		} else {
			f.Close()
		}
		if db.sql, err = openSQLite(dsn, tp); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// SQLite has one writer; one connection serialises everything.
		db.sql.SetMaxOpenConns(1)
		db.gorm, err = gorm.Open(sqliteDialector{conn: db.sql}, cfg)
	}
	if err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	if err := db.countStatements(); err != nil {
		db.sql.Close()
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.sql.PingContext(pingCtx); err != nil {
		db.sql.Close()
		return nil, storeError(fmt.Errorf("connect to %s: %w", dialect, err))
	}
	return db, nil
}

// openPostgres opens the pool; with a tracer provider, pgx traces every
// statement, those sent through database/sql (gorm's) and those sent on the
// pgx connection itself (the append path's batches) alike.
func openPostgres(dsn string, tp trace.TracerProvider) (*sql.DB, error) {
	if tp == nil {
		return sql.Open(driverName(Postgres), dsn)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(tp), otelpgx.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelpgx.WithDisableConnectionDetailsInAttributes())
	return stdlib.OpenDB(*cfg), nil
}

// openSQLite opens the database; with a tracer provider, through a
// database/sql driver that traces every statement.
func openSQLite(dsn string, tp trace.TracerProvider) (*sql.DB, error) {
	if tp == nil {
		return sql.Open(driverName(SQLite), dsn)
	}
	return otelsql.Open(driverName(SQLite), dsn, otelsql.WithTracerProvider(tp),
		otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", "sqlite")),
		otelsql.WithSpanOptions(otelsql.SpanOptions{OmitConnResetSession: true, OmitRows: true, OmitConnPrepare: true}))
}

// Stats returns the connection pool's statistics.
func (db *DB) Stats() sql.DBStats { return db.sql.Stats() }

// countStatements counts every SQL statement gorm runs, for Statements.
func (db *DB) countStatements() error {
	count := func(tx *gorm.DB) {
		if !tx.DryRun { // a statement built for pgx (pgxQuery) counts when pgx runs it
			db.statements.Add(1)
		}
	}
	cb := db.gorm.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("gateway:count", count),
		cb.Query().After("gorm:query").Register("gateway:count", count),
		cb.Update().After("gorm:update").Register("gateway:count", count),
		cb.Delete().After("gorm:delete").Register("gateway:count", count),
		cb.Row().After("gorm:row").Register("gateway:count", count),
		cb.Raw().After("gorm:raw").Register("gateway:count", count),
	} {
		if err != nil {
			return fmt.Errorf("register statement counter: %w", err)
		}
	}
	return nil
}

// Statements returns how many SQL statements the store has run: tests use
// it to prove that a query costs a constant number of them.
func (db *DB) Statements() int64 { return db.statements.Load() }

// Dialect returns Postgres or SQLite.
func (db *DB) Dialect() string { return db.dialect }

// Close closes the connections.
func (db *DB) Close() error { return db.sql.Close() }

// OpenSQL opens a plain database/sql handle on the database named by rawURL
// with the driver and connection settings the store uses (on SQLite, its
// pragmas: WAL, synchronous FULL, busy_timeout), and returns its dialect. It
// is for tools that measure the database itself, so that they see it as the
// store does; it neither pings nor migrates, and the caller sizes the pool.
func OpenSQL(rawURL string) (*sql.DB, string, error) {
	dialect, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, "", err
	}
	conn, err := sql.Open(driverName(dialect), dsn)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", dialect, err)
	}
	return conn, dialect, nil
}

// driverName is the database/sql driver the store uses for dialect.
func driverName(dialect string) string {
	if dialect == SQLite {
		return "sqlite"
	}
	return "pgx"
}

func parseURL(rawURL string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return Postgres, rawURL, nil
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		query := ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path, query = path[:i], path[i+1:]
		}
		if path == "" {
			return "", "", fmt.Errorf("database URL %q: sqlite:// needs a file path", rawURL)
		}
		params := url.Values{}
		params.Add("_pragma", "busy_timeout(10000)")
		params.Add("_pragma", "journal_mode(WAL)")
		// FULL: a 2xx to a provider means the event survives a power cut.
		params.Add("_pragma", "synchronous(FULL)")
		params.Add("_pragma", "foreign_keys(1)")
		// A write transaction takes the write lock at BEGIN, so one that
		// reads before it writes never fails to upgrade its lock.
		params.Set("_txlock", "immediate")
		params.Set("_time_format", "sqlite")
		dsn := "file:" + path + "?" + params.Encode()
		if query != "" {
			dsn += "&" + query
		}
		return SQLite, dsn, nil
	}
	return "", "", fmt.Errorf("database URL %q: expected postgres://... or sqlite://<path>", rawURL)
}

func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Migrate applies the embedded migrations: "up" to the latest, "down" by
// one step.
func (db *DB) Migrate(direction string) error {
	m, err := db.migrator()
	if err != nil {
		return err
	}
	defer m.Close()
	switch direction {
	case "up":
		err = m.Up()
	case "down":
		err = m.Steps(-1)
	default:
		return fmt.Errorf("migrate: unknown direction %q: use up or down", direction)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate %s: %w", direction, err)
	}
	return nil
}

// MigrationVersion reports the applied schema version and whether a failed
// migration left it dirty. Version 0 means none applied. It only reads:
// golang-migrate would create its version table where there is none.
func (db *DB) MigrationVersion() (version uint, dirty bool, err error) {
	return db.schemaVersion(context.Background())
}

// schemaVersion reads golang-migrate's version table, if there is one.
func (db *DB) schemaVersion(ctx context.Context) (version uint, dirty bool, err error) {
	exists := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	if db.dialect == Postgres {
		exists = "SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) r WHERE t IS NOT NULL"
	}
	var tables int
	if err := db.sql.QueryRowContext(ctx, exists).Scan(&tables); err != nil {
		return 0, false, storeError(fmt.Errorf("read schema version: %w", err))
	}
	if tables == 0 {
		return 0, false, nil
	}
	var v int64
	err = db.sql.QueryRowContext(ctx, "SELECT version, dirty FROM schema_migrations LIMIT 1").Scan(&v, &dirty)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, storeError(fmt.Errorf("read schema version: %w", err))
	}
	return uint(v), dirty, nil
}

// migrator opens its own connection: golang-migrate closes the database it
// is given.
func (db *DB) migrator() (*migrate.Migrate, error) {
	src, err := iofs.New(migrations, "migrations/"+db.dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	conn, err := sql.Open(driverName(db.dialect), db.dsn)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var drv migratedb.Driver
	if db.dialect == Postgres {
		drv, err = migratepgx.WithInstance(conn, &migratepgx.Config{})
	} else {
		drv, err = migratesqlite.WithInstance(conn, &migratesqlite.Config{})
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, db.dialect, drv)
	if err != nil {
		drv.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return m, nil
}

// LatestVersion is the newest embedded migration's version.
func (db *DB) LatestVersion() uint {
	entries, _ := fs.ReadDir(migrations, "migrations/"+db.dialect)
	var versions []uint
	for _, e := range entries {
		head, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(head, 10, 32); err == nil {
			versions = append(versions, uint(v))
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	if len(versions) == 0 {
		return 0
	}
	return versions[len(versions)-1]
}

// Ready returns nil when the database answers and its schema is the latest
// migration, clean.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return storeError(fmt.Errorf("database unreachable: %w", err))
	}
	version, dirty, err := db.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if dirty || version != db.LatestVersion() {
		return storeError(fmt.Errorf("schema at version %d (dirty %v), want %d", version, dirty, db.LatestVersion()))
	}
	return nil
}

// storeError marks a failed database operation as EUNAVAILABLE: the caller
// may retry, and the client sees no SQL.
func storeError(err error) error {
	if msg, ok := dataError(err); ok {
		return domain.Errorf(domain.EINVALID, "the request holds a value the store cannot take: %s", msg)
	}
	return domain.Unavailable("the store is unavailable; retry later", err)
}
