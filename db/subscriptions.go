package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
)

// SubscriptionsChannel is the PostgreSQL channel on which every change of
// a webhook subscription (create, update, delete) is announced, with the
// subscription's id as payload, so that other gateway processes drop what
// they cached of it.
const SubscriptionsChannel = "gateway_subscriptions"

// changeSubscription runs write in a transaction that, on PostgreSQL,
// announces the change of subscription id.
func (db *DB) changeSubscription(ctx context.Context, id string, write func(tx *gorm.DB) error) error {
	return db.announce(ctx, SubscriptionsChannel, id, write)
}

// announce runs write in a transaction that, on PostgreSQL, announces id
// on channel. NOTIFY is transactional: it is heard only once the change is
// committed, never for one rolled back, so a process that re-reads on
// hearing it reads the new state.
func (db *DB) announce(ctx context.Context, channel, id string, write func(tx *gorm.DB) error) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := write(tx); err != nil {
			return err
		}
		if db.dialect != Postgres {
			return nil
		}
		if err := tx.Exec("SELECT pg_notify(?, ?)", channel, id).Error; err != nil {
			return storeError(fmt.Errorf("announce change on %s: %w", channel, err))
		}
		return nil
	})
	var derr *domain.Error
	if err != nil && !errors.As(err, &derr) {
		// The commit itself failed.
		return storeError(fmt.Errorf("commit change: %w", err))
	}
	return err
}

// CreateSubscription stores a new webhook subscription.
func (db *DB) CreateSubscription(ctx context.Context, s *domain.WebhookSubscription) error {
	row, err := toSubscriptionRow(s)
	if err != nil {
		return storeError(fmt.Errorf("create subscription: %w", err))
	}
	return db.changeSubscription(ctx, s.ID, func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return storeError(fmt.Errorf("create subscription: %w", err))
		}
		return nil
	})
}

// FindSubscription returns the subscription with the given id, or a
// domain ENOTFOUND error.
func (db *DB) FindSubscription(ctx context.Context, id string) (*domain.WebhookSubscription, error) {
	var row subscriptionRow
	err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.Errorf(domain.ENOTFOUND, "webhook subscription %q not found", id)
	} else if err != nil {
		return nil, storeError(fmt.Errorf("find subscription: %w", err))
	}
	return row.toDomain()
}

// UpdateSubscription replaces a stored subscription by s if the stored
// one is still at s.Version, and moves both to the next version. It
// returns a domain ECONFLICT error when another write came first, so a
// write made from a stale read never undoes a newer one, and ENOTFOUND for
// an unknown id.
func (db *DB) UpdateSubscription(ctx context.Context, s *domain.WebhookSubscription) error {
	row, err := toSubscriptionRow(s)
	if err != nil {
		return fmt.Errorf("update subscription: %w", err)
	}
	row.Version = s.Version + 1
	err = db.changeSubscription(ctx, s.ID, func(tx *gorm.DB) error {
		res := tx.Model(&subscriptionRow{}).Where("id = ? AND version = ?", s.ID, s.Version).Select("*").Omit("id", "created_at", "created_by").Updates(row)
		if res.Error != nil {
			return storeError(fmt.Errorf("update subscription: %w", res.Error))
		}
		if res.RowsAffected > 0 {
			return nil
		}
		var n int64
		if err := tx.Model(&subscriptionRow{}).Where("id = ?", s.ID).Count(&n).Error; err != nil {
			return storeError(fmt.Errorf("update subscription: %w", err))
		}
		if n == 0 {
			return domain.Errorf(domain.ENOTFOUND, "webhook subscription %q not found", s.ID)
		}
		return domain.Errorf(domain.ECONFLICT, "webhook subscription %q was changed by another write: read it again and retry", s.ID)
	})
	if err == nil {
		s.Version = row.Version
	}
	return err
}

// DeleteSubscription deletes a subscription and its delivery log; its
// events stay in the history. It returns a domain ENOTFOUND error for an
// unknown id.
func (db *DB) DeleteSubscription(ctx context.Context, id string) error {
	return db.changeSubscription(ctx, id, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&subscriptionRow{})
		if res.Error != nil {
			return storeError(fmt.Errorf("delete subscription: %w", res.Error))
		}
		if res.RowsAffected == 0 {
			return domain.Errorf(domain.ENOTFOUND, "webhook subscription %q not found", id)
		}
		if err := tx.Where("subscription_id = ?", id).Delete(&deliveryLogRow{}).Error; err != nil {
			return storeError(fmt.Errorf("delete delivery log: %w", err))
		}
		return nil
	})
}

// ListSubscriptions returns every subscription, oldest first.
func (db *DB) ListSubscriptions(ctx context.Context) ([]*domain.WebhookSubscription, error) {
	var rows []subscriptionRow
	if err := db.gorm.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("list subscriptions: %w", err))
	}
	out := make([]*domain.WebhookSubscription, 0, len(rows))
	for i := range rows {
		s, err := rows[i].toDomain()
		if err != nil {
			return nil, storeError(fmt.Errorf("list subscriptions: %w", err))
		}
		out = append(out, s)
	}
	return out, nil
}

// LogDelivery records a delivery that stored no event: refused before it
// could be read, or answered without storing.
func (db *DB) AddDeliveryLog(ctx context.Context, l *domain.DeliveryLog) error {
	if err := db.gorm.WithContext(ctx).Create(toDeliveryLogRow(l)).Error; err != nil {
		return storeError(fmt.Errorf("log delivery: %w", err))
	}
	return nil
}

// PruneDeliveryLogs keeps each subscription's newest LogLimit log entries
// and deletes the older ones. It runs in the background, never on a
// delivery's path. Each subscription's delete starts where the previous
// one ended: the entries below that were deleted already, and a delete
// that scanned them again would slow down as dead rows pile up where
// vacuum lags. It is safe for concurrent use.
func (db *DB) PruneDeliveryLogs(ctx context.Context) (int64, error) {
	if db.logLimit <= 0 {
		return 0, nil
	}
	var subs []string
	if err := db.gorm.WithContext(ctx).Table("webhook_subscriptions").Order("id").Pluck("id", &subs).Error; err != nil {
		return 0, storeError(fmt.Errorf("prune delivery logs: %w", err))
	}
	db.pruneMu.Lock()
	defer db.pruneMu.Unlock()
	if db.pruned == nil {
		db.pruned = map[string]int64{}
	}
	var deleted int64
	for _, sub := range subs {
		var keep []int64
		err := db.gorm.WithContext(ctx).Table("delivery_logs").Where("subscription_id = ?", sub).
			Order("id DESC").Offset(db.logLimit-1).Limit(1).Pluck("id", &keep).Error
		if err != nil {
			return deleted, storeError(fmt.Errorf("prune delivery logs: %w", err))
		}
		if len(keep) == 0 || keep[0] <= db.pruned[sub] {
			continue
		}
		res := db.gorm.WithContext(ctx).Exec(`DELETE FROM delivery_logs WHERE subscription_id = ? AND id >= ? AND id < ?`,
			sub, db.pruned[sub], keep[0])
		if res.Error != nil {
			return deleted, storeError(fmt.Errorf("prune delivery logs: %w", res.Error))
		}
		deleted += res.RowsAffected
		db.pruned[sub] = keep[0]
	}
	return deleted, nil
}

// DeliveryLogs returns a subscription's latest deliveries, newest first,
// optionally only those of one provider event.
func (db *DB) DeliveryLogs(ctx context.Context, subscriptionID string, event *string, limit int) ([]*domain.DeliveryLog, error) {
	q := db.gorm.WithContext(ctx).Where("subscription_id = ?", subscriptionID)
	if event != nil {
		q = q.Where("event = ?", *event)
	}
	var rows []deliveryLogRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("event logs: %w", err))
	}
	out := make([]*domain.DeliveryLog, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
