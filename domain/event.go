package domain

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// EventType is the unified kind of an event, whatever its provider called it.
type EventType string

// The unified event types.
const (
	EventConversationCreated       EventType = "CONVERSATION_CREATED"
	EventConversationUpdated       EventType = "CONVERSATION_UPDATED"
	EventConversationStatusChanged EventType = "CONVERSATION_STATUS_CHANGED"
	EventConversationAssigned      EventType = "CONVERSATION_ASSIGNED"
	EventConversationTagged        EventType = "CONVERSATION_TAGGED"
	EventConversationRated         EventType = "CONVERSATION_RATED"
	EventConversationDeleted       EventType = "CONVERSATION_DELETED"
	EventMessageCreated            EventType = "MESSAGE_CREATED"
	EventMessageUpdated            EventType = "MESSAGE_UPDATED"
	EventNoteAdded                 EventType = "NOTE_ADDED"
	EventContactCreated            EventType = "CONTACT_CREATED"
	EventContactUpdated            EventType = "CONTACT_UPDATED"
	EventContactDeleted            EventType = "CONTACT_DELETED"
	EventTypingStarted             EventType = "TYPING_STARTED"
	EventTypingStopped             EventType = "TYPING_STOPPED"
	EventWidgetOpened              EventType = "WIDGET_OPENED"
	EventCallStarted               EventType = "CALL_STARTED"
	EventCallEnded                 EventType = "CALL_ENDED"
	EventSLAUpdated                EventType = "SLA_UPDATED"
	EventOther                     EventType = "OTHER"
	// EventEndpointDisabled is written by the gateway (ProviderGateway)
	// when it disables an outbound webhook endpoint itself, so that the
	// integrators watching the history learn of it.
	EventEndpointDisabled EventType = "ENDPOINT_DISABLED"
)

// EventTypes lists every unified event type.
var EventTypes = []EventType{
	EventConversationCreated, EventConversationUpdated, EventConversationStatusChanged,
	EventConversationAssigned, EventConversationTagged, EventConversationRated,
	EventConversationDeleted, EventMessageCreated, EventMessageUpdated, EventNoteAdded,
	EventContactCreated, EventContactUpdated, EventContactDeleted, EventTypingStarted,
	EventTypingStopped, EventWidgetOpened, EventCallStarted, EventCallEnded, EventSLAUpdated,
	EventOther, EventEndpointDisabled,
}

// IsValid reports whether t is a known event type.
func (t EventType) IsValid() bool {
	for _, u := range EventTypes {
		if t == u {
			return true
		}
	}
	return false
}

// MarshalGQL writes the type as a GraphQL enum value.
func (t EventType) MarshalGQL(w io.Writer) { writeQuoted(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum value.
func (t *EventType) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "EventType", func(s string) bool { *t = EventType(s); return t.IsValid() })
}

// Event is one thing a provider told the gateway, in the unified model.
// Events are append-only: once stored, an event never changes.
type Event struct {
	ID                string
	Position          Position
	Provider          Provider
	Type              EventType
	ProviderEventType string
	OccurredAt        time.Time
	ReceivedAt        time.Time
	SubscriptionID    string
	// ConversationID is the gateway's id of the event's conversation, or "".
	ConversationID string
	// MessageID is the gateway's id of the event's message, or "".
	MessageID string
	// DedupeKey identifies the provider's event: a redelivery carries the same key.
	DedupeKey string
	// FactKey, when set, names the fact the event reports whichever way
	// the provider delivered it: Voxsig sends a new message through an
	// account webhook and again through an automation rule, each delivery
	// with a dedupe key of its own. The store keeps one event per provider
	// and fact key, the first to arrive. "" for events that come one way
	// only.
	FactKey string
	// Payload is the delivery's body exactly as received, or
	// ExpiredPayload once payload retention has removed it.
	Payload RawJSON
	// PayloadExpired reports that payload retention removed the body.
	PayloadExpired bool
	// Reason says why a delivery could not be translated, for OTHER events
	// the adapter did not understand; "" otherwise.
	Reason string
	// Corrects is the id of the event this one corrects: a re-translation
	// of a stored body is appended as a new event rather than changing the
	// stored one (see docs/corrections.md). "" for first translations.
	Corrects string

	// The facts below are what the event tells the projections. Adapters
	// set them; they are not stored with the event itself.

	// Conversation is what the event says about its conversation.
	Conversation *ConversationUpdate
	// Message is the message or note the event created or updated.
	Message *Message
	// Contacts are the contacts the event created, updated or deleted.
	Contacts []*Person
}

// Cursor is the event's opaque stream position.
func (e *Event) Cursor() string { return e.Position.String() }

// ExpiredPayload is what an event whose body payload retention removed
// answers for its payload: an empty object keeps `payload: JSON!` valid for
// clients written before retention, and PayloadExpired tells the two apart.
const ExpiredPayload = "{}"

// RawJSON is a JSON document kept byte for byte.
type RawJSON []byte

// MarshalGQL writes the document as it is.
func (j RawJSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = w.Write(j)
}

// UnmarshalGQL accepts any GraphQL input value and keeps it as JSON.
func (j *RawJSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &Error{Code: EINVALID, Message: "the value cannot be written as JSON", Err: err}
	}
	*j = b
	return nil
}

// MarshalJSON implements json.Marshaler.
func (j RawJSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// Position is an event's place in the history. Positions are stored with
// the events, so they keep their meaning through a dump and restore into
// another database; the store hands them out in commit order, so a reader
// that has seen position p has seen every event before p that will ever
// exist. Positions may have gaps.
type Position int64

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool { return p < q }

// IsZero reports whether p is the start of the history.
func (p Position) IsZero() bool { return p == 0 }

// Cursor prefixes: cursorPrefix for positions; legacyCursorPrefix for the
// (transaction, sequence) cursors of earlier versions, which the store
// still resolves to the place they named.
const (
	cursorPrefix       = "ev2:"
	legacyCursorPrefix = "ev1:"
)

// String encodes the position as an opaque cursor.
func (p Position) String() string {
	if p.IsZero() {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(int64(p), 10)))
}

// LegacyCursor is the place named by a cursor of the earlier
// (transaction, sequence) form.
type LegacyCursor struct {
	Tx, Seq int64
}

// LegacyCursors translates cursors of the earlier form into positions.
type LegacyCursors interface {
	// LegacyPosition returns the position of the newest event at or before
	// c, or 0 when there is none: resuming after it is resuming after c.
	LegacyPosition(ctx context.Context, c LegacyCursor) (Position, error)
}

// ParseCursor decodes a cursor made by Position.String, or one of the
// earlier form, which legacy translates. The empty cursor is the start of
// the history.
func ParseCursor(ctx context.Context, s string, legacy LegacyCursors) (Position, error) {
	if s == "" {
		return 0, nil
	}
	bad := Errorf(EINVALID, "invalid cursor %q: use the cursor of an event or page", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, bad
	}
	if rest, ok := strings.CutPrefix(string(raw), cursorPrefix); ok {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n < 0 {
			return 0, bad
		}
		return Position(n), nil
	}
	rest, ok := strings.CutPrefix(string(raw), legacyCursorPrefix)
	if !ok {
		return 0, bad
	}
	txs, seqs, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, bad
	}
	tx, err1 := strconv.ParseInt(txs, 10, 64)
	seq, err2 := strconv.ParseInt(seqs, 10, 64)
	if err1 != nil || err2 != nil || tx < 0 || seq < 0 {
		return 0, bad
	}
	if legacy == nil {
		return 0, Errorf(EINVALID, "cursor %q is of a former version that cannot be resolved here: page from the start", s)
	}
	return legacy.LegacyPosition(ctx, LegacyCursor{Tx: tx, Seq: seq})
}

// LegacyCursorString encodes c in the earlier form, as clients may still
// hold it.
func LegacyCursorString(c LegacyCursor) string {
	raw := legacyCursorPrefix + strconv.FormatInt(c.Tx, 10) + ":" + strconv.FormatInt(c.Seq, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// EventFilter narrows a read of the event history. Zero fields match all.
type EventFilter struct {
	Providers      []Provider  `json:"providers"`
	Types          []EventType `json:"types"`
	ConversationID *string     `json:"conversationId"`
	SubscriptionID *string     `json:"subscriptionId"`
	Since          *time.Time  `json:"since"`
	Until          *time.Time  `json:"until"`
	// Untranslated keeps only (true) or leaves out (false) the events an
	// adapter could not translate.
	Untranslated *bool `json:"untranslated"`
	// Corrected keeps only (true) or leaves out (false) the events a later
	// event corrects. Whether an event is corrected is known to the store
	// only: Match, which tests events as they arrive, takes none of them
	// for corrected, as none yet is.
	Corrected *bool `json:"corrected"`
}

// Match reports whether e passes the filter.
func (f *EventFilter) Match(e *Event) bool {
	if f == nil {
		return true
	}
	if len(f.Providers) > 0 && !contains(f.Providers, e.Provider) {
		return false
	}
	if len(f.Types) > 0 && !contains(f.Types, e.Type) {
		return false
	}
	if f.ConversationID != nil && *f.ConversationID != e.ConversationID {
		return false
	}
	if f.SubscriptionID != nil && *f.SubscriptionID != e.SubscriptionID {
		return false
	}
	if f.Since != nil && e.OccurredAt.Before(*f.Since) {
		return false
	}
	if f.Until != nil && !e.OccurredAt.Before(*f.Until) {
		return false
	}
	if f.Untranslated != nil && *f.Untranslated != (e.Reason != "") {
		return false
	}
	if f.Corrected != nil && *f.Corrected {
		return false
	}
	return true
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ReprocessResult counts what a run of re-translation over stored bodies
// did.
type ReprocessResult struct {
	Examined          int
	Retranslated      int
	Appended          int
	StillUntranslated int
	// PayloadExpired counts the events left as they are because payload
	// retention removed the body there was to re-translate.
	PayloadExpired int
}
