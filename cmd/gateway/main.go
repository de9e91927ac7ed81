// Command gateway runs the helpdesk webhook gateway: `gateway` serves,
// `gateway migrate up|down|version` manages the schema, `gateway prune`
// removes old history, `gateway bench ingest` puts a running gateway
// under load, `gateway bench outbound` measures its pushes to webhook
// endpoints, `gateway demo` runs one fed by a stream of sample
// deliveries, `gateway healthcheck` asks a local gateway whether it is up
// (the container's health check) and `gateway version` tells what was
// built.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/cinnox"
	"github.com/helpdesk-gateway/gateway/adapters/cloudcx"
	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/adapters/voxsig"
	"github.com/helpdesk-gateway/gateway/auth"
	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/console"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/export"
	"github.com/helpdesk-gateway/gateway/gcfloor"
	"github.com/helpdesk-gateway/gateway/graph"
	"github.com/helpdesk-gateway/gateway/ingest"
	"github.com/helpdesk-gateway/gateway/outbound"
	"github.com/helpdesk-gateway/gateway/pgnotify"
	"github.com/helpdesk-gateway/gateway/ratelimit"
	"github.com/helpdesk-gateway/gateway/resolvers"
	"github.com/helpdesk-gateway/gateway/retention"
	"github.com/helpdesk-gateway/gateway/server"
	"github.com/helpdesk-gateway/gateway/stream"
	"github.com/helpdesk-gateway/gateway/subscriptions"
	"github.com/helpdesk-gateway/gateway/telemetry"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h printed the usage: that is what was asked
		}
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		return versionCommand(args[1:], stdout)
	}
	cfg, rest, err := parseConfig("gateway", args, osGetenv, stdout)
	if err != nil {
		return err
	}
	command := "serve"
	if len(rest) > 0 {
		command, rest = rest[0], rest[1:]
	}
	switch command {
	case "serve":
		if err := commandFlags("serve", "", "Serves the gateway; the flags are gateway's own, given before the command.", stdout).Parse(rest); err != nil {
			return err
		}
		return serve(cfg)
	case "migrate":
		return migrateCommand(cfg, rest, stdout)
	case "bench":
		return benchCommand(rest, stdout, osGetenv)
	case "prune":
		return pruneCommand(cfg, rest, stdout)
	case "demo":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return demoCommand(ctx, cfg, rest, stdout)
	case "healthcheck":
		return healthcheckCommand(cfg, rest, stdout)
	case "version":
		return versionCommand(rest, stdout)
	}
	if command == "true" || command == "false" {
		return fmt.Errorf("unknown command %q: a boolean flag takes its value after =, as in -introspection=%s", command, command)
	}
	return fmt.Errorf("unknown command %q: use serve (the default), migrate up|down|version, prune --before <time|duration>, bench ingest|outbound, demo, healthcheck or version", command)
}

// serve runs the gateway until SIGTERM or SIGINT, then drains and shuts
// down.
func serve(cfg Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	m := NewMain(cfg, newLogger(cfg.LogLevel, os.Stderr))
	// The standard library's log package, and gqlgen's messages through
	// it, write to the same JSON log.
	slog.SetDefault(m.Logger)
	if os.Getenv("GOGC") == "" {
		defer gcfloor.Start(uint64(cfg.GCHeapFloor))()
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	// A second signal ends the process at once, drain or not.
	stop()
	return m.Shutdown()
}

// commandFlags is the flag set of a command that takes no flags of its
// own but -h.
func commandFlags(name, args, about string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gateway "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gateway [flags] %s\n\n%s\n", strings.TrimSpace(name+" "+args), about)
		fs.PrintDefaults()
	}
	return fs
}

func migrateCommand(cfg Config, args []string, stdout io.Writer) error {
	fs := commandFlags("migrate", "up|down|version", "Applies the embedded migrations to the store named by -database-url (env DATABASE_URL):\n"+
		"up to the latest, down by one step; version prints the applied version and changes nothing.", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	args = fs.Args()
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "version") {
		return errors.New("usage: gateway migrate up|down|version")
	}
	// Reading the version creates nothing: an SQLite file that is not
	// there is reported, not made.
	store, err := db.Open(context.Background(), cfg.DatabaseURL, db.Options{MustExist: args[0] == "version"})
	if err != nil {
		return err
	}
	defer store.Close()
	if args[0] != "version" {
		if err := store.Migrate(args[0]); err != nil {
			return err
		}
	}
	v, dirty, err := store.MigrationVersion()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d (latest %d, dirty %v)\n", v, store.LatestVersion(), dirty)
	return nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Main is the running gateway: every dependency, wired. End-to-end tests
// run it for real.
type Main struct {
	Config Config
	Logger *slog.Logger

	DB       *db.DB
	Broker   *broker.Broker
	Hub      *stream.Hub
	Batcher  *ingest.Batcher
	Adapters *adapters.Registry
	Keys     *auth.Keys
	// Subscriptions is the webhook subscriptions ingest looks up, cached.
	Subscriptions *subscriptions.Cache
	// Outbound pushes the history to webhook endpoints.
	Outbound *outbound.Dispatcher
	// Registry holds every metric /metrics serves; components register
	// theirs on it, never on the global default.
	Registry *prometheus.Registry
	Metrics  *telemetry.Metrics
	// SpanExporter, when set before Run, receives the spans as OTLP would
	// (tests set an in-memory one).
	SpanExporter sdktrace.SpanExporter
	// Tracing is nil when nothing is traced.
	Tracing *telemetry.Tracing

	// AdminToken is the bootstrap token in force (configured or generated).
	AdminToken string

	listener net.Listener
	server   *http.Server
	// draining makes /readyz answer 503 from the start of Shutdown.
	draining atomic.Bool
	served   chan error
	// metricsListener and metricsServer serve /metrics on METRICS_ADDR.
	metricsListener net.Listener
	metricsServer   *http.Server
	metricsServed   chan error
	// stopBackground ends the goroutines of background, which Close
	// waits for: the notification listener, the delivery-log pruner, the
	// retention pruner, the outbound deliveries.
	stopBackground context.CancelFunc
	background     sync.WaitGroup
	closeOnce      sync.Once
	closeErr       error
}

// NewMain returns a gateway configured by cfg; Run starts it. Its
// logger's lines carry the request id and trace id of the context they
// are logged with.
func NewMain(cfg Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: slog.New(telemetry.LogHandler(logger.Handler()))}
}

// Run opens and migrates the store, wires the gateway and starts serving
// in the background. Close stops it.
func (m *Main) Run(ctx context.Context) error {
	m.Registry = prometheus.NewRegistry()
	m.Metrics = telemetry.NewMetrics(m.Registry)
	tc := m.Config.Telemetry
	var slow time.Duration
	if m.Logger.Enabled(ctx, slog.LevelDebug) {
		slow = tc.SlowStatement
	}
	var err error
	m.Tracing, err = telemetry.NewTracing(ctx, telemetry.TracingConfig{
		Exporter: m.SpanExporter, OTLP: tc.OTLP, ServiceName: tc.ServiceName, SlowStatement: slow, Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	tracer := m.Tracing.Tracer()
	store, err := db.Open(ctx, m.Config.DatabaseURL, db.Options{LogLimit: m.Config.LogLimit, TracerProvider: m.Tracing.Provider()})
	if err != nil {
		return err
	}
	m.DB = store
	telemetry.RegisterPool(m.Registry, store.Stats)
	if err := store.Migrate("up"); err != nil {
		return err
	}
	m.AdminToken = m.Config.AdminToken
	if m.AdminToken == "" {
		m.AdminToken = domain.RandomHex(24)
		m.Logger.Warn("GATEWAY_ADMIN_TOKEN is not set; generated an admin token for this run", "admin_token", m.AdminToken)
	}
	// Appending transactions take the history's write lock in turn, so a
	// second worker only splits the queue into smaller batches that wait
	// for the lock: one worker, whose batch is whatever queued during the
	// previous commit, measures fastest.
	workers := m.Config.IngestWorkers
	if workers == 0 {
		workers = 1
	}
	m.Adapters = adapters.NewRegistry(cinnox.New(), cloudcx.New(), dixa.New(), voxsig.New())
	m.Broker = broker.New()
	m.Batcher = ingest.NewBatcher(ingest.BatcherConfig{Store: store, Publisher: m.Broker, Workers: workers, MaxBatch: m.Config.IngestBatch, Logger: m.Logger, Metrics: m.Metrics, Tracer: tracer})
	hub := stream.Config{Store: store, Broker: m.Broker, Poll: m.Config.StreamPoll, Logger: m.Logger, SlowTimeout: m.Config.StreamSlowTimeout,
		ReplayConcurrency: m.Config.StreamReplayConcurrency, Metrics: m.Metrics}
	if m.Config.StreamReplayYield > 0 {
		// Replaying streams are background work: they yield to the
		// deliveries waiting to commit.
		hub.Foreground, hub.ReplayYield = m.Batcher, m.Config.StreamReplayYield
	}
	m.Hub = stream.NewHub(hub)
	m.Subscriptions = subscriptions.New(subscriptions.Config{Store: store, TTL: m.Config.SubscriptionCacheTTL})
	oc := m.Config.Outbound
	m.Outbound = outbound.New(outbound.Config{
		Store: store, Broker: m.Broker, Owner: m.Config.InstanceID, AllowPrivate: oc.AllowPrivate,
		RetryBase: oc.RetryBase, MaxAge: oc.MaxAge, DisableAfter: oc.DisableAfter, Width: oc.Width,
		LeaseTTL: oc.LeaseTTL, Poll: oc.Poll, Logger: m.Logger, Registerer: m.Registry,
	})
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopBackground = stop
	if store.Dialect() == db.Postgres {
		// Other gateway processes on the same database announce their
		// commits and their subscription changes; this one's streams wake
		// for them too, and its cache forgets what changed.
		listener := &pgnotify.Listener{URL: m.Config.DatabaseURL, Logger: m.Logger, Channels: map[string]func(string){
			db.NotifyChannel:        func(string) { m.Broker.Wake() },
			db.SubscriptionsChannel: m.Subscriptions.Notify,
			db.EndpointsChannel:     m.Outbound.Changed,
		}}
		m.background.Add(1)
		go func() {
			defer m.background.Done()
			listener.Run(bg)
		}()
	}
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		m.pruneDeliveryLogs(bg)
	}()
	pruner := retention.New(retention.Config{
		Store: store, Events: m.Config.EventRetention, Payloads: m.Config.PayloadRetention, Logger: m.Logger,
	})
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		pruner.Run(bg)
	}()
	refusals := ingest.NewRefusals(ingest.RefusalsConfig{Log: store, Logger: m.Logger, PerWindow: m.Config.RefusalsLoggedPerMinute})
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		refusals.Run(bg)
	}()
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		m.Outbound.Run(bg)
	}()

	m.Keys = auth.NewKeys(auth.KeysConfig{AdminToken: m.AdminToken, Store: store, Logger: m.Logger})
	writes := resolverStore{DB: store, subscriptions: m.Subscriptions, endpoints: m.Outbound}
	resolver := &resolvers.Resolver{
		Keys:          m.Keys,
		Store:         writes,
		Subscriptions: subscriptions.NewService(subscriptions.ServiceConfig{Store: writes, Signers: m.Adapters, Now: time.Now}),
		Streams:       m.Hub, PublicURL: m.Config.PublicURL,
		EndpointURLs: m.Outbound,
		Reprocessor:  &ingest.Reprocessor{Store: store, Adapters: m.Adapters, Publisher: m.Broker},
		MaxPageSize:  m.Config.MaxPageSize, MaxEventPageSize: m.Config.MaxEventPageSize, Logger: m.Logger, Now: time.Now,
	}
	gcfg := graph.Config{Resolvers: resolver}
	resolvers.SetComplexity(&gcfg.Complexity, resolvers.DefaultPageSize)
	schema := graph.NewExecutableSchema(gcfg)
	var metrics http.Handler // on the main listener, unless METRICS_ADDR
	if tc.MetricsAddr == "" {
		metrics = telemetry.MetricsHandler(m.Registry, tc.MetricsToken)
	} else if err := m.serveMetrics(); err != nil {
		return err
	}
	handler := server.New(server.Config{
		Schema:        schema,
		Authenticator: m.Keys,
		Sessions:      m.Keys,
		Webhooks: &ingest.Handler{
			Subscriptions: m.Subscriptions, Log: store, Committer: m.Batcher, Adapters: m.Adapters,
			MaxBodyBytes: m.Config.MaxBodyBytes, Logger: m.Logger, Now: time.Now, Refusals: refusals,
			Metrics: m.Metrics, Tracer: tracer,
			Limits: ingest.Limits{
				BodyTimeout: m.Config.WebhookBodyTimeout, MaxInFlight: m.Config.MaxIngestInFlight,
				PerSubscription:   ratelimit.New(ratelimit.Config{Rate: m.Config.SubscriptionRate, Burst: int(2 * m.Config.SubscriptionRate)}),
				RefusedPerAddress: ratelimit.New(ratelimit.Config{Rate: m.Config.RefusedPerAddressRate, Burst: refusedBurst}),
			},
		},
		Export:           &export.Handler{Store: store, Logger: m.Logger},
		Pages:            console.Handler(),
		Ready:            drainAware{Readiness: store, draining: &m.draining},
		Logger:           m.Logger,
		Introspection:    m.Config.Introspection,
		Limits:           server.QueryLimits{MaxDepth: m.Config.MaxDepth, MaxComplexity: m.Config.MaxComplexity},
		MaxResponseBytes: m.Config.MaxResponseBytes,
		Request:          server.RequestLimits{MaxBytes: m.Config.MaxQueryBytes, MaxTokens: m.Config.MaxQueryTokens, Timeout: m.Config.GraphQLTimeout},
		Quotas: server.Quotas{
			PerKey:                        ratelimit.New(ratelimit.Config{Rate: m.Config.GraphQLRatePerKey, Burst: int(2 * m.Config.GraphQLRatePerKey)}),
			MaxConcurrent:                 m.Config.MaxConcurrentGraphQL,
			MaxSubscriptionsPerConnection: m.Config.MaxSubscriptionsPerConn,
			MaxSubscriptionsPerKey:        m.Config.MaxSubscriptionsPerKey,
		},
		Extensions:         []graphql.HandlerExtension{telemetry.GraphQL{Metrics: m.Metrics, Tracer: tracer}, resolvers.Loaders{Store: store}, resolvers.DirectEncoding{Resolver: resolver}},
		Metrics:            metrics,
		CORSAllowedOrigins: m.Config.CORSAllowedOrigins,
		SSEKeepAlive:       m.Config.SSEKeepAlive,
	})

	m.listener, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.listener) }()
	m.Logger.Info("gateway listening", "addr", m.listener.Addr().String(), "store", store.Dialect())
	return nil
}

// serveMetrics serves /metrics alone on METRICS_ADDR, so that it can be
// kept off the address the providers and clients reach.
func (m *Main) serveMetrics() error {
	tc := m.Config.Telemetry
	var err error
	if m.metricsListener, err = net.Listen("tcp", tc.MetricsAddr); err != nil {
		return fmt.Errorf("listen on %s (METRICS_ADDR): %w", tc.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", telemetry.MetricsHandler(m.Registry, tc.MetricsToken))
	m.metricsServer = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.metricsServed = make(chan error, 1)
	go func() { m.metricsServed <- m.metricsServer.Serve(m.metricsListener) }()
	m.Logger.Info("metrics listening", "addr", m.metricsListener.Addr().String())
	return nil
}

// MetricsURL returns the URL of /metrics.
func (m *Main) MetricsURL() string {
	if m.metricsListener != nil {
		return "http://" + localAddr(m.metricsListener.Addr().String()) + "/metrics"
	}
	return m.URL() + "/metrics"
}

// refusedBurst is how many refused deliveries a source address may cause
// at once before REFUSED_PER_ADDRESS_RATE applies: a provider whose secret
// was just rotated wrongly still sees its refusals for a while.
const refusedBurst = 100

// deliveryLogPruneInterval is how often the delivery logs are cut back to
// their limit: between two runs a log may hold that many seconds of
// deliveries more than its limit.
const deliveryLogPruneInterval = 10 * time.Second

// pruneDeliveryLogs cuts the delivery logs back to their limit until ctx
// ends, off the deliveries' path.
func (m *Main) pruneDeliveryLogs(ctx context.Context) {
	t := time.NewTicker(deliveryLogPruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := m.DB.PruneDeliveryLogs(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Warn("prune delivery logs", "err", err)
		} else if n > 0 {
			m.Logger.Debug("pruned delivery logs", "entries", n)
		}
	}
}

// URL returns the base URL the gateway listens on.
func (m *Main) URL() string {
	return "http://" + localAddr(m.listener.Addr().String())
}

// Shutdown is what SIGTERM does: for the drain period /readyz answers 503
// while every request is still served, so that a load balancer stops
// sending new ones before the listener closes; then Close.
func (m *Main) Shutdown() error {
	if m.Config.ShutdownDrain > 0 {
		m.draining.Store(true)
		m.Logger.Info("draining: /readyz answers 503", "drain", m.Config.ShutdownDrain.String())
		time.Sleep(m.Config.ShutdownDrain)
	}
	m.Logger.Info("shutting down")
	return m.Close()
}

// drainAware is the store's readiness, refused while the gateway drains.
type drainAware struct {
	server.Readiness
	draining *atomic.Bool
}

// Ready refuses while draining, and asks the store otherwise.
func (d drainAware) Ready(ctx context.Context) error {
	if d.draining.Load() {
		return domain.Unavailable("the gateway is shutting down", nil)
	}
	return d.Readiness.Ready(ctx)
}

// Close shuts down in order: stop accepting connections, end the live
// streams (SSE requests would hold the HTTP shutdown open, and websockets
// are hijacked, so it does not reach them), let the requests in flight
// finish, commit queued deliveries, then close the database. Clients of an
// ended stream resume from their last cursor elsewhere.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	var errs []error
	shutdown := make(chan error, 1)
	if m.server != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			shutdown <- m.server.Shutdown(ctx)
		}()
	}
	if m.Hub != nil {
		m.Hub.Close()
	}
	if m.stopBackground != nil {
		m.stopBackground()
		m.background.Wait()
	}
	if m.server != nil {
		if err := <-shutdown; err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
	}
	if m.Broker != nil {
		m.Broker.Close()
	}
	if m.Keys != nil {
		m.Keys.Close()
	}
	if m.Batcher != nil {
		m.Batcher.Close()
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	if m.metricsServer != nil {
		// Scraped last, so the final figures can be read until the end.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := m.metricsServer.Shutdown(ctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("metrics shutdown: %w", err))
		}
		if err := <-m.metricsServed; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve metrics: %w", err))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Tracing.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("export the last spans: %w", err))
	}
	return errors.Join(errs...)
}

// resolverStore is the store as the resolvers and the subscription
// service write to it: a webhook
// subscription changed through this process is forgotten by its cache at
// once, not when the change's notification comes back (on SQLite none
// ever does). It forgets after a failed write too: the write may have
// committed all the same. Likewise the outbound deliveries hear of an
// endpoint's change at once.
type resolverStore struct {
	*db.DB
	subscriptions *subscriptions.Cache
	endpoints     *outbound.Dispatcher
}

func (s resolverStore) CreateSubscription(ctx context.Context, sub *domain.WebhookSubscription) error {
	defer s.subscriptions.Forget(sub.ID)
	return s.DB.CreateSubscription(ctx, sub)
}

func (s resolverStore) UpdateSubscription(ctx context.Context, sub *domain.WebhookSubscription) error {
	defer s.subscriptions.Forget(sub.ID)
	return s.DB.UpdateSubscription(ctx, sub)
}

func (s resolverStore) DeleteSubscription(ctx context.Context, id string) error {
	defer s.subscriptions.Forget(id)
	return s.DB.DeleteSubscription(ctx, id)
}

func (s resolverStore) CreateEndpoint(ctx context.Context, e *domain.WebhookEndpoint) error {
	defer s.endpoints.Changed(e.ID)
	return s.DB.CreateEndpoint(ctx, e)
}

func (s resolverStore) UpdateEndpoint(ctx context.Context, e *domain.WebhookEndpoint) error {
	defer s.endpoints.Changed(e.ID)
	return s.DB.UpdateEndpoint(ctx, e)
}

func (s resolverStore) DeleteEndpoint(ctx context.Context, id string) error {
	defer s.endpoints.Changed(id)
	return s.DB.DeleteEndpoint(ctx, id)
}

func (s resolverStore) ReplayEndpoint(ctx context.Context, id string, after domain.Position) error {
	defer s.endpoints.Changed(id)
	return s.DB.ReplayEndpoint(ctx, id, after)
}
