package dixa

import (
	"strings"
	"testing"
	"unicode"
)

// snake derives Dixa's event_fqn from a subscription name the way Dixa
// does, acronyms included, to check the table was typed right.
func snake(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) &&
			(unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

func TestEventNamesTableIsConsistent(t *testing.T) {
	if len(eventNames) != 32 {
		t.Errorf("table has %d events, want the 32 Dixa lets a webhook subscribe to", len(eventNames))
	}
	for fqn, name := range eventNames {
		if snake(name) != fqn {
			t.Errorf("%s maps to %s, whose event_fqn is %s", fqn, name, snake(name))
		}
		if got, known := eventName(fqn); got != name || !known {
			t.Errorf("eventName(%s) = %s, %v; want %s, true", fqn, got, known, name)
		}
	}
}

func TestEventName(t *testing.T) {
	tests := []struct {
		fqn, want string
		known     bool
	}{
		{"CONVERSATION_NOTE_ADDED", "ConversationNoteAdded", true},
		{"SLA_EVALUATION_PENDING", "SLAEvaluationPending", true},
		{"AGENT_BANNED_ENDUSER", "AgentBannedEnduser", true},
		{"TYPING_STARTED", "TypingStarted", true},
		{"AGENT_UNBANNED_IP", "AgentUnbannedIp", true},
		{"CONVERSATION_END_USER_REPLACED", "ConversationEndUserReplaced", true},
		{"conversation_note_added", "ConversationNoteAdded", true},
		{"ConversationNoteAdded", "ConversationNoteAdded", true},
		{"CONVERSATION_SNOOZED", "ConversationSnoozed", false},
		{"TYPING__STOPPED_", "TypingStopped", false},
		{"ConversationSnoozed", "ConversationSnoozed", false},
		{"X", "X", false},
		{"___", "___", false},
	}
	for _, tt := range tests {
		got, known := eventName(tt.fqn)
		if got != tt.want || known != tt.known {
			t.Errorf("eventName(%q) = %q, %v; want %q, %v", tt.fqn, got, known, tt.want, tt.known)
		}
	}
}

func TestMappingsCoverEveryEvent(t *testing.T) {
	if len(mappings) != len(eventNames) {
		t.Errorf("%d mappings for %d events", len(mappings), len(eventNames))
	}
	for _, name := range eventNames {
		m, ok := mappings[name]
		if !ok {
			t.Errorf("%s has no mapping", name)
			continue
		}
		if !m.typ.IsValid() {
			t.Errorf("%s maps to %q, not an event type", name, m.typ)
		}
		if strings.HasPrefix(name, "Conversation") != m.conversation {
			t.Errorf("%s: conversation = %v, want it required exactly for Conversation* events", name, m.conversation)
		}
	}
}
