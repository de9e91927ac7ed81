package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"gorm.io/gorm"
)

// apiKeyRow is an api_keys row.
type apiKeyRow struct {
	ID         string `gorm:"primaryKey"`
	Name       string
	Scope      string
	Prefix     string
	Hash       string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	CreatedBy  string
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

func (apiKeyRow) TableName() string { return "api_keys" }

func toAPIKeyRow(k *domain.APIKey) *apiKeyRow {
	return &apiKeyRow{
		ID: k.ID, Name: k.Name, Scope: string(k.Scope), Prefix: k.Prefix, Hash: k.Hash,
		CreatedAt: k.CreatedAt.UTC(), CreatedBy: k.CreatedBy, RevokedAt: utcPtr(k.RevokedAt), LastUsedAt: utcPtr(k.LastUsedAt),
	}
}

func (r *apiKeyRow) toDomain() *domain.APIKey {
	return &domain.APIKey{
		ID: r.ID, Name: r.Name, Scope: domain.APIKeyScope(r.Scope), Prefix: r.Prefix, Hash: r.Hash,
		CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy, RevokedAt: utcPtr(r.RevokedAt), LastUsedAt: utcPtr(r.LastUsedAt),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateAPIKey stores a new API key.
func (db *DB) CreateAPIKey(ctx context.Context, k *domain.APIKey) error {
	if err := db.gorm.WithContext(ctx).Create(toAPIKeyRow(k)).Error; err != nil {
		return storeError(fmt.Errorf("create API key: %w", err))
	}
	return nil
}

// ListAPIKeys returns every API key, revoked ones included, newest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]*domain.APIKey, error) {
	var rows []apiKeyRow
	if err := db.gorm.WithContext(ctx).Order("created_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, storeError(fmt.Errorf("list API keys: %w", err))
	}
	out := make([]*domain.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// FindAPIKey returns the API key with the given id, or a domain ENOTFOUND
// error.
func (db *DB) FindAPIKey(ctx context.Context, id string) (*domain.APIKey, error) {
	return db.findAPIKey(ctx, "id = ?", id, fmt.Sprintf("API key %q not found", id))
}

// FindAPIKeyByHash returns the API key whose token has the given hash, or a
// domain ENOTFOUND error.
func (db *DB) FindAPIKeyByHash(ctx context.Context, hash string) (*domain.APIKey, error) {
	// The message leaves the hash out: it is derived from a secret.
	return db.findAPIKey(ctx, "hash = ?", hash, "API key not found")
}

func (db *DB) findAPIKey(ctx context.Context, where, arg, notFound string) (*domain.APIKey, error) {
	var row apiKeyRow
	err := db.gorm.WithContext(ctx).Where(where, arg).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.Errorf(domain.ENOTFOUND, "%s", notFound)
	} else if err != nil {
		return nil, storeError(fmt.Errorf("find API key: %w", err))
	}
	return row.toDomain(), nil
}

// RevokeAPIKey marks an API key revoked at the given time, or returns a
// domain ENOTFOUND error. Revoking a revoked key succeeds and keeps the
// first time.
func (db *DB) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	// Both dialects count a matched row as affected even when COALESCE
	// leaves it unchanged, so RowsAffected tells an unknown id apart.
	res := db.gorm.WithContext(ctx).Model(&apiKeyRow{}).Where("id = ?", id).
		Update("revoked_at", gorm.Expr("COALESCE(revoked_at, ?)", at.UTC()))
	if res.Error != nil {
		return storeError(fmt.Errorf("revoke API key: %w", res.Error))
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "API key %q not found", id)
	}
	return nil
}

// MarkAPIKeyUsed records that an API key authenticated a request at the
// given time, or returns a domain ENOTFOUND error.
func (db *DB) MarkAPIKeyUsed(ctx context.Context, id string, at time.Time) error {
	res := db.gorm.WithContext(ctx).Model(&apiKeyRow{}).Where("id = ?", id).Update("last_used_at", at.UTC())
	if res.Error != nil {
		return storeError(fmt.Errorf("mark API key used: %w", res.Error))
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "API key %q not found", id)
	}
	return nil
}
