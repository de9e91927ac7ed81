package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
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

// ParseConfig reads flags from args and the environment from getenv.
func ParseConfig(name string, args []string, getenv func(string) string) (Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var c Config
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("ADDR", ":8080"), "listen address (env ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", DefaultDatabaseURL), "postgres://... or sqlite://<path> (env DATABASE_URL)")
	fs.StringVar(&c.AdminToken, "admin-token", env("GATEWAY_ADMIN_TOKEN", ""), "bootstrap admin bearer token; generated and printed when empty (env GATEWAY_ADMIN_TOKEN)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", ""), "external base URL for ingest URLs; default: the URL a request came in on (env PUBLIC_URL)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	var bodyLimit, pageSize, workers, batch, poll, subscriptionTTL, introspection, logLimit, maxDepth, maxComplexity string
	var queryBytes, queryTokens, graphQLTimeout, responseBytes, slowTimeout, replayConcurrency string
	fs.StringVar(&replayConcurrency, "stream-replay-concurrency", env("STREAM_REPLAY_CONCURRENCY", strconv.Itoa(stream.DefaultReplayConcurrency)), "replaying streams that read and send a page at once; the rest of the database's connections stay free for ingest and queries (env STREAM_REPLAY_CONCURRENCY)")
	fs.StringVar(&slowTimeout, "stream-slow-timeout", env("STREAM_SLOW_TIMEOUT", "10s"), "how long a live stream whose reader does not keep up may stay blocked before it is ended with the cursor to resume from (env STREAM_SLOW_TIMEOUT)")
	fs.StringVar(&queryBytes, "max-query-bytes", env("MAX_QUERY_BYTES", "262144"), "largest GraphQL request body (query and variables) accepted (env MAX_QUERY_BYTES)")
	fs.StringVar(&queryTokens, "max-query-tokens", env("MAX_QUERY_TOKENS", "3000"), "most tokens in a GraphQL document; bounds the time its validation takes (env MAX_QUERY_TOKENS)")
	fs.StringVar(&graphQLTimeout, "graphql-timeout", env("GRAPHQL_TIMEOUT", "30s"), "longest a GraphQL query or mutation runs (env GRAPHQL_TIMEOUT)")
	fs.StringVar(&responseBytes, "max-response-bytes", env("MAX_RESPONSE_BYTES", "16777216"), "most payload bytes one GraphQL response may hold, each payload counted at the largest body accepted (env MAX_RESPONSE_BYTES)")
	fs.StringVar(&maxDepth, "max-query-depth", env("MAX_QUERY_DEPTH", "12"), "deepest GraphQL selection accepted (env MAX_QUERY_DEPTH)")
	fs.StringVar(&maxComplexity, "max-query-complexity", env("MAX_QUERY_COMPLEXITY", "50000"), "costliest GraphQL operation accepted; lists cost their page size (env MAX_QUERY_COMPLEXITY)")
	fs.StringVar(&logLimit, "delivery-log-limit", env("DELIVERY_LOG_LIMIT", "1000"), "deliveries kept in each subscription's log (env DELIVERY_LOG_LIMIT)")
	fs.StringVar(&bodyLimit, "max-body-bytes", env("MAX_BODY_BYTES", "1048576"), "largest webhook body accepted (env MAX_BODY_BYTES)")
	fs.StringVar(&pageSize, "max-page-size", env("MAX_PAGE_SIZE", "1000"), "largest `first` of a connection (env MAX_PAGE_SIZE)")
	var eventPageSize string
	fs.StringVar(&eventPageSize, "max-event-page-size", env("MAX_EVENT_PAGE_SIZE", "10000"), "largest `first` of a listing of events, for paging the history (env MAX_EVENT_PAGE_SIZE)")
	fs.StringVar(&workers, "ingest-workers", env("INGEST_WORKERS", "0"), "concurrent ingest transactions; 0: 1 (env INGEST_WORKERS)")
	fs.StringVar(&batch, "ingest-batch", env("INGEST_BATCH", "256"), "most deliveries sharing one transaction (env INGEST_BATCH)")
	fs.StringVar(&poll, "stream-poll", env("STREAM_POLL", "1s"), "how often live streams re-read the store without a wake-up (env STREAM_POLL)")
	fs.StringVar(&subscriptionTTL, "subscription-cache-ttl", env("SUBSCRIPTION_CACHE_TTL", "5s"), "longest a webhook subscription is served from memory without reading it again: the staleness when a change's notification is lost (env SUBSCRIPTION_CACHE_TTL)")
	fs.StringVar(&introspection, "introspection", env("GRAPHQL_INTROSPECTION", "true"), "allow GraphQL introspection (env GRAPHQL_INTROSPECTION)")
	var bodyTimeout, inflight, subRate, refusedRate, refusalsLogged, gqlRate, gqlConcurrent, subsPerConn, subsPerKey string
	fs.StringVar(&bodyTimeout, "webhook-body-timeout", env("WEBHOOK_BODY_TIMEOUT", "10s"), "longest a webhook body may take to arrive (env WEBHOOK_BODY_TIMEOUT)")
	fs.StringVar(&inflight, "max-ingest-inflight", env("MAX_INGEST_INFLIGHT", "1024"), "most webhook bodies read or held at once; more are answered 429 (env MAX_INGEST_INFLIGHT)")
	fs.StringVar(&subRate, "subscription-rate", env("SUBSCRIPTION_RATE", "10000"), "deliveries per second one webhook subscription may send, twice that in a burst (env SUBSCRIPTION_RATE)")
	fs.StringVar(&refusedRate, "refused-per-address-rate", env("REFUSED_PER_ADDRESS_RATE", "20"), "refused deliveries per second one source address may cause, 100 in a burst, before all its requests are answered 429 (env REFUSED_PER_ADDRESS_RATE)")
	fs.StringVar(&refusalsLogged, "refusals-logged-per-minute", env("REFUSALS_LOGGED_PER_MINUTE", "5"), "refused deliveries of one subscription logged in full per minute; the rest are counted (env REFUSALS_LOGGED_PER_MINUTE)")
	fs.StringVar(&gqlRate, "graphql-rate", env("GRAPHQL_RATE", "1000"), "GraphQL requests per second one API key may make, twice that in a burst (env GRAPHQL_RATE)")
	fs.StringVar(&gqlConcurrent, "max-concurrent-graphql", env("MAX_CONCURRENT_GRAPHQL", "256"), "GraphQL queries and mutations run at once; more are answered 429 (env MAX_CONCURRENT_GRAPHQL)")
	fs.StringVar(&subsPerConn, "max-subscriptions-per-connection", env("MAX_SUBSCRIPTIONS_PER_CONNECTION", "100"), "live GraphQL subscriptions on one websocket (env MAX_SUBSCRIPTIONS_PER_CONNECTION)")
	fs.StringVar(&subsPerKey, "max-subscriptions-per-key", env("MAX_SUBSCRIPTIONS_PER_KEY", "1000"), "live GraphQL subscriptions of one API key, over every connection (env MAX_SUBSCRIPTIONS_PER_KEY)")
	fs.StringVar(&c.InstanceID, "instance-id", env("INSTANCE_ID", ""), "this process's name in outbound endpoint leases; default: host, pid and a random suffix (env INSTANCE_ID)")
	fs.StringVar(&c.Telemetry.MetricsAddr, "metrics-addr", env("METRICS_ADDR", ""), "serve /metrics on this address instead of the main one (env METRICS_ADDR)")
	fs.StringVar(&c.Telemetry.MetricsToken, "metrics-token", env("METRICS_TOKEN", ""), "bearer token /metrics requires; none when empty (env METRICS_TOKEN)")
	c.Telemetry.OTLP = getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	c.Telemetry.ServiceName = env("OTEL_SERVICE_NAME", "helpdesk-gateway")
	var allowPrivate, width, eventRetention, payloadRetention string
	fs.StringVar(&eventRetention, "event-retention", env("EVENT_RETENTION", ""), "remove events received longer ago than this duration, such as 2160h; empty keeps every event (env EVENT_RETENTION)")
	fs.StringVar(&payloadRetention, "payload-retention", env("PAYLOAD_RETENTION", ""), "empty the payloads of events received longer ago than this duration, keeping the events; empty keeps every payload (env PAYLOAD_RETENTION)")
	durations := []struct {
		flag, env, def, usage string
		value                 string
		into                  *time.Duration
	}{
		{flag: "outbound-retry-base", env: "OUTBOUND_RETRY_BASE", def: "5s", usage: "first retry delay of an outbound webhook, doubled for each retry after", into: &c.Outbound.RetryBase},
		{flag: "outbound-max-age", env: "OUTBOUND_MAX_AGE", def: "24h", usage: "how long an outbound webhook is retried before it is given up", into: &c.Outbound.MaxAge},
		{flag: "outbound-disable-after", env: "OUTBOUND_DISABLE_AFTER", def: "72h", usage: "how long an endpoint may fail without a success before it is disabled", into: &c.Outbound.DisableAfter},
		{flag: "outbound-lease-ttl", env: "OUTBOUND_LEASE_TTL", def: "15s", usage: "how long an endpoint stays with a process that stopped renewing its lease; attempts are cut to fit in it", into: &c.Outbound.LeaseTTL},
		{flag: "outbound-poll", env: "OUTBOUND_POLL", def: "1s", usage: "how often an endpoint reads the history without a wake-up", into: &c.Outbound.Poll},
		{flag: "log-slow-sql", env: "LOG_SLOW_SQL", def: "100ms", usage: "at LOG_LEVEL=debug, SQL statements slower than this are logged with their duration", into: &c.Telemetry.SlowStatement},
	}
	for i := range durations {
		d := &durations[i]
		fs.StringVar(&d.value, d.flag, env(d.env, d.def), d.usage+" (env "+d.env+")")
	}
	fs.StringVar(&allowPrivate, "outbound-allow-private", env("OUTBOUND_ALLOW_PRIVATE", "false"), "allow outbound endpoints on loopback, private and link-local addresses (env OUTBOUND_ALLOW_PRIVATE)")
	fs.StringVar(&width, "outbound-conversation-width", env("OUTBOUND_CONVERSATION_WIDTH", "8"), "conversations an endpoint with CONVERSATION ordering receives at once (env OUTBOUND_CONVERSATION_WIDTH)")
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	for _, d := range durations {
		v, err := time.ParseDuration(d.value)
		if err != nil || v <= 0 {
			return c, nil, fmt.Errorf("%s %q: want a positive duration such as %s", d.env, d.value, d.def)
		}
		*d.into = v
	}
	for _, r := range []struct {
		to          *time.Duration
		value, name string
	}{{&c.EventRetention, eventRetention, "EVENT_RETENTION"}, {&c.PayloadRetention, payloadRetention, "PAYLOAD_RETENTION"}} {
		if r.value == "" {
			continue
		}
		v, err := time.ParseDuration(r.value)
		if err != nil || v <= 0 {
			return c, nil, fmt.Errorf("%s %q: want a positive duration such as 720h, or nothing to keep everything", r.name, r.value)
		}
		*r.to = v
	}
	var perr error
	if c.Outbound.AllowPrivate, perr = strconv.ParseBool(allowPrivate); perr != nil {
		return c, nil, fmt.Errorf("OUTBOUND_ALLOW_PRIVATE %q: want true or false", allowPrivate)
	}
	if c.Outbound.Width, perr = strconv.Atoi(width); perr != nil || c.Outbound.Width <= 0 {
		return c, nil, fmt.Errorf("OUTBOUND_CONVERSATION_WIDTH %q: want a positive integer", width)
	}
	var err error
	if c.MaxBodyBytes, err = strconv.ParseInt(bodyLimit, 10, 64); err != nil || c.MaxBodyBytes <= 0 {
		return c, nil, fmt.Errorf("max body bytes %q: want a positive integer", bodyLimit)
	}
	if c.MaxPageSize, err = strconv.Atoi(pageSize); err != nil || c.MaxPageSize <= 0 {
		return c, nil, fmt.Errorf("max page size %q: want a positive integer", pageSize)
	}
	if c.IngestWorkers, err = strconv.Atoi(workers); err != nil || c.IngestWorkers < 0 {
		return c, nil, fmt.Errorf("ingest workers %q: want a non-negative integer", workers)
	}
	if c.IngestBatch, err = strconv.Atoi(batch); err != nil || c.IngestBatch <= 0 {
		return c, nil, fmt.Errorf("ingest batch %q: want a positive integer", batch)
	}
	if c.LogLimit, err = strconv.Atoi(logLimit); err != nil || c.LogLimit <= 0 {
		return c, nil, fmt.Errorf("delivery log limit %q: want a positive integer", logLimit)
	}
	if c.MaxDepth, err = strconv.Atoi(maxDepth); err != nil || c.MaxDepth <= 0 {
		return c, nil, fmt.Errorf("max query depth %q: want a positive integer", maxDepth)
	}
	if c.MaxComplexity, err = strconv.Atoi(maxComplexity); err != nil || c.MaxComplexity <= 0 {
		return c, nil, fmt.Errorf("max query complexity %q: want a positive integer", maxComplexity)
	}
	if c.MaxQueryBytes, err = strconv.ParseInt(queryBytes, 10, 64); err != nil || c.MaxQueryBytes <= 0 {
		return c, nil, fmt.Errorf("max query bytes %q: want a positive integer", queryBytes)
	}
	if c.MaxQueryTokens, err = strconv.Atoi(queryTokens); err != nil || c.MaxQueryTokens <= 0 {
		return c, nil, fmt.Errorf("max query tokens %q: want a positive integer", queryTokens)
	}
	if c.GraphQLTimeout, err = time.ParseDuration(graphQLTimeout); err != nil || c.GraphQLTimeout <= 0 {
		return c, nil, fmt.Errorf("GraphQL timeout %q: want a positive duration such as 30s", graphQLTimeout)
	}
	if c.MaxResponseBytes, err = strconv.Atoi(responseBytes); err != nil || c.MaxResponseBytes <= 0 {
		return c, nil, fmt.Errorf("max response bytes %q: want a positive integer", responseBytes)
	}
	if c.WebhookBodyTimeout, err = time.ParseDuration(bodyTimeout); err != nil || c.WebhookBodyTimeout <= 0 {
		return c, nil, fmt.Errorf("webhook body timeout %q: want a positive duration such as 10s", bodyTimeout)
	}
	for _, n := range []struct {
		to    *int
		value string
		name  string
	}{
		{&c.MaxIngestInFlight, inflight, "max ingest in flight"},
		{&c.RefusalsLoggedPerMinute, refusalsLogged, "refusals logged per minute"},
		{&c.MaxConcurrentGraphQL, gqlConcurrent, "max concurrent GraphQL"},
		{&c.MaxSubscriptionsPerConn, subsPerConn, "max subscriptions per connection"},
		{&c.MaxSubscriptionsPerKey, subsPerKey, "max subscriptions per key"},
		{&c.StreamReplayConcurrency, replayConcurrency, "stream replay concurrency"},
		{&c.MaxEventPageSize, eventPageSize, "max event page size"},
	} {
		if *n.to, err = strconv.Atoi(n.value); err != nil || *n.to <= 0 {
			return c, nil, fmt.Errorf("%s %q: want a positive integer", n.name, n.value)
		}
	}
	for _, r := range []struct {
		to    *float64
		value string
		name  string
	}{
		{&c.SubscriptionRate, subRate, "subscription rate"},
		{&c.RefusedPerAddressRate, refusedRate, "refused per address rate"},
		{&c.GraphQLRatePerKey, gqlRate, "GraphQL rate"},
	} {
		if *r.to, err = strconv.ParseFloat(r.value, 64); err != nil || *r.to <= 0 {
			return c, nil, fmt.Errorf("%s %q: want a positive number per second", r.name, r.value)
		}
	}
	if c.StreamSlowTimeout, err = time.ParseDuration(slowTimeout); err != nil || c.StreamSlowTimeout <= 0 {
		return c, nil, fmt.Errorf("stream slow timeout %q: want a positive duration such as 10s", slowTimeout)
	}
	if c.StreamPoll, err = time.ParseDuration(poll); err != nil || c.StreamPoll <= 0 {
		return c, nil, fmt.Errorf("stream poll %q: want a positive duration such as 1s", poll)
	}
	if c.SubscriptionCacheTTL, err = time.ParseDuration(subscriptionTTL); err != nil || c.SubscriptionCacheTTL <= 0 {
		return c, nil, fmt.Errorf("subscription cache TTL %q: want a positive duration such as 5s", subscriptionTTL)
	}
	if c.Introspection, err = strconv.ParseBool(introspection); err != nil {
		return c, nil, fmt.Errorf("introspection %q: want true or false", introspection)
	}
	return c, fs.Args(), nil
}

func osGetenv(key string) string { return os.Getenv(key) }
