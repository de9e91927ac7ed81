// Package auth authenticates callers of the GraphQL API by bearer token.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Tokens authenticates the bootstrap admin token. It is safe for
// concurrent use.
type Tokens struct {
	adminHash [32]byte
}

// NewTokens returns an authenticator that accepts adminToken.
func NewTokens(adminToken string) *Tokens {
	return &Tokens{adminHash: sha256.Sum256([]byte(adminToken))}
}

// Authenticate returns the identity of a token, or EUNAUTHORIZED.
func (t *Tokens) Authenticate(ctx context.Context, token string) (*domain.Identity, error) {
	if token == "" {
		return nil, domain.Errorf(domain.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer <token>")
	}
	// Comparing fixed-size hashes keeps the comparison constant-time
	// whatever the token's length.
	h := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(h[:], t.adminHash[:]) == 1 {
		return &domain.Identity{Name: "admin", Admin: true}, nil
	}
	return nil, domain.Errorf(domain.EUNAUTHORIZED, "invalid bearer token")
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// value, or "" when it has another form.
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
