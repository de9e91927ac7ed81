package dixa

import (
	"encoding/json"
	"strings"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// reader reads the facts of one delivery out of its data object. Every
// field is optional: what is missing or of the wrong type says nothing.
type reader struct {
	data map[string]json.RawMessage
	// conv is data.conversation, the snapshot Dixa attaches to every
	// conversation event.
	conv map[string]json.RawMessage
	// account is organization.id: csids and user ids are unique only
	// within one Dixa organisation.
	account string
}

func newReader(env map[string]json.RawMessage) *reader {
	r := &reader{data: payload.Object(env["data"])}
	r.conv = payload.Object(r.data["conversation"])
	r.account, _ = payload.ID(payload.Object(env["organization"])["id"])
	return r
}

// conversation reads data.conversation. It returns nil when there is no
// usable csid: without it the facts cannot be attached to anything.
// forced is the status implied by the event name.
func (r *reader) conversation(forced domain.ConversationStatus) *domain.ConversationUpdate {
	id, ok := payload.ID(r.conv["csid"])
	if !ok {
		return nil
	}
	u := &domain.ConversationUpdate{Account: r.account, ExternalID: id, Kind: domain.KindConversation}
	if s := strings.TrimSpace(payload.Text(r.conv["status"])); s != "" {
		u.ProviderStatus = s
		u.Status = statusOf(s)
	}
	if forced != "" {
		u.Status = forced
		u.ProviderStatus = string(forced)
	}
	u.Channel = payload.Text(r.conv["channel"])
	u.Subject = payload.Text(r.conv["subject"])
	u.Queue, _ = payload.ID(payload.Object(r.conv["queue"])["id"])
	// Where Dixa puts the operation origin is unconfirmed: read it from the
	// event data, then from the conversation.
	u.Origin = payload.Text(r.data["operation_origin"])
	if u.Origin == "" {
		u.Origin = payload.Text(r.conv["operation_origin"])
	}
	if t, ok := payload.Time(r.conv["created_at"]); ok {
		u.CreatedAt = t
	}
	u.Requester = r.person(r.conv["requester"], domain.RoleContact)
	// Only an explicit null unassigns: a snapshot without the key (or with
	// a garbled one) says nothing about the assignment.
	if raw, present := r.conv["assignee"]; present && payload.IsNull(raw) {
		u.Unassigned = true
	} else {
		u.Assignee = r.person(raw, domain.RoleAgent)
	}
	u.Tags, u.TagsKnown = tagSet(r.conv["tags"])
	return u
}

// apply adds the facts particular to m to ev and returns why the event
// cannot be translated, or "". An event about a conversation needs its
// csid; a note or message needs its id and a tag event its tag: without
// them the event's own meaning is lost, and OTHER with a reason says so.
func (r *reader) apply(m mapping, ev *domain.Event) string {
	c := ev.Conversation
	if m.conversation && c == nil {
		if r.conv == nil {
			return "data.conversation is missing: the event cannot be attached to a conversation"
		}
		return "data.conversation.csid is missing: the event cannot be attached to a conversation"
	}
	switch m.facts {
	case factsAssigned:
		// The snapshot is the newest word on the assignee; data.agent is
		// read only when the snapshot has none. An assignment never
		// unassigns, even when the snapshot predates it.
		if c.Assignee == nil {
			c.Unassigned = false
			c.Assignee = r.person(r.data["agent"], domain.RoleAgent)
		}
		if c.Assignee == nil {
			c.Assignee = r.person(r.data["assignee"], domain.RoleAgent)
		}
	case factsUnassigned:
		c.Assignee, c.Unassigned = nil, true
	case factsNote:
		id, ok := payload.ID(r.data["note_id"])
		if !ok {
			return "data.note_id is missing: the note cannot be recorded"
		}
		ev.Message = &domain.Message{
			ExternalID: id,
			Direction:  domain.DirectionInternal,
			Private:    true,
			Content:    payload.Text(r.data["text"]),
			Author:     r.author(r.data["author"], domain.DirectionInternal),
		}
		ev.Message.CreatedAt, _ = payload.Time(r.data["created_at"])
	case factsMessage:
		id, ok := payload.ID(r.data["message_id"])
		if !ok {
			return "data.message_id is missing: the message cannot be recorded"
		}
		content := payload.Object(r.data["content"])
		ev.Message = &domain.Message{
			ExternalID:  id,
			Direction:   directionOf(r.data["direction"]),
			Content:     payload.Text(content["text"]),
			ContentType: payload.Text(content["content_type"]),
		}
		if ev.Message.Direction == "" {
			ev.Message.Direction = directionOf(r.conv["direction"])
		}
		ev.Message.Author = r.author(r.data["author"], ev.Message.Direction)
		if ev.Message.Content == "" {
			ev.Message.Content = payload.Text(r.data["text"])
		}
		ev.Message.CreatedAt, _ = payload.Time(r.data["created_at"])
	case factsTagAdded, factsTagRemoved:
		tag := tagName(r.data["tag"])
		if tag == "" {
			return "data.tag is missing: the tag cannot be recorded"
		}
		if m.facts == factsTagAdded {
			c.TagsAdded = []string{tag}
		} else {
			c.TagsRemoved = []string{tag}
		}
	case factsDelivery:
		// A delivery report without its message still says something
		// about the conversation; the message id is optional.
		if id, ok := payload.ID(r.data["message_id"]); ok {
			ev.Message = &domain.Message{ExternalID: id}
		}
	case factsBan:
		// Where Dixa puts the end user is unconfirmed: the names it uses
		// elsewhere are tried in turn.
		for _, key := range []string{"enduser", "end_user", "user", "requester"} {
			if p := r.person(r.data[key], domain.RoleContact); p != nil {
				ev.Contacts = []*domain.Person{p}
				break
			}
		}
	}
	return ""
}

// userFields are where a Dixa user object keeps a person's details: Dixa
// documents name, email and phone only.
var userFields = payload.PersonFields{
	Name:   []string{"name"},
	Email:  []string{"email"},
	Phones: []payload.PhoneField{{Name: "phone", Kind: domain.PhoneUnspecified}},
}

// person reads a Dixa user {id, name, email, phone, roles, user_type} in
// the role its place implies. Without an id there is no one to record:
// nil.
func (r *reader) person(raw json.RawMessage, role domain.PersonRole) *domain.Person {
	o := payload.Object(raw)
	id, ok := payload.ID(o["id"])
	if !ok {
		return nil
	}
	p := &domain.Person{Provider: domain.ProviderDixa, Account: r.account, ExternalID: id, Role: role}
	payload.ReadPerson(p, o, &userFields)
	return p
}

// author reads the author of a note or a message of the given direction.
// The conversation's requester writes as the contact. Anyone else is what
// Dixa says (user_type or roles), and where Dixa says nothing, a member
// who writes a note or an outbound message in a conversation whose
// requester is another person writes as an agent.
func (r *reader) author(raw json.RawMessage, direction domain.MessageDirection) *domain.Person {
	o := payload.Object(raw)
	id, _ := payload.ID(o["id"])
	requester, _ := payload.ID(payload.Object(r.conv["requester"])["id"])
	role := roleOf(o)
	switch {
	case id != "" && id == requester:
		role = domain.RoleContact
	case role != "":
	case direction == domain.DirectionInternal || direction == domain.DirectionOutbound:
		role = domain.RoleAgent
	default:
		role = domain.RoleContact
	}
	return r.person(raw, role)
}

// roleOf tells members from end users by what the user says of itself:
// user_type Member or a member role (Agent, Admin, TeamLead, SystemAdmin)
// is an agent, user_type Contact or the role Enduser a contact. The seed's
// users carry roles only, so both count; "" when neither says.
func roleOf(user map[string]json.RawMessage) domain.PersonRole {
	switch strings.ToLower(payload.Trimmed(user["user_type"])) {
	case "member":
		return domain.RoleAgent
	case "contact", "enduser":
		return domain.RoleContact
	}
	role := domain.PersonRole("")
	for _, raw := range payload.Array(user["roles"]) {
		switch strings.ToLower(payload.Trimmed(raw)) {
		case "agent", "admin", "teamlead", "systemadmin":
			return domain.RoleAgent
		case "enduser":
			role = domain.RoleContact
		}
	}
	return role
}

// statusOf maps Dixa's conversation status. A value Dixa adds later is
// UNKNOWN, with ProviderStatus keeping it raw.
func statusOf(s string) domain.ConversationStatus {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "OPEN":
		return domain.StatusOpen
	case "PENDING":
		return domain.StatusPending
	case "CLOSED":
		return domain.StatusClosed
	}
	return domain.StatusUnknown
}

// directionOf reads a message's direction, which Dixa writes in lower case
// on messages and in upper case on conversations; anything else is "".
func directionOf(raw json.RawMessage) domain.MessageDirection {
	switch strings.ToUpper(strings.TrimSpace(payload.Text(raw))) {
	case "INBOUND":
		return domain.DirectionInbound
	case "OUTBOUND":
		return domain.DirectionOutbound
	}
	return ""
}

// tagName reads a tag given as its name or as {id, name}.
func tagName(raw json.RawMessage) string {
	if s, ok := payload.String(raw); ok {
		return strings.TrimSpace(payload.Clean(s))
	}
	return strings.TrimSpace(payload.Text(payload.Object(raw)["name"]))
}

// tagSet reads conversation.tags, the conversation's whole tag set. A set
// with an entry that has no name is not known: applying it would drop a
// tag the gateway could not read.
func tagSet(raw json.RawMessage) ([]string, bool) {
	list := payload.Array(raw)
	if list == nil {
		return nil, false
	}
	tags := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, t := range list {
		name := tagName(t)
		if name == "" {
			return nil, false
		}
		if !seen[name] {
			seen[name] = true
			tags = append(tags, name)
		}
	}
	return tags, true
}
