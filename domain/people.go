package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
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
	Name       string
	Email      string
	Phone      string
	// Deleted is set by a contact-deleted event.
	Deleted   bool
	UpdatedAt time.Time
	// Seq orders people by when the gateway first saw them.
	Seq int64
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
