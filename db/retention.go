package db

import (
	"context"
	"fmt"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
)

// horizonRow is the one event_horizon row: the events at or before
// Position are removed, the payloads at or before PayloadPosition emptied.
type horizonRow struct {
	Position        int64
	PayloadPosition int64
}

// Horizon returns the position of the last event retention removed, 0 when
// none was: a cursor at or after it reads every event kept after it, one
// before it is expired.
func (db *DB) Horizon(ctx context.Context) (domain.Position, error) {
	var rows []int64
	if err := db.gorm.WithContext(ctx).Table("event_horizon").Select("position").Find(&rows).Error; err != nil {
		return 0, storeError(fmt.Errorf("read the retention horizon: %w", err))
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return domain.Position(rows[0]), nil
}

// CheckCursor returns a domain ECURSOREXPIRED error when events after
// `after` have been removed by retention, that is when after is before
// the horizon. A cursor at the horizon (the last removed position) is
// still good: every event after it is kept. Readers call it after they
// read: the horizon only moves forward, in the transaction that removes
// the events, so a horizon read after the events that is not past the
// cursor proves that the read saw every event after it.
func (db *DB) CheckCursor(ctx context.Context, after domain.Position) error {
	if after.IsZero() {
		return nil // from the start: whatever is kept is all there is
	}
	horizon, err := db.Horizon(ctx)
	if err != nil {
		return err
	}
	if after.Less(horizon) {
		return domain.CursorExpired(horizon)
	}
	return nil
}

// PruneEvents removes up to limit of the oldest events received before
// `before`, in one short transaction, and moves the horizon to the last
// one removed. Only a prefix of the history is removed: it stops at the
// first event received since `before` (a correction keeps its original's
// receivedAt but is appended at the head, so it waits for the events
// before it), and the events left are therefore exactly those after the
// horizon. Conversations, people and messages keep their state: nothing
// refers to an event by a foreign key. It returns how many it removed (0:
// nothing is left to prune) and the horizon.
func (db *DB) PruneEvents(ctx context.Context, before time.Time, limit int) (int, domain.Position, error) {
	return db.prune(ctx, before, limit, func(tx *gorm.DB, h horizonRow, to int64) error {
		if err := tx.Exec("DELETE FROM events WHERE position > ? AND position <= ?", h.Position, to).Error; err != nil {
			return err
		}
		from := max(h.PayloadPosition, to)
		return tx.Exec("UPDATE event_horizon SET position = ?, payload_position = ? WHERE id = 1", to, from).Error
	}, func(h horizonRow) int64 { return h.Position })
}

// PrunePayloads empties the payloads of up to limit of the oldest events
// received before `before`, in one short transaction, keeping the events;
// they then answer domain.ExpiredPayload with PayloadExpired set. Like
// PruneEvents it works on a prefix of the history, and returns how many
// payloads it emptied and the payload horizon.
func (db *DB) PrunePayloads(ctx context.Context, before time.Time, limit int) (int, domain.Position, error) {
	empty := "''::bytea"
	if db.dialect == SQLite {
		empty = "X''"
	}
	return db.prune(ctx, before, limit, func(tx *gorm.DB, h horizonRow, to int64) error {
		from := max(h.Position, h.PayloadPosition)
		if err := tx.Exec("UPDATE events SET payload = "+empty+" WHERE position > ? AND position <= ?", from, to).Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE event_horizon SET payload_position = ? WHERE id = 1", to).Error
	}, func(h horizonRow) int64 { return max(h.Position, h.PayloadPosition) })
}

// prune runs one pruning transaction: it locks the horizon row (so that
// pruners in several processes take turns), reads up to limit events
// after from(horizon), and has apply remove the prefix of them received
// before `before`.
func (db *DB) prune(ctx context.Context, before time.Time, limit int,
	apply func(tx *gorm.DB, h horizonRow, to int64) error, from func(horizonRow) int64) (int, domain.Position, error) {
	if limit <= 0 {
		return 0, 0, fmt.Errorf("prune: limit must be positive, got %d", limit)
	}
	rows, to := 0, int64(0)
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		lock := "SELECT position, payload_position FROM event_horizon WHERE id = 1"
		if db.dialect == Postgres {
			lock += " FOR UPDATE" // on SQLite the transaction holds the write lock already
		}
		var h horizonRow
		if err := tx.Raw(lock).Scan(&h).Error; err != nil {
			return err
		}
		start := from(h)
		var batch []struct {
			Position int64
			Expired  bool
		}
		err := tx.Table("events").Select("position, received_at < ? AS expired", before.UTC()).
			Where("position > ?", start).Order("position").Limit(limit).Find(&batch).Error
		if err != nil {
			return err
		}
		to = start
		for _, e := range batch {
			if !e.Expired {
				break
			}
			to = e.Position
			rows++
		}
		if rows == 0 {
			return nil
		}
		return apply(tx, h, to)
	})
	if err != nil {
		return 0, 0, storeError(fmt.Errorf("prune events: %w", err))
	}
	return rows, domain.Position(to), nil
}
