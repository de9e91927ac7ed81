// Package ratelimit holds token buckets by key (a source address, a
// subscription, an API key), so that one client's flood is answered 429
// and costs the others nothing.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config sets every bucket of a Limiter.
type Config struct {
	// Rate is the sustained events per second a key may spend; 0 or less
	// turns the limiter off (Allow always reports true).
	Rate float64
	// Burst is how many a key may spend at once.
	Burst int
	// MaxKeys bounds the keys held: past it, the buckets idle longest are
	// dropped (a dropped key starts again with a full bucket).
	MaxKeys int
}

// Limiter is a set of token buckets by key. It is safe for concurrent use
// and starts no goroutine; it has nothing to close.
type Limiter struct {
	cfg     Config
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// New returns a limiter with cfg; MaxKeys defaults to 10,000.
func New(cfg Config) *Limiter {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 10000
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate))
	}
	return &Limiter{cfg: cfg, buckets: map[string]*bucket{}}
}

// Allow spends one token of key's bucket and reports whether there was
// one; when there was not, retryAfter says when there will be.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.cfg.Rate <= 0 {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.cfg.MaxKeys {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.Rate), l.cfg.Burst)}
		l.buckets[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Exhausted reports whether key's bucket is empty now, spending nothing.
func (l *Limiter) Exhausted(key string) (bool, time.Duration) {
	if l == nil || l.cfg.Rate <= 0 {
		return false, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil || b.lim.TokensAt(now) >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - b.lim.TokensAt(now)) / l.cfg.Rate * float64(time.Second))
}

// evict drops the buckets that are full again (idle long enough to have
// refilled), or else the least recently used half. Call with mu held.
func (l *Limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.lim.TokensAt(now) >= float64(l.cfg.Burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.cfg.MaxKeys {
		return
	}
	var oldest time.Time
	for _, b := range l.buckets {
		if oldest.IsZero() || b.used.Before(oldest) {
			oldest = b.used
		}
	}
	cut := oldest.Add(now.Sub(oldest) / 2)
	for k, b := range l.buckets {
		if b.used.Before(cut) || len(l.buckets) >= l.cfg.MaxKeys {
			delete(l.buckets, k)
		}
	}
}
