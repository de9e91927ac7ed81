// Package dixa translates Dixa's conversation webhooks into the unified
// model and verifies their X-DIXA-SIGNATURE.
//
// Dixa delivers one event per request, may deliver it two or three times
// at once and out of order, so every event is keyed by its event_id and
// stamped with the time Dixa produced it. The payload is read through
// adapters/payload, field by field, because a field of an unexpected type
// must never cost the delivery.
package dixa

import (
	"encoding/json"
	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
	"strings"
)

// keyPrefix starts the dedupe keys of this provider's events.
var keyPrefix = adapters.KeyPrefix(domain.ProviderDixa)

// Adapter is the Dixa adapter. It has no state: one value serves every
// subscription concurrently.
type Adapter struct{}

var _ adapters.Adapter = (*Adapter)(nil)

// New returns the Dixa adapter.
func New() *Adapter { return &Adapter{} }

// Provider returns domain.ProviderDixa.
func (*Adapter) Provider() domain.Provider { return domain.ProviderDixa }

// SignsDeliveries reports true: Dixa signs every delivery with the
// subscription's secretKey, so each subscription needs one.
func (*Adapter) SignsDeliveries() bool { return true }

// Parse translates one delivery into exactly one event. Only a body that is
// not JSON is refused: valid JSON that is not a Dixa event, or a Dixa event
// without the ids its meaning hangs on, becomes an OTHER event whose Reason
// says what was missing, so nothing Dixa sends is lost.
func (a *Adapter) Parse(req *adapters.Request) (*adapters.Result, error) {
	res, env, err := adapters.NewObjectEvent(req, domain.ProviderDixa, "a Dixa delivery is a JSON event object", "Dixa event object")
	if err != nil || env == nil {
		return res, err
	}
	ev := res.Events[0]
	if id, ok := payload.ID(env["event_id"]); ok {
		ev.DedupeKey = keyPrefix + id
	}
	if t, ok := payload.Time(env["event_timestamp"]); ok {
		ev.OccurredAt = t
	}

	name, m, reason := readName(env["event_fqn"])
	if name != "" {
		ev.ProviderEventType = name
	}
	// The facts are read whatever the name says: an event Dixa adds later
	// still carries the conversation snapshot, and keeping it costs nothing.
	r := newReader(env)
	ev.Conversation = r.conversation(m.status)
	if reason == "" {
		reason = r.apply(m, ev)
	}
	if reason != "" {
		ev.Type, ev.Reason = domain.EventOther, reason
	} else {
		ev.Type = m.typ
	}
	return res, nil
}

// readName returns the event's name, its meaning, and why it cannot be
// translated ("" when it can). A documented name with no unified type
// (AgentBannedIp) is understood: it is OTHER without a reason.
func readName(raw json.RawMessage) (string, mapping, string) {
	fqn, ok := payload.String(raw)
	fqn = strings.TrimSpace(fqn)
	switch {
	case payload.IsNull(raw):
		return "", mapping{}, "event_fqn is missing"
	case !ok:
		return "", mapping{}, "event_fqn is not a string"
	case fqn == "":
		return "", mapping{}, "event_fqn is empty"
	case !payload.IsName(fqn, payload.MaxNameLen, false):
		return "", mapping{}, "event_fqn is not an event name: " + payload.Quote(fqn)
	}
	name, known := eventName(fqn)
	if !known {
		return name, mapping{}, "event_fqn " + payload.Quote(fqn) + " is not a Dixa event this gateway knows"
	}
	return name, mappings[name], ""
}
