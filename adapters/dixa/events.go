package dixa

import (
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
)

// eventNames maps the event_fqn of every event a Dixa webhook can subscribe
// to onto the name used in the subscription API, which is what users put in
// subscribedEvents. A table rather than a conversion because the acronyms
// (SLA) cannot be recovered from upper snake case.
var eventNames = map[string]string{
	"CONVERSATION_CREATED":                         "ConversationCreated",
	"CONVERSATION_CUSTOM_ATTRIBUTE_UPDATED":        "ConversationCustomAttributeUpdated",
	"CONVERSATION_OPEN":                            "ConversationOpen",
	"CONVERSATION_PENDING":                         "ConversationPending",
	"CONVERSATION_PENDING_EXPIRED":                 "ConversationPendingExpired",
	"CONVERSATION_CLOSED":                          "ConversationClosed",
	"CONVERSATION_ABANDONED":                       "ConversationAbandoned",
	"CONVERSATION_ENQUEUED":                        "ConversationEnqueued",
	"CONVERSATION_ASSIGNED":                        "ConversationAssigned",
	"CONVERSATION_UNASSIGNED":                      "ConversationUnassigned",
	"CONVERSATION_NOTE_ADDED":                      "ConversationNoteAdded",
	"CONVERSATION_MESSAGE_ADDED":                   "ConversationMessageAdded",
	"CONVERSATION_TAG_ADDED":                       "ConversationTagAdded",
	"CONVERSATION_TAG_REMOVED":                     "ConversationTagRemoved",
	"CONVERSATION_RATED":                           "ConversationRated",
	"CONVERSATION_TRANSFERRED":                     "ConversationTransferred",
	"CONVERSATION_END_USER_REPLACED":               "ConversationEndUserReplaced",
	"CONVERSATION_MESSAGE_DELIVERY_SENT":           "ConversationMessageDeliverySent",
	"CONVERSATION_MESSAGE_DELIVERY_DELIVERED":      "ConversationMessageDeliveryDelivered",
	"CONVERSATION_MESSAGE_DELIVERY_SEEN":           "ConversationMessageDeliverySeen",
	"CONVERSATION_MESSAGE_DELIVERY_FAILED":         "ConversationMessageDeliveryFailed",
	"CONVERSATION_MESSAGE_DELIVERY_INFO":           "ConversationMessageDeliveryInfo",
	"CONVERSATION_MESSAGE_DELIVERY_SPAM_COMPLAINT": "ConversationMessageDeliverySpamComplaint",
	"AGENT_BANNED_ENDUSER":                         "AgentBannedEnduser",
	"AGENT_UNBANNED_ENDUSER":                       "AgentUnbannedEnduser",
	"AGENT_BANNED_IP":                              "AgentBannedIp",
	"AGENT_UNBANNED_IP":                            "AgentUnbannedIp",
	"TYPING_STARTED":                               "TypingStarted",
	"SLA_EVALUATION_PENDING":                       "SLAEvaluationPending",
	"SLA_EVALUATION_BREACHED":                      "SLAEvaluationBreached",
	"SLA_EVALUATION_ACHIEVED":                      "SLAEvaluationAchieved",
	"SLA_EVALUATION_VOIDED":                        "SLAEvaluationVoided",
}

// byFoldedName finds a known event whatever its spelling: upper snake
// (the documented event_fqn), CamelCase or lower snake all fold to the
// same key, so a provider that changes style does not turn into OTHER.
var byFoldedName = func() map[string]string {
	m := make(map[string]string, len(eventNames))
	for _, name := range eventNames {
		m[fold(name)] = name
	}
	return m
}()

func fold(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "_", ""))
}

// mapping is what a Dixa event means in the unified model. status, when
// set, is implied by the event itself and wins over the conversation
// snapshot, which Dixa may have taken before the change.
type mapping struct {
	typ    domain.EventType
	status domain.ConversationStatus
}

var mappings = map[string]mapping{
	"ConversationCreated":      {typ: domain.EventConversationCreated},
	"ConversationOpen":         {typ: domain.EventConversationStatusChanged, status: domain.StatusOpen},
	"ConversationPending":      {typ: domain.EventConversationStatusChanged, status: domain.StatusPending},
	"ConversationClosed":       {typ: domain.EventConversationStatusChanged, status: domain.StatusClosed},
	"ConversationNoteAdded":    {typ: domain.EventNoteAdded},
	"ConversationMessageAdded": {typ: domain.EventMessageCreated},
}

// mappingOf returns the unified meaning of a Dixa event name; events not
// translated yet stay OTHER under their own name, so nothing is lost and
// a later mapping can be applied to the stored payloads.
func mappingOf(name string) mapping {
	if m, ok := mappings[name]; ok {
		return m
	}
	return mapping{typ: domain.EventOther}
}

// maxNameLen bounds an event name: ProviderEventType is indexed and shown
// to users, and no real Dixa name comes close.
const maxNameLen = 100

// eventName returns the provider event name for an event_fqn, and whether
// Dixa documents it. Unknown names are converted the way Dixa derives
// event_fqn, so that a new Dixa event is stored under its real name.
func eventName(fqn string) (name string, known bool) {
	if n, ok := byFoldedName[fold(fqn)]; ok {
		return n, true
	}
	if !strings.Contains(fqn, "_") && strings.ToUpper(fqn) != fqn {
		return fqn, false // already CamelCase
	}
	var b strings.Builder
	for _, part := range strings.Split(fqn, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(strings.ToLower(part[1:]))
	}
	if b.Len() == 0 {
		return fqn, false
	}
	return b.String(), false
}

// isName reports whether s can be kept as an event name: a short run of
// letters, digits and separators. Anything else (a garbled field, a NUL
// byte, a whole document) is not a name and is reported as "unknown".
func isName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
		default:
			return false
		}
	}
	return true
}
