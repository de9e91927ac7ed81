package voxsig

import (
	"encoding/json"
	"strings"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// conversationUpdate reads a Chatwoot conversation object. It returns nil
// when there is no usable id: facts about no conversation cannot be kept.
// changed is the payload's changed_attributes, a fallback for a snapshot
// that lacks the status or the labels.
func conversationUpdate(c obj, account string, changed obj) *domain.ConversationUpdate {
	// display_id is what agents see and what conversation payloads call
	// id; a message's nested conversation may carry both, and then id can
	// be the internal row id.
	id, ok := payload.ID(c["display_id"])
	if !ok {
		id, ok = payload.ID(c["id"])
	}
	if !ok {
		return nil
	}
	u := &domain.ConversationUpdate{Account: account, ExternalID: id, Kind: domain.KindConversation}

	raw := c["status"]
	if payload.IsNull(raw) {
		raw = current(changed, "status")
	}
	if status, ok := payload.ID(raw); ok { // a string, or the enum's index
		u.Status = statusOf(status)
		u.ProviderStatus = status
	}
	u.Channel = payload.Text(c["channel"])
	u.Inbox, _ = payload.ID(c["inbox_id"])
	if attrs := payload.Object(c["additional_attributes"]); attrs != nil {
		u.Subject = payload.Text(attrs["mail_subject"]) // email inboxes only
	}
	if t, ok := payload.Time(c["created_at"]); ok {
		u.CreatedAt = t
	}

	meta := payload.Object(c["meta"])
	u.Requester = person(payload.Object(meta["sender"]), domain.RoleContact, account)
	if raw, present := meta["assignee"]; present && payload.IsNull(raw) {
		u.Unassigned = true
	} else {
		u.Assignee = person(payload.Object(raw), domain.RoleAgent, account)
	}
	if u.Assignee == nil && !u.Unassigned && has(changed, "assignee_id") && payload.IsNull(current(changed, "assignee_id")) {
		u.Unassigned = true // unassigned, in a payload without meta.assignee
	}

	labels := payload.Array(c["labels"])
	if labels == nil {
		labels = payload.Array(current(changed, "label_list"))
	}
	if labels != nil {
		u.Tags, u.TagsKnown = make([]string, 0, len(labels)), true
		for _, l := range labels {
			if s := strings.TrimSpace(payload.Text(l)); s != "" {
				u.Tags = append(u.Tags, s)
			}
		}
	}
	return u
}

// current returns the current_value of a changed attribute, or nil.
func current(changed obj, attr string) json.RawMessage {
	return payload.Object(changed[attr])["current_value"]
}

// personFields are where Chatwoot puts a person's details: a contact has
// name, email, phone_number and its picture as avatar (webhook data) or
// thumbnail (conversation and message data); a user (an agent) has name,
// available_name, email and avatar_url or thumbnail.
var personFields = payload.PersonFields{
	Name:   []string{"name", "available_name"},
	Email:  []string{"email"},
	Phones: []payload.PhoneField{{Name: "phone_number", Kind: domain.PhoneUnspecified}},
	Avatar: []string{"avatar", "avatar_url", "thumbnail"},
}

// person reads a Chatwoot contact or user. It returns nil without an id,
// which is what the projections key people on.
func person(p obj, role domain.PersonRole, account string) *domain.Person {
	id, ok := payload.ID(p["id"])
	if !ok {
		return nil
	}
	out := &domain.Person{Provider: domain.ProviderVoxsig, Account: account, ExternalID: id, Role: role}
	payload.ReadPerson(out, p, &personFields)
	// A contact's company is one of its additional attributes.
	out.Company = payload.Trimmed(payload.Field(payload.Object(p["additional_attributes"]), "company_name", "company"))
	return out
}

// messageTypes maps message_type, a string in message events and an
// integer (the enum's index) inside conversation.messages[].
var messageTypes = map[string]domain.MessageDirection{
	"incoming": domain.DirectionInbound, "0": domain.DirectionInbound,
	"outgoing": domain.DirectionOutbound, "1": domain.DirectionOutbound,
	"activity": domain.DirectionInternal, "2": domain.DirectionInternal,
	"template": domain.DirectionOutbound, "3": domain.DirectionOutbound,
}

// systemAuthor stands for Voxsig itself, the author of activity messages
// ("Conversation was resolved by ..."), which come without a sender. Real
// ids are integers, so this one cannot collide with a person's.
const systemAuthor = "system"

// message reads a Chatwoot message. It returns nil without an id.
func message(m obj, account string) *domain.Message {
	id, ok := payload.ID(m["id"])
	if !ok {
		return nil
	}
	kind, _ := payload.ID(m["message_type"])
	kind = strings.ToLower(kind)
	dir, known := messageTypes[kind]
	private, _ := payload.Bool(m["private"])
	msg := &domain.Message{
		ExternalID:  id,
		Private:     private,
		Content:     payload.Text(m["content"]),
		ContentType: payload.Text(m["content_type"]),
		Author:      author(sender(m), kind, account),
	}
	switch {
	case private:
		msg.Direction = domain.DirectionInternal
	case known:
		msg.Direction = dir
	case msg.Author != nil && msg.Author.Role == domain.RoleContact:
		msg.Direction = domain.DirectionInbound
	case msg.Author != nil && msg.Author.Role == domain.RoleAgent:
		msg.Direction = domain.DirectionOutbound
	}
	// Otherwise the direction stays "": an unreadable type without a
	// sender to judge by is unknown, not a guess.
	if t, ok := payload.Time(m["created_at"]); ok {
		msg.CreatedAt = t
	}
	if t, ok := payload.Time(m["updated_at"]); ok {
		msg.UpdatedAt = t
	}
	return msg
}

// sender is a message's sender object. A message inside a conversation's
// messages[] may name its sender only by sender_type ("Contact", "User",
// "AgentBot") and sender_id: that is a sender with an id and a type too.
func sender(m obj) obj {
	if s := payload.Object(m["sender"]); s != nil {
		return s
	}
	id, typ := m["sender_id"], strings.ToLower(payload.Trimmed(m["sender_type"]))
	if _, ok := payload.ID(id); !ok || typ == "" {
		return nil
	}
	t, _ := json.Marshal(typ)
	return obj{"id": id, "type": t}
}

// author reads a message's sender: type "contact" is the customer, "user"
// an agent, anything else (agent_bot, captain_assistant) a system author.
// A sender without a type is judged by the message type.
func author(s obj, messageType, account string) *domain.Person {
	role := domain.RoleSystem
	switch strings.ToLower(strings.TrimSpace(payload.Text(s["type"]))) {
	case "contact":
		role = domain.RoleContact
	case "user":
		role = domain.RoleAgent
	case "":
		switch messageTypes[messageType] {
		case domain.DirectionInbound:
			role = domain.RoleContact
		case domain.DirectionOutbound:
			role = domain.RoleAgent
		}
	}
	if p := person(s, role, account); p != nil {
		return p
	}
	if messageType == "activity" || messageType == "2" {
		return &domain.Person{Provider: domain.ProviderVoxsig, Account: account, ExternalID: systemAuthor, Role: domain.RoleSystem}
	}
	return nil
}
