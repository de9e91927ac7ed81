package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentationName names the tracer of the gateway's own spans.
const InstrumentationName = "github.com/helpdesk-gateway/gateway"

// dbQueryText is the span attribute (OpenTelemetry's database semantic
// conventions) in which the SQL instrumentations put a statement's text,
// without its parameter values.
const dbQueryText = attribute.Key("db.query.text")

// TracingConfig says where spans go. With no Exporter, no OTLP and no
// SlowStatement there is nothing to trace for, and NewTracing returns nil.
type TracingConfig struct {
	// Exporter receives the spans (tests give an in-memory one).
	Exporter sdktrace.SpanExporter
	// OTLP exports the spans over OTLP/HTTP, to where the standard
	// OTEL_EXPORTER_OTLP_* variables say.
	OTLP        bool
	ServiceName string
	// SlowStatement, when positive, logs at debug to Logger each SQL
	// statement that took longer, with its duration and text, never its
	// parameter values.
	SlowStatement time.Duration
	Logger        *slog.Logger
}

// Tracing is a running tracer provider.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// NewTracing starts a tracer provider configured by cfg, or returns nil
// when cfg asks for nothing: then no span is made at all.
func NewTracing(ctx context.Context, cfg TracingConfig) (*Tracing, error) {
	var opts []sdktrace.TracerProviderOption
	if cfg.Exporter != nil {
		opts = append(opts, sdktrace.WithBatcher(cfg.Exporter))
	}
	if cfg.OTLP {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP trace exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	if cfg.SlowStatement > 0 {
		opts = append(opts, sdktrace.WithSpanProcessor(slowStatements{threshold: cfg.SlowStatement, logger: cfg.Logger}))
	}
	if len(opts) == 0 {
		return nil, nil
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", cfg.ServiceName)))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	// ParentBased(AlwaysSample): a caller that sampled its trace out
	// keeps it out here too.
	opts = append(opts, sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	return &Tracing{provider: sdktrace.NewTracerProvider(opts...)}, nil
}

// Provider returns the tracer provider, or nil on a nil Tracing.
func (t *Tracing) Provider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// Tracer returns the tracer of the gateway's own spans, or nil on a nil
// Tracing: components given nil make no span.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.provider.Tracer(InstrumentationName)
}

// Shutdown exports the spans still buffered and stops; nil does nothing.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// slowStatements logs the SQL spans that took longer than threshold. The
// SQL instrumentations record every statement as a span with its text
// (and no parameter values), so this one place sees the statements of
// both stores, the ORM's and the hand-written ones alike.
type slowStatements struct {
	threshold time.Duration
	logger    *slog.Logger
}

func (s slowStatements) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (s slowStatements) OnEnd(span sdktrace.ReadOnlySpan) {
	took := span.EndTime().Sub(span.StartTime())
	if took < s.threshold {
		return
	}
	for _, a := range span.Attributes() {
		if a.Key == dbQueryText {
			s.logger.Debug("slow SQL statement", "statement", a.Value.AsString(), "duration", took,
				"trace_id", span.SpanContext().TraceID().String())
			return
		}
	}
}

func (s slowStatements) Shutdown(context.Context) error   { return nil }
func (s slowStatements) ForceFlush(context.Context) error { return nil }

// ForceFlush exports the spans ended so far; nil does nothing.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}
