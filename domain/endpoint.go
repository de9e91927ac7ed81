package domain

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"time"
)

// EndpointOrdering is the order in which an endpoint receives events.
type EndpointOrdering string

// The orderings of an endpoint.
const (
	// OrderEndpoint delivers one event at a time, in history order: an
	// event that fails holds back the ones after it until it succeeds or
	// is given up.
	OrderEndpoint EndpointOrdering = "ENDPOINT"
	// OrderConversation keeps history order within each conversation and
	// delivers several conversations at once.
	OrderConversation EndpointOrdering = "CONVERSATION"
)

// IsValid reports whether o is a known ordering.
func (o EndpointOrdering) IsValid() bool { return o == OrderEndpoint || o == OrderConversation }

// MarshalGQL writes the ordering as a GraphQL enum value.
func (o EndpointOrdering) MarshalGQL(w io.Writer) { writeQuoted(w, string(o)) }

// UnmarshalGQL reads a GraphQL enum value.
func (o *EndpointOrdering) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "EndpointOrdering", func(s string) bool { *o = EndpointOrdering(s); return o.IsValid() })
}

// EndpointState is how an endpoint is doing.
type EndpointState string

// The states of an endpoint.
const (
	EndpointActive   EndpointState = "ACTIVE"
	EndpointFailing  EndpointState = "FAILING"
	EndpointDisabled EndpointState = "DISABLED"
)

// IsValid reports whether s is a known state.
func (s EndpointState) IsValid() bool {
	return s == EndpointActive || s == EndpointFailing || s == EndpointDisabled
}

// MarshalGQL writes the state as a GraphQL enum value.
func (s EndpointState) MarshalGQL(w io.Writer) { writeQuoted(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *EndpointState) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "EndpointState", func(x string) bool { *s = EndpointState(x); return s.IsValid() })
}

// WebhookEndpoint is an integrator's URL that the gateway pushes the
// event history to, signed per the Standard Webhooks specification. It is
// a reader of the history with a durable cursor of its own.
type WebhookEndpoint struct {
	ID   string
	Name string
	URL  string
	// Filter selects the events pushed; nil pushes every event.
	Filter *EventFilter
	// Conditions further select the events pushed, tested on each event
	// with its conversation's state when it is delivered.
	Conditions Conditions
	Ordering   EndpointOrdering
	Enabled    bool
	// Secret signs the deliveries: "whsec_" and the base64 of the key.
	Secret string
	// PreviousSecrets still sign deliveries until they expire: the grace
	// period of a rotation, while the receiver switches to the new secret.
	PreviousSecrets []PreviousSecret
	// Timeout bounds each attempt.
	Timeout time.Duration
	// RateLimit is the most attempts per second; 0 is no limit.
	RateLimit float64
	// Cursor is the position up to which every event was delivered or
	// given up.
	Cursor Position
	// Generation counts replays: attempts of an earlier generation do not
	// count as deliveries of the current one.
	Generation int64
	// Failing is set while the latest attempt failed.
	Failing bool
	// FailingSince is when the current run of failures began.
	FailingSince *time.Time
	// DisabledReason says why the gateway disabled the endpoint itself
	// (410 Gone, failing too long); "" when it did not.
	DisabledReason string
	Delivered      int64
	Failed         int64
	// LeaseOwner is the gateway process that delivers to the endpoint,
	// until LeaseUntil.
	LeaseOwner string
	LeaseUntil *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	CreatedBy  string
	UpdatedBy  string
	// RevealSecret is set on the answer of create and rotate, the only
	// answers that show Secret in full.
	RevealSecret bool
}

// State reports whether the endpoint is disabled, failing or active.
func (e *WebhookEndpoint) State() EndpointState {
	switch {
	case !e.Enabled:
		return EndpointDisabled
	case e.Failing:
		return EndpointFailing
	}
	return EndpointActive
}

// SigningSecrets returns the secrets each delivery is signed with at now:
// the current one, then those still in their grace period.
func (e *WebhookEndpoint) SigningSecrets(now time.Time) []string {
	return liveSecrets(e.Secret, e.PreviousSecrets, now)
}

// Rotate makes key the signing secret; the old one keeps signing for
// grace (not at all when grace is zero).
func (e *WebhookEndpoint) Rotate(key string, grace time.Duration, now time.Time) {
	e.Secret, e.PreviousSecrets = rotateSecret(e.Secret, e.PreviousSecrets, key, grace, now)
}

// NewEndpointSecret returns a random signing secret in the Standard
// Webhooks form: "whsec_" and the base64 of 32 random bytes.
func NewEndpointSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// Attempt outcomes.
const (
	// AttemptDelivered: the endpoint took the event (2xx).
	AttemptDelivered = "delivered"
	// AttemptRetry: the attempt failed and the event will be tried again.
	AttemptRetry = "retry"
	// AttemptFailed: the event was given up and the cursor moved past it.
	AttemptFailed = "failed"
)

// WebhookAttempt is one HTTP request that pushed an event to an endpoint.
type WebhookAttempt struct {
	ID            int64
	EndpointID    string
	Generation    int64
	EventID       string
	EventPosition Position
	// Attempt numbers the event's attempts from 1.
	Attempt int
	At      time.Time
	// Status is the HTTP status, 0 when no response came.
	Status  int
	Latency time.Duration
	// Response is the start of the response body.
	Response string
	// Error says what went wrong: a connection error, a timeout, a status.
	Error   string
	Outcome string
	// RetryAt is when the event is tried again, with outcome retry.
	RetryAt *time.Time
}

// Final reports whether the attempt settled its event.
func (a *WebhookAttempt) Final() bool { return a.Outcome != AttemptRetry }

// EndpointLag is how far an endpoint is behind the head of the history.
type EndpointLag struct {
	// Events is how many events it has still to receive.
	Events int64
	// Oldest is when the oldest of them was received; zero when none.
	Oldest time.Time
}
