package cloudcx

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// CloudCX has documented two contact schemas. The older one names its
// fields contactName, firstName/lastName, mail, cellPhone, officePhone,
// whatsApp, sms and companyName; the newer one firstName/lastName,
// email, phoneNumber, whatsappNumber, companyName and avatarUrl, with
// createdTime and lastUpdatedTime. Both are read, and the lists some
// integrations send besides; every field is matched in any case.
var (
	// contactIDFields: id is the contact's id, the one ContactDeleted
	// lists. The newer schema also carries contactId, a different number,
	// read only when there is no id.
	contactIDFields = []string{"id", "contactId"}
	contactFields   = payload.PersonFields{
		Name:       []string{"name", "contactName", "fullName", "displayName"},
		FirstName:  []string{"firstName"},
		LastName:   []string{"lastName"},
		Email:      []string{"email", "emailAddress", "mail"},
		EmailLists: []string{"emails", "emailAddresses"},
		Phones: []payload.PhoneField{
			{Name: "phone", Kind: domain.PhoneUnspecified},
			{Name: "phoneNumber", Kind: domain.PhoneUnspecified},
			{Name: "mobile", Kind: domain.PhoneMobile},
			{Name: "cellPhone", Kind: domain.PhoneMobile},
			{Name: "officePhone", Kind: domain.PhoneOffice},
			{Name: "whatsApp", Kind: domain.PhoneWhatsApp},
			{Name: "whatsappNumber", Kind: domain.PhoneWhatsApp},
			{Name: "sms", Kind: domain.PhoneSMS},
		},
		PhoneLists: []string{"phones", "phoneNumbers"},
		Company:    []string{"companyName", "company"},
		Avatar:     []string{"avatarUrl", "avatar"},
	}
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
		key := keyPrefix + name + ":" + idsKey(people)
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
			if id, ok := payload.ID(payload.Field(payload.Object(item), contactIDFields...)); ok {
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
	return keyPrefix + name + ":" + idsKey(people), ""
}

// readContact reads one entry of contacts, or returns nil when it has no
// id: without one the facts cannot be attached to anyone.
func readContact(raw json.RawMessage, updated bool) *domain.Person {
	obj := payload.Object(raw)
	id, ok := payload.ID(payload.Field(obj, contactIDFields...))
	if !ok {
		return nil
	}
	p := &domain.Person{Provider: domain.ProviderCloudCX, ExternalID: id, Role: domain.RoleContact}
	payload.ReadPerson(p, obj, &contactFields)
	p.UpdatedAt = contactTime(obj, updated)
	return p
}

// contactTime is when the contact's facts were true. An update without
// an update time says nothing: its createdTime would date the new facts
// to the contact's creation, older than facts already stored.
func contactTime(obj map[string]json.RawMessage, updated bool) time.Time {
	if t, ok := payload.Time(payload.Field(obj, "updatedTime", "lastUpdatedTime", "updatedAt")); ok {
		return t
	}
	if updated {
		return time.Time{}
	}
	t, _ := payload.Time(payload.Field(obj, "createdTime", "createdAt"))
	return t
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
