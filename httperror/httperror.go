// Package httperror writes errors as the gateway's HTTP answers: JSON
// {"error": "..."} with the status that the error's domain code maps to, in
// one table.
package httperror

import (
	"encoding/json"
	"net/http"

	"github.com/helpdesk-gateway/gateway/domain"
)

var statuses = map[string]int{
	domain.EINVALID:      http.StatusBadRequest,
	domain.EUNAUTHORIZED: http.StatusUnauthorized,
	domain.EFORBIDDEN:    http.StatusForbidden,
	domain.ENOTFOUND:     http.StatusNotFound,
	domain.ECONFLICT:     http.StatusConflict,
	domain.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	domain.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	domain.EUNAVAILABLE:  http.StatusServiceUnavailable,
	domain.EINTERNAL:     http.StatusInternalServerError,
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

// Write answers with err's status and client-safe message. A 503 carries
// Retry-After.
func Write(w http.ResponseWriter, err error) int {
	status := Status(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfterSeconds)
	}
	WriteJSON(w, status, map[string]string{"error": domain.ErrorMessage(err)})
	return status
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
