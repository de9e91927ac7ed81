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
	domain.EINVALID:      "BAD_USER_INPUT",
	domain.EUNAUTHORIZED: "UNAUTHENTICATED",
	domain.EFORBIDDEN:    "FORBIDDEN",
	domain.ENOTFOUND:     "NOT_FOUND",
	domain.ECONFLICT:     "CONFLICT",
	domain.ETOOLARGE:     "BAD_USER_INPUT",
	domain.EUNSUPPORTED:  "BAD_USER_INPUT",
	domain.EUNAVAILABLE:  "UNAVAILABLE",
	domain.ERATELIMITED:  "RATE_LIMITED",
	domain.EINTERNAL:     "INTERNAL",
}

// ErrorPresenter puts the domain error code in extensions.code. Internal
// errors are logged and shown as a message that leaks nothing. Errors that
// carry no domain error come from GraphQL parsing, validation and input
// coercion: they are the caller's, and kept as they are.
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var de *domain.Error
		if !errors.As(err, &de) {
			// gqlgen quotes the whole body of a request it cannot decode;
			// the client sent it, and a large one must not come back.
			if head, _, cut := strings.Cut(gerr.Message, " body:"); cut && strings.HasPrefix(head, "json request body could not be decoded") {
				gerr.Message = head
			}
			if gerr.Extensions == nil {
				gerr.Extensions = map[string]any{}
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
		if de.Code == domain.EINTERNAL || de.Code == domain.EUNAVAILABLE {
			logger.Error("graphql request failed", "path", gerr.Path.String(), "err", err)
			if de.Code == domain.EINTERNAL {
				gerr.Message = "internal error"
			}
		}
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		gerr.Extensions["code"] = code
		return gerr
	}
}

// RecoverFunc turns a resolver panic into an internal error, logged with
// its value.
func RecoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		logger.Error("graphql resolver panicked", "panic", v)
		return &domain.Error{Code: domain.EINTERNAL, Message: "internal error"}
	}
}
