package cloudcx

import (
	"encoding/json"
	"strings"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// The event names CloudCX sends, as users put them in subscribedEvents.
const (
	TicketCreated          = "TicketCreated"
	TicketFromUserReply    = "TicketFromUserReply"
	TicketAgentReply       = "TicketAgentReply"
	TicketAssigneeChanged  = "TicketAssigneeChanged"
	TicketStatusChanged    = "TicketStatusChanged"
	TicketMoveToRecycleBin = "TicketMoveToRecycleBin"
	ContactCreated         = "ContactCreated"
	ContactUpdated         = "ContactUpdated"
	ContactDeleted         = "ContactDeleted"
)

// RecycleBinStatus is the ProviderStatus of a ticket moved to the recycle
// bin: CloudCX sends no status value there, and a ticket restored later
// gets its real status from the next TicketStatusChanged.
const RecycleBinStatus = "RecycleBin"

// translation is what one CloudCX event means. translate sets the event's
// facts and returns its dedupe key, or a Reason when the payload lacks what
// the event needs (the event then stays OTHER under the body's hash).
type translation struct {
	typ       domain.EventType
	translate func(ev *domain.Event, name string, f map[string]json.RawMessage) (key, reason string)
}

var events = map[string]translation{
	TicketCreated:          {domain.EventConversationCreated, ticketOnly},
	TicketFromUserReply:    {domain.EventMessageCreated, reply(domain.DirectionInbound)},
	TicketAgentReply:       {domain.EventMessageCreated, reply(domain.DirectionOutbound)},
	TicketAssigneeChanged:  {domain.EventConversationAssigned, assigneeChanged},
	TicketStatusChanged:    {domain.EventConversationStatusChanged, statusChanged},
	TicketMoveToRecycleBin: {domain.EventConversationDeleted, movedToRecycleBin},
	ContactCreated:         {domain.EventContactCreated, contactsChanged(false)},
	ContactUpdated:         {domain.EventContactUpdated, contactsChanged(true)},
	ContactDeleted:         {domain.EventContactDeleted, contactsDeleted},
}

// byFoldedName finds a known event whatever its spelling, so that
// "ticket_created" or "TICKETCREATED" is not turned into OTHER and is
// stored under the one name subscriptions filter on.
var byFoldedName = func() map[string]string {
	m := make(map[string]string, len(events))
	for name := range events {
		m[fold(name)] = name
	}
	return m
}()

// fold reduces a name or status to lower-case letters and digits, so that
// case and separators do not make a known value unknown.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// eventName reads the "event" field. It returns the canonical name of a
// known event, the name as sent for an unknown one, or a reason when the
// field holds no name at all.
func eventName(raw json.RawMessage) (name string, known bool, reason string) {
	if payload.IsNull(raw) {
		return "", false, "event is missing: a CloudCX delivery names its event"
	}
	s, ok := payload.String(raw)
	if !ok {
		return "", false, "event is not a string"
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", false, "event is empty"
	case !payload.IsName(s, payload.MaxNameLen, false):
		return "", false, "event is not an event name: " + payload.Quote(payload.Clean(s))
	}
	if n, ok := byFoldedName[fold(s)]; ok {
		return n, true, ""
	}
	return s, false, ""
}

// ticket is the conversation update every ticket event carries. Ticket ids
// are UUIDs, unique across accounts, so no Account scopes them.
func ticket(id string) *domain.ConversationUpdate {
	return &domain.ConversationUpdate{ExternalID: id, Kind: domain.KindTicket}
}

// ticketID reads ticketId and attaches the ticket to ev, or returns why
// it cannot.
func ticketID(ev *domain.Event, name string, f map[string]json.RawMessage) (id, reason string) {
	raw := f["ticketId"]
	id, ok := payload.ID(raw)
	switch {
	case ok:
		ev.Conversation = ticket(id)
		return id, ""
	case payload.IsNull(raw):
		return "", "ticketId is missing: a " + name + " event names its ticket"
	}
	return "", "ticketId is not an id: a " + name + " event names its ticket by a string id"
}

func ticketOnly(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
	id, reason := ticketID(ev, name, f)
	if reason != "" {
		return "", reason
	}
	return keyPrefix + name + ":" + id, ""
}

// reply translates the two reply events. CloudCX sends the message id
// only; its content has to be fetched from CloudCX's API.
func reply(dir domain.MessageDirection) func(*domain.Event, string, map[string]json.RawMessage) (string, string) {
	return func(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
		id, reason := ticketID(ev, name, f)
		if reason != "" {
			return "", reason
		}
		mid, ok := payload.ID(f["messageId"])
		if !ok {
			return "", "messageId is missing or not an id: a " + name + " event names the message"
		}
		ev.Message = &domain.Message{ExternalID: mid, Direction: dir}
		return keyPrefix + name + ":" + id + ":" + mid, ""
	}
}

// assigneeChanged reads fromAgentId and toAgentId. A null or absent
// toAgentId is an unassignment; fromAgentId only tells redeliveries apart
// from a later change.
func assigneeChanged(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
	id, reason := ticketID(ev, name, f)
	if reason != "" {
		return "", reason
	}
	to, ok := keyPart(f["toAgentId"])
	if !ok {
		return "", "toAgentId is not an agent id: a " + name + " event names the new assignee, or null"
	}
	from, _ := keyPart(f["fromAgentId"])
	if to == "" {
		ev.Conversation.Unassigned = true
	} else {
		ev.Conversation.Assignee = &domain.Person{
			Provider: domain.ProviderCloudCX, ExternalID: to, Role: domain.RoleAgent,
		}
	}
	return keyPrefix + name + ":" + id + ":" + from + ">" + to, ""
}

// keyPart reads an optional id: "" for null or absent. Any other value that
// is not an id is reported with ok false.
func keyPart(raw json.RawMessage) (id string, ok bool) {
	if payload.IsNull(raw) {
		return "", true
	}
	return payload.ID(raw)
}

// statusChanged maps afterTicketStatus; beforeTicketStatus only tells
// redeliveries apart from a later change.
func statusChanged(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
	id, reason := ticketID(ev, name, f)
	if reason != "" {
		return "", reason
	}
	after, ok := statusValue(f["afterTicketStatus"])
	if !ok {
		return "", "afterTicketStatus is missing or not a status: a " + name + " event gives the new status"
	}
	before, _ := statusValue(f["beforeTicketStatus"])
	ev.Conversation.Status = statusOf(after)
	ev.Conversation.ProviderStatus = after
	return keyPrefix + name + ":" + id + ":" + payload.Key(before) + ">" + payload.Key(after), ""
}

// statusValue reads a status as CloudCX sent it, cleaned to be storable. A
// number is kept as its literal: an enum sent as a code is still a status.
func statusValue(raw json.RawMessage) (string, bool) {
	s, ok := payload.String(raw)
	if !ok {
		if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
			return string(raw), true
		}
		return "", false
	}
	s = payload.Clean(s)
	if strings.TrimSpace(s) == "" {
		return "", false
	}
	return s, true
}

// statuses maps CloudCX's ticket statuses, folded. Only PendingExternal
// and Resolved are confirmed; the rest are the names CloudCX's ticket
// views and common helpdesk vocabulary use.
var statuses = map[string]domain.ConversationStatus{
	"open":            domain.StatusOpen,
	"new":             domain.StatusOpen,
	"reopened":        domain.StatusOpen,
	"pending":         domain.StatusPending,
	"pendingexternal": domain.StatusPending,
	"pendinginternal": domain.StatusPending,
	"waiting":         domain.StatusPending,
	"onhold":          domain.StatusPending,
	"resolved":        domain.StatusResolved,
	"solved":          domain.StatusResolved,
	"closed":          domain.StatusClosed,
	"deleted":         domain.StatusDeleted,
	"trash":           domain.StatusDeleted,
}

// statusOf maps a CloudCX status; one it does not know is UNKNOWN, with
// the raw value kept in ProviderStatus for a later mapping.
func statusOf(s string) domain.ConversationStatus {
	if st, ok := statuses[fold(s)]; ok {
		return st
	}
	return domain.StatusUnknown
}

func movedToRecycleBin(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
	key, reason := ticketOnly(ev, name, f)
	if reason != "" {
		return "", reason
	}
	ev.Conversation.Status = domain.StatusDeleted
	ev.Conversation.ProviderStatus = RecycleBinStatus
	return key, ""
}
