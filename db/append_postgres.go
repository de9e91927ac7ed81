package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// writePostgres runs f in one transaction on a pgx connection of the pool:
// pgx prepares each statement once per connection and sends arrays in its
// binary format, which is what makes a set-based batch cheap. The
// statements whose results f does not need are queued and sent with the
// COMMIT, so a batch costs three round trips whatever its size: begin and
// lock; insert events and read their conversations; write the rest and
// commit.
func (db *DB) writePostgres(ctx context.Context, f func(w writer) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", driverConn)
		}
		w := &pgWriter{conn: sc.Conn(), pending: &pgx.Batch{}}
		err := f(w)
		if err == nil {
			err = w.commit(ctx)
		}
		if err != nil && w.begun {
			w.rollback()
		}
		return err
	})
}

// pgxQuery runs the statement gorm builds for q on a pgx connection of the
// pool and hands each row to each: pgx scans values into their
// destinations directly, where database/sql converts each to a
// driver.Value first. It counts as one statement (see Statements).
func (db *DB) pgxQuery(ctx context.Context, q *gorm.DB, each func(rows pgx.Rows) error) error {
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(&[]map[string]any{}).Statement
	if stmt.Error != nil {
		return stmt.Error
	}
	return db.pgxRaw(ctx, stmt.SQL.String(), stmt.Vars, each)
}

// pgxRaw runs query with args on a pgx connection of the pool, as
// pgxQuery does.
func (db *DB) pgxRaw(ctx context.Context, query string, args []any, each func(rows pgx.Rows) error) error {
	if db.readTurns != nil {
		select {
		case db.readTurns <- struct{}{}: // senders wait in arrival order
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-db.readTurns }()
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	db.statements.Add(1)
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", driverConn)
		}
		rows, err := sc.Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

type pgWriter struct {
	conn    *pgx.Conn
	begun   bool
	pending *pgx.Batch // sent with the commit
}

// queue adds a statement to those sent with the commit.
func (w *pgWriter) queue(query string, args ...any) {
	w.pending.Queue(query, args...)
}

func (w *pgWriter) commit(ctx context.Context) error {
	if !w.begun {
		return nil
	}
	w.queue("COMMIT")
	n := w.pending.Len()
	br := w.conn.SendBatch(ctx, w.pending)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	w.begun = false
	return nil
}

// rollback ends a failed transaction. A connection that cannot roll back
// is closed, so the pool never hands out a connection inside a
// transaction.
func (w *pgWriter) rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := w.conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = w.conn.Close(ctx)
	}
}

// lockHead begins the transaction and locks the event_head row. A
// transaction that waited for it reads the row as the previous holder
// committed it (READ COMMITTED re-reads a row it had to wait for), and that
// holder's events are visible to every snapshot taken from then on:
// positions are handed out in commit order. The newest stored position is
// read too, by a statement of its own so its snapshot is taken once the
// lock is held: a head row that is behind the events (restored without
// them, say) can never hand out a position twice.
//
// The transaction plans its statements without sequential scans, hash or
// merge joins: every row it reads or updates is found by key, so storing a
// batch costs the same however large the tables. Left to its estimates,
// the planner keeps a prepared statement's generic plan made while the
// tables were nearly empty (a hash join over the whole of messages, say)
// until an ANALYZE, and a store without autovacuum, or just restored,
// may see none for a long time.
func (w *pgWriter) lockHead(ctx context.Context) (domain.Position, error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)")
	b.Queue(`SELECT position FROM event_head WHERE id = 1 FOR UPDATE`)
	b.Queue(`SELECT COALESCE(max(position), 0) FROM events`)
	w.begun = true
	br := w.conn.SendBatch(ctx, b)
	defer br.Close()
	var head, newest int64
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return 0, err
		}
	}
	if err := br.QueryRow().Scan(&head); err != nil {
		return 0, err
	}
	if err := br.QueryRow().Scan(&newest); err != nil {
		return 0, err
	}
	return domain.Position(max(head, newest)), br.Close()
}

func (w *pgWriter) insertEvents(ctx context.Context, events []*domain.Event, conversationIDs []string) (map[domain.Position]bool, map[string]*domain.Conversation, error) {
	n := len(events)
	var (
		positions                                  = make([]int64, n)
		ids, providers, types, providerTypes, keys = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		subscriptions, reasons                     = make([]string, n), make([]string, n)
		conversations, messages, facts             = make([]*string, n), make([]*string, n), make([]*string, n)
		corrects                                   = make([]*string, n)
		occurred, received                         = make([]time.Time, n), make([]time.Time, n)
		payloads                                   = make([][]byte, n)
	)
	for i, e := range events {
		positions[i] = int64(e.Position)
		ids[i], providers[i], types[i], providerTypes[i], keys[i] = e.ID, string(e.Provider), string(e.Type), e.ProviderEventType, e.DedupeKey
		subscriptions[i], reasons[i] = e.SubscriptionID, e.Reason
		conversations[i], messages[i], facts[i] = nullable(e.ConversationID), nullable(e.MessageID), nullable(e.FactKey)
		occurred[i], received[i] = e.OccurredAt.UTC(), e.ReceivedAt.UTC()
		payloads[i], corrects[i] = e.Payload, nullable(e.Corrects)
	}
	b := &pgx.Batch{}
	// The fact key is checked by NOT EXISTS, not by ON CONFLICT, which
	// names one index only: every appending transaction holds the history's
	// write lock, so no other can add the fact between the check and the
	// insert.
	b.Queue(`INSERT INTO events (position, id, provider, type, provider_event_type, dedupe_key,
		subscription_id, conversation_id, message_id, occurred_at, received_at, reason, payload, fact_key, corrects)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::bytea[], $14::text[], $15::text[])
			AS u(position, id, provider, type, provider_event_type, dedupe_key, subscription_id, conversation_id, message_id,
				occurred_at, received_at, reason, payload, fact_key, corrects)
		WHERE u.fact_key IS NULL OR NOT EXISTS (SELECT 1 FROM events e WHERE e.provider = u.provider AND e.fact_key = u.fact_key)
		ON CONFLICT (provider, dedupe_key) DO NOTHING
		RETURNING position`,
		positions, ids, providers, types, providerTypes, keys, subscriptions, conversations, messages, occurred, received, reasons, payloads, facts, corrects)
	if len(conversationIDs) > 0 {
		b.Queue(`SELECT `+conversationColumns+` FROM conversations WHERE id = ANY($1)`, conversationIDs)
	}
	br := w.conn.SendBatch(ctx, b)
	defer br.Close()
	inserted := map[domain.Position]bool{}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	var p int64
	if _, err := pgx.ForEachRow(rows, []any{&p}, func() error {
		inserted[domain.Position(p)] = true
		return nil
	}); err != nil {
		return nil, nil, err
	}
	stored := map[string]*domain.Conversation{}
	if len(conversationIDs) > 0 {
		rows, err := br.Query()
		if err != nil {
			return nil, nil, err
		}
		stored, err = collectConversations(rows)
		rows.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	return inserted, stored, br.Close()
}

func (w *pgWriter) conversations(ctx context.Context, ids []string) (map[string]*domain.Conversation, error) {
	rows, err := w.conn.Query(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collectConversations(rows)
}

// upsertPeople inserts the new people and updates the known ones in one
// statement: the UPDATE runs on the statement's snapshot, so it cannot see
// (and update again) the rows its INSERT adds.
func (w *pgWriter) upsertPeople(ctx context.Context, people []*personChange) error {
	n := len(people)
	ids, providers, accounts, externals, roles := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	values, at := make([][]string, len(mergedPersonColumns)), make([][]time.Time, len(mergedPersonColumns))
	for j := range mergedPersonColumns {
		values[j], at[j] = make([]string, n), make([]time.Time, n)
	}
	deleted := make([]bool, n)
	deletedAt, createdAt, updatedAt := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	for i, p := range people {
		ids[i], providers[i], accounts[i], externals[i], roles[i] = p.ID, p.Provider, p.Account, p.ExternalID, p.Role
		v, t := p.merged()
		for j := range mergedPersonColumns {
			values[j][i], at[j][i] = v[j], t[j]
		}
		deleted[i], deletedAt[i], createdAt[i], updatedAt[i] = p.Deleted, p.DeletedAt, p.CreatedAt, p.UpdatedAt
	}
	args := []any{ids, providers, accounts, externals, roles}
	for j := range mergedPersonColumns {
		args = append(args, values[j], at[j])
	}
	w.queue(upsertPeopleStatement, append(args, deleted, deletedAt, createdAt, updatedAt)...)
	return nil
}

// upsertPeopleStatement takes the columns of a people change as arrays:
// id, provider, account, external_id, role, each merged column and its
// time, then deleted, deleted_at, created_at and updated_at.
var upsertPeopleStatement = func() string {
	params := []string{"$1::text[]", "$2::text[]", "$3::text[]", "$4::text[]", "$5::text[]"}
	names := []string{"id", "provider", "account", "external_id", "role"}
	for _, c := range mergedPersonColumns {
		params = append(params, "$"+strconv.Itoa(len(params)+1)+"::text[]", "$"+strconv.Itoa(len(params)+2)+"::timestamptz[]")
		names = append(names, c, c+"_at")
	}
	for _, t := range []string{"bool", "timestamptz", "timestamptz", "timestamptz"} {
		params = append(params, "$"+strconv.Itoa(len(params)+1)+"::"+t+"[]")
	}
	names = append(names, "deleted", "deleted_at", "created_at", "updated_at")
	return `WITH u AS (
		SELECT * FROM unnest(` + strings.Join(params, ", ") + `) AS u(` + strings.Join(names, ", ") + `)
	), inserted AS (
		INSERT INTO people (` + storedPersonColumns + `)
		SELECT ` + storedPersonColumns + ` FROM u
		ON CONFLICT (id) DO NOTHING
	)
	UPDATE people SET ` + personMerge(Postgres) + ` FROM u WHERE people.id = u.id`
}()

func (w *pgWriter) saveConversations(ctx context.Context, cs []*domain.Conversation) error {
	cols := conversationArrays(cs)
	w.queue(`INSERT INTO conversations (`+conversationWriteColumns+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
			$10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::text[], $15::timestamptz[], $16::text[], $17::text[],
			$18::text[], $19::text[], $20::text[])
		ON CONFLICT (id) DO UPDATE SET `+conversationUpdate,
		cols...)
	return nil
}

func (w *pgWriter) upsertMessages(ctx context.Context, ms []*messageChange) error {
	n := len(ms)
	ids, providers, externals := make([]string, n), make([]string, n), make([]string, n)
	conversations, authors := make([]*string, n), make([]*string, n)
	directions, contents, contentTypes := make([]string, n), make([]string, n), make([]string, n)
	directionAt, contentAt, contentTypeAt, privateAt, createdAt, updatedAt := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	private := make([]bool, n)
	for i, m := range ms {
		ids[i], providers[i], externals[i] = m.ID, m.Provider, m.ExternalID
		conversations[i], authors[i] = nullable(m.ConversationID), nullable(m.AuthorID)
		directions[i], contents[i], contentTypes[i] = m.Direction.Value, m.Content.Value, m.ContentType.Value
		directionAt[i], contentAt[i], contentTypeAt[i] = m.Direction.At, m.Content.At, m.ContentType.At
		private[i], privateAt[i], createdAt[i], updatedAt[i] = m.Private, m.PrivateAt, m.CreatedAt, m.UpdatedAt
	}
	w.queue(`WITH u AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::timestamptz[],
			$9::text[], $10::timestamptz[], $11::bool[], $12::timestamptz[], $13::text[], $14::timestamptz[], $15::timestamptz[])
			AS u(id, conversation_id, provider, external_id, direction, direction_at, content, content_at,
				content_type, content_type_at, private, private_at, author_id, created_at, updated_at)
	), inserted AS (
		INSERT INTO messages (id, conversation_id, provider, external_id, direction, private, content, content_type, author_id, created_at, updated_at)
		SELECT id, conversation_id, provider, external_id, direction, private, content, content_type, author_id, created_at, updated_at FROM u
		ON CONFLICT (id) DO NOTHING
	)
	UPDATE messages SET `+messageMerge+` FROM u WHERE messages.id = u.id`,
		ids, conversations, providers, externals, directions, directionAt, contents, contentAt, contentTypes, contentTypeAt,
		private, privateAt, authors, createdAt, updatedAt)
	return nil
}

func (w *pgWriter) insertLogs(ctx context.Context, logs []*domain.DeliveryLog) error {
	if len(logs) == 0 {
		return nil
	}
	n := len(logs)
	subs, events, outcomes, texts := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at, success, codes, payloads := make([]time.Time, n), make([]bool, n), make([]int32, n), make([][]byte, n)
	for i, l := range logs {
		r := toDeliveryLogRow(l)
		subs[i], events[i], outcomes[i], texts[i] = r.SubscriptionID, r.Event, r.Outcome, r.ResponseText
		at[i], success[i], codes[i], payloads[i] = r.DeliveredAt, r.Success, int32(r.ResponseCode), r.Payload
	}
	w.queue(`INSERT INTO delivery_logs (subscription_id, event, outcome, delivered_at, success, response_code, response_text, payload)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bool[], $6::int[], $7::text[], $8::bytea[])`,
		subs, events, outcomes, at, success, codes, texts, payloads)
	return nil
}

// setHead advances the head and announces it: NOTIFY is transactional, so
// other gateway processes hear of these events exactly when they commit.
func (w *pgWriter) setHead(ctx context.Context, head domain.Position) error {
	w.queue(`UPDATE event_head SET position = $1 WHERE id = 1`, int64(head))
	w.queue(`SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(int64(head), 10))
	return nil
}

// newest merges one text column of a change u into the stored row of
// table: a non-empty value said at or after the row's last update wins,
// and any value fills an empty column. empty is the column's empty value.
func newest(table, column, empty string) string {
	return column + ` = CASE WHEN u.` + column + ` <> ` + empty + ` AND (u.` + column + `_at >= ` + table + `.updated_at OR ` +
		table + `.` + column + ` = ` + empty + `) THEN u.` + column + ` ELSE ` + table + `.` + column + ` END`
}

// personMerge keeps each field's newest non-empty value (see newest); the
// list of e-mail addresses is one such value. Phones merge kind by kind:
// the kinds of a change said at or after the row's last update replace
// the stored numbers of those kinds, an older change fills only the kinds
// the row lacks, and kinds a change leaves out stay as they are. Only that
// JSON merge differs between the dialects.
func personMerge(dialect string) string {
	newer, older := `(people.phones::jsonb || u.phones::jsonb)::text`, `(u.phones::jsonb || people.phones::jsonb)::text`
	if dialect == SQLite {
		newer, older = `json_patch(people.phones, u.phones)`, `json_patch(u.phones, people.phones)`
	}
	merges := make([]string, 0, len(personColumns)+6)
	for _, c := range personColumns {
		merges = append(merges, newest("people", c, `''`))
	}
	return strings.Join(append(merges,
		newest("people", "emails", `'[]'`),
		`phones = CASE WHEN u.phones = '{}' THEN people.phones WHEN u.phones_at >= people.updated_at THEN `+newer+` ELSE `+older+` END`,
		`deleted = CASE WHEN u.deleted_at >= people.updated_at THEN u.deleted ELSE people.deleted END`,
		`created_at = CASE WHEN u.created_at < people.created_at THEN u.created_at ELSE people.created_at END`,
		`updated_at = CASE WHEN u.updated_at > people.updated_at THEN u.updated_at ELSE people.updated_at END`,
	), ",\n\t")
}

// messageMerge is personMerge's rule for messages; a message once private
// stays private, and the last author named wins.
var messageMerge = `conversation_id = COALESCE(messages.conversation_id, u.conversation_id),
	` + newest("messages", "direction", `''`) + `,
	private = messages.private OR (u.private AND u.private_at >= messages.updated_at),
	` + newest("messages", "content", `''`) + `,
	` + newest("messages", "content_type", `''`) + `,
	author_id = COALESCE(u.author_id, messages.author_id),
	created_at = CASE WHEN u.created_at < messages.created_at THEN u.created_at ELSE messages.created_at END,
	updated_at = CASE WHEN u.updated_at > messages.updated_at THEN u.updated_at ELSE messages.updated_at END`

// conversationWriteColumns are the columns a projection writes, in the
// order of conversationArrays; seq is the store's own.
const conversationWriteColumns = `id, provider, account, external_id, kind, status, provider_status, channel, subject,
	created_at, updated_at, state_at, requester_id, assignee_id, assignee_at, merge_state, tags, queue, inbox, origin`

// conversationUpdate replaces a stored conversation by the merged one: the
// merge happened in memory, by domain.Conversation.Apply.
const conversationUpdate = `kind = excluded.kind, status = excluded.status, provider_status = excluded.provider_status,
	channel = excluded.channel, subject = excluded.subject, created_at = excluded.created_at, updated_at = excluded.updated_at,
	state_at = excluded.state_at, requester_id = excluded.requester_id, assignee_id = excluded.assignee_id,
	assignee_at = excluded.assignee_at, merge_state = excluded.merge_state, tags = excluded.tags,
	queue = excluded.queue, inbox = excluded.inbox, origin = excluded.origin`

// conversationArrays returns the columns of conversationWriteColumns as
// arrays, one element per conversation.
func conversationArrays(cs []*domain.Conversation) []any {
	n := len(cs)
	ids, providers, accounts, externals, kinds, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	providerStatuses, channels, subjects, requesters, assignees := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	queues, inboxes, origins := make([]*string, n), make([]*string, n), make([]*string, n)
	created, updated, stateAt, assigneeAt := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	merge, tags := make([]string, n), make([]string, n)
	for i, c := range cs {
		r := toConversationRow(c)
		ids[i], providers[i], accounts[i], externals[i], kinds[i], statuses[i] = r.ID, r.Provider, r.Account, r.ExternalID, r.Kind, r.Status
		providerStatuses[i], channels[i], subjects[i], requesters[i], assignees[i] = r.ProviderStatus, r.Channel, r.Subject, r.RequesterID, r.AssigneeID
		created[i], updated[i], stateAt[i], assigneeAt[i] = r.CreatedAt, r.UpdatedAt, r.StateAt, r.AssigneeAt
		merge[i], tags[i] = r.MergeState, r.Tags
		queues[i], inboxes[i], origins[i] = r.Queue, r.Inbox, r.Origin
	}
	return []any{ids, providers, accounts, externals, kinds, statuses, providerStatuses, channels, subjects,
		created, updated, stateAt, requesters, assignees, assigneeAt, merge, tags, queues, inboxes, origins}
}

// conversationColumns are the columns scanConversation reads.
const conversationColumns = `seq, id, provider, account, external_id, kind, status, provider_status, channel, subject,
	created_at, updated_at, state_at, requester_id, assignee_id, assignee_at, merge_state, tags, queue, inbox, origin`

// conversationReadColumns are conversationColumns for readers: the merge
// state, which only the projection writer uses (a map of marks per field
// and tag, and most of a row's decoding), is left unread.
var conversationReadColumns = strings.Replace(conversationColumns, "merge_state", "'{}' AS merge_state", 1)

// collectConversations reads rows of conversationColumns, from pgx or
// database/sql; the caller closes them.
func collectConversations(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) (map[string]*domain.Conversation, error) {
	out := map[string]*domain.Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}

// scanConversation reads a row of conversationColumns, from pgx or
// database/sql.
func scanConversation(row interface{ Scan(...any) error }) (*domain.Conversation, error) {
	var r conversationRow
	err := row.Scan(&r.Seq, &r.ID, &r.Provider, &r.Account, &r.ExternalID, &r.Kind, &r.Status, &r.ProviderStatus,
		&r.Channel, &r.Subject, &r.CreatedAt, &r.UpdatedAt, &r.StateAt, &r.RequesterID, &r.AssigneeID, &r.AssigneeAt,
		&r.MergeState, &r.Tags, &r.Queue, &r.Inbox, &r.Origin)
	if err != nil {
		return nil, err
	}
	return r.toDomain(), nil
}
