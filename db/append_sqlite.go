package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
)

// writeSQLite runs f in one transaction. SQLite runs in the process, with
// no round trips, so a batch is written by statements prepared once per
// transaction and run once per row. The transaction starts IMMEDIATE (see
// parseURL): it holds the database's write lock from its first statement.
func (db *DB) writeSQLite(ctx context.Context, f func(w writer) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	w := &sqliteWriter{tx: tx}
	if err := f(w); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

type sqliteWriter struct {
	tx *sql.Tx
}

// each prepares query once and runs it with the arguments of every row.
func (w *sqliteWriter) each(ctx context.Context, query string, n int, args func(i int) []any) error {
	stmt, err := w.tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return nil
}

func (w *sqliteWriter) lockHead(ctx context.Context) (domain.Position, error) {
	var head int64
	err := w.tx.QueryRowContext(ctx, `SELECT max(h.position, COALESCE((SELECT max(position) FROM events), 0)) FROM event_head h WHERE h.id = 1`).Scan(&head)
	return domain.Position(head), err
}

func (w *sqliteWriter) insertEvents(ctx context.Context, events []*domain.Event, conversationIDs []string) (map[domain.Position]bool, map[string]*domain.Conversation, error) {
	// As on PostgreSQL, the fact key is checked by NOT EXISTS under the
	// write lock; the WHERE also tells SQLite's parser that ON CONFLICT
	// belongs to the INSERT, not to a join.
	stmt, err := w.tx.PrepareContext(ctx, `INSERT INTO events (position, id, provider, type, provider_event_type, dedupe_key,
		subscription_id, conversation_id, message_id, occurred_at, received_at, reason, payload, fact_key, corrects)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15
		WHERE ?14 IS NULL OR NOT EXISTS (SELECT 1 FROM events e WHERE e.provider = ?3 AND e.fact_key = ?14)
		ON CONFLICT (provider, dedupe_key) DO NOTHING`)
	if err != nil {
		return nil, nil, err
	}
	defer stmt.Close()
	inserted := map[domain.Position]bool{}
	for _, e := range events {
		res, err := stmt.ExecContext(ctx, int64(e.Position), e.ID, string(e.Provider), string(e.Type), e.ProviderEventType, e.DedupeKey,
			e.SubscriptionID, nullable(e.ConversationID), nullable(e.MessageID), e.OccurredAt.UTC(), e.ReceivedAt.UTC(), e.Reason,
			[]byte(e.Payload), nullable(e.FactKey), nullable(e.Corrects))
		if err != nil {
			return nil, nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, nil, err
		} else if n == 1 {
			inserted[e.Position] = true
		}
	}
	stored, err := w.conversations(ctx, conversationIDs)
	return inserted, stored, err
}

func (w *sqliteWriter) conversations(ctx context.Context, ids []string) (map[string]*domain.Conversation, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := w.tx.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectConversations(rows)
}

func (w *sqliteWriter) upsertPeople(ctx context.Context, people []*personChange) error {
	return w.insertOrMerge(ctx, sqliteInsertPerson, sqliteMergePerson, len(people), func(i int) ([]any, []any) {
		p := people[i]
		values, at := p.merged()
		insert := []any{p.ID, p.Provider, p.Account, p.ExternalID, p.Role}
		merge := []any{p.ID}
		for j := range values {
			insert = append(insert, values[j])
			merge = append(merge, values[j], at[j])
		}
		return append(insert, p.Deleted, p.CreatedAt, p.UpdatedAt),
			append(merge, p.Deleted, p.DeletedAt, p.CreatedAt, p.UpdatedAt)
	})
}

// sqliteInsertPerson and sqliteMergePerson take a people change's columns
// in the order upsertPeople gives them.
var sqliteInsertPerson, sqliteMergePerson = func() (string, string) {
	insert := `INSERT INTO people (` + storedPersonColumns + `) VALUES (?` + strings.Repeat(", ?", 7+len(mergedPersonColumns)) +
		`) ON CONFLICT (id) DO NOTHING`
	fields := []string{"? AS id"}
	for _, c := range mergedPersonColumns {
		fields = append(fields, "? AS "+c, "? AS "+c+"_at")
	}
	fields = append(fields, "? AS deleted", "? AS deleted_at", "? AS created_at", "? AS updated_at")
	merge := `UPDATE people SET ` + personMerge(SQLite) + ` FROM (SELECT ` + strings.Join(fields, ", ") + `) AS u WHERE people.id = u.id`
	return insert, merge
}()

// insertOrMerge inserts each row, or, where its id is taken, merges it
// into the stored row: SQLite's upsert cannot read the change's own
// columns (a field's time), which the merge needs.
func (w *sqliteWriter) insertOrMerge(ctx context.Context, insert, merge string, n int, args func(i int) (insert, merge []any)) error {
	ins, err := w.tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer ins.Close()
	upd, err := w.tx.PrepareContext(ctx, merge)
	if err != nil {
		return err
	}
	defer upd.Close()
	for i := range n {
		insertArgs, mergeArgs := args(i)
		res, err := ins.ExecContext(ctx, insertArgs...)
		if err != nil {
			return err
		}
		if added, err := res.RowsAffected(); err != nil {
			return err
		} else if added == 1 {
			continue
		}
		if _, err := upd.ExecContext(ctx, mergeArgs...); err != nil {
			return err
		}
	}
	return nil
}

func (w *sqliteWriter) saveConversations(ctx context.Context, cs []*domain.Conversation) error {
	return w.each(ctx, `INSERT INTO conversations (`+conversationWriteColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET `+conversationUpdate, len(cs), func(i int) []any {
		r := toConversationRow(cs[i])
		return []any{r.ID, r.Provider, r.Account, r.ExternalID, r.Kind, r.Status, r.ProviderStatus, r.Channel, r.Subject,
			r.CreatedAt, r.UpdatedAt, r.StateAt, r.RequesterID, r.AssigneeID, r.AssigneeAt, r.MergeState, r.Tags,
			r.Queue, r.Inbox, r.Origin}
	})
}

func (w *sqliteWriter) upsertMessages(ctx context.Context, ms []*messageChange) error {
	return w.insertOrMerge(ctx,
		`INSERT INTO messages (id, conversation_id, provider, external_id, direction, private, content, content_type, author_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		`UPDATE messages SET `+messageMerge+` FROM (SELECT ? AS id, ? AS conversation_id, ? AS direction, ? AS direction_at,
			? AS content, ? AS content_at, ? AS content_type, ? AS content_type_at, ? AS private, ? AS private_at,
			? AS author_id, ? AS created_at, ? AS updated_at) AS u WHERE messages.id = u.id`,
		len(ms), func(i int) ([]any, []any) {
			m := ms[i]
			return []any{m.ID, nullable(m.ConversationID), m.Provider, m.ExternalID, m.Direction.Value, m.Private, m.Content.Value,
					m.ContentType.Value, nullable(m.AuthorID), m.CreatedAt, m.UpdatedAt},
				[]any{m.ID, nullable(m.ConversationID), m.Direction.Value, m.Direction.At, m.Content.Value, m.Content.At,
					m.ContentType.Value, m.ContentType.At, m.Private, m.PrivateAt, nullable(m.AuthorID), m.CreatedAt, m.UpdatedAt}
		})
}

func (w *sqliteWriter) insertLogs(ctx context.Context, logs []*domain.DeliveryLog) error {
	return w.each(ctx, `INSERT INTO delivery_logs (subscription_id, event, outcome, delivered_at, success, response_code, response_text, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(logs), func(i int) []any {
		r := toDeliveryLogRow(logs[i])
		return []any{r.SubscriptionID, r.Event, r.Outcome, r.DeliveredAt, r.Success, r.ResponseCode, r.ResponseText, r.Payload}
	})
}

func (w *sqliteWriter) setHead(ctx context.Context, head domain.Position) error {
	_, err := w.tx.ExecContext(ctx, `UPDATE event_head SET position = ? WHERE id = 1`, int64(head))
	return err
}
