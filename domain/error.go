package domain

import (
	"errors"
	"fmt"
	"time"
)

// Error codes shared by every layer. Ingest maps them to HTTP statuses and
// the GraphQL error presenter to extensions.code, each in one table.
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	ETOOLARGE     = "too_large"
	EUNSUPPORTED  = "unsupported_media_type"
	EUNAVAILABLE  = "unavailable"
	ERATELIMITED  = "rate_limited"
	// ECURSOREXPIRED: the cursor names a place in the history that
	// retention has removed; the error's Horizon is the oldest place still
	// there.
	ECURSOREXPIRED = "cursor_expired"
	EINTERNAL      = "internal"
)

// Error is an error whose message is safe to show to a client.
type Error struct {
	Code    string
	Message string
	// Err is the cause, for logs; it is never shown to clients.
	Err error
	// RetryAfter is when an ERATELIMITED caller may try again.
	RetryAfter time.Duration
	// Horizon is, for ECURSOREXPIRED, the oldest position a cursor may
	// still name: reading after it reads everything retention has kept.
	Horizon Position
}

// CursorExpired is the ECURSOREXPIRED error of a cursor older than
// horizon: the events after it are partly removed, and reading on would
// leave a gap the reader could not see.
func CursorExpired(horizon Position) *Error {
	return &Error{Code: ECURSOREXPIRED, Horizon: horizon, Message: fmt.Sprintf(
		"the cursor is older than the retention horizon: events after it have been removed. "+
			"The oldest cursor still available is %q: resume after it, or read from the start without a cursor", horizon.String())}
}

// RateLimited is an ERATELIMITED error whose caller may try again after
// retryAfter.
func RateLimited(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Code: ERATELIMITED, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Unavailable wraps err, a failure of a dependency such as the database, as
// an EUNAVAILABLE error whose client message is msg.
func Unavailable(msg string, err error) *Error {
	return &Error{Code: EUNAVAILABLE, Message: msg, Err: err}
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error, or a generic text that leaks nothing for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
