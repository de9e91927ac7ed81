package db

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgconn"
	"strconv"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AppendDeliveries stores the deliveries in one transaction: each event is
// appended unless an event with its provider and dedupe key is already
// stored, the conversation projections are updated, and each delivery's
// log entry is written. It is all or nothing: on error nothing is stored.
//
// Sharing one transaction among many deliveries is what makes ingest fast:
// the commit, not the statements, is the cost of durability.
func (db *DB) AppendDeliveries(ctx context.Context, ds []*domain.Delivery) ([]domain.DeliveryResult, error) {
	var results []domain.DeliveryResult
	var err error
	// Concurrent transactions lock conversation rows in the order their
	// deliveries arrived, so PostgreSQL may abort one as a deadlock victim:
	// such a transaction is simply run again.
	for attempt := 1; ; attempt++ {
		results, err = db.appendOnce(ctx, ds)
		if err == nil || !retryable(err) || attempt == 5 {
			break
		}
		time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
	}
	if err != nil {
		// Positions handed out inside a rolled-back transaction mean nothing.
		for _, d := range ds {
			for _, e := range d.Events {
				e.Position = domain.Position{}
			}
		}
		return nil, storeError(fmt.Errorf("append deliveries: %w", err))
	}
	return results, nil
}

// retryable reports whether PostgreSQL aborted a transaction that may
// succeed when run again: a deadlock or a serialization failure.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}

func (db *DB) appendOnce(ctx context.Context, ds []*domain.Delivery) ([]domain.DeliveryResult, error) {
	results := make([]domain.DeliveryResult, len(ds))
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, d := range ds {
			for _, e := range d.Events {
				appended, err := db.appendEvent(tx, e)
				if err != nil {
					return err
				}
				if !appended {
					results[i].Duplicates++
					continue
				}
				results[i].Appended = append(results[i].Appended, e)
			}
			if len(d.Events) > 0 {
				// Set both ways: a batch retried after a failure runs this again.
				d.Log.Outcome = domain.OutcomeAccepted
				if results[i].Duplicates == len(d.Events) {
					d.Log.Outcome = domain.OutcomeDuplicate
				}
			}
			if err := tx.Create(toDeliveryLogRow(&d.Log)).Error; err != nil {
				return fmt.Errorf("log delivery: %w", err)
			}
		}
		if db.dialect == Postgres && appendedAny(results) {
			// NOTIFY is transactional: other gateway processes hear of these
			// events exactly when they commit, never before.
			// The payload names the transaction: see NotifiedPosition.
			if err := tx.Exec("SELECT pg_notify(?, pg_current_xact_id()::text)", NotifyChannel).Error; err != nil {
				return fmt.Errorf("notify: %w", err)
			}
		}
		pruned := map[string]bool{}
		for _, d := range ds {
			if !pruned[d.Log.SubscriptionID] {
				pruned[d.Log.SubscriptionID] = true
				if err := db.pruneLog(tx, d.Log.SubscriptionID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// NotifyChannel is the PostgreSQL channel on which every commit of new
// events is announced, for the other gateway processes.
const NotifyChannel = "gateway_events"

// NotifiedPosition reads a notification on NotifyChannel: its payload is
// the id of the transaction that committed the events, and every one of
// them is at or after the position returned. A payload it cannot read
// gives the zero position: events may have been committed.
func NotifiedPosition(payload string) domain.Position {
	tx, err := strconv.ParseInt(payload, 10, 64)
	if err != nil || tx <= 0 {
		return domain.Position{}
	}
	return domain.Position{Tx: tx}
}

func appendedAny(results []domain.DeliveryResult) bool {
	for _, r := range results {
		if len(r.Appended) > 0 {
			return true
		}
	}
	return false
}

// appendEvent inserts e unless its dedupe key is taken, and reports whether
// it did; on insert it sets e.Position and applies e's facts to the
// projections.
func (db *DB) appendEvent(tx *gorm.DB, e *domain.Event) (bool, error) {
	deriveIDs(e)
	var pos []struct{ Tx, Seq int64 }
	err := tx.Raw(`INSERT INTO events (id, provider, type, provider_event_type, dedupe_key, subscription_id,
		conversation_id, message_id, occurred_at, received_at, reason, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (provider, dedupe_key) DO NOTHING
		RETURNING tx, seq`,
		e.ID, string(e.Provider), string(e.Type), e.ProviderEventType, e.DedupeKey, e.SubscriptionID,
		nullable(e.ConversationID), nullable(e.MessageID), e.OccurredAt.UTC(), e.ReceivedAt.UTC(), e.Reason, []byte(e.Payload),
	).Scan(&pos).Error
	if err != nil {
		return false, fmt.Errorf("append event: %w", err)
	}
	if len(pos) == 0 {
		return false, nil
	}
	e.Position = domain.Position{Tx: pos[0].Tx, Seq: pos[0].Seq}
	return true, db.project(tx, e)
}

// deriveIDs sets the gateway ids of the event's conversation, message and
// people from the provider's ids.
func deriveIDs(e *domain.Event) {
	account := ""
	if u := e.Conversation; u != nil && u.ExternalID != "" {
		account = u.Account
		e.ConversationID = domain.ConversationID(e.Provider, u.Account, u.ExternalID)
		for _, p := range []*domain.Person{u.Requester, u.Assignee} {
			personID(e.Provider, p)
		}
	}
	if m := e.Message; m != nil && m.ExternalID != "" {
		e.MessageID = domain.MessageID(e.Provider, account, m.ExternalID)
		m.ID, m.ConversationID = e.MessageID, e.ConversationID
		personID(e.Provider, m.Author)
	}
	for _, p := range e.Contacts {
		personID(e.Provider, p)
	}
}

func personID(provider domain.Provider, p *domain.Person) {
	if p == nil || p.ExternalID == "" {
		return
	}
	if p.Provider == "" {
		p.Provider = provider
	}
	if p.Role == "" {
		p.Role = domain.RoleContact
	}
	p.ID = domain.PersonID(p.Provider, p.Role, p.Account, p.ExternalID)
}

// project applies an appended event's facts to the projections: people
// first, so the conversation and message can point at them.
func (db *DB) project(tx *gorm.DB, e *domain.Event) error {
	people := append([]*domain.Person{}, e.Contacts...)
	if u := e.Conversation; u != nil {
		people = append(people, u.Requester, u.Assignee)
	}
	if m := e.Message; m != nil {
		people = append(people, m.Author)
	}
	for _, p := range people {
		if p != nil && p.ID != "" {
			if err := upsertPerson(tx, p, e.OccurredAt, e.Type == domain.EventContactDeleted || p.Deleted); err != nil {
				return err
			}
		}
	}
	if e.ConversationID != "" {
		if err := db.upsertConversation(tx, e); err != nil {
			return err
		}
	}
	if e.MessageID != "" {
		if err := upsertMessage(tx, e); err != nil {
			return err
		}
	}
	return nil
}

// upsertConversation applies what e says about its conversation. The row
// is created (or locked, on PostgreSQL) first, then read, merged by
// domain.Conversation.Apply, and written back: the merge rules live in one
// place and the same in every dialect.
func (db *DB) upsertConversation(tx *gorm.DB, e *domain.Event) error {
	u := e.Conversation
	fresh := domain.NewConversation(e.Provider, u, e.OccurredAt)
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(toConversationRow(fresh)).Error; err != nil {
		return fmt.Errorf("create conversation %s: %w", u.ExternalID, err)
	}
	q := tx
	if db.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row conversationRow
	if err := q.Where("id = ?", e.ConversationID).Take(&row).Error; err != nil {
		return fmt.Errorf("read conversation %s: %w", u.ExternalID, err)
	}
	c := row.toDomain()
	requester, assignee := "", ""
	if u.Requester != nil {
		requester = u.Requester.ID
	}
	if u.Assignee != nil {
		assignee = u.Assignee.ID
	}
	c.Apply(u, e.OccurredAt, requester, assignee)
	if err := tx.Select("*").Omit("seq").Save(toConversationRow(c)).Error; err != nil {
		return fmt.Errorf("update conversation %s: %w", u.ExternalID, err)
	}
	return nil
}

// upsertPerson keeps the newest non-empty facts of a contact or agent.
func upsertPerson(tx *gorm.DB, p *domain.Person, at time.Time, deleted bool) error {
	err := tx.Exec(`INSERT INTO people (id, provider, account, external_id, role, name, email, phone, deleted, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
		name = CASE WHEN excluded.name <> '' AND (excluded.updated_at >= people.updated_at OR people.name = '') THEN excluded.name ELSE people.name END,
		email = CASE WHEN excluded.email <> '' AND (excluded.updated_at >= people.updated_at OR people.email = '') THEN excluded.email ELSE people.email END,
		phone = CASE WHEN excluded.phone <> '' AND (excluded.updated_at >= people.updated_at OR people.phone = '') THEN excluded.phone ELSE people.phone END,
		deleted = CASE WHEN excluded.updated_at >= people.updated_at THEN excluded.deleted ELSE people.deleted END,
		created_at = CASE WHEN excluded.created_at < people.created_at THEN excluded.created_at ELSE people.created_at END,
		updated_at = CASE WHEN excluded.updated_at > people.updated_at THEN excluded.updated_at ELSE people.updated_at END`,
		p.ID, string(p.Provider), p.Account, p.ExternalID, string(p.Role), p.Name, p.Email, p.Phone, deleted, at.UTC(), at.UTC(),
	).Error
	if err != nil {
		return fmt.Errorf("update person %s: %w", p.ExternalID, err)
	}
	return nil
}

// upsertMessage keeps the newest non-empty facts of a message; its
// creation time is the earliest one known.
func upsertMessage(tx *gorm.DB, e *domain.Event) error {
	m := e.Message
	created := m.CreatedAt
	if created.IsZero() {
		created = e.OccurredAt
	}
	author := ""
	if m.Author != nil {
		author = m.Author.ID
	}
	err := tx.Exec(`INSERT INTO messages (id, conversation_id, provider, external_id, direction, private, content, content_type, author_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
		conversation_id = COALESCE(messages.conversation_id, excluded.conversation_id),
		direction = CASE WHEN excluded.direction <> '' AND (excluded.updated_at >= messages.updated_at OR messages.direction = '') THEN excluded.direction ELSE messages.direction END,
		private = CASE WHEN excluded.updated_at >= messages.updated_at THEN excluded.private OR messages.private ELSE messages.private END,
		content = CASE WHEN excluded.content <> '' AND (excluded.updated_at >= messages.updated_at OR messages.content = '') THEN excluded.content ELSE messages.content END,
		content_type = CASE WHEN excluded.content_type <> '' AND (excluded.updated_at >= messages.updated_at OR messages.content_type = '') THEN excluded.content_type ELSE messages.content_type END,
		author_id = COALESCE(excluded.author_id, messages.author_id),
		created_at = CASE WHEN excluded.created_at < messages.created_at THEN excluded.created_at ELSE messages.created_at END,
		updated_at = CASE WHEN excluded.updated_at > messages.updated_at THEN excluded.updated_at ELSE messages.updated_at END`,
		m.ID, nullable(e.ConversationID), string(e.Provider), m.ExternalID, string(m.Direction), m.Private,
		m.Content, m.ContentType, nullable(author), created.UTC(), e.OccurredAt.UTC(),
	).Error
	if err != nil {
		return fmt.Errorf("update message %s: %w", m.ExternalID, err)
	}
	return nil
}

// Events returns up to limit events after the position, in stream order,
// that pass the filter. Only the stable prefix of the history is read: an
// event that a still-running transaction may precede is left for a later
// read, so paging by cursor never skips an event that commits late.
func (db *DB) Events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error) {
	q := db.gorm.WithContext(ctx).Table("events").
		Select(eventColumns).
		Where("(tx, seq) > (?, ?)", after.Tx, after.Seq)
	if db.dialect == Postgres {
		q = q.Where("tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
	}
	q = applyEventFilter(q, filter)
	var rows []eventRow
	if err := q.Order("tx, seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("read events: %w", err))
	}
	out := make([]*domain.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// Head returns the position of the newest event in the stable prefix of
// the history (what Events reads), or the zero position when it is empty.
// No event at or before it can still appear.
func (db *DB) Head(ctx context.Context) (domain.Position, error) {
	q := db.gorm.WithContext(ctx).Table("events").Select("tx, seq")
	if db.dialect == Postgres {
		q = q.Where("tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
	}
	var rows []struct {
		Tx  int64
		Seq int64
	}
	if err := q.Order("tx DESC, seq DESC").Limit(1).Find(&rows).Error; err != nil {
		return domain.Position{}, storeError(fmt.Errorf("read the head of the history: %w", err))
	}
	if len(rows) == 0 {
		return domain.Position{}, nil
	}
	return domain.Position{Tx: rows[0].Tx, Seq: rows[0].Seq}, nil
}

const eventColumns = "seq, tx, id, provider, type, provider_event_type, dedupe_key, subscription_id, conversation_id, message_id, occurred_at, received_at, reason, payload"

func applyEventFilter(q *gorm.DB, f *domain.EventFilter) *gorm.DB {
	if f == nil {
		return q
	}
	if len(f.Providers) > 0 {
		q = q.Where("provider IN ?", stringsOf(f.Providers))
	}
	if len(f.Types) > 0 {
		q = q.Where("type IN ?", stringsOf(f.Types))
	}
	if f.ConversationID != nil {
		q = q.Where("conversation_id = ?", *f.ConversationID)
	}
	if f.SubscriptionID != nil {
		q = q.Where("subscription_id = ?", *f.SubscriptionID)
	}
	if f.Since != nil {
		q = q.Where("occurred_at >= ?", f.Since.UTC())
	}
	if f.Until != nil {
		q = q.Where("occurred_at < ?", f.Until.UTC())
	}
	if f.Untranslated != nil {
		if *f.Untranslated {
			q = q.Where("reason <> ''")
		} else {
			q = q.Where("reason = ''")
		}
	}
	return q
}

func stringsOf[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

// FindConversation returns the conversation with the given id, or a domain
// ENOTFOUND error.
func (db *DB) FindConversation(ctx context.Context, id string) (*domain.Conversation, error) {
	var row conversationRow
	err := db.gorm.WithContext(ctx).Table("conversations").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.Errorf(domain.ENOTFOUND, "conversation %q not found", id)
	} else if err != nil {
		return nil, storeError(fmt.Errorf("find conversation: %w", err))
	}
	return row.toDomain(), nil
}

// CountEvents returns how many events are stored, including those that
// Events does not show yet because an earlier transaction is still running.
func (db *DB) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := db.gorm.WithContext(ctx).Table("events").Count(&n).Error; err != nil {
		return 0, storeError(fmt.Errorf("count events: %w", err))
	}
	return n, nil
}

// FindPeople returns the people with the given ids, in no particular
// order; unknown ids are left out.
func (db *DB) FindPeople(ctx context.Context, ids []string) ([]*domain.Person, error) {
	var rows []personRow
	if err := db.gorm.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("find people: %w", err))
	}
	out := make([]*domain.Person, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// FindMessages returns the messages with the given ids, in no particular
// order; unknown ids are left out.
func (db *DB) FindMessages(ctx context.Context, ids []string) ([]*domain.Message, error) {
	var rows []messageRow
	if err := db.gorm.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("find messages: %w", err))
	}
	out := make([]*domain.Message, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// Retranslate replaces the translation of a stored event by fresh, the
// events an adapter now makes of the same stored body, in one transaction.
// The stored event keeps its id, position and body and takes the first
// fresh event's translation (and its dedupe key, unless another event has
// it; a fresh event with the stored key is preferred to the first); the
// projections apply it; further fresh events are appended unless already
// stored. It returns the appended events.
func (db *DB) Retranslate(ctx context.Context, stored *domain.Event, fresh []*domain.Event) ([]*domain.Event, error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	// A body that yields several events was stored as several rows: each
	// row takes the fresh event with its own key, or else the first.
	match := 0
	for i, e := range fresh {
		if e.DedupeKey == stored.DedupeKey {
			match = i
			break
		}
	}
	fresh = append([]*domain.Event{fresh[match]}, append(append([]*domain.Event{}, fresh[:match]...), fresh[match+1:]...)...)
	var appended []*domain.Event
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		first := fresh[0]
		first.ID, first.Position, first.SubscriptionID = stored.ID, stored.Position, stored.SubscriptionID
		first.ReceivedAt, first.Payload = stored.ReceivedAt, stored.Payload
		deriveIDs(first)
		key := stored.DedupeKey
		if first.DedupeKey != key {
			var taken int64
			if err := tx.Table("events").Where("provider = ? AND dedupe_key = ? AND id <> ?", string(first.Provider), first.DedupeKey, stored.ID).Count(&taken).Error; err != nil {
				return fmt.Errorf("check dedupe key: %w", err)
			}
			if taken == 0 {
				key = first.DedupeKey
			}
		}
		first.DedupeKey = key
		err := tx.Table("events").Where("id = ?", stored.ID).Updates(map[string]any{
			"type": string(first.Type), "provider_event_type": first.ProviderEventType, "dedupe_key": key,
			"conversation_id": nullable(first.ConversationID), "message_id": nullable(first.MessageID),
			"occurred_at": first.OccurredAt.UTC(), "reason": first.Reason,
		}).Error
		if err != nil {
			return fmt.Errorf("update event %s: %w", stored.ID, err)
		}
		if err := db.project(tx, first); err != nil {
			return err
		}
		for _, e := range fresh[1:] {
			e.SubscriptionID = stored.SubscriptionID
			ok, err := db.appendEvent(tx, e)
			if err != nil {
				return err
			}
			if ok {
				appended = append(appended, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, storeError(fmt.Errorf("retranslate event %s: %w", stored.ID, err))
	}
	return appended, nil
}
