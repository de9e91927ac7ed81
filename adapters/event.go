package adapters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// NewEvent starts the one event of a delivery of provider: an OTHER event
// of the unknown type, which Parse then translates as far as it
// understands the body. It returns an EINVALID error saying what the
// provider sends when the body is not JSON. Every adapter starts here, so
// a receive time is always UTC and a body's dedupe key has one form.
func NewEvent(req *Request, provider domain.Provider, sends string) (*domain.Event, error) {
	if req == nil || !json.Valid(req.Body) {
		return nil, domain.Errorf(domain.EINVALID, "body is not valid JSON: %s", sends)
	}
	body := bytes.Clone(req.Body) // the caller may reuse its buffer; the event outlives it
	received := req.ReceivedAt
	if received.IsZero() {
		received = time.Now()
	}
	received = received.UTC()
	return &domain.Event{
		ID:                domain.NewID(),
		Provider:          provider,
		Type:              domain.EventOther,
		ProviderEventType: "unknown",
		// Until the body says when it happened, the receipt is the best
		// time there is.
		OccurredAt: received,
		ReceivedAt: received,
		DedupeKey:  BodyKey(provider, body),
		Payload:    domain.RawJSON(body),
	}, nil
}

// NewObjectEvent is NewEvent for a provider whose deliveries are JSON
// objects: it returns the result holding the event and the body decoded
// as an object. For any other JSON value the object is nil and the
// event's Reason says the body is not a provider's object (e.g. "Dixa
// event object"), so Parse has nothing left to do.
func NewObjectEvent(req *Request, provider domain.Provider, sends, object string) (*Result, map[string]json.RawMessage, error) {
	ev, err := NewEvent(req, provider, sends)
	if err != nil {
		return nil, nil, err
	}
	o := payload.Object(json.RawMessage(ev.Payload))
	if o == nil {
		ev.Reason = fmt.Sprintf("body is a JSON %s, not a %s", payload.Kind(ev.Payload), object)
	}
	return &Result{Events: []*domain.Event{ev}}, o, nil
}

// BodyKey is the dedupe key of a delivery without a usable id: a
// redelivery is byte-identical, so the body's hash is as stable as an id.
// Its form is stored with every such event and must never change, or
// redeliveries after an upgrade would be stored twice.
func BodyKey(provider domain.Provider, body []byte) string {
	return KeyPrefix(provider) + "sha256:" + payload.SHA256(body)
}

// KeyPrefix starts every dedupe key of provider's events, so that keys of
// different providers never collide in the store's one unique index.
func KeyPrefix(provider domain.Provider) string {
	return strings.ToLower(string(provider)) + ":"
}
