package domain

import "context"

// Identity is who calls the GraphQL API: the bootstrap admin or an API key.
type Identity struct {
	// Name is recorded as createdBy / updatedBy.
	Name  string
	Admin bool
}

type identityKey struct{}

// WithIdentity returns a context that carries id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the caller's identity, or nil.
func IdentityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}
