package cinnox

import (
	"encoding/json"
	"strings"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// enquiryStatus is what one documented enquiry status means.
type enquiryStatus struct {
	name   string // CINNOX's spelling, for the ProviderEventType
	typ    domain.EventType
	status domain.ConversationStatus
}

// enquiryStatuses maps the lower-cased status of an enquiry notification.
// Missed is CLOSED too (nobody will answer it); ProviderStatus keeps the
// difference.
var enquiryStatuses = map[string]enquiryStatus{
	"opened":   {"Opened", domain.EventConversationCreated, domain.StatusOpen},
	"handling": {"Handling", domain.EventConversationStatusChanged, domain.StatusOpen},
	"closed":   {"Closed", domain.EventConversationStatusChanged, domain.StatusClosed},
	"missed":   {"Missed", domain.EventConversationStatusChanged, domain.StatusClosed},
}

// enquiry translates a flat enquiry notification. The enquiry's eid names
// the conversation; without it the event is kept as OTHER.
func enquiry(ev *domain.Event, top map[string]json.RawMessage) {
	status, problem := statusOf(top["status"], "status")
	spec, known := enquiryStatuses[strings.ToLower(status)]
	switch {
	case problem != "":
		ev.ProviderEventType = "Enquiry"
	case known:
		ev.ProviderEventType = "Enquiry" + spec.name
	default:
		// A status CINNOX adds later is still a change of the enquiry's
		// state: keep it as one, with its raw value.
		ev.ProviderEventType = "Enquiry" + status
		spec = enquiryStatus{name: status, typ: domain.EventConversationStatusChanged, status: domain.StatusUnknown}
	}
	dated := false
	if t, ok := payload.Time(top["date"]); ok {
		ev.OccurredAt, dated = t, true
	}

	eid, ok := payload.ID(top["eid"])
	if !ok {
		reason := "enquiry notification has no eid, so its enquiry cannot be named"
		if problem != "" {
			reason += ", and its " + problem
		}
		ev.Reason = reason
		return
	}
	u := &domain.ConversationUpdate{
		ExternalID: eid,
		Kind:       domain.KindEnquiry,
		Channel:    strings.TrimSpace(payload.Text(top["channel"])),
	}
	if social := keyText(top["socialId"]); social != "" {
		u.Requester = &domain.Person{
			Provider: domain.ProviderCINNOX, ExternalID: payload.Key(social), Role: domain.RoleContact,
		}
	}
	ev.Conversation = u
	if problem != "" {
		ev.Reason = "enquiry " + eid + ": " + problem + ", so what happened to it is unknown"
		return
	}
	ev.Type = spec.typ
	u.Status = spec.status
	u.ProviderStatus = status
	if spec.typ == domain.EventConversationCreated && dated {
		u.CreatedAt = ev.OccurredAt
	}
	// eid + status + date: CINNOX sends no event id, and one enquiry can
	// reach the same status twice (reopened, closed again) at other dates.
	ev.DedupeKey = keyPrefix + "enquiry:" + eid + ":" + status + ":" + rawKey(top["date"])
}

// messageEvent is what one documented message.status means.
type messageEvent struct {
	name    string // CINNOX's spelling, for the ProviderEventType
	typ     domain.EventType
	status  domain.ConversationStatus // calls only
	role    domain.PersonRole         // contacts only
	deleted bool
	// edit marks statuses whose key needs the content: one contact is
	// edited many times and nothing else tells the edits apart.
	edit bool
}

// callEvents and contactEvents map the lower-cased message.status.
var (
	callEvents = map[string]messageEvent{
		"callstart": {name: "CallStart", typ: domain.EventCallStarted, status: domain.StatusOpen},
		"callend":   {name: "CallEnd", typ: domain.EventCallEnded, status: domain.StatusClosed},
	}
	contactEvents = map[string]messageEvent{
		"create":      {name: "create", typ: domain.EventContactCreated, role: domain.RoleContact},
		"edit":        {name: "edit", typ: domain.EventContactUpdated, role: domain.RoleContact, edit: true},
		"delete":      {name: "delete", typ: domain.EventContactDeleted, role: domain.RoleContact, deleted: true},
		"staffcreate": {name: "staffCreate", typ: domain.EventContactCreated, role: domain.RoleAgent},
		"staffedit":   {name: "staffEdit", typ: domain.EventContactUpdated, role: domain.RoleAgent, edit: true},
		"staffdelete": {name: "staffDelete", typ: domain.EventContactDeleted, role: domain.RoleAgent, deleted: true},
	}
)

// message translates a {"message": {...}} notification: a call or a
// contact event, told apart by message.type and message.status.
func message(ev *domain.Event, raw json.RawMessage) {
	m := payload.Object(raw)
	if m == nil {
		ev.Reason = "message is a JSON " + payload.Kind(raw) + ", not an object: no call or contact event can be read from it"
		return
	}
	status, problem := statusOf(m["status"], "message.status")
	key := strings.ToLower(status)
	mtype, _ := payload.String(m["type"])
	mtype = strings.TrimSpace(mtype)
	if status != "" {
		ev.ProviderEventType = status
	}
	if spec, ok := contactEvents[key]; ok || strings.EqualFold(mtype, "contact") {
		if !ok {
			ev.Reason = "contact event: " + orUnknown(problem, "message.status "+payload.Quote(status)+
				" is none of create, edit, delete, staffCreate, staffEdit, staffDelete")
			return
		}
		contact(ev, m, raw, spec)
		return
	}
	if spec, ok := callEvents[key]; ok || strings.EqualFold(mtype, "call") ||
		!payload.IsNull(m["caller"]) || !payload.IsNull(m["callees"]) {
		if !ok {
			ev.Reason = "call event: " + orUnknown(problem, "message.status "+payload.Quote(status)+" is neither CallStart nor CallEnd")
			return
		}
		call(ev, m, status, spec)
		return
	}
	ev.Reason = orUnknown(problem, "message.status "+payload.Quote(status)+" is not a CINNOX call or contact event this gateway knows") +
		": " + `a message object is a call (CallStart, CallEnd) or a contact event (type "contact")`
}

// orUnknown prefers the problem with the status field, when there is one.
func orUnknown(problem, unknown string) string {
	if problem != "" {
		return problem
	}
	return unknown
}

// call translates a call event. The call is the conversation: message.id
// names it, the caller is the customer and the callee the agent.
func call(ev *domain.Event, m map[string]json.RawMessage, status string, spec messageEvent) {
	ev.ProviderEventType = spec.name
	id, ok := payload.ID(m["id"])
	if !ok {
		ev.Reason = "call event " + spec.name + " has no message.id, so its call cannot be named"
		return
	}
	ev.Type = spec.typ
	ev.DedupeKey = keyPrefix + "call:" + id + ":" + spec.name
	ev.Conversation = &domain.ConversationUpdate{
		ExternalID:     id,
		Kind:           domain.KindCall,
		Status:         spec.status,
		ProviderStatus: status,
		Requester:      party(m["caller"], domain.RoleContact),
		Assignee:       party(m["callees"], domain.RoleAgent),
	}
}

// party reads a caller or callees value: {eid, number}, or a list of them
// (the plural name suggests a call can ring several agents; the first one
// that names somebody is kept). nil when nobody is named, which leaves the
// stored requester or assignee as it is.
func party(raw json.RawMessage, role domain.PersonRole) *domain.Person {
	if list := payload.Array(raw); list != nil {
		for _, item := range list {
			if p := person(item, role); p != nil {
				return p
			}
		}
		return nil
	}
	return person(raw, role)
}

// person reads one {eid, number}. The eid is CINNOX's id for the party;
// a caller from outside may have only a number, which then identifies them.
func person(raw json.RawMessage, role domain.PersonRole) *domain.Person {
	o := payload.Object(raw)
	if o == nil {
		return nil
	}
	number := keyText(o["number"])
	id, ok := payload.ID(o["eid"])
	if !ok {
		if number == "" {
			return nil
		}
		id = payload.Key(number)
	}
	p := &domain.Person{Provider: domain.ProviderCINNOX, ExternalID: id, Role: role}
	p.AddPhone(domain.PhoneUnspecified, number)
	return p
}

// contact translates a contact or staff event into the contact it
// created, edited or deleted. It names no conversation.
func contact(ev *domain.Event, m map[string]json.RawMessage, raw json.RawMessage, spec messageEvent) {
	ev.ProviderEventType = spec.name
	id, ok := payload.ID(m["id"])
	if !ok {
		ev.Reason = "contact event " + spec.name + " has no message.id, so its contact cannot be named"
		return
	}
	ev.Type = spec.typ
	ev.DedupeKey = keyPrefix + "contact:" + id + ":" + spec.name
	if spec.edit {
		// The message's bytes tell two edits apart while a redelivery,
		// byte for byte the same, keeps its key.
		ev.DedupeKey += ":" + payload.SHA256([]byte(raw))
	}
	ev.Contacts = []*domain.Person{{
		Provider:   domain.ProviderCINNOX,
		ExternalID: id,
		Role:       spec.role,
		Name:       strings.TrimSpace(payload.Text(m["fullName"])),
		Deleted:    spec.deleted,
	}}
}
