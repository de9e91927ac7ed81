// Package auth authenticates callers of the GraphQL API by bearer token:
// the bootstrap admin token, or an API key (see Keys).
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
)

var (
	errMissingToken = domain.Errorf(domain.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer <token>")
	errInvalidToken = domain.Errorf(domain.EUNAUTHORIZED, "invalid bearer token")
)

// adminToken is the SHA-256 of the bootstrap admin token.
type adminToken [32]byte

func newAdminToken(token string) adminToken { return sha256.Sum256([]byte(token)) }

// matches compares in constant time: comparing fixed-size hashes leaks
// nothing of the token's length either.
func (a adminToken) matches(token string) bool {
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], a[:]) == 1
}

func adminIdentity() *domain.Identity {
	return &domain.Identity{Name: "admin", Admin: true, Scope: domain.ScopeAdmin}
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

// Require returns nil when the caller in ctx may do what needs scope:
// EUNAUTHORIZED when ctx carries no identity, EFORBIDDEN when the caller's
// scope does not allow it.
func Require(ctx context.Context, scope domain.APIKeyScope) error {
	id := domain.IdentityFrom(ctx)
	if id == nil {
		return errMissingToken
	}
	have := id.Scope
	if id.Admin {
		have = domain.ScopeAdmin
	}
	if !have.Allows(scope) {
		return domain.Errorf(domain.EFORBIDDEN, "this API key has scope %s; this operation needs scope %s", have, scope)
	}
	return nil
}
