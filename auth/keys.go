package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/domain"
)

// KeyStore is where API keys are kept.
type KeyStore interface {
	CreateAPIKey(ctx context.Context, k *domain.APIKey) error
	ListAPIKeys(ctx context.Context) ([]*domain.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	FindAPIKey(ctx context.Context, id string) (*domain.APIKey, error)
	FindAPIKeyByHash(ctx context.Context, hash string) (*domain.APIKey, error)
	MarkAPIKeyUsed(ctx context.Context, id string, at time.Time) error
}

// API key tokens are TokenPrefix followed by 32 random bytes in unpadded
// base64url: 46 characters.
const (
	TokenPrefix = "gk_"
	tokenBytes  = 32
	tokenLength = len(TokenPrefix) + (tokenBytes*8+5)/6
	// shownPrefix is how much of a token APIKey.Prefix keeps: enough to
	// tell keys apart, 48 of the 256 random bits.
	shownPrefix = len(TokenPrefix) + 8
)

// MaxKeyNameLength bounds an API key's name, in characters.
const MaxKeyNameLength = 100

// DefaultRecheck is how often a watched session re-reads its key when
// KeysConfig.Recheck is zero.
const DefaultRecheck = 5 * time.Second

// lastUsedResolution is how stale APIKey.LastUsedAt may get: it is
// written at most this often per key, not on every request.
const lastUsedResolution = time.Minute

// ErrKeyRevoked is the error of a revoked key's token, and the cause of a
// watched context cancelled because its key was revoked.
var ErrKeyRevoked error = domain.Errorf(domain.EUNAUTHORIZED, "API key revoked")

// Keys authenticates the bootstrap admin token and API keys, manages the
// keys, and ends the live sessions of revoked keys. It is safe for
// concurrent use.
//
// A key is looked up in the store on every request, never cached: a
// revoked key stops working at once, on every replica sharing the store.
type Keys struct {
	recheck time.Duration
	logger  *slog.Logger

	admin adminToken
	store KeyStore
	now   func() time.Time

	mu sync.Mutex
	// watches holds the watched sessions of each key id.
	watches map[string]*keyWatch
	// revoked holds the ids revoked through this Keys, so that a session
	// that authenticated just before its key was revoked here, and starts
	// watching just after, still ends at once.
	revoked map[string]bool
	closed  bool
	pollers sync.WaitGroup
}

// NewKeys returns an authenticator that accepts adminToken and the API
// keys in store. now is the clock for creation and revocation times.
func NewKeys(cfg KeysConfig) *Keys {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Recheck <= 0 {
		cfg.Recheck = DefaultRecheck
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Keys{
		admin: newAdminToken(cfg.AdminToken), store: cfg.Store, now: cfg.Now, recheck: cfg.Recheck, logger: cfg.Logger,
		watches: map[string]*keyWatch{}, revoked: map[string]bool{},
	}
}

// KeysConfig configures Keys; its settings do not change afterwards.
type KeysConfig struct {
	AdminToken string
	Store      KeyStore
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Recheck is how often a watched session's key is re-read, to notice a
	// revocation made by another replica (default DefaultRecheck).
	Recheck time.Duration
	// Logger reports failures that deny nobody anything: the last-used
	// time not recorded, a re-check that could not reach the store.
	Logger *slog.Logger
}

// Authenticate returns the identity of a token: the bootstrap admin, or
// the API key whose token it is. A missing, unknown or revoked token is
// EUNAUTHORIZED; a store that cannot answer is the store's EUNAVAILABLE
// error, so that the client retries rather than drops its token.
func (k *Keys) Authenticate(ctx context.Context, token string) (*domain.Identity, error) {
	if token == "" {
		return nil, errMissingToken
	}
	if k.admin.matches(token) {
		return adminIdentity(), nil
	}
	if !wellFormed(token) {
		return nil, errInvalidToken
	}
	key, err := k.store.FindAPIKeyByHash(ctx, HashToken(token))
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, errInvalidToken
	} else if err != nil {
		return nil, fmt.Errorf("authenticate API key: %w", err)
	}
	if key.Revoked() {
		return nil, ErrKeyRevoked
	}
	k.markUsed(ctx, key)
	return &domain.Identity{Name: key.Name, Admin: key.Scope == domain.ScopeAdmin, KeyID: key.ID, Scope: key.Scope}, nil
}

func (k *Keys) markUsed(ctx context.Context, key *domain.APIKey) {
	now := k.now()
	if key.LastUsedAt != nil && now.Sub(*key.LastUsedAt) < lastUsedResolution {
		return
	}
	// Bookkeeping: a failure here must not refuse a valid key.
	if err := k.store.MarkAPIKeyUsed(ctx, key.ID, now); err != nil {
		k.logger.Warn("record API key use", "key", key.ID, "err", err)
	}
}

// Create issues a new API key and returns it with its token. The token is
// not stored: this is the only time it is known. by is recorded as the
// key's creator.
func (k *Keys) Create(ctx context.Context, name string, scope domain.APIKeyScope, by string) (*domain.APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", domain.Errorf(domain.EINVALID, "name must not be empty")
	}
	if n := utf8.RuneCountInString(name); n > MaxKeyNameLength {
		return nil, "", domain.Errorf(domain.EINVALID, "name must be at most %d characters, got %d", MaxKeyNameLength, n)
	}
	if !scope.IsValid() {
		return nil, "", domain.Errorf(domain.EINVALID, "scope must be ADMIN or READ, got %q", scope)
	}
	token := NewToken()
	key := &domain.APIKey{
		ID: domain.NewID(), Name: name, Scope: scope, Prefix: token[:shownPrefix], Hash: HashToken(token),
		// Microseconds: what PostgreSQL keeps, so the answer equals what
		// a later read returns.
		CreatedAt: k.now().UTC().Truncate(time.Microsecond), CreatedBy: by,
	}
	if err := k.store.CreateAPIKey(ctx, key); err != nil {
		return nil, "", fmt.Errorf("create API key: %w", err)
	}
	return key, token, nil
}

// List returns every API key, revoked ones included, newest first.
func (k *Keys) List(ctx context.Context) ([]*domain.APIKey, error) {
	keys, err := k.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return keys, nil
}

// Revoke revokes an API key, or returns ENOTFOUND for an unknown id. Its
// token stops authenticating at once, and the sessions this Keys watches
// for it end at once; those on other replicas end within Recheck.
// Revoking a revoked key succeeds and keeps the first revocation time.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	if err := k.store.RevokeAPIKey(ctx, id, k.now().UTC().Truncate(time.Microsecond)); err != nil {
		return fmt.Errorf("revoke API key: %w", err)
	}
	k.endSessions(id)
	return nil
}

// NewToken returns a new random API key token.
func NewToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a token, as stored in APIKey.Hash.
// Tokens carry 256 random bits, so a fast hash is safe: there is nothing
// to guess.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// wellFormed reports whether token could be an API key token, so that
// garbage costs no database read.
func wellFormed(token string) bool {
	if len(token) != tokenLength || !strings.HasPrefix(token, TokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(token[len(TokenPrefix):])
	return err == nil
}
