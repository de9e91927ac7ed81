package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/helpdesk-gateway/gateway/stream"
)

// Config is the gateway's configuration: flags, falling back to
// environment variables, falling back to defaults.
type Config struct {
	Addr         string
	DatabaseURL  string
	AdminToken   string
	PublicURL    string
	MaxBodyBytes int64
	MaxPageSize  int
	// MaxEventPageSize bounds `first` of the listings of events.
	MaxEventPageSize int
	StreamPoll       time.Duration
	// StreamSlowTimeout is how long a live stream's full buffer may stay
	// full before the stream is ended.
	StreamSlowTimeout time.Duration
	// StreamReplayConcurrency bounds the replaying streams that read and
	// send a page at once.
	StreamReplayConcurrency int
	// StreamReplayYield is how long a replaying stream waits at most for a
	// pause in the deliveries before its next read or chunk; zero:
	// replays do not wait for deliveries.
	StreamReplayYield time.Duration
	// GCHeapFloor is the least heap goal of the garbage collector, in
	// bytes (see package gcfloor); zero leaves GOGC alone.
	GCHeapFloor int64
	// SubscriptionCacheTTL bounds how long ingest serves a cached webhook
	// subscription without reading it again.
	SubscriptionCacheTTL time.Duration
	IngestWorkers        int
	IngestBatch          int
	LogLimit             int
	MaxDepth             int
	MaxComplexity        int
	// MaxQueryBytes, MaxQueryTokens, GraphQLTimeout and MaxResponseBytes
	// bound each GraphQL request: its body, its document, its run and the
	// payload bytes it may answer.
	MaxQueryBytes    int64
	MaxQueryTokens   int
	GraphQLTimeout   time.Duration
	MaxResponseBytes int
	// Abuse limits; see README's Limits.
	WebhookBodyTimeout      time.Duration
	MaxIngestInFlight       int
	SubscriptionRate        float64
	RefusedPerAddressRate   float64
	RefusalsLoggedPerMinute int
	GraphQLRatePerKey       float64
	MaxConcurrentGraphQL    int
	MaxSubscriptionsPerConn int
	MaxSubscriptionsPerKey  int
	Introspection           bool
	LogLevel                string
	// InstanceID names this process in the outbound endpoints' leases.
	InstanceID string
	// Outbound configures the pushes to webhook endpoints.
	Outbound OutboundConfig
	// EventRetention and PayloadRetention are how long events, and their
	// payloads, are kept from their receipt; 0 keeps them for good.
	EventRetention, PayloadRetention time.Duration
	// CORSAllowedOrigins are the origins whose pages may call the API
	// from a browser; none when empty.
	CORSAllowedOrigins []string
	// SSEKeepAlive is how often an idle SSE stream gets a comment line.
	SSEKeepAlive time.Duration
	// ShutdownDrain is how long /readyz answers 503 at shutdown before
	// the listener closes.
	ShutdownDrain time.Duration
	// Telemetry configures metrics and traces.
	Telemetry TelemetryConfig
}

// TelemetryConfig configures the gateway's metrics and traces.
type TelemetryConfig struct {
	// MetricsAddr, when set, serves /metrics on a listener of its own
	// instead of the main one; MetricsToken, when set, is the bearer token
	// /metrics requires.
	MetricsAddr, MetricsToken string
	// OTLP is on when the standard OTEL_EXPORTER_OTLP_ENDPOINT or
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set: spans are exported there
	// (the exporter reads the other OTEL_EXPORTER_OTLP_* variables itself).
	OTLP        bool
	ServiceName string
	// SlowStatement is the duration past which an SQL statement is logged
	// at LOG_LEVEL=debug.
	SlowStatement time.Duration
}

// OutboundConfig configures the pushes to outbound webhook endpoints.
type OutboundConfig struct {
	AllowPrivate bool
	RetryBase    time.Duration
	MaxAge       time.Duration
	DisableAfter time.Duration
	Width        int
	LeaseTTL     time.Duration
	Poll         time.Duration
}

// DefaultDatabaseURL is the embedded store used when DATABASE_URL is unset.
const DefaultDatabaseURL = "sqlite://./data/gateway.db"

// ParseConfig reads flags from args and, for each flag not given, the
// environment variable named beside it through getenv. It returns the
// arguments after the flags (the command and its own arguments).
func ParseConfig(name string, args []string, getenv func(string) string) (Config, []string, error) {
	return parseConfig(name, args, getenv, os.Stderr)
}

// parseConfig is ParseConfig writing -h's usage to out.
func parseConfig(name string, args []string, getenv func(string) string, out io.Writer) (Config, []string, error) {
	var c Config
	fs := newEnvFlags(name, getenv)
	fs.SetOutput(out)
	fs.String(&c.Addr, "addr", "ADDR", ":8080", "listen address")
	fs.String(&c.DatabaseURL, "database-url", "DATABASE_URL", DefaultDatabaseURL, "postgres://... or sqlite://<path>")
	fs.String(&c.AdminToken, "admin-token", "GATEWAY_ADMIN_TOKEN", "", "bootstrap admin bearer token; generated and printed when empty")
	fs.String(&c.PublicURL, "public-url", "PUBLIC_URL", "", "external base URL for ingest URLs; default: the URL a request came in on")
	fs.String(&c.LogLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	fs.Positive(fs.Duration(&c.StreamSlowTimeout, "stream-slow-timeout", "STREAM_SLOW_TIMEOUT", 10*time.Second, "how long a live stream whose reader does not keep up may stay blocked before it is ended with the cursor to resume from"))
	fs.Positive(fs.Int64(&c.MaxQueryBytes, "max-query-bytes", "MAX_QUERY_BYTES", 262144, "largest GraphQL request body (query and variables) accepted"))
	fs.Positive(fs.Int(&c.MaxQueryTokens, "max-query-tokens", "MAX_QUERY_TOKENS", 3000, "most tokens in a GraphQL document; bounds the time its validation takes"))
	fs.Positive(fs.Duration(&c.GraphQLTimeout, "graphql-timeout", "GRAPHQL_TIMEOUT", 30*time.Second, "longest a GraphQL query or mutation runs"))
	fs.Positive(fs.Int(&c.MaxResponseBytes, "max-response-bytes", "MAX_RESPONSE_BYTES", 16777216, "most payload bytes one GraphQL response may hold, each payload counted at the largest body accepted"))
	fs.Positive(fs.Int(&c.MaxDepth, "max-query-depth", "MAX_QUERY_DEPTH", 12, "deepest GraphQL selection accepted"))
	fs.Positive(fs.Int(&c.MaxComplexity, "max-query-complexity", "MAX_QUERY_COMPLEXITY", 50000, "costliest GraphQL operation accepted; lists cost their page size"))
	fs.Positive(fs.Int(&c.LogLimit, "delivery-log-limit", "DELIVERY_LOG_LIMIT", 1000, "deliveries kept in each subscription's log"))
	fs.Positive(fs.Int64(&c.MaxBodyBytes, "max-body-bytes", "MAX_BODY_BYTES", 1048576, "largest webhook body accepted"))
	fs.Positive(fs.Int(&c.MaxPageSize, "max-page-size", "MAX_PAGE_SIZE", 1000, "largest page (first) of a connection"))
	fs.Positive(fs.Int(&c.MaxEventPageSize, "max-event-page-size", "MAX_EVENT_PAGE_SIZE", 10000, "largest page (first) of a listing of events, for paging the history"))
	fs.Positive(fs.Int(&c.StreamReplayConcurrency, "stream-replay-concurrency", "STREAM_REPLAY_CONCURRENCY", stream.DefaultReplayConcurrency, "replaying streams that read and send a page at once, each until its reader has taken the page; the rest of the database's connections and of the CPU stay free for ingest and queries (raise it on more than two cores)"))
	fs.NonNegative(fs.Duration(&c.StreamReplayYield, "stream-replay-yield", "STREAM_REPLAY_YIELD", stream.DefaultReplayYield, "longest a replaying stream waits for a pause in the webhook deliveries before it reads or sends more; 0: replays do not wait for deliveries"))
	fs.NonNegative(fs.Int64(&c.GCHeapFloor, "gc-heap-floor", "GC_HEAP_FLOOR", 64<<20, "least heap (bytes) the garbage collector lets the gateway grow to before it collects, so that a small heap is not collected dozens of times a second; the memory it costs is at most this; 0, or GOGC set: GOGC alone decides"))
	fs.NonNegative(fs.Int(&c.IngestWorkers, "ingest-workers", "INGEST_WORKERS", 0, "concurrent ingest transactions; 0: 1"))
	fs.Positive(fs.Int(&c.IngestBatch, "ingest-batch", "INGEST_BATCH", 256, "most deliveries sharing one transaction"))
	fs.Positive(fs.Duration(&c.StreamPoll, "stream-poll", "STREAM_POLL", time.Second, "how often live streams re-read the store without a wake-up"))
	fs.Positive(fs.Duration(&c.SubscriptionCacheTTL, "subscription-cache-ttl", "SUBSCRIPTION_CACHE_TTL", 5*time.Second, "longest a webhook subscription is served from memory without reading it again: the staleness when a change's notification is lost"))
	fs.Bool(&c.Introspection, "introspection", "GRAPHQL_INTROSPECTION", true, "allow GraphQL introspection (and GET /schema.graphql)")
	fs.Positive(fs.Duration(&c.WebhookBodyTimeout, "webhook-body-timeout", "WEBHOOK_BODY_TIMEOUT", 10*time.Second, "longest a webhook body may take to arrive"))
	fs.Positive(fs.Int(&c.MaxIngestInFlight, "max-ingest-inflight", "MAX_INGEST_INFLIGHT", 1024, "most webhook bodies read or held at once; more are answered 429"))
	fs.Positive(fs.Float(&c.SubscriptionRate, "subscription-rate", "SUBSCRIPTION_RATE", 10000, "deliveries per second one webhook subscription may send, twice that in a burst"))
	fs.Positive(fs.Float(&c.RefusedPerAddressRate, "refused-per-address-rate", "REFUSED_PER_ADDRESS_RATE", 20, "refused deliveries per second one source address may cause, 100 in a burst, before all its requests are answered 429"))
	fs.Positive(fs.Int(&c.RefusalsLoggedPerMinute, "refusals-logged-per-minute", "REFUSALS_LOGGED_PER_MINUTE", 5, "refused deliveries of one subscription logged in full per minute; the rest are counted"))
	fs.Positive(fs.Float(&c.GraphQLRatePerKey, "graphql-rate", "GRAPHQL_RATE", 1000, "GraphQL requests per second one API key may make, twice that in a burst"))
	fs.Positive(fs.Int(&c.MaxConcurrentGraphQL, "max-concurrent-graphql", "MAX_CONCURRENT_GRAPHQL", 256, "GraphQL queries and mutations run at once; more are answered 429"))
	fs.Positive(fs.Int(&c.MaxSubscriptionsPerConn, "max-subscriptions-per-connection", "MAX_SUBSCRIPTIONS_PER_CONNECTION", 100, "live GraphQL subscriptions on one websocket"))
	fs.Positive(fs.Int(&c.MaxSubscriptionsPerKey, "max-subscriptions-per-key", "MAX_SUBSCRIPTIONS_PER_KEY", 1000, "live GraphQL subscriptions of one API key, over every connection"))
	fs.String(&c.InstanceID, "instance-id", "INSTANCE_ID", "", "this process's name in outbound endpoint leases; default: host, pid and a random suffix")
	fs.Positive(fs.Duration(&c.Outbound.RetryBase, "outbound-retry-base", "OUTBOUND_RETRY_BASE", 5*time.Second, "first retry delay of an outbound webhook, doubled for each retry after"))
	fs.Positive(fs.Duration(&c.Outbound.MaxAge, "outbound-max-age", "OUTBOUND_MAX_AGE", 24*time.Hour, "how long an outbound webhook is retried before it is given up"))
	fs.Positive(fs.Duration(&c.Outbound.DisableAfter, "outbound-disable-after", "OUTBOUND_DISABLE_AFTER", 72*time.Hour, "how long an endpoint may fail without a success before it is disabled"))
	fs.Positive(fs.Duration(&c.Outbound.LeaseTTL, "outbound-lease-ttl", "OUTBOUND_LEASE_TTL", 15*time.Second, "how long an endpoint stays with a process that stopped renewing its lease; attempts are cut to fit in it"))
	fs.Positive(fs.Duration(&c.Outbound.Poll, "outbound-poll", "OUTBOUND_POLL", time.Second, "how often an endpoint reads the history without a wake-up"))
	fs.Bool(&c.Outbound.AllowPrivate, "outbound-allow-private", "OUTBOUND_ALLOW_PRIVATE", false, "allow outbound endpoints on loopback, private and link-local addresses")
	fs.Positive(fs.Int(&c.Outbound.Width, "outbound-conversation-width", "OUTBOUND_CONVERSATION_WIDTH", 8, "conversations an endpoint with CONVERSATION ordering receives at once"))
	fs.String(&c.Telemetry.MetricsAddr, "metrics-addr", "METRICS_ADDR", "", "serve /metrics on this address instead of the main one")
	fs.String(&c.Telemetry.MetricsToken, "metrics-token", "METRICS_TOKEN", "", "bearer token /metrics requires; none when empty")
	fs.Positive(fs.Duration(&c.Telemetry.SlowStatement, "log-slow-sql", "LOG_SLOW_SQL", 100*time.Millisecond, "at LOG_LEVEL=debug, SQL statements slower than this are logged with their duration"))
	fs.NonNegative(fs.Duration(&c.EventRetention, "event-retention", "EVENT_RETENTION", 0, "remove events received longer ago than this, such as 2160h; 0 keeps every event"))
	fs.NonNegative(fs.Duration(&c.PayloadRetention, "payload-retention", "PAYLOAD_RETENTION", 0, "empty the payloads of events received longer ago than this, keeping the events; 0 keeps every payload"))
	fs.StringList(&c.CORSAllowedOrigins, "cors-allowed-origins", "CORS_ALLOWED_ORIGINS", "comma-separated `list` of origins whose pages may call /graphql, /export and /schema.graphql (https://app.example.com); empty: none")
	fs.Positive(fs.Duration(&c.SSEKeepAlive, "sse-keepalive", "SSE_KEEPALIVE", 15*time.Second, "how often an idle SSE stream gets a comment line, so that proxies keep it open"))
	fs.NonNegative(fs.Duration(&c.ShutdownDrain, "shutdown-drain", "SHUTDOWN_DRAIN", 5*time.Second, "how long /readyz answers 503 on SIGTERM, while requests are still served, before the listener closes"))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [flags] [command]\n\n%s\nFlags (each falls back to the environment variable named beside it):\n", name, commandsHelp)
		fs.PrintDefaults()
	}
	rest, err := fs.Parse(args)
	// The OpenTelemetry variables are the standard ones, read by the
	// exporter itself: they have no flags.
	c.Telemetry.OTLP = getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	c.Telemetry.ServiceName = getenv("OTEL_SERVICE_NAME")
	if c.Telemetry.ServiceName == "" {
		c.Telemetry.ServiceName = "helpdesk-gateway"
	}
	return c, rest, err
}

// commandsHelp lists the commands for -h.
const commandsHelp = `Commands:
  serve                           serve (the default)
  migrate up|down|version         manage the schema
  prune --before <time|duration>  remove old history once
  bench ingest|outbound           put a running gateway under load
  demo                            run a gateway fed by sample deliveries
  healthcheck                     ask the gateway at -addr whether it is up (or ready)
  version                         print the version, revision and build time
Each command has its own -h.
`

func osGetenv(key string) string { return os.Getenv(key) }
