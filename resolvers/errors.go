package resolvers

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// gqlCodes maps domain error codes to GraphQL extensions.code, once.
var gqlCodes = map[string]string{
	domain.EINVALID:       "BAD_USER_INPUT",
	domain.EUNAUTHORIZED:  "UNAUTHENTICATED",
	domain.EFORBIDDEN:     "FORBIDDEN",
	domain.ENOTFOUND:      "NOT_FOUND",
	domain.ECONFLICT:      "CONFLICT",
	domain.ETOOLARGE:      "BAD_USER_INPUT",
	domain.EUNSUPPORTED:   "BAD_USER_INPUT",
	domain.EUNAVAILABLE:   "UNAVAILABLE",
	domain.ERATELIMITED:   "RATE_LIMITED",
	domain.ECURSOREXPIRED: "CURSOR_EXPIRED",
	domain.EINTERNAL:      "INTERNAL",
}

// internalMessage is all a client learns of an internal error.
const internalMessage = "internal error"

// ErrorPresenter puts the domain error code in extensions.code. Internal
// errors are logged and shown as a message that leaks nothing. Errors that
// carry no domain error come from GraphQL parsing, validation and input
// coercion (a resolver's own errors always carry one, see InternalErrors):
// they are the caller's, and kept as they are.
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		var de *domain.Error
		if !errors.As(err, &de) {
			// gqlgen quotes the whole body of a request it cannot decode;
			// the client sent it, and a large one must not come back.
			if head, _, cut := strings.Cut(gerr.Message, " body:"); cut && strings.HasPrefix(head, "json request body could not be decoded") {
				gerr.Message = head
			}
			if _, ok := gerr.Extensions["code"]; !ok {
				gerr.Extensions["code"] = "BAD_USER_INPUT"
			}
			return gerr
		}
		code := gqlCodes[de.Code]
		if code == "" {
			code = "INTERNAL"
		}
		gerr.Message = de.Message
		if code == "INTERNAL" || de.Code == domain.EUNAVAILABLE {
			logger.ErrorContext(ctx, "graphql request failed", requestAttrs(ctx, gerr, de)...)
			if code == "INTERNAL" {
				gerr.Message = internalMessage
			}
		}
		gerr.Extensions["code"] = code
		if de.Code == domain.ECURSOREXPIRED {
			gerr.Extensions["oldestCursor"] = de.Horizon.String()
		}
		return gerr
	}
}

// InternalErrors is a field middleware that makes any resolver error that
// is not a domain error an EINTERNAL one: its text may name tables, hosts
// or a library's internals, so only the log sees it. Errors gqlgen makes
// itself while parsing, validating and coercing input never pass here.
func InternalErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil && !isDomainError(err) {
		err = &domain.Error{Code: domain.EINTERNAL, Message: internalMessage, Err: err}
	}
	return res, err
}

func isDomainError(err error) bool {
	var de *domain.Error
	return errors.As(err, &de)
}

// requestAttrs are what a log line needs to find the request that failed:
// the field's path, the operation and the caller's key. The request id
// comes from ctx through the logger's handler.
func requestAttrs(ctx context.Context, gerr *gqlerror.Error, err error) []any {
	// The message was made client-safe above; the cause is in err.
	attrs := []any{"path", gerr.Path.String(), "err", err}
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx); op.Operation != nil && op.Operation.Name != "" {
			attrs = append(attrs, "operation", op.Operation.Name)
		}
	}
	if id := domain.IdentityFrom(ctx); id != nil && id.KeyID != "" {
		attrs = append(attrs, "key", id.KeyID)
	}
	return attrs
}

// RecoverFunc turns a resolver panic into an internal error, logged with
// its value.
func RecoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "graphql resolver panicked", "panic", v)
		return &domain.Error{Code: domain.EINTERNAL, Message: internalMessage}
	}
}
