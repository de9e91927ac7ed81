// Package outbound pushes the event history to integrators' webhook
// endpoints, signed per the Standard Webhooks specification.
//
// An endpoint is one more reader of the history, with a durable cursor of
// its own: every event up to the cursor was delivered or given up, and the
// attempts recorded above it are the retry state, so a process killed
// mid-stream is resumed exactly where it stopped, repeating at most the
// attempts it had in flight. One process at a time delivers to an
// endpoint: it holds the endpoint's lease in the store, renews it while it
// runs and gives it up when it stops; when a process dies, another takes
// over once the lease expires.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is what the deliveries read and record.
type Store interface {
	// EventsWithin reads up to limit events after the position, stopping
	// early, and reporting cut, where their payloads would pass maxBytes.
	EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error)
	Head(ctx context.Context) (domain.Position, error)
	FindConversations(ctx context.Context, ids []string) ([]*domain.Conversation, error)
	FindPeople(ctx context.Context, ids []string) ([]*domain.Person, error)
	ListEndpoints(ctx context.Context) ([]*domain.WebhookEndpoint, error)
	FindEndpoint(ctx context.Context, id string) (*domain.WebhookEndpoint, error)
	AcquireEndpointLease(ctx context.Context, id, owner string, ttl time.Duration) (bool, error)
	ReleaseEndpointLease(ctx context.Context, id, owner string) error
	PendingAttempts(ctx context.Context, id string, generation int64, after domain.Position) ([]*domain.WebhookAttempt, error)
	RecordAttempt(ctx context.Context, owner string, a *domain.WebhookAttempt, advance domain.Position) (*time.Time, error)
	AdvanceEndpoint(ctx context.Context, id, owner string, generation int64, to domain.Position) error
	DisableEndpoint(ctx context.Context, id, reason string) error
	// AppendEvent appends an event the gateway writes of its own accord.
	AppendEvent(ctx context.Context, e *domain.Event) error
	PruneEndpointAttempts(ctx context.Context, keep int) (int64, error)
}

// Config configures a Dispatcher. Zero durations and sizes take the
// defaults given.
type Config struct {
	Store Store
	// Broker wakes the deliveries when events commit, in this process or,
	// through LISTEN, in another.
	Broker *broker.Broker
	// Owner names this process in the endpoints' leases; default: host,
	// process id and a random suffix.
	Owner string
	// AllowPrivate lets endpoints be loopback, private or link-local
	// addresses: for tests and closed networks.
	AllowPrivate bool
	// RetryBase is the first retry's delay, doubled for each one after
	// (default 5s).
	RetryBase time.Duration
	// MaxAge is how long an event is retried before it is given up
	// (default 24h).
	MaxAge time.Duration
	// DisableAfter is how long an endpoint may fail without a success
	// before it is disabled (default 72h).
	DisableAfter time.Duration
	// Width is how many conversations an endpoint with CONVERSATION
	// ordering receives at once (default 8).
	Width int
	// Poll is how often an endpoint reads the history without a wake-up
	// (default 1s).
	Poll time.Duration
	// LeaseTTL is how long a lease lasts without renewal: the longest a
	// dead process holds an endpoint (default 15s). Attempts are cut
	// short so that none outlives the lease it started under.
	LeaseTTL time.Duration
	// Batch is how many events a pass reads (default 100).
	Batch int
	// KeepAttempts is how many attempts each endpoint keeps (default 1000).
	KeepAttempts int
	// MaxResponseBytes is the most of a response body read (default 64 KiB).
	MaxResponseBytes int64
	// Registerer takes the dispatcher's metrics; nil: they are kept but
	// not exported.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

// Dispatcher runs the deliveries of the endpoints whose lease this process
// holds. It is started by Run, which returns when they have all stopped.
type Dispatcher struct {
	cfg     Config
	client  *http.Client
	changed chan struct{}
	metrics *metrics

	mu      sync.Mutex
	workers map[string]*worker
}

// New returns a Dispatcher configured by cfg.
func New(cfg Config) *Dispatcher {
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), domain.RandomHex(4))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RetryBase, 5*time.Second)
	def(&cfg.MaxAge, 24*time.Hour)
	def(&cfg.DisableAfter, 72*time.Hour)
	def(&cfg.Poll, time.Second)
	def(&cfg.LeaseTTL, 15*time.Second)
	if cfg.Width <= 0 {
		cfg.Width = 8
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.KeepAttempts <= 0 {
		cfg.KeepAttempts = 1000
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 64 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		// No proxy from the environment: the address check must see the
		// endpoint's address, not a proxy's.
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	d := &Dispatcher{
		cfg: cfg,
		client: &http.Client{
			Transport: transport,
			// A redirect is the endpoint's answer, not a place to go: it
			// could point anywhere, private addresses included.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		changed: make(chan struct{}, 1),
		workers: map[string]*worker{},
	}
	d.metrics = newMetrics(cfg.Registerer, d)
	return d
}

// Owner returns the name of this process in the endpoints' leases.
func (d *Dispatcher) Owner() string { return d.cfg.Owner }

// Changed tells the dispatcher that endpoint id was created, changed or
// deleted, here or in another process: its deliveries read it again now
// rather than at the next poll.
func (d *Dispatcher) Changed(id string) {
	select {
	case d.changed <- struct{}{}:
	default:
	}
	d.mu.Lock()
	w := d.workers[id]
	d.mu.Unlock()
	if w != nil {
		w.poke()
	}
}

// attemptsPruneInterval is how often each endpoint's attempts are cut
// back to KeepAttempts.
const attemptsPruneInterval = 30 * time.Second

// Run takes and renews the leases of the enabled endpoints, runs the
// deliveries of those it holds, and prunes old attempts, until ctx ends;
// then it stops every delivery, gives the leases up and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	renew := time.NewTicker(d.cfg.LeaseTTL / 5)
	defer renew.Stop()
	prune := time.NewTicker(attemptsPruneInterval)
	defer prune.Stop()
	defer d.stopAll()
	for {
		d.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
		case <-d.changed:
		case <-prune.C:
			if n, err := d.cfg.Store.PruneEndpointAttempts(ctx, d.cfg.KeepAttempts); err != nil && ctx.Err() == nil {
				d.cfg.Logger.Warn("prune webhook attempts", "err", err)
			} else if n > 0 {
				d.cfg.Logger.Debug("pruned webhook attempts", "attempts", n)
			}
		}
	}
}

// sync takes or renews the lease of every enabled endpoint and starts or
// stops deliveries to match.
func (d *Dispatcher) sync(ctx context.Context) {
	endpoints, err := d.cfg.Store.ListEndpoints(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("list webhook endpoints", "err", err)
		}
		return
	}
	d.metrics.countStates(endpoints)
	seen := map[string]bool{}
	for _, e := range endpoints {
		if !e.Enabled {
			continue
		}
		seen[e.ID] = true
		// The lease runs from before the statement: the local view of it
		// ends no later than the store's.
		start := d.cfg.Now()
		held, err := d.cfg.Store.AcquireEndpointLease(ctx, e.ID, d.cfg.Owner, d.cfg.LeaseTTL)
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Logger.Warn("lease webhook endpoint", "endpoint", e.ID, "err", err)
			}
			continue // a running delivery stops by itself when its lease runs out
		}
		d.mu.Lock()
		w := d.workers[e.ID]
		d.mu.Unlock()
		switch {
		case held && w != nil:
			w.renewed(start.Add(d.cfg.LeaseTTL))
		case held:
			d.start(ctx, e.ID, start.Add(d.cfg.LeaseTTL))
		default:
			seen[e.ID] = false
		}
	}
	d.mu.Lock()
	var stop []*worker
	for id, w := range d.workers {
		if !seen[id] {
			stop = append(stop, w)
			delete(d.workers, id)
		}
	}
	d.mu.Unlock()
	for _, w := range stop {
		w.stop()
	}
}

func (d *Dispatcher) start(ctx context.Context, id string, leaseUntil time.Time) {
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{d: d, id: id, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	w.renewed(leaseUntil)
	d.mu.Lock()
	d.workers[id] = w
	d.mu.Unlock()
	d.cfg.Logger.Info("delivering to webhook endpoint", "endpoint", id, "owner", d.cfg.Owner)
	go func() {
		defer close(w.done)
		w.run(wctx)
	}()
}

// stopAll stops every delivery and gives up their leases, so another
// process takes the endpoints over at once.
func (d *Dispatcher) stopAll() {
	d.mu.Lock()
	workers := d.workers
	d.workers = map[string]*worker{}
	d.mu.Unlock()
	for _, w := range workers {
		w.stop()
	}
}

// errLeaseExpiring says the lease has too little time left for an
// attempt: the worker waits for the renewal.
var errLeaseExpiring = errors.New("lease about to expire")
