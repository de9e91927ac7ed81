// Package retention removes old events, or only their payloads, from the
// history: a few hundred rows per short transaction with a pause between,
// so that ingest, which shares the database, never waits long behind it.
// The background loop (EVENT_RETENTION, PAYLOAD_RETENTION) and `gateway
// prune` run the same code.
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Store removes a bounded batch of the oldest events received before a
// time, or empties their payloads, and reports how many and the horizon
// reached.
type Store interface {
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, domain.Position, error)
	PrunePayloads(ctx context.Context, before time.Time, limit int) (int, domain.Position, error)
}

// Defaults of Config.
const (
	DefaultBatch    = 500
	DefaultPause    = 50 * time.Millisecond
	DefaultInterval = time.Minute
)

// Config configures a Pruner. Zero sizes and durations take the defaults.
type Config struct {
	Store Store
	// Events and Payloads are how long events and their payloads are
	// kept, from their receipt; 0 keeps them for good.
	Events, Payloads time.Duration
	// Batch is the most rows one transaction removes or empties.
	Batch int
	// Pause is the rest between two transactions.
	Pause time.Duration
	// Interval is how often Run prunes.
	Interval time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// Pruner prunes the history.
type Pruner struct {
	cfg Config
}

// New returns a Pruner configured by cfg.
func New(cfg Config) *Pruner {
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Pause <= 0 {
		cfg.Pause = DefaultPause
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Pruner{cfg: cfg}
}

// Result is what one Prune did.
type Result struct {
	// Events removed and payloads emptied.
	Events, Payloads int
	// Horizon is the last position removed and PayloadHorizon the last
	// whose payload is gone (0: none).
	Horizon, PayloadHorizon domain.Position
}

// Prune removes the events received before eventsBefore and empties the
// payloads of those received before payloadsBefore; a zero time leaves
// that part alone. It goes batch by batch until nothing is left, and
// returns what it did, also when ctx ends or the store fails midway: what
// committed stays pruned.
func (p *Pruner) Prune(ctx context.Context, eventsBefore, payloadsBefore time.Time) (Result, error) {
	var res Result
	var err error
	if !eventsBefore.IsZero() {
		res.Events, res.Horizon, err = p.batches(ctx, p.cfg.Store.PruneEvents, eventsBefore)
		if err != nil {
			return res, err
		}
	}
	if !payloadsBefore.IsZero() {
		res.Payloads, res.PayloadHorizon, err = p.batches(ctx, p.cfg.Store.PrunePayloads, payloadsBefore)
	}
	return res, err
}

func (p *Pruner) batches(ctx context.Context, prune func(context.Context, time.Time, int) (int, domain.Position, error), before time.Time) (int, domain.Position, error) {
	total := 0
	var horizon domain.Position
	for {
		n, h, err := prune(ctx, before, p.cfg.Batch)
		if err != nil {
			return total, horizon, err
		}
		total += n
		if n > 0 {
			horizon = h
		}
		if n < p.cfg.Batch {
			return total, horizon, nil
		}
		select {
		case <-ctx.Done():
			return total, horizon, ctx.Err()
		case <-time.After(p.cfg.Pause):
		}
	}
}

// Run prunes every Interval until ctx ends, by the configured retention
// periods. With neither set it returns at once.
func (p *Pruner) Run(ctx context.Context) {
	if p.cfg.Events <= 0 && p.cfg.Payloads <= 0 {
		return
	}
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		var events, payloads time.Time
		now := p.cfg.Now()
		if p.cfg.Events > 0 {
			events = now.Add(-p.cfg.Events)
		}
		if p.cfg.Payloads > 0 {
			payloads = now.Add(-p.cfg.Payloads)
		}
		res, err := p.Prune(ctx, events, payloads)
		if err != nil && ctx.Err() == nil {
			p.cfg.Logger.Warn("retention: prune the history", "err", err, "events", res.Events, "payloads", res.Payloads)
		} else if res.Events > 0 || res.Payloads > 0 {
			p.cfg.Logger.Info("retention: pruned the history", "events", res.Events, "payloads", res.Payloads,
				"oldest_cursor", res.Horizon.String(), "payload_horizon", res.PayloadHorizon.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
