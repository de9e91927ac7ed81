package condition

import (
	"testing"

	"github.com/helpdesk-gateway/gateway/domain"
)

func TestFactsCompleteTheEventWithTheStoredState(t *testing.T) {
	q, in, origin, channel := "q1", "i1", "API", "EMAIL"
	stored := &domain.Conversation{ExternalID: "c1", Status: domain.StatusOpen, Channel: &channel, Queue: &q, Inbox: &in, Origin: &origin, Tags: []string{"vip"}}
	compile := func(field domain.ConditionField, v string) *Matcher {
		t.Helper()
		m, err := Compile(domain.Conditions{List: []domain.Condition{{ID: 1, Field: field, Operator: domain.OpEquals, Values: []string{v}}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	bare := &domain.Event{Type: domain.EventMessageCreated, ConversationID: "cv"}
	for _, c := range []struct {
		field domain.ConditionField
		value string
	}{{domain.FieldQueueID, "q1"}, {domain.FieldInboxID, "i1"}, {domain.FieldOperationOrigin, "api"}, {domain.FieldChannel, "email"}, {domain.FieldTag, "VIP"}, {domain.FieldStatus, "open"}} {
		if !compile(c.field, c.value).Match(Facts(bare, stored, nil)) {
			t.Errorf("%s = %s: stored state not tested", c.field, c.value)
		}
		if compile(c.field, c.value).Match(Facts(bare, nil, nil)) {
			t.Errorf("%s = %s matched with nothing known", c.field, c.value)
		}
	}
	said := &domain.Event{ConversationID: "cv", Conversation: &domain.ConversationUpdate{Queue: "q2", TagsAdded: []string{"new"}}}
	if !compile(domain.FieldQueueID, "q2").Match(Facts(said, stored, nil)) || compile(domain.FieldQueueID, "q1").Match(Facts(said, stored, nil)) {
		t.Error("the event's own queue does not win over the stored one")
	}
	if !compile(domain.FieldTag, "new").Match(Facts(said, stored, nil)) || !compile(domain.FieldTag, "vip").Match(Facts(said, stored, nil)) {
		t.Error("tags added by the event are not tested beside the stored ones")
	}
}
