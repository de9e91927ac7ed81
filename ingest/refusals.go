package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// RefusalsConfig configures Refusals.
type RefusalsConfig struct {
	Log    DeliveryLog
	Logger *slog.Logger
	// PerWindow is how many refusals of one subscription are logged in
	// full in each Window; the rest are counted.
	PerWindow int
	Window    time.Duration
	Now       func() time.Time
}

// Refusals logs refused deliveries by sample: the first PerWindow refusals
// of each subscription in each Window are written to its delivery log in
// full, and logged at info with their reason; the rest are counted, and
// when the window ends one entry says how many more there were and shows
// the latest. A flood of refusals therefore costs a few writes and log
// lines a minute, never one per request, and never pushes real entries out
// of the log. Refusals that name no subscription (an unknown one, a bad
// provider) share one window and are only logged.
//
// Record is safe for concurrent use; Run flushes ended windows until its
// context ends, and once more then.
type Refusals struct {
	cfg     RefusalsConfig
	mu      sync.Mutex
	windows map[string]*refusalWindow
}

type refusalWindow struct {
	start      time.Time
	written    int
	suppressed int
	latest     domain.DeliveryLog
}

// NewRefusals returns a sampler with cfg; PerWindow defaults to 5 and
// Window to a minute.
func NewRefusals(cfg RefusalsConfig) *Refusals {
	if cfg.PerWindow <= 0 {
		cfg.PerWindow = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Refusals{cfg: cfg, windows: map[string]*refusalWindow{}}
}

// Record logs l, a refused delivery, or counts it.
func (r *Refusals) Record(ctx context.Context, l *domain.DeliveryLog) {
	now := r.cfg.Now()
	r.mu.Lock()
	w := r.windows[l.SubscriptionID]
	var ended *refusalWindow
	if w != nil && now.Sub(w.start) >= r.cfg.Window {
		ended, w = w, nil
	}
	if w == nil {
		w = &refusalWindow{start: now}
		r.windows[l.SubscriptionID] = w
	}
	write := w.written < r.cfg.PerWindow
	if write {
		w.written++
	} else {
		w.suppressed++
		w.latest = *l
	}
	r.mu.Unlock()
	if ended != nil {
		r.summarise(ctx, ended, now)
	}
	if write {
		logRefusal(ctx, r.cfg.Logger, l)
		r.write(ctx, l)
	}
}

// logRefusal logs a refused delivery at info: why it was refused, never
// its body.
func logRefusal(ctx context.Context, logger *slog.Logger, l *domain.DeliveryLog) {
	logger.InfoContext(ctx, "webhook delivery refused", "subscription", l.SubscriptionID,
		"status", l.DeliveryDetail.ResponseCode, "reason", l.DeliveryDetail.ResponseText)
}

// Run writes the summaries of ended windows every Window until ctx ends,
// then those of every window.
func (r *Refusals) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.flush(context.WithoutCancel(ctx), true)
			return
		case <-t.C:
			r.flush(ctx, false)
		}
	}
}

func (r *Refusals) flush(ctx context.Context, all bool) {
	now := r.cfg.Now()
	var ended []*refusalWindow
	r.mu.Lock()
	for id, w := range r.windows {
		if all || now.Sub(w.start) >= r.cfg.Window {
			delete(r.windows, id)
			ended = append(ended, w)
		}
	}
	r.mu.Unlock()
	for _, w := range ended {
		r.summarise(ctx, w, now)
	}
}

// summarise writes the entry that stands for a window's uncounted
// refusals: the latest of them, saying how many there were.
func (r *Refusals) summarise(ctx context.Context, w *refusalWindow, end time.Time) {
	if w.suppressed == 0 {
		return
	}
	l := w.latest
	l.DeliveryDetail.ResponseText = fmt.Sprintf("%s (the latest of %d more refused deliveries from %s to %s, not logged one by one)",
		l.DeliveryDetail.ResponseText, w.suppressed, w.start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
	logRefusal(ctx, r.cfg.Logger, &l)
	r.write(ctx, &l)
}

// write adds l to its subscription's delivery log; a refusal that names
// none has no log to go to.
func (r *Refusals) write(ctx context.Context, l *domain.DeliveryLog) {
	if l.SubscriptionID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.cfg.Log.AddDeliveryLog(ctx, l); err != nil {
		r.cfg.Logger.WarnContext(ctx, "log refused delivery", "subscription", l.SubscriptionID, "err", err)
	}
}
