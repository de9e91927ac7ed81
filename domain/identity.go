package domain

import "context"

// Identity is who calls the GraphQL API: the bootstrap admin or an API key.
type Identity struct {
	// Name is recorded as createdBy / updatedBy.
	Name string
	// Admin is true when Scope is ScopeAdmin: the caller may do everything.
	Admin bool
	// KeyID is the API key's id, or "" for the bootstrap admin token.
	KeyID string
	// Scope is what the caller may do.
	Scope APIKeyScope
}

type identityKey struct{}

// WithIdentity returns a context that carries id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// CallerName is the caller's name as recorded in createdBy and updatedBy,
// or "" when the caller is unknown.
func CallerName(ctx context.Context) string {
	if id := IdentityFrom(ctx); id != nil {
		return id.Name
	}
	return ""
}

// IdentityFrom returns the caller's identity, or nil.
func IdentityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}
