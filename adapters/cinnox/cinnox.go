// Package cinnox translates CINNOX webhooks (enquiry notifications, call
// events and contact events) into the unified model and answers CINNOX's
// URL challenge.
//
// CINNOX sends no event name, no event id and no signature: an event is
// recognised by its shape, named after its status ("EnquiryOpened",
// "CallStart", "staffEdit") and keyed on the ids and status PROVIDERS.md
// gives. Fields are read through package payload because CINNOX documents
// types loosely and a field of an unexpected type must never cost the
// delivery.
package cinnox

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// keyPrefix starts the dedupe keys of this provider's events.
var keyPrefix = adapters.KeyPrefix(domain.ProviderCINNOX)

// Adapter is the CINNOX adapter. It has no state: one value serves every
// subscription concurrently.
type Adapter struct{}

var _ adapters.Adapter = (*Adapter)(nil)

// New returns the CINNOX adapter.
func New() *Adapter { return &Adapter{} }

// Provider returns domain.ProviderCINNOX.
func (*Adapter) Provider() domain.Provider { return domain.ProviderCINNOX }

// SignsDeliveries reports false: CINNOX documents no request signing, so a
// subscription needs no generated secret; the unguessable ingest URL and
// the optional Basic/Token authorization (checked by ingest) protect it.
func (*Adapter) SignsDeliveries() bool { return false }

// Verify always returns nil: there is no CINNOX signature to check, and
// refusing deliveries because a secret was configured would lose them all.
func (*Adapter) Verify(*adapters.Request, string) error { return nil }

// Parse translates one delivery. A URL challenge gets a Reply and no event;
// anything else that is JSON gives exactly one event, OTHER with a Reason
// when it is not a notification this adapter understands. Only a body that
// is not JSON is refused.
func (*Adapter) Parse(req *adapters.Request) (*adapters.Result, error) {
	res, top, err := adapters.NewObjectEvent(req, domain.ProviderCINNOX, "a CINNOX notification is a JSON object", "CINNOX notification object")
	if err != nil {
		return nil, err
	}
	if reply, ok := challengeReply(top); ok {
		return &adapters.Result{Reply: reply}, nil
	}
	if top != nil {
		translate(res.Events[0], top)
	}
	return res, nil
}

// challengeReply answers the URL verification CINNOX sends when a webhook
// URL is registered. Only a non-empty string challenge is one: an empty or
// non-string "challenge" beside other fields cannot be verified against
// anything, so that body is translated like any other.
func challengeReply(top map[string]json.RawMessage) ([]byte, bool) {
	c, ok := payload.String(top["challenge"])
	if !ok || c == "" {
		return nil, false
	}
	type result struct {
		Challenge string `json:"challenge"`
	}
	type reply struct {
		Code   int    `json:"code"`
		Result result `json:"result"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Unescaped <, > and & keep the echo readable; both forms decode to
	// the same string.
	enc.SetEscapeHTML(false)
	if enc.Encode(reply{Result: result{Challenge: c}}) != nil {
		return nil, false // unreachable for a string; the body is then kept as an event
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), true
}

// translate recognises the notification by its shape and fills ev.
func translate(ev *domain.Event, top map[string]json.RawMessage) {
	typ, _ := payload.String(top["type"])
	typ = strings.TrimSpace(typ)
	switch {
	case strings.EqualFold(typ, "inquiry"):
		enquiry(ev, top)
	case !payload.IsNull(top["message"]):
		message(ev, top["message"])
	case !payload.IsNull(top["eid"]) && !payload.IsNull(top["status"]):
		enquiry(ev, top)
	default:
		ev.Reason = unknownShape(top, typ)
	}
}

// unknownShape says why an object is none of the notifications CINNOX
// documents, naming the likeliest cause first.
func unknownShape(top map[string]json.RawMessage, typ string) string {
	const want = `it is neither an enquiry (type "inquiry", eid, status) nor a call or contact event (a message object)`
	if raw, ok := top["challenge"]; ok {
		if _, isStr := payload.String(raw); isStr {
			return "challenge is empty, so this is no URL verification, and " + want
		}
		return "challenge is not a string, so this is no URL verification, and " + want
	}
	if typ != "" {
		return "type " + payload.Quote(payload.Clean(typ)) + " is not a CINNOX notification this gateway knows: " + want
	}
	return "object has no field that names a CINNOX notification: " + want
}

// maxStatusLen bounds a status name; CINNOX's statuses are words with
// spaces between them, and no real one comes close.
const maxStatusLen = 64

// statusOf reads a status field: its trimmed text and, when it is not a
// usable name, a phrase saying why for a Reason.
func statusOf(raw json.RawMessage, field string) (status, problem string) {
	s, ok := payload.String(raw)
	s = strings.TrimSpace(s)
	switch {
	case payload.IsNull(raw):
		return "", field + " is missing"
	case !ok:
		return "", field + " is not a string"
	case s == "":
		return "", field + " is empty"
	case !payload.IsName(s, maxStatusLen, true):
		return "", field + " " + payload.Quote(payload.Clean(s)) + " is not a status name"
	}
	return s, ""
}

// rawKey is a field's value as it appears in a dedupe key: a string
// unchanged (hashed when long or not storable), another JSON value by its
// literal, which is just as stable across redeliveries; "" when absent.
func rawKey(raw json.RawMessage) string {
	if payload.IsNull(raw) {
		return ""
	}
	if s, ok := payload.String(raw); ok {
		return payload.Key(s)
	}
	return payload.Key(string(raw))
}

// keyText reads a value that identifies something but is not a record id
// (a social id, a phone number): trimmed text, or a number's literal. Unlike
// payload.ID it keeps leading zeros and "+", which matter in such values.
func keyText(raw json.RawMessage) string {
	if s, ok := payload.String(raw); ok {
		return payload.Clean(strings.TrimSpace(s))
	}
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return string(raw)
	}
	return ""
}
