package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/migrator"
	"gorm.io/gorm/schema"
)

// sqliteDialector is gorm's dialect for SQLite over an open connection of
// the modernc.org/sqlite driver. gorm.io/driver/sqlite speaks the same SQL
// but imports github.com/mattn/go-sqlite3, which needs cgo: this one keeps
// the binary static. The schema is golang-migrate's, so gorm's migrator is
// only the generic one and never creates tables.
type sqliteDialector struct {
	conn gorm.ConnPool
}

// sqliteReturningSince is the first SQLite version with RETURNING.
const sqliteReturningSince = "3.35.0"

// Name is the dialect gorm reports: "sqlite", as gorm.io/driver/sqlite.
func (sqliteDialector) Name() string { return SQLite }

// Initialize puts the open connection under gorm and registers gorm's
// callbacks, with RETURNING where the library has it.
func (d sqliteDialector) Initialize(g *gorm.DB) error {
	g.ConnPool = d.conn
	var version string
	if err := d.conn.QueryRowContext(context.Background(), "SELECT sqlite_version()").Scan(&version); err != nil {
		return fmt.Errorf("read sqlite version: %w", err)
	}
	cfg := &callbacks.Config{LastInsertIDReversed: true}
	if compareVersions(version, sqliteReturningSince) >= 0 {
		cfg.CreateClauses = []string{"INSERT", "VALUES", "ON CONFLICT", "RETURNING"}
		cfg.UpdateClauses = []string{"UPDATE", "SET", "FROM", "WHERE", "RETURNING"}
		cfg.DeleteClauses = []string{"DELETE", "FROM", "WHERE", "RETURNING"}
	}
	callbacks.RegisterDefaultCallbacks(g, cfg)
	for name, build := range sqliteClauseBuilders {
		if _, ok := g.ClauseBuilders[name]; !ok {
			g.ClauseBuilders[name] = build
		}
	}
	return nil
}

// sqliteClauseBuilders write the clauses whose SQLite form differs from
// gorm's default.
var sqliteClauseBuilders = map[string]clause.ClauseBuilder{
	// An OFFSET needs a LIMIT before it in SQLite: -1 is none.
	"LIMIT": func(c clause.Clause, b clause.Builder) {
		limit, ok := c.Expression.(clause.Limit)
		if !ok {
			c.Build(b)
			return
		}
		n := -1
		if limit.Limit != nil && *limit.Limit >= 0 {
			n = *limit.Limit
		}
		if n >= 0 || limit.Offset > 0 {
			b.WriteString("LIMIT " + strconv.Itoa(n))
		}
		if limit.Offset > 0 {
			b.WriteString(" OFFSET " + strconv.Itoa(limit.Offset))
		}
	},
	// SQLite has no row locks: its one writer holds the database.
	"FOR": func(c clause.Clause, b clause.Builder) {
		if _, ok := c.Expression.(clause.Locking); ok {
			return
		}
		c.Build(b)
	},
}

// Migrator is gorm's generic one: the gateway's schema is migrated by
// golang-migrate, and nothing calls it.
func (d sqliteDialector) Migrator(g *gorm.DB) gorm.Migrator {
	return migrator.Migrator{Config: migrator.Config{DB: g, Dialector: d, CreateIndexAfterCreateTable: true}}
}

// DataTypeOf maps a field to the SQLite column type gorm.io/driver/sqlite
// would give it.
func (sqliteDialector) DataTypeOf(field *schema.Field) string {
	switch field.DataType {
	case schema.Bool:
		return "numeric"
	case schema.Int, schema.Uint:
		if field.AutoIncrement {
			return "integer PRIMARY KEY AUTOINCREMENT"
		}
		return "integer"
	case schema.Float:
		return "real"
	case schema.String:
		return "text"
	case schema.Time:
		if t, ok := field.TagSettings["TYPE"]; ok {
			return t
		}
		return "datetime"
	case schema.Bytes:
		return "blob"
	}
	return string(field.DataType)
}

// DefaultValueOf lets SQLite number an auto-increment key.
func (sqliteDialector) DefaultValueOf(field *schema.Field) clause.Expression {
	if field.AutoIncrement {
		return clause.Expr{SQL: "NULL"}
	}
	return clause.Expr{SQL: "DEFAULT"}
}

// BindVarTo writes SQLite's positional placeholder.
func (sqliteDialector) BindVarTo(w clause.Writer, _ *gorm.Statement, _ any) { w.WriteByte('?') }

// QuoteTo quotes each dotted part of an identifier in backticks, doubling
// a backtick inside it; a part already quoted is kept as it is.
func (sqliteDialector) QuoteTo(w clause.Writer, name string) {
	for i, part := range strings.Split(name, ".") {
		if i > 0 {
			w.WriteByte('.')
		}
		if len(part) >= 2 && part[0] == '`' && part[len(part)-1] == '`' {
			w.WriteString(part)
			continue
		}
		w.WriteByte('`')
		w.WriteString(strings.ReplaceAll(part, "`", "``"))
		w.WriteByte('`')
	}
}

// Explain writes a statement with its values inlined, for logs.
func (sqliteDialector) Explain(sql string, vars ...any) string {
	return logger.ExplainSQL(sql, nil, `"`, vars...)
}

// SavePoint and RollbackTo serve gorm's nested transactions.
func (sqliteDialector) SavePoint(tx *gorm.DB, name string) error {
	return tx.Exec("SAVEPOINT " + name).Error
}

func (sqliteDialector) RollbackTo(tx *gorm.DB, name string) error {
	return tx.Exec("ROLLBACK TO SAVEPOINT " + name).Error
}

// compareVersions compares dotted version numbers: -1, 0 or 1.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
