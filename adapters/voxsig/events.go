package voxsig

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// payloadKind says where an event's facts are in its payload.
type payloadKind int

const (
	// kindConversation: the payload is the conversation.
	kindConversation payloadKind = iota
	// kindMessage: the payload is a message, its conversation nested.
	kindMessage
	// kindContact: the payload is a contact.
	kindContact
	// kindTyping: {user, conversation, is_private}.
	kindTyping
	// kindWidget: a contact inbox with current_conversation and event_info.
	kindWidget
	// kindInbox: the payload is an inbox.
	kindInbox
	// kindAutomation: an automation rule's "Send webhook event" action;
	// the payload is the conversation, with its last chat message as
	// messages[0].
	kindAutomation
)

// eventSpec is what a Voxsig event means in the unified model.
type eventSpec struct {
	kind payloadKind
	typ  domain.EventType
	// status is implied by the event name itself (the deprecated
	// conversation_resolved and conversation_opened) and wins over the
	// snapshot's status field.
	status domain.ConversationStatus
	// update marks events that can happen many times to one object: their
	// dedupe key needs the object's updated_at.
	update bool
	// counterpart is the account webhook event that reports the same fact
	// as an automation event.
	counterpart string
}

// automationPrefix starts the event name of an automation rule's webhook:
// "automation_event." and the rule's trigger.
const automationPrefix = "automation_event."

// specs lists every event Voxsig (Chatwoot) sends, including the two names
// old installs still use and the triggers of automation rules.
var specs = map[string]eventSpec{
	"conversation_created":        {kind: kindConversation, typ: domain.EventConversationCreated},
	"conversation_updated":        {kind: kindConversation, typ: domain.EventConversationUpdated, update: true},
	"conversation_status_changed": {kind: kindConversation, typ: domain.EventConversationStatusChanged, update: true},
	"conversation_resolved": {kind: kindConversation, typ: domain.EventConversationStatusChanged,
		status: domain.StatusResolved, update: true},
	"conversation_opened": {kind: kindConversation, typ: domain.EventConversationStatusChanged,
		status: domain.StatusOpen, update: true},
	"message_created":         {kind: kindMessage, typ: domain.EventMessageCreated},
	"message_updated":         {kind: kindMessage, typ: domain.EventMessageUpdated, update: true},
	"webwidget_triggered":     {kind: kindWidget, typ: domain.EventWidgetOpened},
	"contact_created":         {kind: kindContact, typ: domain.EventContactCreated},
	"contact_updated":         {kind: kindContact, typ: domain.EventContactUpdated, update: true},
	"conversation_typing_on":  {kind: kindTyping, typ: domain.EventTypingStarted},
	"conversation_typing_off": {kind: kindTyping, typ: domain.EventTypingStopped},
	"inbox_created":           {kind: kindInbox, typ: domain.EventOther},
	"inbox_updated":           {kind: kindInbox, typ: domain.EventOther, update: true},

	automationPrefix + "message_created": {kind: kindAutomation, typ: domain.EventMessageCreated, counterpart: "message_created"},
	automationPrefix + "conversation_created": {kind: kindAutomation, typ: domain.EventConversationCreated,
		counterpart: "conversation_created"},
	automationPrefix + "conversation_updated": {kind: kindAutomation, typ: domain.EventConversationUpdated, update: true,
		counterpart: "conversation_updated"},
	// A rule on conversation_opened fires when a conversation's status
	// becomes open, which account webhooks report as
	// conversation_status_changed.
	automationPrefix + "conversation_opened": {kind: kindAutomation, typ: domain.EventConversationStatusChanged,
		status: domain.StatusOpen, update: true, counterpart: "conversation_status_changed"},
}

// EventNames lists the provider event names the adapter knows, sorted, for users
// picking subscribedEvents and for tests that must cover every one.
func EventNames() []string {
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// eventName reads the "event" field. A known name comes back in its
// canonical lower-case spelling; an unknown but name-like one is kept as
// sent so a new Voxsig event is stored under its real name; anything else
// is "unknown". reason says why the event is not known.
func eventName(raw json.RawMessage) (name string, known bool, reason string) {
	s, ok := payload.String(raw)
	s = strings.TrimSpace(s)
	switch {
	case payload.IsNull(raw):
		return "unknown", false, `the "event" field is missing: the payload does not say which Voxsig event it is`
	case !ok:
		return "unknown", false, `the "event" field is not a string`
	case s == "":
		return "unknown", false, `the "event" field is empty`
	case !payload.IsName(s, payload.MaxNameLen, false):
		return "unknown", false, `the "event" field is not an event name: ` + payload.Quote(s)
	}
	if _, ok := specs[strings.ToLower(s)]; ok {
		return strings.ToLower(s), true, ""
	}
	if strings.HasPrefix(strings.ToLower(s), automationPrefix) {
		// Rules on other objects (contacts, in some installs) send those
		// objects: what the body is cannot be told from the name.
		return s, false, "automation rule event " + payload.Quote(s) + " has a trigger this gateway does not know"
	}
	return s, false, "event " + payload.Quote(s) + " is not a Voxsig event this gateway knows"
}

// statusOf maps Chatwoot's conversation status, sent as its name or, like
// message_type, as the index of Chatwoot's enum (open 0, resolved 1,
// pending 2, snoozed 3). A value it does not know is UNKNOWN, with the raw
// value kept in ProviderStatus by the caller.
func statusOf(s string) domain.ConversationStatus {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "open", "0":
		return domain.StatusOpen
	case "resolved", "1":
		return domain.StatusResolved
	case "pending", "2":
		return domain.StatusPending
	case "snoozed", "3":
		return domain.StatusSnoozed
	}
	return domain.StatusUnknown
}

// providerStatusOf is Chatwoot's word for a status implied by an event
// name, so ProviderStatus reads the same as when the status field says it.
func providerStatusOf(s domain.ConversationStatus) string {
	return strings.ToLower(string(s))
}
