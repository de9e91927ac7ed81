package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
)

// AppendDeliveries stores the deliveries in one transaction: each event is
// appended unless an event with its provider and dedupe key is already
// stored, the conversation projections are updated, and each delivery's
// log entry is written. It is all or nothing: on error nothing is stored.
//
// Sharing one transaction among many deliveries is what makes ingest fast:
// the commit, not the statements, is the cost of durability.
func (db *DB) AppendDeliveries(ctx context.Context, ds []*domain.Delivery) ([]domain.DeliveryResult, error) {
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
		return nil
	})
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

// appendEvent inserts e unless its dedupe key is taken, and reports whether
// it did; on insert it sets e.Position and applies e's conversation update.
func (db *DB) appendEvent(tx *gorm.DB, e *domain.Event) (bool, error) {
	if e.Conversation != nil && e.Conversation.ExternalID != "" {
		e.ConversationID = domain.ConversationID(e.Provider, e.Conversation.ExternalID)
	}
	var pos []struct{ Tx, Seq int64 }
	err := tx.Raw(`INSERT INTO events (id, provider, type, provider_event_type, dedupe_key, subscription_id,
		conversation_id, occurred_at, received_at, reason, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (provider, dedupe_key) DO NOTHING
		RETURNING tx, seq`,
		e.ID, string(e.Provider), string(e.Type), e.ProviderEventType, e.DedupeKey, e.SubscriptionID,
		nullable(e.ConversationID), e.OccurredAt.UTC(), e.ReceivedAt.UTC(), e.Reason, []byte(e.Payload),
	).Scan(&pos).Error
	if err != nil {
		return false, fmt.Errorf("append event: %w", err)
	}
	if len(pos) == 0 {
		return false, nil
	}
	e.Position = domain.Position{Tx: pos[0].Tx, Seq: pos[0].Seq}
	if e.ConversationID != "" {
		if err := upsertConversation(tx, e); err != nil {
			return false, err
		}
	}
	return true, nil
}

// upsertConversation applies what e says about its conversation. State
// (status, provider status, channel, subject) only moves forward: an event
// that occurred before the stored state leaves it as it is.
func upsertConversation(tx *gorm.DB, e *domain.Event) error {
	u := e.Conversation
	status := u.Status
	stateAt := time.Time{}
	if status == "" {
		status = domain.StatusUnknown
	} else {
		stateAt = e.OccurredAt
	}
	kind := u.Kind
	if kind == "" {
		kind = domain.KindConversation
	}
	createdAt := u.CreatedAt
	if createdAt.IsZero() || createdAt.After(e.OccurredAt) {
		createdAt = e.OccurredAt
	}
	err := tx.Exec(`INSERT INTO conversations (id, provider, external_id, kind, status, provider_status,
		channel, subject, created_at, updated_at, state_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
		status = CASE WHEN excluded.status <> 'UNKNOWN' AND excluded.state_at >= conversations.state_at
			THEN excluded.status ELSE conversations.status END,
		provider_status = CASE WHEN excluded.provider_status IS NOT NULL AND excluded.state_at >= conversations.state_at
			THEN excluded.provider_status ELSE conversations.provider_status END,
		channel = CASE WHEN excluded.updated_at >= conversations.updated_at
			THEN COALESCE(excluded.channel, conversations.channel) ELSE COALESCE(conversations.channel, excluded.channel) END,
		subject = CASE WHEN excluded.updated_at >= conversations.updated_at
			THEN COALESCE(excluded.subject, conversations.subject) ELSE COALESCE(conversations.subject, excluded.subject) END,
		created_at = CASE WHEN excluded.created_at < conversations.created_at
			THEN excluded.created_at ELSE conversations.created_at END,
		updated_at = CASE WHEN excluded.updated_at > conversations.updated_at
			THEN excluded.updated_at ELSE conversations.updated_at END,
		state_at = CASE WHEN excluded.status <> 'UNKNOWN' AND excluded.state_at > conversations.state_at
			THEN excluded.state_at ELSE conversations.state_at END`,
		e.ConversationID, string(e.Provider), u.ExternalID, string(kind), string(status), nullable(u.ProviderStatus),
		nullable(u.Channel), nullable(u.Subject), createdAt.UTC(), e.OccurredAt.UTC(), stateAt.UTC(),
	).Error
	if err != nil {
		return fmt.Errorf("update conversation %s: %w", u.ExternalID, err)
	}
	return nil
}

// Events returns up to limit events after the position, in stream order,
// that pass the filter. Only the stable prefix of the history is read: an
// event that a still-running transaction may precede is left for a later
// read, so paging by cursor never skips an event that commits late.
func (db *DB) Events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error) {
	q := db.gorm.WithContext(ctx).Table("events").
		Select("seq, tx, id, provider, type, provider_event_type, dedupe_key, subscription_id, conversation_id, occurred_at, received_at, reason, payload").
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

// Conversations returns up to limit conversations first seen after the
// one with sequence number afterSeq, in the order the gateway first saw them.
func (db *DB) Conversations(ctx context.Context, afterSeq int64, limit int) ([]*domain.Conversation, error) {
	var rows []conversationRow
	err := db.gorm.WithContext(ctx).Table("conversations").Where("seq > ?", afterSeq).
		Order("seq").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, storeError(fmt.Errorf("list conversations: %w", err))
	}
	out := make([]*domain.Conversation, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
