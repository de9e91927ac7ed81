package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// seqPage applies a page of a listing ordered by seq to q.
func seqPage(q *gorm.DB, p domain.SeqPage) *gorm.DB {
	if p.After > 0 {
		q = q.Where("seq > ?", p.After)
	}
	if p.Before > 0 {
		q = q.Where("seq < ?", p.Before)
	}
	if p.Backward {
		return q.Order("seq DESC").Limit(p.Limit)
	}
	return q.Order("seq").Limit(p.Limit)
}

func ascending[T any](rows []T, p domain.SeqPage) []T {
	if p.Backward {
		slices.Reverse(rows)
	}
	return rows
}

func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

func conversationFilter(q *gorm.DB, f *domain.ConversationFilter) *gorm.DB {
	if f == nil {
		return q
	}
	if len(f.Providers) > 0 {
		q = q.Where("provider IN ?", stringsOf(f.Providers))
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", stringsOf(f.Statuses))
	}
	if len(f.Channels) > 0 {
		lower := make([]string, len(f.Channels))
		for i, c := range f.Channels {
			lower[i] = strings.ToLower(c)
		}
		q = q.Where("LOWER(channel) IN ?", lower)
	}
	if f.AssigneeID != nil {
		q = q.Where("assignee_id = ?", *f.AssigneeID)
	}
	if f.UpdatedSince != nil {
		q = q.Where("updated_at >= ?", f.UpdatedSince.UTC())
	}
	if f.Search != nil && strings.TrimSpace(*f.Search) != "" {
		p := likePattern(strings.TrimSpace(*f.Search))
		q = q.Where(`(LOWER(COALESCE(subject, '')) LIKE ? ESCAPE '\' OR LOWER(external_id) LIKE ? ESCAPE '\')`, p, p)
	}
	return q
}

// ListConversations returns one page of the conversations that pass the
// filter, in the order the gateway first saw them, without their merge
// state (domain.Conversation.Merge), which only the projection uses.
func (db *DB) ListConversations(ctx context.Context, f *domain.ConversationFilter, p domain.SeqPage) ([]*domain.Conversation, error) {
	q := seqPage(conversationFilter(db.gorm.WithContext(ctx).Model(&conversationRow{}).Select(conversationReadColumns), f), p)
	out, err := scanAll(db, q, scanConversation)
	if err != nil {
		return nil, storeError(fmt.Errorf("list conversations: %w", err))
	}
	return ascending(out, p), nil
}

// scanAll runs q and reads its rows with scan, by position: the hot reads
// skip gorm's reflection over each row and, on PostgreSQL, database/sql's
// conversion of every value (pgx scans the rows itself).
func scanAll[T any](db *DB, q *gorm.DB, scan func(row interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	var out []T
	each := func(row interface{ Scan(...any) error }) error {
		x, err := scan(row)
		if err != nil {
			return err
		}
		out = append(out, x)
		return nil
	}
	if db.dialect == Postgres {
		err := db.pgxQuery(q.Statement.Context, q, func(rows pgx.Rows) error { return each(rows) })
		return out, err
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// CountConversations counts the conversations that pass the filter.
func (db *DB) CountConversations(ctx context.Context, f *domain.ConversationFilter) (int, error) {
	var n int64
	if err := conversationFilter(db.gorm.WithContext(ctx).Model(&conversationRow{}), f).Count(&n).Error; err != nil {
		return 0, storeError(fmt.Errorf("count conversations: %w", err))
	}
	return int(n), nil
}

// FindConversations returns the conversations with the given ids, in no
// particular order, without their merge state; unknown ids are left out.
func (db *DB) FindConversations(ctx context.Context, ids []string) ([]*domain.Conversation, error) {
	out, err := scanAll(db, db.gorm.WithContext(ctx).Model(&conversationRow{}).Select(conversationReadColumns).Where("id IN ?", ids), scanConversation)
	if err != nil {
		return nil, storeError(fmt.Errorf("find conversations: %w", err))
	}
	return out, nil
}

func peopleFilter(q *gorm.DB, role domain.PersonRole, search *string) *gorm.DB {
	q = q.Where("role = ?", string(role))
	if search != nil && strings.TrimSpace(*search) != "" {
		p := likePattern(strings.TrimSpace(*search))
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\' OR LOWER(external_id) LIKE ? ESCAPE '\')`, p, p, p)
	}
	return q
}

// ListPeople returns one page of the contacts or agents, optionally only
// those whose name, e-mail or external id contains search.
func (db *DB) ListPeople(ctx context.Context, role domain.PersonRole, search *string, p domain.SeqPage) ([]*domain.Person, error) {
	var rows []personRow
	if err := seqPage(peopleFilter(db.gorm.WithContext(ctx).Model(&personRow{}), role, search), p).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("list people: %w", err))
	}
	rows = ascending(rows, p)
	out := make([]*domain.Person, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// CountPeople counts the contacts or agents that ListPeople would list.
func (db *DB) CountPeople(ctx context.Context, role domain.PersonRole, search *string) (int, error) {
	var n int64
	if err := peopleFilter(db.gorm.WithContext(ctx).Model(&personRow{}), role, search).Count(&n).Error; err != nil {
		return 0, storeError(fmt.Errorf("count people: %w", err))
	}
	return int(n), nil
}

// messagePage applies a page of a conversation's messages to q: they are
// ordered oldest first by creation time, ties (and the cursor's place) by
// seq. The cursors name a message by its seq; the page starts at that
// message's place in the order (index messages_conversation).
func messagePage(q *gorm.DB, p domain.SeqPage) *gorm.DB {
	const place = "(SELECT created_at, seq FROM messages WHERE seq = ?)"
	if p.After > 0 {
		q = q.Where("(created_at, seq) > "+place, p.After)
	}
	if p.Before > 0 {
		q = q.Where("(created_at, seq) < "+place, p.Before)
	}
	if p.Backward {
		return q.Order("created_at DESC, seq DESC").Limit(p.Limit)
	}
	return q.Order("created_at, seq").Limit(p.Limit)
}

// ListMessages returns one page of a conversation's messages, oldest first
// by creation time.
func (db *DB) ListMessages(ctx context.Context, conversationID string, p domain.SeqPage) ([]*domain.Message, error) {
	q := messagePage(db.gorm.WithContext(ctx).Model(&messageRow{}).Select(messageColumns).Where("conversation_id = ?", conversationID), p)
	out, err := scanAll(db, q, scanMessage)
	if err != nil {
		return nil, storeError(fmt.Errorf("list messages: %w", err))
	}
	return ascending(out, p), nil
}

// LastMessages returns, for each conversation, its newest n messages by
// creation time, oldest first (ties by seq), in one statement: a page of
// conversations with their latest messages costs one query, not one per
// conversation.
func (db *DB) LastMessages(ctx context.Context, conversationIDs []string, n int) (map[string][]*domain.Message, error) {
	if len(conversationIDs) == 0 {
		return map[string][]*domain.Message{}, nil
	}
	var found []*domain.Message
	var err error
	if db.dialect == Postgres {
		// Each conversation's index walked backwards for its n newest: a
		// few rows each, however long the conversations.
		err = db.pgxRaw(ctx, `SELECT `+messageColumns+`
			FROM (SELECT DISTINCT unnest($1::text[]) AS wanted) c
			CROSS JOIN LATERAL (SELECT * FROM messages WHERE conversation_id = c.wanted
				ORDER BY created_at DESC, seq DESC LIMIT $2) m
			ORDER BY conversation_id, created_at, seq`, []any{conversationIDs, n}, func(rows pgx.Rows) error {
			m, err := scanMessage(rows)
			found = append(found, m)
			return err
		})
	} else {
		// SQLite has no LATERAL: the conversations' messages are ranked.
		found, err = scanAll(db, db.gorm.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM (
			SELECT m.*, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY created_at DESC, seq DESC) AS rank
			FROM messages m WHERE conversation_id IN ?) ranked
		WHERE rank <= ? ORDER BY conversation_id, created_at, seq`, conversationIDs, n), scanMessage)
	}
	if err != nil {
		return nil, storeError(fmt.Errorf("last messages: %w", err))
	}
	out := make(map[string][]*domain.Message, len(conversationIDs))
	for _, m := range found {
		out[m.ConversationID] = append(out[m.ConversationID], m)
	}
	return out, nil
}

// FindSubscriptions returns the subscriptions with the given ids, in no
// particular order; unknown ids are left out.
func (db *DB) FindSubscriptions(ctx context.Context, ids []string) ([]*domain.WebhookSubscription, error) {
	var rows []subscriptionRow
	if err := db.gorm.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("find subscriptions: %w", err))
	}
	out := make([]*domain.WebhookSubscription, 0, len(rows))
	for i := range rows {
		s, err := rows[i].toDomain()
		if err != nil {
			return nil, storeError(fmt.Errorf("find subscriptions: %w", err))
		}
		out = append(out, s)
	}
	return out, nil
}

// FindEvent returns the event with the given id, or a domain ENOTFOUND
// error.
func (db *DB) FindEvent(ctx context.Context, id string) (*domain.Event, error) {
	var row eventRow
	err := db.gorm.WithContext(ctx).Table("events").Select(eventColumns+", payload").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.Errorf(domain.ENOTFOUND, "event %q not found", id)
	} else if err != nil {
		return nil, storeError(fmt.Errorf("find event: %w", err))
	}
	return row.toDomain(), nil
}
