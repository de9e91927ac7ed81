package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
)

// EndpointsChannel is the PostgreSQL channel on which every change of an
// outbound webhook endpoint is announced, with the endpoint's id as
// payload, so that the process delivering to it picks the change up at
// once rather than at its next poll.
const EndpointsChannel = "gateway_endpoints"

// endpointRow is a webhook_endpoints row.
type endpointRow struct {
	ID              string `gorm:"primaryKey"`
	Name            string
	URL             string `gorm:"column:url"`
	Filter          string
	Conditions      string
	Ordering        string
	Enabled         bool
	Secret          string
	PreviousSecrets string
	TimeoutMs       int64
	RateLimit       float64
	CursorPosition  int64
	Generation      int64
	Failing         bool
	FailingSince    *time.Time
	DisabledReason  string
	Delivered       int64
	Failed          int64
	LeaseOwner      string
	LeaseUntil      *time.Time
	CreatedAt       time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
	CreatedBy       string
	UpdatedBy       string
}

func (endpointRow) TableName() string { return "webhook_endpoints" }

func toEndpointRow(e *domain.WebhookEndpoint) (*endpointRow, error) {
	filter, err := json.Marshal(e.Filter)
	if err != nil {
		return nil, err
	}
	previous := e.PreviousSecrets
	if previous == nil {
		previous = []domain.PreviousSecret{}
	}
	prev, err := json.Marshal(previous)
	if err != nil {
		return nil, err
	}
	conds, err := json.Marshal(e.Conditions)
	if err != nil {
		return nil, err
	}
	return &endpointRow{
		ID: e.ID, Name: e.Name, URL: e.URL, Filter: string(filter), Conditions: string(conds), Ordering: string(e.Ordering), Enabled: e.Enabled,
		Secret: e.Secret, PreviousSecrets: string(prev), TimeoutMs: e.Timeout.Milliseconds(), RateLimit: e.RateLimit,
		CursorPosition: int64(e.Cursor), Generation: e.Generation, Failing: e.Failing, FailingSince: utcPtr(e.FailingSince),
		DisabledReason: e.DisabledReason, Delivered: e.Delivered, Failed: e.Failed,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy,
	}, nil
}

func (r *endpointRow) toDomain() (*domain.WebhookEndpoint, error) {
	var filter *domain.EventFilter
	if err := json.Unmarshal([]byte(r.Filter), &filter); err != nil {
		return nil, err
	}
	var previous []domain.PreviousSecret
	if err := json.Unmarshal([]byte(r.PreviousSecrets), &previous); err != nil {
		return nil, err
	}
	var conds domain.Conditions
	if err := json.Unmarshal([]byte(r.Conditions), &conds); err != nil {
		return nil, err
	}
	return &domain.WebhookEndpoint{
		ID: r.ID, Name: r.Name, URL: r.URL, Filter: filter, Conditions: conds, Ordering: domain.EndpointOrdering(r.Ordering), Enabled: r.Enabled,
		Secret: r.Secret, PreviousSecrets: previous, Timeout: time.Duration(r.TimeoutMs) * time.Millisecond, RateLimit: r.RateLimit,
		Cursor: domain.Position(r.CursorPosition), Generation: r.Generation, Failing: r.Failing, FailingSince: utcPtr(r.FailingSince),
		DisabledReason: r.DisabledReason, Delivered: r.Delivered, Failed: r.Failed,
		LeaseOwner: r.LeaseOwner, LeaseUntil: utcPtr(r.LeaseUntil),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy,
	}, nil
}

// attemptRow is a webhook_attempts row.
type attemptRow struct {
	ID            int64 `gorm:"primaryKey;autoIncrement"`
	EndpointID    string
	Generation    int64
	EventID       string
	EventPosition int64
	Attempt       int
	AttemptedAt   time.Time
	Status        int
	LatencyMs     float64
	Response      string
	Error         string
	Outcome       string
	RetryAt       *time.Time
}

func (attemptRow) TableName() string { return "webhook_attempts" }

func (r *attemptRow) toDomain() *domain.WebhookAttempt {
	return &domain.WebhookAttempt{
		ID: r.ID, EndpointID: r.EndpointID, Generation: r.Generation, EventID: r.EventID, EventPosition: domain.Position(r.EventPosition),
		Attempt: r.Attempt, At: r.AttemptedAt.UTC(), Status: r.Status, Latency: time.Duration(r.LatencyMs * float64(time.Millisecond)),
		Response: r.Response, Error: r.Error, Outcome: r.Outcome, RetryAt: utcPtr(r.RetryAt),
	}
}

func endpointNotFound(id string) error {
	return domain.Errorf(domain.ENOTFOUND, "webhook endpoint %q not found", id)
}

// CreateEndpoint stores a new outbound webhook endpoint.
func (db *DB) CreateEndpoint(ctx context.Context, e *domain.WebhookEndpoint) error {
	row, err := toEndpointRow(e)
	if err != nil {
		return storeError(fmt.Errorf("create endpoint: %w", err))
	}
	return db.announce(ctx, EndpointsChannel, e.ID, func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return storeError(fmt.Errorf("create endpoint: %w", err))
		}
		return nil
	})
}

// FindEndpoint returns the endpoint with the given id, or a domain
// ENOTFOUND error.
func (db *DB) FindEndpoint(ctx context.Context, id string) (*domain.WebhookEndpoint, error) {
	var row endpointRow
	err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, endpointNotFound(id)
	} else if err != nil {
		return nil, storeError(fmt.Errorf("find endpoint: %w", err))
	}
	e, err := row.toDomain()
	if err != nil {
		return nil, storeError(fmt.Errorf("find endpoint: %w", err))
	}
	return e, nil
}

// ListEndpoints returns every endpoint, oldest first.
func (db *DB) ListEndpoints(ctx context.Context) ([]*domain.WebhookEndpoint, error) {
	var rows []endpointRow
	if err := db.gorm.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("list endpoints: %w", err))
	}
	out := make([]*domain.WebhookEndpoint, 0, len(rows))
	for i := range rows {
		e, err := rows[i].toDomain()
		if err != nil {
			return nil, storeError(fmt.Errorf("list endpoints: %w", err))
		}
		out = append(out, e)
	}
	return out, nil
}

// UpdateEndpoint writes e's configuration (not its cursor, counters or
// lease, which the delivering process owns), or returns a domain
// ENOTFOUND error.
func (db *DB) UpdateEndpoint(ctx context.Context, e *domain.WebhookEndpoint) error {
	row, err := toEndpointRow(e)
	if err != nil {
		return storeError(fmt.Errorf("update endpoint: %w", err))
	}
	return db.announce(ctx, EndpointsChannel, e.ID, func(tx *gorm.DB) error {
		res := tx.Model(&endpointRow{}).Where("id = ?", e.ID).
			Select("name", "url", "filter", "conditions", "ordering", "enabled", "secret", "previous_secrets", "timeout_ms", "rate_limit",
				"failing", "failing_since", "disabled_reason", "updated_at", "updated_by").
			Updates(row)
		if res.Error != nil {
			return storeError(fmt.Errorf("update endpoint: %w", res.Error))
		}
		if res.RowsAffected == 0 {
			return endpointNotFound(e.ID)
		}
		return nil
	})
}

// DeleteEndpoint deletes an endpoint and its attempts, or returns a
// domain ENOTFOUND error.
func (db *DB) DeleteEndpoint(ctx context.Context, id string) error {
	return db.announce(ctx, EndpointsChannel, id, func(tx *gorm.DB) error {
		if err := tx.Where("endpoint_id = ?", id).Delete(&attemptRow{}).Error; err != nil {
			return storeError(fmt.Errorf("delete endpoint attempts: %w", err))
		}
		res := tx.Where("id = ?", id).Delete(&endpointRow{})
		if res.Error != nil {
			return storeError(fmt.Errorf("delete endpoint: %w", res.Error))
		}
		if res.RowsAffected == 0 {
			return endpointNotFound(id)
		}
		return nil
	})
}

// ReplayEndpoint moves an endpoint's cursor to after: the events after it
// are pushed again. It starts a new generation, so the attempts made
// before do not count as deliveries of the replayed events.
func (db *DB) ReplayEndpoint(ctx context.Context, id string, after domain.Position) error {
	return db.announce(ctx, EndpointsChannel, id, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE webhook_endpoints SET cursor_position = ?, generation = generation + 1,
			failing = false, failing_since = NULL, updated_at = ? WHERE id = ?`, int64(after), db.now().UTC(), id)
		if res.Error != nil {
			return storeError(fmt.Errorf("replay endpoint: %w", res.Error))
		}
		if res.RowsAffected == 0 {
			return endpointNotFound(id)
		}
		return nil
	})
}

// DisableEndpoint disables an endpoint for reason, as the gateway does by
// itself when the endpoint is gone or failing too long.
func (db *DB) DisableEndpoint(ctx context.Context, id, reason string) error {
	return db.announce(ctx, EndpointsChannel, id, func(tx *gorm.DB) error {
		err := tx.Exec(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = ?, updated_at = ? WHERE id = ?`,
			reason, db.now().UTC(), id).Error
		if err != nil {
			return storeError(fmt.Errorf("disable endpoint: %w", err))
		}
		return nil
	})
}

// AcquireEndpointLease makes owner the process that delivers to the
// endpoint for ttl, if no other process holds an unexpired lease on it,
// and reports whether owner holds it. The holder renews it the same way.
// On PostgreSQL the database's clock decides expiry, so the clocks of the
// gateway hosts need not agree.
func (db *DB) AcquireEndpointLease(ctx context.Context, id, owner string, ttl time.Duration) (bool, error) {
	var res *gorm.DB
	if db.dialect == Postgres {
		res = db.gorm.WithContext(ctx).Exec(`UPDATE webhook_endpoints SET lease_owner = ?, lease_until = now() + ? * interval '1 millisecond'
			WHERE id = ? AND enabled AND (lease_owner = ? OR lease_until IS NULL OR lease_until < now())`,
			owner, ttl.Milliseconds(), id, owner)
	} else {
		now := db.now().UTC()
		res = db.gorm.WithContext(ctx).Exec(`UPDATE webhook_endpoints SET lease_owner = ?, lease_until = ?
			WHERE id = ? AND enabled AND (lease_owner = ? OR lease_until IS NULL OR lease_until < ?)`,
			owner, now.Add(ttl), id, owner, now)
	}
	if res.Error != nil {
		return false, storeError(fmt.Errorf("lease endpoint: %w", res.Error))
	}
	return res.RowsAffected == 1, nil
}

// ReleaseEndpointLease gives up owner's lease, so that another process
// takes the endpoint over at once.
func (db *DB) ReleaseEndpointLease(ctx context.Context, id, owner string) error {
	err := db.gorm.WithContext(ctx).Exec(`UPDATE webhook_endpoints SET lease_owner = '', lease_until = NULL
		WHERE id = ? AND lease_owner = ?`, id, owner).Error
	if err != nil {
		return storeError(fmt.Errorf("release endpoint lease: %w", err))
	}
	return nil
}

// errLeaseLost is returned when a write of the delivering process finds
// that its lease or its generation has gone.
func errLeaseLost(id string) error {
	return domain.Errorf(domain.ECONFLICT, "endpoint %q: lease lost or replayed", id)
}

// PendingAttempts returns the endpoint's attempts of generation after the
// position, oldest first: the retry state of the events not settled yet.
func (db *DB) PendingAttempts(ctx context.Context, id string, generation int64, after domain.Position) ([]*domain.WebhookAttempt, error) {
	var rows []attemptRow
	err := db.gorm.WithContext(ctx).Where("endpoint_id = ? AND generation = ? AND event_position > ?", id, generation, int64(after)).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, storeError(fmt.Errorf("pending attempts: %w", err))
	}
	out := make([]*domain.WebhookAttempt, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// RecordAttempt stores an attempt of owner, who must hold the endpoint's
// lease in the attempt's generation, with its effect on the endpoint: the
// counters, the failing state and, when advance is after the cursor, the
// cursor, all in one transaction. It returns when the endpoint's current
// run of failures began, nil when it is not failing. A domain ECONFLICT
// error means the lease or the generation has gone: nothing was stored.
func (db *DB) RecordAttempt(ctx context.Context, owner string, a *domain.WebhookAttempt, advance domain.Position) (*time.Time, error) {
	delivered, failed := 0, 0
	switch a.Outcome {
	case domain.AttemptDelivered:
		delivered = 1
	case domain.AttemptFailed:
		failed = 1
	}
	at := a.At.UTC()
	var since []struct{ FailingSince *time.Time }
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.dialect == Postgres {
			// An attempt lost with the database server's own crash is only
			// made again (deliveries are at least once), so its commit
			// need not wait for the disk: the gateway's crash loses
			// nothing, as the server has the commit. Waiting would cap
			// each endpoint at one disk flush per event.
			if err := tx.Exec("SET LOCAL synchronous_commit = off").Error; err != nil {
				return storeError(fmt.Errorf("record attempt: %w", err))
			}
		}
		res := tx.Raw(`UPDATE webhook_endpoints SET delivered = delivered + ?, failed = failed + ?,
				failing = ?, failing_since = CASE WHEN ? THEN NULL ELSE COALESCE(failing_since, ?) END,
				cursor_position = CASE WHEN cursor_position < ? THEN ? ELSE cursor_position END
			WHERE id = ? AND lease_owner = ? AND generation = ? RETURNING failing_since`,
			delivered, failed, delivered == 0, delivered == 1, at, int64(advance), int64(advance),
			a.EndpointID, owner, a.Generation).Scan(&since)
		if res.Error != nil {
			return storeError(fmt.Errorf("record attempt: %w", res.Error))
		}
		if len(since) == 0 {
			return errLeaseLost(a.EndpointID)
		}
		row := &attemptRow{
			EndpointID: a.EndpointID, Generation: a.Generation, EventID: a.EventID, EventPosition: int64(a.EventPosition),
			Attempt: a.Attempt, AttemptedAt: at, Status: a.Status, LatencyMs: float64(a.Latency) / float64(time.Millisecond),
			Response: a.Response, Error: a.Error, Outcome: a.Outcome, RetryAt: utcPtr(a.RetryAt),
		}
		if err := tx.Create(row).Error; err != nil {
			return storeError(fmt.Errorf("record attempt: %w", err))
		}
		a.ID = row.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return utcPtr(since[0].FailingSince), nil
}

// AdvanceEndpoint moves the cursor of the endpoint that owner delivers to
// forward to the position: every event up to it is settled, or is not for
// this endpoint. A domain ECONFLICT error means the lease or the
// generation has gone.
func (db *DB) AdvanceEndpoint(ctx context.Context, id, owner string, generation int64, to domain.Position) error {
	res := db.gorm.WithContext(ctx).Exec(`UPDATE webhook_endpoints SET cursor_position = CASE WHEN cursor_position < ? THEN ? ELSE cursor_position END
		WHERE id = ? AND lease_owner = ? AND generation = ?`, int64(to), int64(to), id, owner, generation)
	if res.Error != nil {
		return storeError(fmt.Errorf("advance endpoint: %w", res.Error))
	}
	if res.RowsAffected == 0 {
		return errLeaseLost(id)
	}
	return nil
}

// EndpointAttempts returns an endpoint's attempts before the attempt id
// (0: from the newest), newest first.
func (db *DB) EndpointAttempts(ctx context.Context, id string, before int64, limit int) ([]*domain.WebhookAttempt, error) {
	q := db.gorm.WithContext(ctx).Where("endpoint_id = ?", id)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []attemptRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("endpoint attempts: %w", err))
	}
	out := make([]*domain.WebhookAttempt, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// EndpointLag counts the events the endpoint has still to receive and
// finds when the oldest of them was received.
func (db *DB) EndpointLag(ctx context.Context, e *domain.WebhookEndpoint) (domain.EndpointLag, error) {
	pending := func() *gorm.DB {
		return applyEventFilter(db.gorm.WithContext(ctx).Table("events").Where("position > ?", int64(e.Cursor)).Where(keptEvents), e.Filter)
	}
	var lag domain.EndpointLag
	if err := pending().Count(&lag.Events).Error; err != nil {
		return lag, storeError(fmt.Errorf("endpoint lag: %w", err))
	}
	if lag.Events == 0 {
		return lag, nil
	}
	// The first pending event's own column, not min(received_at): SQLite
	// answers an aggregate of a time as text, which does not scan.
	var first []eventRow
	if err := pending().Select("received_at").Order("position").Limit(1).Find(&first).Error; err != nil {
		return lag, storeError(fmt.Errorf("endpoint lag: %w", err))
	}
	if len(first) > 0 {
		lag.Oldest = first[0].ReceivedAt.UTC()
	}
	return lag, nil
}

// PruneEndpointAttempts keeps each endpoint's newest keep attempts and
// deletes older ones, except the retry state of the events after its
// cursor. It runs in the background, off the deliveries' path.
func (db *DB) PruneEndpointAttempts(ctx context.Context, keep int) (int64, error) {
	if keep <= 0 {
		return 0, nil
	}
	var eps []endpointRow
	if err := db.gorm.WithContext(ctx).Select("id", "cursor_position", "generation").Order("id").Find(&eps).Error; err != nil {
		return 0, storeError(fmt.Errorf("prune attempts: %w", err))
	}
	var deleted int64
	for _, ep := range eps {
		var bound []int64
		err := db.gorm.WithContext(ctx).Table("webhook_attempts").Where("endpoint_id = ?", ep.ID).
			Order("id DESC").Offset(keep-1).Limit(1).Pluck("id", &bound).Error
		if err != nil {
			return deleted, storeError(fmt.Errorf("prune attempts: %w", err))
		}
		if len(bound) == 0 {
			continue
		}
		res := db.gorm.WithContext(ctx).Exec(`DELETE FROM webhook_attempts WHERE endpoint_id = ? AND id < ?
			AND (event_position <= ? OR generation <> ?)`, ep.ID, bound[0], ep.CursorPosition, ep.Generation)
		if res.Error != nil {
			return deleted, storeError(fmt.Errorf("prune attempts: %w", res.Error))
		}
		deleted += res.RowsAffected
	}
	return deleted, nil
}
