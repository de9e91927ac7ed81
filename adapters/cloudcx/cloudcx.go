// Package cloudcx translates CloudCX (Cloudfon) Inbox Tickets webhooks into
// the unified model.
//
// CloudCX payloads are thin: flat JSON naming the event and the ids it is
// about, with no timestamp and no event id. Every event therefore occurs
// when it is received, and is keyed on the ids it carries (see DedupeKey in
// each translation). CloudCX documents no signature: deliveries are
// authenticated by the unguessable ingest URL and the subscription's
// Basic/Token authorization, which ingest checks before the adapter runs.
package cloudcx

import (
	"fmt"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// Adapter is the CloudCX adapter. It has no state: one value serves every
// subscription concurrently.
type Adapter struct{}

var _ adapters.Adapter = (*Adapter)(nil)

// New returns the CloudCX adapter.
func New() *Adapter { return &Adapter{} }

// Provider returns domain.ProviderCloudCX.
func (*Adapter) Provider() domain.Provider { return domain.ProviderCloudCX }

// SignsDeliveries reports false: CloudCX documents no request signing, so
// a subscription needs no generated secret.
func (*Adapter) SignsDeliveries() bool { return false }

// Verify accepts every delivery. With no signature to check, rejecting on
// a secret would refuse every genuine delivery; authentication is the
// unguessable URL plus Basic/Token, which ingest checks.
func (*Adapter) Verify(*adapters.Request, string) error { return nil }

// keyPrefix starts the dedupe keys of this provider's events.
var keyPrefix = adapters.KeyPrefix(domain.ProviderCloudCX)

// Parse translates one delivery into exactly one event. Only a body that is
// not JSON is refused: valid JSON that is not a CloudCX event becomes an
// OTHER event whose Reason says what was missing, so nothing is lost.
func (a *Adapter) Parse(req *adapters.Request) (*adapters.Result, error) {
	// CloudCX sends no timestamp: the receipt stays the event's time.
	ev, err := adapters.NewEvent(req, domain.ProviderCloudCX, "a CloudCX delivery is a JSON event object")
	if err != nil {
		return nil, err
	}
	translate(ev, ev.Payload)
	return &adapters.Result{Events: []*domain.Event{ev}}, nil
}

// translate fills ev from the body. It leaves ev an OTHER event with a
// Reason whenever the body is not an event it understands.
func translate(ev *domain.Event, body []byte) {
	if k := payload.Kind(body); k != "object" {
		ev.Reason = fmt.Sprintf("body is a JSON %s, not a CloudCX event object", k)
		return
	}
	f := payload.Object(body)
	if f == nil {
		// Unreachable for a valid object; kept so that no body can slip
		// through without a Reason.
		ev.Reason = "body is not a CloudCX event object"
		return
	}
	name, known, reason := eventName(f["event"])
	if reason != "" {
		ev.Reason = reason
		return
	}
	ev.ProviderEventType = name
	if !known {
		ev.Reason = "event " + payload.Quote(name) + " is not a CloudCX event this gateway knows"
		// Still link it to its ticket, so it shows in the ticket's history.
		if id, ok := payload.ID(f["ticketId"]); ok {
			ev.Conversation = ticket(id)
		}
		return
	}
	m := events[name]
	key, reason := m.translate(ev, name, f)
	if reason != "" {
		ev.Reason = reason
		return
	}
	ev.Type = m.typ
	ev.DedupeKey = key
}
