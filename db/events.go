package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
)

// Events returns up to limit events after the position, in history order,
// that pass the filter. Positions are handed out in commit order, so an
// event that commits after a read can never take a place before what the
// read returned: paging by cursor never skips an event that commits late.
// Nor does it skip events retention removed: a position before the
// retention horizon is answered with a domain ECURSOREXPIRED error (see
// CheckCursor), as it is by EventsWithoutPayload and EventsWithin.
func (db *DB) Events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error) {
	return db.events(ctx, filter, after, limit, true)
}

// EventsWithoutPayload is Events without the payloads, which are most of
// an event's bytes: for readers that do not show them.
func (db *DB) EventsWithoutPayload(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error) {
	return db.events(ctx, filter, after, limit, false)
}

// EventsWithin is Events that stops early where the payloads read would
// pass maxBytes (it reads at least one event): it reports cut when it did,
// so the caller knows more events follow though the page is short. A page
// of large payloads is thus bounded in memory, whatever their sizes.
func (db *DB) EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) (events []*domain.Event, cut bool, err error) {
	// The sizes of the page's payloads are summed first, over the page's
	// positions only, and the events up to the cut read after: length() of
	// a stored value reads its size, not the value, so no payload is read
	// or copied that the page does not return.
	sizes := applyEventFilter(db.gorm.WithContext(ctx).Table("events").Select("position, length(payload) AS size").
		Where("position > ?", int64(after)).Where(keptEvents), filter).Order("position").Limit(limit)
	running := db.gorm.WithContext(ctx).Table("(?) AS sized", sizes).
		Select("position AS at, sum(size) OVER (ORDER BY position) - size AS before, count(*) OVER () AS fetched")
	var fetched int
	events, err = db.scanEvents(db.gorm.WithContext(ctx).Table("events").Select(eventColumns+", payload, fetched").
		Joins("JOIN (?) AS page ON page.at = events.position", running).
		Where("page.before < ?", maxBytes).Order("events.position"), true, &fetched)
	if err != nil {
		return nil, false, storeError(fmt.Errorf("read events: %w", err))
	}
	if err := db.CheckCursor(ctx, after); err != nil {
		return nil, false, err
	}
	return events, len(events) > 0 && fetched > len(events), nil
}

// scanEvents runs q, whose columns are eventColumns, then the payload
// when withPayload, then one column for each of extra, and reads its rows
// by position into events (see scanAll). extra holds the last row's
// values.
func (db *DB) scanEvents(q *gorm.DB, withPayload bool, extra ...any) ([]*domain.Event, error) {
	var r eventRow
	dest := []any{&r.Position, &r.ID, &r.Provider, &r.Type, &r.ProviderEventType, &r.DedupeKey, &r.FactKey,
		&r.SubscriptionID, &r.ConversationID, &r.MessageID, &r.OccurredAt, &r.ReceivedAt, &r.Reason, &r.Corrects, &r.PayloadExpired}
	if withPayload {
		dest = append(dest, &r.Payload)
	}
	dest = append(dest, extra...)
	return scanAll(db, q, func(row interface{ Scan(...any) error }) (*domain.Event, error) {
		r = eventRow{}
		if err := row.Scan(dest...); err != nil {
			return nil, err
		}
		return r.toDomain(), nil
	})
}

func (db *DB) events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int, withPayload bool) ([]*domain.Event, error) {
	columns := eventColumns
	if withPayload {
		columns += ", payload"
	}
	q := db.gorm.WithContext(ctx).Table("events").
		Select(columns).
		Where("position > ?", int64(after)).Where(keptEvents)
	q = applyEventFilter(q, filter)
	out, err := db.scanEvents(q.Order("position").Limit(limit), withPayload)
	if err != nil {
		return nil, storeError(fmt.Errorf("read events: %w", err))
	}
	if err := db.CheckCursor(ctx, after); err != nil {
		return nil, err
	}
	return out, nil
}

// Head returns the position of the newest stored event, or 0 when there is
// none. No event at or before it can still appear.
func (db *DB) Head(ctx context.Context) (domain.Position, error) {
	var rows []int64
	err := db.gorm.WithContext(ctx).Table("events").Select("position").Order("position DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return 0, storeError(fmt.Errorf("read the head of the history: %w", err))
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return domain.Position(rows[0]), nil
}

// LegacyPosition resolves a cursor of the former (transaction, sequence)
// form: the events stored before positions belonged to the data keep
// their former (tx, seq) as legacy_tx and legacy_seq, in the same order as
// their positions, so the newest of them at or before c is where c
// resumes. When retention removed every such event, c is expired.
func (db *DB) LegacyPosition(ctx context.Context, c domain.LegacyCursor) (domain.Position, error) {
	var rows []int64
	err := db.gorm.WithContext(ctx).Table("events").Select("position").
		Where("legacy_tx IS NOT NULL AND (legacy_tx < ? OR (legacy_tx = ? AND legacy_seq <= ?))", c.Tx, c.Tx, c.Seq).
		Order("legacy_tx DESC, legacy_seq DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return 0, storeError(fmt.Errorf("resolve cursor: %w", err))
	}
	if len(rows) == 0 {
		// No event at or before c is left: if retention removed some,
		// those after c may be among them.
		horizon, err := db.Horizon(ctx)
		if err != nil {
			return 0, err
		}
		if !horizon.IsZero() {
			return 0, domain.CursorExpired(horizon)
		}
		return 0, nil
	}
	return domain.Position(rows[0]), nil
}

// keptEvents bounds a read of the history below by the retention horizon.
// No event at or before it exists, but until VACUUM runs (autovacuum may be
// off) the index still holds the removed rows: a read from the start
// would walk through all of them first.
const keptEvents = "position > (SELECT position FROM event_horizon WHERE id = 1)"

// eventColumns are an event's columns but its payload, and whether payload
// retention emptied it: length() reads a stored value's size, not the
// value.
const eventColumns = "position, id, provider, type, provider_event_type, dedupe_key, fact_key, subscription_id, conversation_id, message_id, occurred_at, received_at, reason, corrects, length(payload) = 0 AS payload_expired"

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
	if f.Corrected != nil {
		corrected := "EXISTS (SELECT 1 FROM events correction WHERE correction.corrects = events.id)"
		if !*f.Corrected {
			corrected = "NOT " + corrected
		}
		q = q.Where(corrected)
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

// CountEvents returns how many events are stored.
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
	out, err := scanAll(db, db.gorm.WithContext(ctx).Model(&personRow{}).Select(personReadColumns).Where("id IN ?", ids), scanPerson)
	if err != nil {
		return nil, storeError(fmt.Errorf("find people: %w", err))
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

// Correct stores a re-translation of a stored event: fresh are the events
// an adapter now makes of its body. The one among them for the stored
// event (the one with its dedupe key, or else the first) is appended at
// the head of the history as its correction, naming it in Corrects,
// unless it translates the body as the stored event does; the others are
// appended unless already stored, as a delivery's would be. The stored
// event stays as it is. Everything goes through the writer that ingest
// uses, so positions stay in commit order. It returns the events appended.
//
// A correction that kept the stored event's dedupe key would be dropped as
// its duplicate, so it takes the key with "#correction:" and the stored
// event's id appended (and leaves the stored event its fact key). One whose
// key differs keeps it, so that a redelivery of the body is recognised as
// the correction's duplicate; if another event already has that key, the
// fact is stored already and the correction is dropped.
func (db *DB) Correct(ctx context.Context, stored *domain.Event, fresh []*domain.Event) ([]*domain.Event, error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	match := 0
	for i, e := range fresh {
		if e.DedupeKey == stored.DedupeKey {
			match = i
			break
		}
	}
	correction := fresh[match]
	for _, e := range fresh {
		e.SubscriptionID = stored.SubscriptionID
		deriveIDs(e)
	}
	events := append(append([]*domain.Event{}, fresh[:match]...), fresh[match+1:]...)
	if !sameTranslation(stored, correction) {
		correction.Corrects, correction.ReceivedAt, correction.Payload = stored.ID, stored.ReceivedAt, stored.Payload
		if correction.DedupeKey == stored.DedupeKey {
			correction.DedupeKey += "#correction:" + stored.ID
		}
		if correction.FactKey == stored.FactKey {
			correction.FactKey = ""
		}
		events = append([]*domain.Event{correction}, events...)
	}
	var appended []*domain.Event
	err := db.write(ctx, func(w writer) error {
		var err error
		appended, err = appendEvents(ctx, w, events)
		return err
	})
	if err != nil {
		return nil, storeError(fmt.Errorf("correct event %s: %w", stored.ID, err))
	}
	return appended, nil
}

// sameTranslation reports whether fresh says what stored says, so that
// appending it as a correction would change nothing.
func sameTranslation(stored, fresh *domain.Event) bool {
	key := stored.DedupeKey
	if stored.Corrects != "" {
		key = strings.TrimSuffix(key, "#correction:"+stored.Corrects)
	}
	return key == fresh.DedupeKey && stored.Type == fresh.Type && stored.ProviderEventType == fresh.ProviderEventType &&
		stored.ConversationID == fresh.ConversationID && stored.MessageID == fresh.MessageID &&
		stored.OccurredAt.Equal(fresh.OccurredAt) && stored.Reason == fresh.Reason
}

// CorrectionOf returns the event that corrects the event with the given
// id, or nil when none does.
func (db *DB) CorrectionOf(ctx context.Context, id string) (*domain.Event, error) {
	var rows []eventRow
	err := db.gorm.WithContext(ctx).Table("events").Select(eventColumns+", payload").Where("corrects = ?", id).
		Order("position").Limit(1).Find(&rows).Error
	if err != nil {
		return nil, storeError(fmt.Errorf("find the correction of event %s: %w", id, err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].toDomain(), nil
}

// PositionBefore returns the position of the newest event received before
// t, or 0 when there is none: reading after it reads the events received
// since t.
func (db *DB) PositionBefore(ctx context.Context, t time.Time) (domain.Position, error) {
	var rows []int64
	err := db.gorm.WithContext(ctx).Table("events").Select("position").Where("received_at < ?", t.UTC()).
		Order("position DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return 0, storeError(fmt.Errorf("find the position before %s: %w", t, err))
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return domain.Position(rows[0]), nil
}
