// Package httperror writes errors as the gateway's HTTP answers: JSON
// {"error": "..."} with the status that the error's domain code maps to, in
// one table.
package httperror

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

var statuses = map[string]int{
	domain.EINVALID:       http.StatusBadRequest,
	domain.EUNAUTHORIZED:  http.StatusUnauthorized,
	domain.EFORBIDDEN:     http.StatusForbidden,
	domain.ENOTFOUND:      http.StatusNotFound,
	domain.ECONFLICT:      http.StatusConflict,
	domain.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	domain.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	domain.EUNAVAILABLE:   http.StatusServiceUnavailable,
	domain.ERATELIMITED:   http.StatusTooManyRequests,
	domain.ECURSOREXPIRED: http.StatusGone,
	domain.EINTERNAL:      http.StatusInternalServerError,
}

// Status returns the HTTP status of err's domain code.
func Status(err error) int {
	if s, ok := statuses[domain.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfterSeconds is what a 503 asks the client to wait.
const RetryAfterSeconds = "5"

// Write answers with err's status and client-safe message. A 503 and a
// 429 carry Retry-After; a 410 for an expired cursor names the oldest
// cursor still available in oldestCursor.
func Write(w http.ResponseWriter, err error) int {
	status := Status(err)
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", RetryAfterSeconds)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", RetryAfter(err))
	}
	body := map[string]string{"error": domain.ErrorMessage(err)}
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.ECURSOREXPIRED {
		body["oldestCursor"] = de.Horizon.String()
	}
	WriteJSON(w, status, body)
	return status
}

// RetryAfter is the Retry-After of a rate-limited err: whole seconds, at
// least one.
func RetryAfter(err error) string {
	var de *domain.Error
	secs := int64(1)
	if errors.As(err, &de) && de.RetryAfter > time.Second {
		secs = int64((de.RetryAfter + time.Second - 1) / time.Second)
	}
	return strconv.FormatInt(secs, 10)
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
