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

// facts names the event-specific part of data that an event carries
// beside the conversation snapshot.
type facts int

const (
	factsNone       facts = iota
	factsAssigned         // the agent the conversation went to
	factsUnassigned       // the conversation has no agent any more
	factsNote             // an internal note: note_id, text, author
	factsMessage          // a message: message_id, content, direction, author
	factsTagAdded         // tag
	factsTagRemoved       // tag
	factsDelivery         // a delivery report about message_id
	factsBan              // the end user an agent banned or unbanned
)

// mapping is what a Dixa event means in the unified model. status, when
// set, is implied by the event itself and wins over the conversation
// snapshot, which Dixa may have taken before the change. conversation says
// the event is about one conversation, so without its csid it cannot be
// translated.
type mapping struct {
	typ          domain.EventType
	status       domain.ConversationStatus
	facts        facts
	conversation bool
}

// mappings gives the meaning of every event Dixa lets a webhook subscribe
// to; TestMappingsCoverEveryEvent keeps it in step with eventNames.
var mappings = map[string]mapping{
	"ConversationCreated":                {typ: domain.EventConversationCreated, conversation: true},
	"ConversationCustomAttributeUpdated": {typ: domain.EventConversationUpdated, conversation: true},
	"ConversationOpen":                   {typ: domain.EventConversationStatusChanged, status: domain.StatusOpen, conversation: true},
	"ConversationPending":                {typ: domain.EventConversationStatusChanged, status: domain.StatusPending, conversation: true},
	"ConversationClosed":                 {typ: domain.EventConversationStatusChanged, status: domain.StatusClosed, conversation: true},
	// An expired follow-up and an abandoned conversation change the status
	// without saying to what: the snapshot says it.
	"ConversationPendingExpired":  {typ: domain.EventConversationStatusChanged, conversation: true},
	"ConversationAbandoned":       {typ: domain.EventConversationStatusChanged, conversation: true},
	"ConversationEnqueued":        {typ: domain.EventConversationUpdated, conversation: true},
	"ConversationTransferred":     {typ: domain.EventConversationUpdated, conversation: true},
	"ConversationEndUserReplaced": {typ: domain.EventConversationUpdated, conversation: true},
	"ConversationAssigned":        {typ: domain.EventConversationAssigned, facts: factsAssigned, conversation: true},
	"ConversationUnassigned":      {typ: domain.EventConversationAssigned, facts: factsUnassigned, conversation: true},
	"ConversationNoteAdded":       {typ: domain.EventNoteAdded, facts: factsNote, conversation: true},
	"ConversationMessageAdded":    {typ: domain.EventMessageCreated, facts: factsMessage, conversation: true},
	"ConversationTagAdded":        {typ: domain.EventConversationTagged, facts: factsTagAdded, conversation: true},
	"ConversationTagRemoved":      {typ: domain.EventConversationTagged, facts: factsTagRemoved, conversation: true},
	"ConversationRated":           {typ: domain.EventConversationRated, conversation: true},

	"ConversationMessageDeliverySent":          {typ: domain.EventMessageUpdated, facts: factsDelivery, conversation: true},
	"ConversationMessageDeliveryDelivered":     {typ: domain.EventMessageUpdated, facts: factsDelivery, conversation: true},
	"ConversationMessageDeliverySeen":          {typ: domain.EventMessageUpdated, facts: factsDelivery, conversation: true},
	"ConversationMessageDeliveryFailed":        {typ: domain.EventMessageUpdated, facts: factsDelivery, conversation: true},
	"ConversationMessageDeliveryInfo":          {typ: domain.EventMessageUpdated, facts: factsDelivery, conversation: true},
	"ConversationMessageDeliverySpamComplaint": {typ: domain.EventMessageUpdated, facts: factsDelivery, conversation: true},

	"AgentBannedEnduser":   {typ: domain.EventContactUpdated, facts: factsBan},
	"AgentUnbannedEnduser": {typ: domain.EventContactUpdated, facts: factsBan},
	// An IP ban concerns no conversation, contact or message the gateway
	// keeps: it is understood, and stays OTHER without a reason.
	"AgentBannedIp":   {typ: domain.EventOther},
	"AgentUnbannedIp": {typ: domain.EventOther},

	"TypingStarted": {typ: domain.EventTypingStarted},

	"SLAEvaluationPending":  {typ: domain.EventSLAUpdated},
	"SLAEvaluationBreached": {typ: domain.EventSLAUpdated},
	"SLAEvaluationAchieved": {typ: domain.EventSLAUpdated},
	"SLAEvaluationVoided":   {typ: domain.EventSLAUpdated},
}

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
