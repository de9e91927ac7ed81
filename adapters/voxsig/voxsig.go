// Package voxsig translates the webhooks of Voxsig, a Chatwoot-compatible
// helpdesk, into the unified model and verifies their optional signature.
//
// Voxsig sends Chatwoot's payloads: the event name in "event" beside the
// object it concerns (a conversation, a message, a contact, an inbox),
// numeric ids that are unique only within an account, no event id, no
// retries, and timestamps in several formats within one payload. Fields are
// read through json.RawMessage and the payload package so that a field of an
// unexpected type or format costs that fact only, never the delivery.
package voxsig

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receive time: wide enough for clock skew and a slow queue at the sender,
// narrow enough that a captured delivery cannot be replayed for long.
const DefaultTolerance = 5 * time.Minute

// keyPrefix starts the dedupe keys of this provider's events.
var keyPrefix = adapters.KeyPrefix(domain.ProviderVoxsig)

// Adapter is the Voxsig adapter. Its only field is configuration set before
// use, so one value serves every subscription concurrently.
type Adapter struct {
	// Tolerance bounds the age (and the lead) of a signature's timestamp
	// against the request's receive time; zero or less means
	// DefaultTolerance.
	Tolerance time.Duration
}

var _ adapters.Adapter = (*Adapter)(nil)

// New returns the Voxsig adapter with the default signature tolerance.
func New() *Adapter { return &Adapter{Tolerance: DefaultTolerance} }

// Provider returns domain.ProviderVoxsig.
func (*Adapter) Provider() domain.Provider { return domain.ProviderVoxsig }

// SignsDeliveries reports false: old Voxsig installs do not sign, so a
// subscription gets a secret only when the user supplies one.
func (*Adapter) SignsDeliveries() bool { return false }

// obj is a decoded JSON object whose values are read lazily and leniently.
type obj = map[string]json.RawMessage

// Parse translates one delivery into exactly one event. Only a body that is
// not JSON is refused: valid JSON that is not a Voxsig event becomes an
// OTHER event whose Reason says what was missing, so nothing is lost.
func (a *Adapter) Parse(req *adapters.Request) (*adapters.Result, error) {
	res, o, err := adapters.NewObjectEvent(req, domain.ProviderVoxsig, "a Voxsig delivery is a JSON event object", "Voxsig event object")
	if err != nil || o == nil {
		return res, err
	}
	ev := res.Events[0]
	name, known, reason := eventName(o["event"])
	ev.ProviderEventType = name
	if !known {
		ev.Reason = reason
		if t, ok := firstTime(o, "updated_at", "created_at", "timestamp"); ok {
			ev.OccurredAt = t
		}
		return res, nil
	}
	spec := specs[name]
	switch spec.kind {
	case kindConversation:
		conversationEvent(ev, name, spec, o)
	case kindMessage:
		messageEvent(ev, name, spec, o)
	case kindContact:
		contactEvent(ev, name, spec, o)
	case kindTyping:
		typingEvent(ev, name, spec, o)
	case kindWidget:
		widgetEvent(ev, o)
	case kindInbox:
		inboxEvent(ev, name, spec, o)
	case kindAutomation:
		automationEvent(ev, name, spec, o)
	}
	return res, nil
}

// conversationEvent handles the events whose payload is the conversation
// itself: created, updated, status changed and the deprecated resolved and
// opened.
func conversationEvent(ev *domain.Event, name string, spec eventSpec, o obj) {
	conv, account, changed := conversationPayload(ev, name, spec, o)
	if conv == nil {
		return
	}
	ev.Type = spec.typ
	if name == "conversation_updated" {
		ev.Type = updatedType(changed)
	}
	ev.DedupeKey = objectKey(ev.DedupeKey, account, name, conv.ExternalID, spec, o, changed)
	if name == "conversation_created" {
		ev.FactKey = creationFact(account, conv.ExternalID)
	}
}

// conversationPayload reads a payload that is the conversation itself:
// when it occurred, the conversation's facts with the status the event
// name implies (set on ev), its account and its changed attributes. The
// conversation is nil, and ev's Reason says why, when it has no id.
func conversationPayload(ev *domain.Event, name string, spec eventSpec, o obj) (*domain.ConversationUpdate, string, obj) {
	changed := changedAttributes(o)
	account := accountOf(o, o)
	setOccurred(ev, updatedAt(o, changed), o["timestamp"], o["created_at"])
	conv := conversationUpdate(o, account, changed)
	if conv == nil {
		ev.Reason = name + " has no conversation id (display id): the conversation cannot be identified"
		return nil, account, changed
	}
	ev.Conversation = conv
	if spec.status != "" {
		conv.Status = spec.status
		conv.ProviderStatus = providerStatusOf(spec.status)
	}
	return conv, account, changed
}

// automationEvent handles the deliveries of automation rules, whose
// payload is the conversation whatever the trigger. Each becomes the event
// its account webhook counterpart would be, keyed so that the same fact
// through either way is one event, whichever comes first: a creation by
// its fact key, an update by the counterpart's own key (the same snapshot
// is the same fact; a rule's actions that changed the conversation before
// it sent make a newer one).
func automationEvent(ev *domain.Event, name string, spec eventSpec, o obj) {
	conv, account, changed := conversationPayload(ev, name, spec, o)
	if conv == nil {
		return
	}
	switch spec.counterpart {
	case "message_created":
		// The rule sends the conversation's last chat message, which is
		// the one that triggered it.
		var first obj
		if list := payload.Array(o["messages"]); len(list) > 0 {
			first = payload.Object(list[0])
		}
		if setMessage(ev, name, spec, first, account, " in messages[0]") {
			setOccurred(ev, first["created_at"])
			ev.DedupeKey = ev.FactKey
		}
	case "conversation_created":
		ev.Type = spec.typ
		ev.FactKey = creationFact(account, conv.ExternalID)
		ev.DedupeKey = ev.FactKey
	default:
		ev.Type = spec.typ
		ev.DedupeKey = objectKey(ev.DedupeKey, account, spec.counterpart, conv.ExternalID, spec, o, changed)
	}
}

// messageFact and creationFact are the fact keys of a new message and of a
// new conversation, which Voxsig reports through account webhooks and
// through automation rules alike. Their shape is one no dedupe key has
// ("message" and "conversation" are no event names), so they name nothing
// else.
func messageFact(account, id string) string { return "voxsig:" + account + ":message:" + id }

func creationFact(account, id string) string {
	return "voxsig:" + account + ":conversation:" + id + ":created"
}

// updatedType refines conversation_updated by what changed: the unified
// model has a type of its own for assignment and tagging.
func updatedType(changed obj) domain.EventType {
	switch {
	case has(changed, "assignee_id", "assignee"):
		return domain.EventConversationAssigned
	case has(changed, "label_list", "labels"):
		return domain.EventConversationTagged
	}
	return domain.EventConversationUpdated
}

// messageEvent handles message_created and message_updated, whose payload
// is the message with its conversation nested.
func messageEvent(ev *domain.Event, name string, spec eventSpec, o obj) {
	convObj := payload.Object(o["conversation"])
	account := accountOf(o, convObj)
	if spec.update {
		setOccurred(ev, o["updated_at"], o["created_at"])
	} else {
		setOccurred(ev, o["created_at"])
	}
	if convObj != nil {
		ev.Conversation = conversationUpdate(convObj, account, changedAttributes(convObj))
	}
	if setMessage(ev, name, spec, o, account, "") {
		ev.DedupeKey = objectKey(ev.DedupeKey, account, name, ev.Message.ExternalID, spec, o, nil)
	}
}

// setMessage records the message m (found where says) of a message event:
// a new private message is a note, and a new message carries its fact
// key. It reports false, with ev's Reason set, when m has no id.
func setMessage(ev *domain.Event, name string, spec eventSpec, m obj, account, where string) bool {
	msg := message(m, account)
	if msg == nil {
		ev.Reason = name + " has no message id" + where + ": the message cannot be identified"
		return false
	}
	ev.Message, ev.Type = msg, spec.typ
	if spec.typ == domain.EventMessageCreated {
		if msg.Private {
			ev.Type = domain.EventNoteAdded
		}
		ev.FactKey = messageFact(account, msg.ExternalID)
	}
	return true
}

// contactEvent handles contact_created and contact_updated, whose payload
// is the contact.
func contactEvent(ev *domain.Event, name string, spec eventSpec, o obj) {
	changed := changedAttributes(o)
	account := accountOf(o, nil)
	setOccurred(ev, updatedAt(o, changed), o["created_at"])
	p := person(o, domain.RoleContact, account)
	if p == nil {
		ev.Reason = name + " has no contact id: the contact cannot be identified"
		return
	}
	ev.Type = spec.typ
	ev.Contacts = []*domain.Person{p}
	ev.DedupeKey = objectKey(ev.DedupeKey, account, name, p.ExternalID, spec, o, changed)
}

// typingEvent handles conversation_typing_on and _off. They carry no id
// and no time of their own, so the key stays the body's hash: a redelivery
// is byte-identical, and two typing bursts differ at least in who typed or
// where.
func typingEvent(ev *domain.Event, name string, spec eventSpec, o obj) {
	convObj := payload.Object(o["conversation"])
	if convObj == nil {
		ev.Reason = name + " has no conversation: there is nothing to attach the typing indicator to"
		return
	}
	conv := conversationUpdate(convObj, accountOf(o, convObj), changedAttributes(convObj))
	if conv == nil {
		ev.Reason = name + " has no conversation id (display id): the conversation cannot be identified"
		return
	}
	ev.Type = spec.typ
	ev.Conversation = conv
}

// widgetEvent handles webwidget_triggered: the payload is the contact's
// inbox link (id, source_id) with the conversation the widget resumes, if
// any. A visitor without a conversation yet is still a widget opening.
func widgetEvent(ev *domain.Event, o obj) {
	const name = "webwidget_triggered"
	convObj := payload.Object(o["current_conversation"])
	account := accountOf(o, convObj)
	ev.Type = domain.EventWidgetOpened
	var initiated json.RawMessage
	if info := payload.Object(o["event_info"]); info != nil {
		if at := payload.Object(info["initiated_at"]); at != nil {
			initiated = at["timestamp"]
		}
	}
	setOccurred(ev, initiated)
	if convObj != nil {
		ev.Conversation = conversationUpdate(convObj, account, changedAttributes(convObj))
	}
	id, okID := payload.ID(o["id"])
	source, okSource := payload.ID(o["source_id"])
	if (okID || okSource) && !payload.IsNull(initiated) {
		ev.DedupeKey = keyPrefix + account + ":" + name + ":" + id + ":" + source + ":" + stampText(initiated)
	}
}

// inboxEvent handles inbox_created and inbox_updated: known and kept, but
// an inbox is configuration, not a conversation, contact or message, so
// the unified model has no type for it.
func inboxEvent(ev *domain.Event, name string, spec eventSpec, o obj) {
	changed := changedAttributes(o)
	account := accountOf(o, nil)
	setOccurred(ev, updatedAt(o, changed), o["created_at"])
	ev.Type = spec.typ // OTHER, without a Reason: the event is understood
	if id, ok := payload.ID(o["id"]); ok {
		ev.DedupeKey = objectKey(ev.DedupeKey, account, name, id, spec, o, changed)
	}
}

// objectKey builds "voxsig:<account>:<event>:<object id>:<stamp>" where the
// stamp is the object's updated_at as sent. An update event without
// updated_at keeps fallback (the body's hash): keyed on created_at or
// timestamp, two different updates of one object would share a key and the
// second would be dropped as a duplicate. A create event happens once per
// object, so created_at, timestamp or even no stamp identify it.
func objectKey(fallback, account, name, id string, spec eventSpec, o, changed obj) string {
	stamp := updatedAt(o, changed)
	if payload.IsNull(stamp) && spec.update {
		return fallback
	}
	if payload.IsNull(stamp) {
		stamp = first(o, "created_at", "timestamp")
	}
	return keyPrefix + account + ":" + name + ":" + id + ":" + stampText(stamp)
}

// stampText is a timestamp as sent, for keys: the string's text or the
// number's literal, so that no parsing (or failure to parse) can make a
// redelivery's key differ.
func stampText(raw json.RawMessage) string {
	if payload.IsNull(raw) {
		return ""
	}
	if s, ok := payload.String(raw); ok {
		return payload.Key(strings.TrimSpace(s))
	}
	return payload.Key(strings.TrimSpace(string(raw)))
}

// setOccurred sets OccurredAt from the first candidate that parses; a
// timestamp that does not parse leaves the receive time in place.
func setOccurred(ev *domain.Event, candidates ...json.RawMessage) {
	for _, raw := range candidates {
		if t, ok := payload.Time(raw); ok {
			ev.OccurredAt = t
			return
		}
	}
}

// firstTime returns the first of fields in o that parses as a time.
func firstTime(o obj, fields ...string) (time.Time, bool) {
	for _, f := range fields {
		if t, ok := payload.Time(o[f]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// first returns the first of fields in o that is present and not null.
func first(o obj, fields ...string) json.RawMessage {
	for _, f := range fields {
		if !payload.IsNull(o[f]) {
			return o[f]
		}
	}
	return nil
}

// updatedAt is the object's updated_at, or, when an older install left it
// out, the current value of updated_at among the changed attributes: both
// say when this change was made.
func updatedAt(o, changed obj) json.RawMessage {
	if !payload.IsNull(o["updated_at"]) {
		return o["updated_at"]
	}
	if ch := payload.Object(changed["updated_at"]); ch != nil && !payload.IsNull(ch["current_value"]) {
		return ch["current_value"]
	}
	return nil
}

// changedAttributes reads changed_attributes, documented as a list of
// one-key objects ({"status": {"previous_value", "current_value"}}); a
// single object of the same entries is accepted too. Later entries win.
func changedAttributes(o obj) obj {
	raw := o["changed_attributes"]
	if m := payload.Object(raw); m != nil {
		return m
	}
	out := obj{}
	for _, item := range payload.Array(raw) {
		for k, v := range payload.Object(item) {
			out[k] = v
		}
	}
	return out
}

func has(m obj, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// accountOf finds the account that scopes the payload's ids: Chatwoot puts
// it in account_id on conversations, in account.id on messages and
// contacts, and on each of a conversation's messages. "" when none says.
func accountOf(top, conv obj) string {
	for _, o := range []obj{top, conv} {
		if o == nil {
			continue
		}
		if id, ok := payload.ID(o["account_id"]); ok {
			return id
		}
		if acc := payload.Object(o["account"]); acc != nil {
			if id, ok := payload.ID(acc["id"]); ok {
				return id
			}
		}
	}
	if conv != nil {
		for _, m := range payload.Array(conv["messages"]) {
			if id, ok := payload.ID(payload.Object(m)["account_id"]); ok {
				return id
			}
		}
	}
	return ""
}
