package domain

import (
	"io"
	"time"
)

// APIKeyScope is what an API key may do.
type APIKeyScope string

// The scopes of API keys.
const (
	// ScopeAdmin may do everything, mutations included.
	ScopeAdmin APIKeyScope = "ADMIN"
	// ScopeRead may run queries and subscriptions and export events.
	ScopeRead APIKeyScope = "READ"
)

// APIKeyScopes lists every scope.
var APIKeyScopes = []APIKeyScope{ScopeAdmin, ScopeRead}

// IsValid reports whether s is a known scope.
func (s APIKeyScope) IsValid() bool {
	for _, v := range APIKeyScopes {
		if s == v {
			return true
		}
	}
	return false
}

// Allows reports whether a caller with scope s may do what needs scope
// required: ADMIN allows everything, READ only READ.
func (s APIKeyScope) Allows(required APIKeyScope) bool {
	return s == ScopeAdmin || (s == required && s.IsValid())
}

// MarshalGQL writes the scope as a GraphQL enum value.
func (s APIKeyScope) MarshalGQL(w io.Writer) { writeQuoted(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *APIKeyScope) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "ApiKeyScope", func(str string) bool { *s = APIKeyScope(str); return s.IsValid() })
}

// APIKey is a bearer token issued to a client. Only its hash is stored:
// the token itself is shown once, when the key is created.
type APIKey struct {
	ID    string
	Name  string
	Scope APIKeyScope
	// Prefix is the token's first characters, enough for a person to tell
	// which key a token in their configuration is, too few to use it.
	Prefix string
	// Hash is the hex SHA-256 of the token.
	Hash      string
	CreatedAt time.Time
	CreatedBy string
	// RevokedAt is set once the key is revoked; it never works again.
	RevokedAt *time.Time
	// LastUsedAt is when the key last authenticated a request, to a
	// minute or so: it is not written on every request.
	LastUsedAt *time.Time
}

// Revoked reports whether the key has been revoked.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }
