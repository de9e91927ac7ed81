package domain

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"time"
)

// AuthorizationType says how a provider authenticates its deliveries.
type AuthorizationType string

// The authorization types of a webhook subscription.
const (
	AuthNone  AuthorizationType = "NONE"
	AuthBasic AuthorizationType = "BASIC"
	AuthToken AuthorizationType = "TOKEN"
)

// IsValid reports whether t is a known authorization type.
func (t AuthorizationType) IsValid() bool { return t == AuthNone || t == AuthBasic || t == AuthToken }

// MarshalGQL writes the type as a GraphQL enum value.
func (t AuthorizationType) MarshalGQL(w io.Writer) { writeQuoted(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum value.
func (t *AuthorizationType) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "AuthorizationType", func(s string) bool { *t = AuthorizationType(s); return t.IsValid() })
}

// WebhookSubscription is one endpoint a provider delivers webhooks to.
type WebhookSubscription struct {
	ID       string
	Provider Provider
	Name     string
	// SubscribedEvents are the provider's event names kept; empty keeps all.
	SubscribedEvents []string
	// SecretKey signs the provider's deliveries; "" disables signature checks.
	SecretKey string
	// PreviousSecrets still verify until they expire: the grace period of a
	// rotation, while the provider switches to the new secret.
	PreviousSecrets []PreviousSecret
	Authorization   Authorization
	// Conditions filter deliveries: one that fails them is acknowledged,
	// logged as filtered and stores no event.
	Conditions Conditions
	Enabled    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	CreatedBy  string
	UpdatedBy  string
	// Version counts the subscription's writes; a write names the version
	// it started from, and is refused if another came first.
	Version int64
	// RevealSecret is set on the answer of create and rotate, the only
	// answers that show SecretKey in full.
	RevealSecret bool
}

// Subscribes reports whether the subscription keeps events the provider
// names providerEvent.
func (s *WebhookSubscription) Subscribes(providerEvent string) bool {
	if len(s.SubscribedEvents) == 0 {
		return true
	}
	for _, e := range s.SubscribedEvents {
		if strings.EqualFold(e, providerEvent) {
			return true
		}
	}
	return false
}

// PreviousSecret is a rotated-out secret and when it stops verifying.
type PreviousSecret struct {
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// VerifyingSecrets returns the secrets a delivery may be signed with at
// now: the current one first, then the previous ones still in their grace
// period. None means deliveries are not signed.
func (s *WebhookSubscription) VerifyingSecrets(now time.Time) []string {
	return liveSecrets(s.SecretKey, s.PreviousSecrets, now)
}

// Rotate makes key the current secret. The old one keeps verifying for
// grace (none when grace is zero); previous secrets already expired at now
// are forgotten.
func (s *WebhookSubscription) Rotate(key string, grace time.Duration, now time.Time) {
	s.SecretKey, s.PreviousSecrets = rotateSecret(s.SecretKey, s.PreviousSecrets, key, grace, now)
}

// liveSecrets returns current, then the previous secrets still in their
// grace period at now.
func liveSecrets(current string, previous []PreviousSecret, now time.Time) []string {
	var out []string
	if current != "" {
		out = append(out, current)
	}
	for _, p := range previous {
		if p.Key != "" && now.Before(p.ExpiresAt) {
			out = append(out, p.Key)
		}
	}
	return out
}

// rotateSecret returns key as the current secret and the previous secrets
// after the rotation: current kept for grace, expired ones forgotten.
func rotateSecret(current string, previous []PreviousSecret, key string, grace time.Duration, now time.Time) (string, []PreviousSecret) {
	kept := previous[:0:0]
	for _, p := range previous {
		if now.Before(p.ExpiresAt) && p.Key != key {
			kept = append(kept, p)
		}
	}
	if current != "" && current != key && grace > 0 {
		kept = append(kept, PreviousSecret{Key: current, ExpiresAt: now.Add(grace)})
	}
	return key, kept
}

// Authorization is the credential a provider must present on every
// delivery. Only a salted hash of the secret part is kept.
type Authorization struct {
	Type     AuthorizationType
	Username string
	// Salt and Hash are HMAC-SHA256(salt, credential) where the credential
	// is "username:password" for BASIC and the token for TOKEN.
	Salt string
	Hash string
}

// NewAuthorization builds the stored form of a credential.
func NewAuthorization(t AuthorizationType, username, password, token string) (Authorization, error) {
	switch t {
	case "", AuthNone:
		return Authorization{Type: AuthNone}, nil
	case AuthBasic:
		if username == "" || password == "" {
			return Authorization{}, Errorf(EINVALID, "authorization: BASIC needs a username and a password")
		}
		if strings.Contains(username, ":") {
			return Authorization{}, Errorf(EINVALID, "authorization: a BASIC username cannot contain ':'")
		}
		return hashed(t, username, username+":"+password), nil
	case AuthToken:
		if token == "" {
			return Authorization{}, Errorf(EINVALID, "authorization: TOKEN needs a token")
		}
		return hashed(t, "", token), nil
	}
	return Authorization{}, Errorf(EINVALID, "authorization: unknown type %q", t)
}

func hashed(t AuthorizationType, username, credential string) Authorization {
	salt := RandomHex(16)
	return Authorization{Type: t, Username: username, Salt: salt, Hash: credentialHash(salt, credential)}
}

func credentialHash(salt, credential string) string {
	m := hmac.New(sha256.New, []byte(salt))
	m.Write([]byte(credential))
	return hex.EncodeToString(m.Sum(nil))
}

// Check verifies an Authorization header against the credential. BASIC
// takes "Basic base64(user:password)"; TOKEN takes "Bearer <token>" or
// "Token <token>".
func (a *Authorization) Check(header string) error {
	if a.Type == "" || a.Type == AuthNone {
		return nil
	}
	if header == "" {
		return Errorf(EUNAUTHORIZED, "missing Authorization header")
	}
	scheme, value, ok := strings.Cut(strings.TrimSpace(header), " ")
	value = strings.TrimSpace(value)
	if !ok || value == "" {
		return Errorf(EUNAUTHORIZED, "malformed Authorization header")
	}
	var credential string
	switch a.Type {
	case AuthBasic:
		if !strings.EqualFold(scheme, "Basic") {
			return Errorf(EUNAUTHORIZED, "Authorization must use the Basic scheme")
		}
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return Errorf(EUNAUTHORIZED, "malformed Basic credentials")
		}
		credential = string(raw)
	case AuthToken:
		if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Token") {
			return Errorf(EUNAUTHORIZED, "Authorization must use the Bearer scheme")
		}
		credential = value
	}
	if !hmac.Equal([]byte(credentialHash(a.Salt, credential)), []byte(a.Hash)) {
		return Errorf(EUNAUTHORIZED, "invalid credentials")
	}
	return nil
}

// Challenge is the WWW-Authenticate header that tells a client refused by
// Check which credentials to send, or "" when none are asked for.
func (a *Authorization) Challenge() string {
	switch a.Type {
	case AuthBasic:
		return `Basic realm="webhooks"`
	case AuthToken:
		return `Bearer realm="webhooks"`
	}
	return ""
}

// RandomHex returns n random bytes, hex-encoded.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return hex.EncodeToString(b)
}

// NewID returns a random UUID (version 4) string.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DeliveryOutcome is what the gateway did with a delivery, as its
// delivery log records it.
type DeliveryOutcome string

// Delivery outcomes recorded in the delivery log.
const (
	OutcomeAccepted  DeliveryOutcome = "accepted"
	OutcomeDuplicate DeliveryOutcome = "duplicate"
	OutcomeFiltered  DeliveryOutcome = "filtered"
	OutcomeRefused   DeliveryOutcome = "refused"
	OutcomeChallenge DeliveryOutcome = "challenge"
)

// DeliveryOutcomes lists every outcome.
var DeliveryOutcomes = []DeliveryOutcome{OutcomeAccepted, OutcomeDuplicate, OutcomeFiltered, OutcomeRefused, OutcomeChallenge}

// IsValid reports whether o is a known outcome.
func (o DeliveryOutcome) IsValid() bool {
	for _, v := range DeliveryOutcomes {
		if o == v {
			return true
		}
	}
	return false
}

// MarshalGQL writes the outcome as a GraphQL enum value: the log and the
// metrics keep the lower-case word, GraphQL enum values are upper case.
func (o DeliveryOutcome) MarshalGQL(w io.Writer) { writeQuoted(w, strings.ToUpper(string(o))) }

// UnmarshalGQL reads a GraphQL enum value.
func (o *DeliveryOutcome) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "DeliveryOutcome", func(str string) bool {
		*o = DeliveryOutcome(strings.ToLower(str))
		return str == strings.ToUpper(str) && o.IsValid()
	})
}

// DeliveryLog is one delivery received for a subscription, as logged.
type DeliveryLog struct {
	ID             int64
	SubscriptionID string
	// Event is the provider's name of the delivered event, or "" when the
	// delivery was refused before it could be read.
	Event          string
	Outcome        DeliveryOutcome
	DeliveryDetail DeliveryDetail
	Payload        string
}

// DeliveryStatus is the latest delivery of one subscribed event: a
// DeliveryDetail, or NoRecentDelivery.
type DeliveryStatus interface {
	deliveryStatus()
}

// DeliveryDetail is how the gateway answered one delivery.
type DeliveryDetail struct {
	DeliveryTimestamp time.Time
	Success           bool
	ResponseCode      int
	ResponseText      string
}

func (DeliveryDetail) deliveryStatus() {}

// NoRecentDelivery says an event was subscribed but never delivered.
type NoRecentDelivery struct {
	Event string
}

func (NoRecentDelivery) deliveryStatus() {}

// EventDeliveryStatus pairs a subscribed event with its latest delivery.
type EventDeliveryStatus struct {
	Event          string
	DeliveryStatus DeliveryStatus
}

// Delivery is what one accepted webhook request asks the store to keep, in
// one transaction: its events (deduplicated) and its log entry.
type Delivery struct {
	Events []*Event
	Log    DeliveryLog
}

// DeliveryResult says what the store did with one Delivery: the events it
// appended, with their positions; the rest were duplicates.
type DeliveryResult struct {
	Appended   []*Event
	Duplicates int
}

// DefaultGracePeriod is how long a rotated-out secret keeps verifying when
// the caller names no grace period.
const DefaultGracePeriod = 24 * time.Hour

// Subscriptions changes webhook subscriptions. Each change is one atomic
// write, and none undoes a concurrent one: a change that keeps losing the
// race to other writes fails with ECONFLICT.
type Subscriptions interface {
	Create(ctx context.Context, in NewSubscription) (*WebhookSubscription, error)
	Update(ctx context.Context, id string, patch SubscriptionPatch) (*WebhookSubscription, error)
	// Rotate makes secret (one is generated when nil) the current secret;
	// the old one keeps verifying for grace (a default when nil).
	Rotate(ctx context.Context, id string, secret *string, grace *time.Duration) (*WebhookSubscription, error)
	SetEnabled(ctx context.Context, id string, enabled bool) (*WebhookSubscription, error)
	Delete(ctx context.Context, id string) error
}

// SubscriptionStore keeps webhook subscriptions for the writes of
// Subscriptions.
type SubscriptionStore interface {
	CreateSubscription(ctx context.Context, s *WebhookSubscription) error
	FindSubscription(ctx context.Context, id string) (*WebhookSubscription, error)
	// UpdateSubscription writes s if the stored subscription is still at
	// s.Version, else returns ECONFLICT.
	UpdateSubscription(ctx context.Context, s *WebhookSubscription) error
	DeleteSubscription(ctx context.Context, id string) error
}

// NewSubscription is what a caller gives to create a webhook subscription.
type NewSubscription struct {
	Provider      Provider
	Name          string
	Events        []string
	Authorization *AuthorizationInput
	// SecretKey is generated when nil for providers that always sign.
	SecretKey *string
	// Enabled is true when nil.
	Enabled     *bool
	Conditions  []*Condition
	Match       *ConditionMatch
	Expression  *string
	DixaFilters *DixaFilters
}

// Optional is one field of a patch: Set says the patch names the field,
// and a nil Value then clears it.
type Optional[T any] struct {
	Value *T
	Set   bool
}

// SubscriptionPatch changes the fields of a webhook subscription it names
// and leaves the others as they are.
type SubscriptionPatch struct {
	Name          Optional[string]
	Events        Optional[[]string]
	Authorization Optional[AuthorizationInput]
	// SecretKey set to nil turns signature checks off.
	SecretKey Optional[string]
	Enabled   Optional[bool]
	// Conditions set to nil clears the conditions, and with them how they
	// combine unless Match or Expression is set too.
	Conditions  Optional[[]*Condition]
	Match       Optional[ConditionMatch]
	Expression  Optional[string]
	DixaFilters Optional[DixaFilters]
}

// AuthorizationInput is a credential as a caller gives it, before only its
// hash is kept.
type AuthorizationInput struct {
	Type     AuthorizationType
	Username *string
	Password *string
	Token    *string
}

// DixaFilters are Dixa's CombinedFilters, accepted in place of conditions.
type DixaFilters struct {
	Strategy   string
	Conditions []*DixaFilterCondition
}

// DixaFilterCondition is one of Dixa's filter conditions.
type DixaFilterCondition struct {
	Type   string
	Field  string
	Values []string
}
