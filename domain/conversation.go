package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"
)

// ConversationStatus is the unified state of a conversation.
type ConversationStatus string

// The unified conversation statuses.
const (
	StatusOpen     ConversationStatus = "OPEN"
	StatusPending  ConversationStatus = "PENDING"
	StatusSnoozed  ConversationStatus = "SNOOZED"
	StatusResolved ConversationStatus = "RESOLVED"
	StatusClosed   ConversationStatus = "CLOSED"
	StatusDeleted  ConversationStatus = "DELETED"
	StatusUnknown  ConversationStatus = "UNKNOWN"
)

var conversationStatuses = []ConversationStatus{
	StatusOpen, StatusPending, StatusSnoozed, StatusResolved, StatusClosed, StatusDeleted, StatusUnknown,
}

// IsValid reports whether s is a known status.
func (s ConversationStatus) IsValid() bool { return contains(conversationStatuses, s) }

// MarshalGQL writes the status as a GraphQL enum value.
func (s ConversationStatus) MarshalGQL(w io.Writer) { writeQuoted(w, string(s)) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *ConversationStatus) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "ConversationStatus", func(x string) bool { *s = ConversationStatus(x); return s.IsValid() })
}

// ConversationKind says what a provider calls a conversation.
type ConversationKind string

// The conversation kinds.
const (
	KindEnquiry      ConversationKind = "ENQUIRY"
	KindTicket       ConversationKind = "TICKET"
	KindConversation ConversationKind = "CONVERSATION"
	KindCall         ConversationKind = "CALL"
)

var conversationKinds = []ConversationKind{KindEnquiry, KindTicket, KindConversation, KindCall}

// IsValid reports whether k is a known kind.
func (k ConversationKind) IsValid() bool { return contains(conversationKinds, k) }

// MarshalGQL writes the kind as a GraphQL enum value.
func (k ConversationKind) MarshalGQL(w io.Writer) { writeQuoted(w, string(k)) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *ConversationKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "ConversationKind", func(x string) bool { *k = ConversationKind(x); return k.IsValid() })
}

// Conversation is the gateway's current view of a provider's conversation,
// enquiry, ticket or call: a projection of its events.
type Conversation struct {
	ID             string
	Provider       Provider
	ExternalID     string
	Kind           ConversationKind
	Status         ConversationStatus
	ProviderStatus *string
	Channel        *string
	Subject        *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Account scopes ExternalID (see ConversationUpdate.Account).
	Account     string
	RequesterID *string
	AssigneeID  *string
	// Tags are the conversation's current tags, sorted.
	Tags []string
	// Queue, Inbox and Origin are the latest the events said (see
	// ConversationUpdate), kept so that conditions on a live stream test
	// what conditions on a webhook subscription test.
	Queue  *string
	Inbox  *string
	Origin *string

	// StateAt is when the provider produced the status shown, AssigneeAt
	// the assignment shown, Merge each tag and descriptive field: an event
	// that occurred earlier never overwrites them.
	StateAt    time.Time
	AssigneeAt time.Time
	Merge      MergeState
	// Seq orders conversations by when the gateway first saw them.
	Seq int64
}

// MergeState keeps when each tag and descriptive field of a conversation
// was last set.
type MergeState struct {
	Tags   map[string]TagMark   `json:"tags,omitempty"`
	Fields map[string]time.Time `json:"fields,omitempty"`
	// Order holds the positions that break ties between equal times in
	// Fields, StateAt and AssigneeAt (see Stamp); states stored before it
	// existed read as position 0, which any later event outranks.
	Order map[string]Position `json:"order,omitempty"`
	// TagsSetAt and TagsSetPos stamp the latest whole tag set an event
	// stated: every tag it left out was absent then.
	TagsSetAt  time.Time `json:"tagsSetAt,omitzero"`
	TagsSetPos Position  `json:"tagsSetPos,omitempty"`
}

// TagMark is the latest thing known of one tag on a conversation.
type TagMark struct {
	Present bool      `json:"present"`
	At      time.Time `json:"at"`
	Pos     Position  `json:"pos,omitempty"`
}

// ConversationUpdate is what one event says about its conversation. Empty
// fields say nothing and leave the stored value as it is.
type ConversationUpdate struct {
	// Account scopes ExternalID where the provider's ids are unique only
	// within one account or organisation (Dixa csid, Voxsig conversation
	// id); "" where they are globally unique.
	Account        string
	ExternalID     string
	Kind           ConversationKind
	Status         ConversationStatus
	ProviderStatus string
	Channel        string
	Subject        string
	// Queue and Inbox are the ids of the queue or inbox the conversation is
	// routed to (Dixa queue, Voxsig inbox); Origin is what caused the event
	// (Dixa's operation origin). Conditions test them.
	Queue     string
	Inbox     string
	Origin    string
	CreatedAt time.Time
	// Requester is the customer the conversation is with.
	Requester *Person
	// Assignee is the agent the conversation is assigned to; Unassigned
	// says it was unassigned. Neither: the assignment is unchanged.
	Assignee   *Person
	Unassigned bool
	// Tags, when TagsKnown, is the conversation's whole tag set; otherwise
	// TagsAdded and TagsRemoved change the stored set.
	Tags        []string
	TagsKnown   bool
	TagsAdded   []string
	TagsRemoved []string
}

// ConversationID returns the gateway's id for a provider's conversation. It
// is derived from the provider, the account and the external id so that
// every replica and every transaction agrees on it without a lookup.
func ConversationID(p Provider, account, externalID string) string {
	sum := sha256.Sum256([]byte(string(p) + "\x00" + account + "\x00" + externalID))
	return "cv_" + hex.EncodeToString(sum[:16])
}

// ConversationFilter narrows a listing of conversations. Zero fields match
// all.
type ConversationFilter struct {
	Providers    []Provider           `json:"providers"`
	Statuses     []ConversationStatus `json:"statuses"`
	Channels     []string             `json:"channels"`
	AssigneeID   *string              `json:"assigneeId"`
	UpdatedSince *time.Time           `json:"updatedSince"`
	Search       *string              `json:"search"`
}

// SeqPage is one page of a listing ordered by sequence number: the rows
// after After (0: from the start) and before Before (0: to the end), at
// most Limit of them, the first ones or, Backward, the last ones. Rows come
// back in ascending order either way.
type SeqPage struct {
	After, Before int64
	Limit         int
	Backward      bool
}
