package telemetry

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQL is a gqlgen extension that counts and times each GraphQL
// operation and makes a span of it, parent of the spans (SQL) its
// resolvers cause. Operations that fail before they run (a document that
// does not parse or validate) are not operations yet, and are not seen.
type GraphQL struct {
	// Metrics counts the operations; nil counts nothing.
	Metrics *Metrics
	// Tracer makes the spans; nil makes none.
	Tracer trace.Tracer
}

var (
	_ graphql.HandlerExtension     = GraphQL{}
	_ graphql.OperationInterceptor = GraphQL{}
)

// ExtensionName names the extension to gqlgen.
func (GraphQL) ExtensionName() string { return "Telemetry" }

// Validate accepts any schema.
func (GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation observes one operation. A query or mutation is
// observed at its answer; a subscription once it is set up, since its
// stream lasts as long as its reader wants.
func (g GraphQL) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	start := time.Now()
	op := graphql.GetOperationContext(ctx)
	opType, opName := "unknown", op.OperationName
	if op.Operation != nil {
		opType = string(op.Operation.Operation)
		if opName == "" {
			opName = op.Operation.Name
		}
	}
	var span trace.Span
	if g.Tracer != nil {
		ctx, span = g.Tracer.Start(ctx, "graphql "+opType, trace.WithAttributes(
			attribute.String("graphql.operation.type", opType),
			attribute.String("graphql.operation.name", opName),
		))
	}
	handler := next(ctx)
	if opType == "subscription" {
		if g.Metrics != nil {
			g.Metrics.GraphQLAnswered(opType, OutcomeOK, -1)
		}
		if span != nil {
			span.End()
		}
		return handler
	}
	answered := false
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if answered {
			return resp // a later part of an incremental answer
		}
		answered = true
		outcome, code := OutcomeOK, ""
		if resp != nil && len(resp.Errors) > 0 {
			outcome = OutcomeError
			code, _ = resp.Errors[0].Extensions["code"].(string)
		}
		if g.Metrics != nil {
			g.Metrics.GraphQLAnswered(opType, outcome, time.Since(start))
		}
		if span != nil {
			if outcome == OutcomeError {
				span.SetAttributes(attribute.String("graphql.error.code", code))
				span.SetStatus(codes.Error, code)
			}
			span.End()
		}
		return resp
	}
}
