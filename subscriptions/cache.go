// Package subscriptions keeps in memory the webhook subscriptions that
// ingest looks up for every delivery, each with its conditions compiled, so
// that a delivery costs neither a store read nor a compilation.
//
// A cached subscription is dropped when it changes: by Forget, at once, for
// a change made through this process; by Notify, the callback of a
// PostgreSQL notification listener, for a change another process announced;
// and entirely after that listener (re)connects, since announcements may
// have been missed meanwhile. Whatever announcement is lost, an entry is
// read again once it is older than the TTL: that bounds how long a change
// goes unseen.
package subscriptions

import (
	"context"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
)

// Defaults of Config.
const (
	DefaultTTL       = 5 * time.Second
	DefaultMissTTL   = time.Second
	DefaultMaxMisses = 1024
)

// loadTimeout bounds a store read. The read does not end with the request
// that started it: other deliveries may be waiting for its answer.
const loadTimeout = 10 * time.Second

// Store reads webhook subscriptions.
type Store interface {
	// FindSubscription returns the subscription, or a domain ENOTFOUND
	// error for an unknown id.
	FindSubscription(ctx context.Context, id string) (*domain.WebhookSubscription, error)
}

// Config configures a Cache. Zero (or negative) fields take their default.
type Config struct {
	// Store is read on a miss. Required.
	Store Store
	// TTL is how long a subscription is served without being read again:
	// how long a change can go unseen when its announcement is lost.
	// Default DefaultTTL.
	TTL time.Duration
	// MissTTL is how long an unknown id is answered ENOTFOUND without
	// reading the store again. Default DefaultMissTTL, at most TTL.
	MissTTL time.Duration
	// MaxMisses bounds the unknown ids remembered; beyond it the oldest is
	// forgotten. Default DefaultMaxMisses.
	MaxMisses int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Compiled is a webhook subscription as ingest uses it. One Compiled is
// shared by every delivery that finds it until the subscription changes:
// it must not be modified.
type Compiled struct {
	Subscription *domain.WebhookSubscription
	// Matcher is the subscription's conditions, compiled. It is nil, and
	// matches every event, when ConditionsErr is set.
	Matcher *condition.Matcher
	// ConditionsErr is why the stored conditions do not compile. They were
	// validated when saved, so this is a defect to report, not a reason to
	// drop deliveries.
	ConditionsErr error
}

// Cache is an in-memory cache of webhook subscriptions in front of a
// Store. It is safe for concurrent use. Concurrent lookups of an id that is
// not cached share one store read.
//
// A Cache starts no goroutine and holds nothing but memory, so it has no
// Close: a store read runs on the goroutine of the lookup that needed it.
// Lookups fail as the store does once the store is closed.
type Cache struct {
	store    Store
	ttl      time.Duration
	missTTL  time.Duration
	now      func() time.Time
	mu       sync.Mutex
	entries  map[string]*entry
	misses   []miss // a ring of the newest cached misses
	nextMiss int
}

// entry is the slot of one id: a store read in flight until done is
// closed, then its answer until expires.
//
// A read owns its slot: Forget and ForgetAll remove slots, so a read that
// ends after the change that made them forget it finds its slot gone (or
// another read's) and does not install what it read, which may predate the
// change. Lookups that arrive after the change start a read of their own.
type entry struct {
	done    chan struct{}
	found   *Compiled
	err     error
	expires time.Time
}

// miss names a cached ENOTFOUND answer, so that the oldest can be evicted.
type miss struct {
	id string
	e  *entry
}

// New returns an empty cache.
func New(cfg Config) *Cache {
	c := &Cache{store: cfg.Store, ttl: cfg.TTL, missTTL: cfg.MissTTL, now: cfg.Now, entries: map[string]*entry{}}
	if c.ttl <= 0 {
		c.ttl = DefaultTTL
	}
	if c.missTTL <= 0 {
		c.missTTL = DefaultMissTTL
	}
	c.missTTL = min(c.missTTL, c.ttl)
	maxMisses := cfg.MaxMisses
	if maxMisses <= 0 {
		maxMisses = DefaultMaxMisses
	}
	c.misses = make([]miss, maxMisses)
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Find returns subscription id with its conditions compiled, or a domain
// ENOTFOUND error for an unknown id, from memory when it can, else from
// the store.
//
// An unknown id is remembered for the short MissTTL, so a provider that
// keeps delivering to a deleted subscription costs one store read per id
// and MissTTL. That cannot refuse a subscription just created: its id is
// generated at creation, so no lookup can have cached it as unknown before
// (except by guessing a random UUID), and its creation forgets the id
// anyway. Distinct unknown ids (random ones from a prober) each still cost
// one read by primary key; only the newest MaxMisses are remembered, so
// they cannot grow the cache without bound. Limiting such traffic is for
// whatever rate-limits requests in front of ingest.
func (c *Cache) Find(ctx context.Context, id string) (*Compiled, error) {
	c.mu.Lock()
	e := c.entries[id]
	if e != nil && e.answered() && !c.now().Before(e.expires) {
		delete(c.entries, id)
		e = nil
	}
	if e == nil {
		e = &entry{done: make(chan struct{})}
		c.entries[id] = e
		c.mu.Unlock()
		c.load(ctx, id, e)
		return e.found, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.found, e.err
	case <-ctx.Done():
		return nil, domain.Unavailable("the lookup of the webhook subscription was abandoned", ctx.Err())
	}
}

// answered reports whether e's read has ended. Call with c.mu held.
func (e *entry) answered() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// load reads id into e and answers everyone waiting for it.
func (c *Cache) load(ctx context.Context, id string, e *entry) {
	// Expiry counts from before the read: nothing older than the TTL is
	// ever served.
	started := c.now()
	var found *Compiled
	// Should the store panic, the waiters still get an answer and the slot
	// is freed.
	err := error(domain.Errorf(domain.EINTERNAL, "webhook subscription lookup failed"))
	defer func() { c.answer(id, e, found, err, started) }()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	var sub *domain.WebhookSubscription
	sub, err = c.store.FindSubscription(ctx, id)
	if err == nil {
		m, cerr := condition.Compile(sub.Conditions)
		found = &Compiled{Subscription: sub, Matcher: m, ConditionsErr: cerr}
	}
}

// answer records the answer of e's read and keeps it while its slot is
// still e's: a subscription for the TTL, an unknown id for the MissTTL.
// A store failure says nothing about the subscription and is not kept.
func (c *Cache) answer(id string, e *entry, found *Compiled, err error, started time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.found, e.err = found, err
	defer close(e.done)
	if c.entries[id] != e {
		return
	}
	switch {
	case err == nil:
		e.expires = started.Add(c.ttl)
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		e.expires = started.Add(c.missTTL)
		c.rememberMiss(id, e)
	default:
		delete(c.entries, id)
	}
}

// rememberMiss keeps a miss in the ring, evicting the oldest. Call with
// c.mu held.
func (c *Cache) rememberMiss(id string, e *entry) {
	old := c.misses[c.nextMiss]
	// A slot forgotten meanwhile may belong to another read by now.
	if old.e != nil && c.entries[old.id] == old.e {
		delete(c.entries, old.id)
	}
	c.misses[c.nextMiss] = miss{id: id, e: e}
	c.nextMiss = (c.nextMiss + 1) % len(c.misses)
}

// Forget drops what the cache holds of subscription id: the next lookup
// reads it from the store. Call it once a change of the subscription is
// committed, including its creation (which may follow a cached miss).
func (c *Cache) Forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

// ForgetAll drops everything the cache holds.
func (c *Cache) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[string]*entry{}
	clear(c.misses)
}

// Notify is the callback of a notification listener on the channel where
// subscription changes are announced: payload is the id of a changed
// subscription, or "" after the listener (re)connected, when any may have
// changed unheard.
func (c *Cache) Notify(payload string) {
	if payload == "" {
		c.ForgetAll()
		return
	}
	c.Forget(payload)
}
