package cloudcx

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// The contact object's shape is not documented beyond createdTime, so each
// fact is read from the first of several likely field names, in any case.
var (
	contactIDFields    = []string{"id", "contactId"}
	contactNameFields  = []string{"name", "fullName", "displayName"}
	contactEmailFields = []string{"email", "emailAddress"}
	contactEmailLists  = []string{"emails", "emailAddresses"}
	contactPhoneFields = []string{"phone", "phoneNumber", "mobile"}
	contactPhoneLists  = []string{"phones", "phoneNumbers"}
	// entryFields name the value inside an object entry of an email or
	// phone list ({"type":"work","value":"..."}).
	entryFields = []string{"value", "email", "address", "phone", "phoneNumber", "number"}
)

// contactsChanged translates ContactCreated and ContactUpdated
// ({event, contacts:[...]}). An update's key carries the hash of the
// contacts array: CloudCX sends the same ids again for every later update,
// which must not be taken for a redelivery, while a redelivery is
// byte-identical.
func contactsChanged(updated bool) func(*domain.Event, string, map[string]json.RawMessage) (string, string) {
	return func(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
		raw := f["contacts"]
		if payload.IsNull(raw) {
			return "", "contacts is missing: a " + name + " event lists the contacts"
		}
		list := payload.Array(raw)
		if list == nil {
			return "", "contacts is not a list: a " + name + " event lists the contacts"
		}
		var people []*domain.Person
		for _, item := range list {
			if p := readContact(item, updated); p != nil {
				people = append(people, p)
			}
		}
		people = lastByID(people)
		if len(people) == 0 {
			return "", "no entry of contacts has an id (id or contactId)"
		}
		ev.Contacts = people
		key := slug + name + ":" + idsKey(people)
		if updated {
			key += ":" + payload.SHA256([]byte(raw))
		}
		return key, ""
	}
}

// contactsDeleted translates ContactDeleted ({event, ids:[...]}). A list
// of contact objects is accepted too, in case CloudCX sends the shape of
// the other contact events.
func contactsDeleted(ev *domain.Event, name string, f map[string]json.RawMessage) (string, string) {
	var people []*domain.Person
	add := func(id string) {
		people = append(people, &domain.Person{
			Provider: domain.ProviderCloudCX, ExternalID: id, Role: domain.RoleContact, Deleted: true,
		})
	}
	ids, contacts := f["ids"], f["contacts"]
	switch {
	case payload.Array(ids) != nil:
		for _, raw := range payload.Array(ids) {
			if id, ok := payload.ID(raw); ok {
				add(id)
			}
		}
	case payload.IsNull(ids) && payload.Array(contacts) != nil:
		for _, item := range payload.Array(contacts) {
			if id, ok := payload.ID(field(payload.Object(item), contactIDFields)); ok {
				add(id)
			}
		}
	case payload.IsNull(ids):
		return "", "ids is missing: a " + name + " event lists the deleted contacts' ids"
	default:
		return "", "ids is not a list: a " + name + " event lists the deleted contacts' ids"
	}
	people = lastByID(people)
	if len(people) == 0 {
		return "", "ids holds no contact id"
	}
	ev.Contacts = people
	return slug + name + ":" + idsKey(people), ""
}

// readContact reads one entry of contacts, or returns nil when it has no
// id: without one the facts cannot be attached to anyone.
func readContact(raw json.RawMessage, updated bool) *domain.Person {
	obj := payload.Object(raw)
	id, ok := payload.ID(field(obj, contactIDFields))
	if !ok {
		return nil
	}
	p := &domain.Person{
		Provider: domain.ProviderCloudCX, ExternalID: id, Role: domain.RoleContact,
		Name:  contactName(obj),
		Email: text(field(obj, contactEmailFields)),
		Phone: text(field(obj, contactPhoneFields)),
	}
	if p.Email == "" {
		p.Email = firstEntry(field(obj, contactEmailLists))
	}
	if p.Phone == "" {
		p.Phone = firstEntry(field(obj, contactPhoneLists))
	}
	p.UpdatedAt = contactTime(obj, updated)
	return p
}

// contactTime is when the contact's facts were true. An update without
// updatedTime says nothing: its createdTime would date the new facts to
// the contact's creation, older than facts already stored.
func contactTime(obj map[string]json.RawMessage, updated bool) time.Time {
	if t, ok := payload.Time(field(obj, []string{"updatedTime", "updatedAt"})); ok {
		return t
	}
	if updated {
		return time.Time{}
	}
	t, _ := payload.Time(field(obj, []string{"createdTime", "createdAt"}))
	return t
}

func contactName(obj map[string]json.RawMessage) string {
	if s := text(field(obj, contactNameFields)); s != "" {
		return s
	}
	first := text(field(obj, []string{"firstName"}))
	last := text(field(obj, []string{"lastName"}))
	return strings.TrimSpace(first + " " + last)
}

// field returns the first of names present in obj, matched exactly and
// then ignoring case.
func field(obj map[string]json.RawMessage, names []string) json.RawMessage {
	for _, n := range names {
		if v, ok := obj[n]; ok && !payload.IsNull(v) {
			return v
		}
	}
	// Sorted keys: with two spellings of one name present, the choice must
	// not depend on map order, or a redelivery could read other facts.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, n := range names {
		for _, k := range keys {
			if strings.EqualFold(k, n) && !payload.IsNull(obj[k]) {
				return obj[k]
			}
		}
	}
	return nil
}

// firstEntry reads the first usable entry of an email or phone list: a
// string, or an object holding the value.
func firstEntry(raw json.RawMessage) string {
	for _, item := range payload.Array(raw) {
		s := text(item)
		if s == "" {
			s = text(field(payload.Object(item), entryFields))
		}
		if s != "" {
			return s
		}
	}
	return ""
}

// text reads a string field as storable, trimmed text.
func text(raw json.RawMessage) string {
	return strings.TrimSpace(payload.Text(raw))
}

// lastByID keeps one person per id, the last one listed (the latest facts)
// in the place the id first appeared: the store upserts contacts in one
// statement, which cannot touch a row twice.
func lastByID(people []*domain.Person) []*domain.Person {
	at := make(map[string]int, len(people))
	var out []*domain.Person
	for _, p := range people {
		if i, ok := at[p.ExternalID]; ok {
			out[i] = p
			continue
		}
		at[p.ExternalID] = len(out)
		out = append(out, p)
	}
	return out
}

// idsKey joins the sorted ids, so that the key does not depend on the
// order CloudCX lists them in; a long list is hashed to fit the key column.
func idsKey(people []*domain.Person) string {
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ExternalID
	}
	slices.Sort(ids)
	return payload.Key(strings.Join(ids, ","))
}
