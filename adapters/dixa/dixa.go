// Package dixa translates Dixa's conversation webhooks into the unified
// model and verifies their X-DIXA-SIGNATURE.
//
// Dixa delivers one event per request, may deliver it two or three times
// at once and out of order, so every event is keyed by its event_id and
// stamped with the time Dixa produced it. The payload types are decoded
// loosely (json.RawMessage where Dixa's types may vary) because a field of
// an unexpected type must never cost the delivery.
package dixa

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// Adapter is the Dixa adapter. It has no state: one value serves every
// subscription concurrently.
type Adapter struct{}

var _ adapters.Adapter = (*Adapter)(nil)

// New returns the Dixa adapter.
func New() *Adapter { return &Adapter{} }

// Provider returns domain.ProviderDixa.
func (*Adapter) Provider() domain.Provider { return domain.ProviderDixa }

// SignsDeliveries reports true: Dixa signs every delivery with the
// subscription's secretKey, so each subscription needs one.
func (*Adapter) SignsDeliveries() bool { return true }

// envelope is the part of a delivery shared by every Dixa event.
type envelope struct {
	EventID        json.RawMessage `json:"event_id"`
	EventFQN       json.RawMessage `json:"event_fqn"`
	EventTimestamp json.RawMessage `json:"event_timestamp"`
	Data           json.RawMessage `json:"data"`
}

type eventData struct {
	Conversation json.RawMessage `json:"conversation"`
}

type conversation struct {
	CSID      json.RawMessage `json:"csid"`
	Channel   json.RawMessage `json:"channel"`
	Status    json.RawMessage `json:"status"`
	Subject   json.RawMessage `json:"subject"`
	CreatedAt json.RawMessage `json:"created_at"`
}

// maxIDLen bounds the event_id kept in a dedupe key; longer ids are hashed
// so the key always fits the store's unique index.
const maxIDLen = 128

// Parse translates one delivery into exactly one event. Only a body that is
// not JSON is refused: valid JSON that is not a Dixa event becomes an OTHER
// event whose Reason says what was missing, so nothing Dixa sends is lost.
func (a *Adapter) Parse(req *adapters.Request) (*adapters.Result, error) {
	if req == nil || !json.Valid(req.Body) {
		return nil, domain.Errorf(domain.EINVALID, "body is not valid JSON: a Dixa delivery is a JSON event object")
	}
	body := bytes.Clone(req.Body) // the caller may reuse its buffer; the event outlives it
	received := req.ReceivedAt
	if received.IsZero() {
		received = time.Now()
	}
	received = received.UTC()
	ev := &domain.Event{
		ID:                domain.NewID(),
		Provider:          domain.ProviderDixa,
		Type:              domain.EventOther,
		ProviderEventType: "unknown",
		OccurredAt:        received,
		ReceivedAt:        received,
		DedupeKey:         "dixa:sha256:" + sha256Hex(body),
		Payload:           domain.RawJSON(body),
	}
	res := &adapters.Result{Events: []*domain.Event{ev}}

	if k := jsonKind(body); k != "object" {
		ev.Reason = fmt.Sprintf("body is a JSON %s, not a Dixa event object", k)
		return res, nil
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		// Unreachable for a valid object with RawMessage fields; kept so a
		// future typed field cannot turn a delivery into an error.
		ev.Reason = "body is not a Dixa event envelope: " + err.Error()
		return res, nil
	}

	if id := eventID(env.EventID); id != "" {
		ev.DedupeKey = "dixa:" + id
	}
	if t, ok := parseTime(env.EventTimestamp); ok {
		ev.OccurredAt = t
	}

	var status domain.ConversationStatus
	fqn, ok := str(env.EventFQN)
	fqn = strings.TrimSpace(fqn)
	switch {
	case isNull(env.EventFQN):
		ev.Reason = "event_fqn is missing"
	case !ok:
		ev.Reason = "event_fqn is not a string"
	case fqn == "":
		ev.Reason = "event_fqn is empty"
	case !isName(fqn):
		ev.Reason = "event_fqn is not an event name: " + quote(fqn)
	default:
		name, known := eventName(fqn)
		ev.ProviderEventType = name
		m := mappingOf(name)
		ev.Type, status = m.typ, m.status
		if !known {
			ev.Reason = "event_fqn " + quote(fqn) + " is not a Dixa event this gateway knows"
		}
	}

	if u := conversationUpdate(env.Data, status); u != nil {
		ev.Conversation = u
		ev.ConversationID = domain.ConversationID(domain.ProviderDixa, u.ExternalID)
	}
	return res, nil
}

// conversationUpdate reads data.conversation. It returns nil when there is
// no usable csid: without it the facts cannot be attached to anything.
// forced is the status implied by the event name.
func conversationUpdate(data json.RawMessage, forced domain.ConversationStatus) *domain.ConversationUpdate {
	var d eventData
	if json.Unmarshal(data, &d) != nil {
		return nil
	}
	var c conversation
	if json.Unmarshal(d.Conversation, &c) != nil {
		return nil
	}
	id, ok := csid(c.CSID)
	if !ok {
		return nil
	}
	u := &domain.ConversationUpdate{ExternalID: id, Kind: domain.KindConversation}
	if s, ok := str(c.Status); ok {
		u.ProviderStatus = clean(s)
		u.Status = statusOf(s)
	}
	if forced != "" {
		u.Status = forced
		u.ProviderStatus = string(forced)
	}
	if s, ok := str(c.Channel); ok {
		u.Channel = clean(s)
	}
	if s, ok := str(c.Subject); ok {
		u.Subject = clean(s)
	}
	if t, ok := parseTime(c.CreatedAt); ok {
		u.CreatedAt = t
	}
	return u
}

// statusOf maps Dixa's conversation status. An unknown value maps to ""
// (leave the stored status alone) rather than UNKNOWN, so a status Dixa
// adds later does not wipe out a good one; ProviderStatus keeps it raw.
func statusOf(s string) domain.ConversationStatus {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "OPEN":
		return domain.StatusOpen
	case "PENDING":
		return domain.StatusPending
	case "CLOSED":
		return domain.StatusClosed
	}
	return ""
}

// csid reads the conversation id, documented as an integer but accepted as
// a string too, and returns it in one canonical decimal form so that 1234,
// "1234" and 1234.0 name the same conversation.
func csid(raw json.RawMessage) (string, bool) {
	var lit string
	if s, ok := str(raw); ok {
		lit = strings.TrimSpace(s)
	} else if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		lit = string(raw)
	}
	if lit == "" {
		return "", false
	}
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	// Integral floats within the exact range of a float64 only: beyond
	// 2^53 two different ids could round to one.
	if f, err := strconv.ParseFloat(lit, 64); err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return strconv.FormatInt(int64(f), 10), true
	}
	return "", false
}

// eventID returns the event_id to key the event on, or "" when there is
// none. Ids that could not sit in a key column (too long, NUL bytes) are
// replaced by their hash, which is just as stable across redeliveries.
func eventID(raw json.RawMessage) string {
	var id string
	if s, ok := str(raw); ok {
		id = strings.TrimSpace(s)
	} else if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		id = string(raw) // a number: its literal is as stable as a string
	}
	if id == "" {
		return ""
	}
	if len(id) > maxIDLen || clean(id) != id {
		return "id-sha256:" + sha256Hex([]byte(id))
	}
	return id
}

// timeLayouts are tried in order. Dixa documents ISO-8601 UTC with
// milliseconds; the others cost nothing and save a delivery whose
// timestamp lost its fraction or its zone.
var timeLayouts = []string{
	time.RFC3339Nano, // also matches no fraction
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseTime reads an ISO-8601 timestamp. It refuses what the rest of the
// gateway cannot hold: the zero time (which means "unset") and years past
// 9999 (which JSON cannot encode).
func parseTime(raw json.RawMessage) (time.Time, bool) {
	s, ok := str(raw)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		t = t.UTC()
		if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
			return time.Time{}, false
		}
		return t, true
	}
	return time.Time{}, false
}

// str decodes raw when it is a JSON string.
func str(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// clean makes s storable as text: PostgreSQL refuses NUL bytes and
// invalid UTF-8, and a JSON "\u0000" is enough to produce one.
func clean(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// quote shows a provider value inside a Reason: escaped, and cut short so
// that a garbled field cannot bloat every stored event.
func quote(s string) string {
	const n = 64
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// jsonKind names the type of a valid JSON document by its first byte.
func jsonKind(body []byte) string {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
