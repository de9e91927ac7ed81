package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"
)

// PersonRole says which side of the helpdesk a person is on.
type PersonRole string

// The person roles.
const (
	RoleContact PersonRole = "CONTACT"
	RoleAgent   PersonRole = "AGENT"
	// RoleSystem authors automatic messages (bots, activity notices).
	RoleSystem PersonRole = "SYSTEM"
)

// IsValid reports whether r is a known role.
func (r PersonRole) IsValid() bool { return r == RoleContact || r == RoleAgent || r == RoleSystem }

// MarshalGQL writes the role as a GraphQL enum value.
func (r PersonRole) MarshalGQL(w io.Writer) { writeQuoted(w, string(r)) }

// UnmarshalGQL reads a GraphQL enum value.
func (r *PersonRole) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "PersonRole", func(s string) bool { *r = PersonRole(s); return r.IsValid() })
}

// Person is a contact (customer) or an agent as a provider describes them.
// Contacts and agents are projections: the latest facts win.
type Person struct {
	// ID is the gateway's id, derived by PersonID; adapters leave it "".
	ID       string
	Provider Provider
	// Account scopes ExternalID as for conversations.
	Account    string
	ExternalID string
	Role       PersonRole
	// Name is the whole name as the provider shows it; FirstName and
	// LastName are its parts, where the provider sends them apart.
	Name      string
	FirstName string
	LastName  string
	// Email is the address to show first; Emails is every address the
	// provider lists. Read from the store, Emails holds Email too.
	Email  string
	Emails []string
	// Phone is the number to show first; Phones is every number the
	// provider sends, each with its kind. Read from the store, Phones holds
	// Phone too.
	Phone  string
	Phones []Phone
	// Company is the organisation the person belongs to.
	Company string
	// AvatarURL is the address of the person's picture.
	AvatarURL string
	// Deleted is set by a contact-deleted event.
	Deleted bool
	// UpdatedAt is when the facts were true. Adapters set it only where the
	// provider dates the person itself (a CloudCX contact's update time);
	// otherwise the facts date from their event.
	UpdatedAt time.Time
	// Seq orders people by when the gateway first saw them.
	Seq int64
}

// AddEmail adds an address to Emails, once, and makes it Email when there
// is none yet. An empty address says nothing and is skipped.
func (p *Person) AddEmail(address string) {
	address = strings.TrimSpace(address)
	if address == "" {
		return
	}
	if p.Email == "" {
		p.Email = address
	}
	for _, e := range p.Emails {
		if strings.EqualFold(e, address) {
			return
		}
	}
	p.Emails = append(p.Emails, address)
}

// AddPhone adds a number of the given kind to Phones, once, and makes it
// Phone when there is none yet. An empty number says nothing and is
// skipped.
func (p *Person) AddPhone(kind PhoneKind, number string) {
	number = strings.TrimSpace(number)
	if number == "" {
		return
	}
	if !kind.IsValid() {
		kind = PhoneOther
	}
	if p.Phone == "" {
		p.Phone = number
	}
	for _, ph := range p.Phones {
		if ph.Kind == kind && ph.Number == number {
			return
		}
	}
	p.Phones = append(p.Phones, Phone{Number: number, Kind: kind})
}

// Phone is one of a person's phone numbers.
type Phone struct {
	Number string
	Kind   PhoneKind
}

// PhoneKind says what a phone number is for.
type PhoneKind string

// The phone kinds, in the order a person's numbers are listed.
const (
	// PhoneUnspecified is the provider's one phone field, whose kind it
	// does not say.
	PhoneUnspecified PhoneKind = "PHONE"
	PhoneMobile      PhoneKind = "MOBILE"
	PhoneOffice      PhoneKind = "OFFICE"
	PhoneHome        PhoneKind = "HOME"
	PhoneWhatsApp    PhoneKind = "WHATSAPP"
	PhoneSMS         PhoneKind = "SMS"
	PhoneFax         PhoneKind = "FAX"
	// PhoneOther is a number whose label names no kind above.
	PhoneOther PhoneKind = "OTHER"
)

// PhoneKinds lists every phone kind, in the order a person's numbers are
// listed.
var PhoneKinds = []PhoneKind{
	PhoneUnspecified, PhoneMobile, PhoneOffice, PhoneHome, PhoneWhatsApp, PhoneSMS, PhoneFax, PhoneOther,
}

// IsValid reports whether k is a known phone kind.
func (k PhoneKind) IsValid() bool { return contains(PhoneKinds, k) }

// MarshalGQL writes the kind as a GraphQL enum value.
func (k PhoneKind) MarshalGQL(w io.Writer) { writeQuoted(w, string(k)) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *PhoneKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "PhoneKind", func(s string) bool { *k = PhoneKind(s); return k.IsValid() })
}

// PersonID returns the gateway's id for a provider's contact or agent.
func PersonID(p Provider, role PersonRole, account, externalID string) string {
	sum := sha256.Sum256([]byte(string(p) + "\x00" + string(role) + "\x00" + account + "\x00" + externalID))
	return "pn_" + hex.EncodeToString(sum[:16])
}

// MessageDirection says who a message went to.
type MessageDirection string

// The message directions.
const (
	// DirectionInbound is from the customer to the helpdesk.
	DirectionInbound MessageDirection = "INBOUND"
	// DirectionOutbound is from the helpdesk to the customer.
	DirectionOutbound MessageDirection = "OUTBOUND"
	// DirectionInternal is seen by agents only: notes and activity.
	DirectionInternal MessageDirection = "INTERNAL"
)

// IsValid reports whether d is a known direction.
func (d MessageDirection) IsValid() bool {
	return d == DirectionInbound || d == DirectionOutbound || d == DirectionInternal
}

// MarshalGQL writes the direction as a GraphQL enum value.
func (d MessageDirection) MarshalGQL(w io.Writer) { writeQuoted(w, string(d)) }

// UnmarshalGQL reads a GraphQL enum value.
func (d *MessageDirection) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "MessageDirection", func(s string) bool { *d = MessageDirection(s); return d.IsValid() })
}

// Message is a message or note in a conversation. Thin providers (CloudCX)
// send only its id: the other fields are then empty.
type Message struct {
	// ID is the gateway's id, derived by MessageID; adapters leave it "".
	ID             string
	ConversationID string
	ExternalID     string
	Direction      MessageDirection
	// Private marks an agents-only note.
	Private     bool
	Content     string
	ContentType string
	// Author is set by adapters; AuthorID is the stored person's id.
	Author    *Person
	AuthorID  string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Seq orders a conversation's messages as the gateway first saw them.
	Seq int64
}

// MessageID returns the gateway's id for a provider's message.
func MessageID(p Provider, account, externalID string) string {
	sum := sha256.Sum256([]byte(string(p) + "\x00msg\x00" + account + "\x00" + externalID))
	return "ms_" + hex.EncodeToString(sum[:16])
}
