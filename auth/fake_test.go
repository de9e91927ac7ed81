package auth_test

import (
	"context"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// fakeStore keeps API keys in memory, the way db.DB does.
type fakeStore struct {
	mu   sync.Mutex
	keys map[string]*domain.APIKey
	// down, when set, is the error every call returns.
	down error
	// finds counts FindAPIKey calls: the re-checks.
	finds      int
	hashFinds  int
	markedUsed int
}

func newFakeStore() *fakeStore { return &fakeStore{keys: map[string]*domain.APIKey{}} }

func (f *fakeStore) setDown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

func (f *fakeStore) counts() (finds, hashFinds, markedUsed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.finds, f.hashFinds, f.markedUsed
}

// revokeOutOfBand revokes a key behind the Keys' back, as another replica
// does.
func (f *fakeStore) revokeOutOfBand(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.keys[id].RevokedAt = &now
}

func (f *fakeStore) CreateAPIKey(ctx context.Context, k *domain.APIKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return f.down
	}
	c := *k
	f.keys[k.ID] = &c
	return nil
}

func (f *fakeStore) ListAPIKeys(ctx context.Context) ([]*domain.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return nil, f.down
	}
	var out []*domain.APIKey
	for _, k := range f.keys {
		c := *k
		out = append(out, &c)
	}
	return out, nil
}

func (f *fakeStore) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down != nil {
		return f.down
	}
	k, ok := f.keys[id]
	if !ok {
		return domain.Errorf(domain.ENOTFOUND, "API key %q not found", id)
	}
	if k.RevokedAt == nil {
		k.RevokedAt = &at
	}
	return nil
}

func (f *fakeStore) FindAPIKey(ctx context.Context, id string) (*domain.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	if f.down != nil {
		return nil, f.down
	}
	k, ok := f.keys[id]
	if !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "API key %q not found", id)
	}
	c := *k
	return &c, nil
}

func (f *fakeStore) FindAPIKeyByHash(ctx context.Context, hash string) (*domain.APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hashFinds++
	if f.down != nil {
		return nil, f.down
	}
	for _, k := range f.keys {
		if k.Hash == hash {
			c := *k
			return &c, nil
		}
	}
	return nil, domain.Errorf(domain.ENOTFOUND, "API key not found")
}

func (f *fakeStore) MarkAPIKeyUsed(ctx context.Context, id string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.markedUsed++
	if f.down != nil {
		return f.down
	}
	k, ok := f.keys[id]
	if !ok {
		return domain.Errorf(domain.ENOTFOUND, "API key %q not found", id)
	}
	k.LastUsedAt = &at
	return nil
}
