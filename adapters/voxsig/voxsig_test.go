package voxsig

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the adapter's output")

func TestContract(t *testing.T) {
	adapterstest.Run(t, New(), adapterstest.Samples(t, "testdata"))
}

func TestGolden(t *testing.T) {
	adapterstest.Golden(t, New(), "testdata", *update)
}

// parseBody parses body as received at adapterstest.ReceivedAt and returns
// its one event.
func parseBody(t *testing.T, body string) *domain.Event {
	t.Helper()
	req := &adapters.Request{Header: http.Header{}, Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt}
	res, err := New().Parse(req)
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	if err := adapterstest.CheckEvents(domain.ProviderVoxsig, req, res.Events); err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("Parse(%s) gave %d events, want 1", body, len(res.Events))
	}
	return res.Events[0]
}

// sampleEvent parses testdata/<name>.json.
func sampleEvent(t *testing.T, name string) *domain.Event {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return parseBody(t, string(body))
}

func TestEveryKnownEventHasASample(t *testing.T) {
	names := EventNames()
	if len(names) != 18 {
		t.Fatalf("EventNames() has %d names, want the 14 of PROVIDERS.md (12 current, 2 deprecated) and 4 automation rule triggers: %v",
			len(names), names)
	}
	for _, name := range names {
		ev := sampleEvent(t, name)
		if ev.ProviderEventType != name {
			t.Errorf("testdata/%s.json: ProviderEventType = %q, want %q", name, ev.ProviderEventType, name)
		}
		if ev.Reason != "" {
			t.Errorf("testdata/%s.json: Reason = %q, want a translated event", name, ev.Reason)
		}
	}
}

func TestNotJSONIsInvalid(t *testing.T) {
	for _, body := range []string{"", "{", `{"event":"message_created"`, "not json", "\x00"} {
		_, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("Parse(%q) error = %v, want %q", body, err, domain.EINVALID)
		}
	}
	if _, err := New().Parse(nil); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("Parse(nil) error = %v, want %q", err, domain.EINVALID)
	}
}

// conv is a minimal conversation payload with the given extra fields.
func conv(event, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"event":"` + event + `","id":42,"account_id":3,"updated_at":1709528000.5` + extra + `}`
}

// msg is a minimal message payload with the given extra fields.
func msg(event, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{"event":"` + event + `","id":902,"account":{"id":3},"created_at":"2024-03-04T04:51:00Z",` +
		`"updated_at":"2024-03-04T04:52:00Z","conversation":{"id":42}` + extra + `}`
}

func TestEventTypes(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantType   domain.EventType
		wantPET    string
		wantStatus domain.ConversationStatus
		wantReason bool
	}{
		{"conversation_created is CONVERSATION_CREATED", conv("conversation_created", `"status":"open"`),
			domain.EventConversationCreated, "conversation_created", domain.StatusOpen, false},
		{"conversation_updated naming assignee_id is CONVERSATION_ASSIGNED",
			conv("conversation_updated", `"changed_attributes":[{"assignee_id":{"previous_value":null,"current_value":5}}]`),
			domain.EventConversationAssigned, "conversation_updated", "", false},
		{"conversation_updated naming assignee is CONVERSATION_ASSIGNED",
			conv("conversation_updated", `"changed_attributes":[{"assignee":{"previous_value":null,"current_value":5}}]`),
			domain.EventConversationAssigned, "conversation_updated", "", false},
		{"conversation_updated naming label_list is CONVERSATION_TAGGED",
			conv("conversation_updated", `"changed_attributes":[{"label_list":{"previous_value":[],"current_value":["a"]}}]`),
			domain.EventConversationTagged, "conversation_updated", "", false},
		{"conversation_updated naming labels is CONVERSATION_TAGGED",
			conv("conversation_updated", `"changed_attributes":{"labels":{"previous_value":[],"current_value":["a"]}}`),
			domain.EventConversationTagged, "conversation_updated", "", false},
		{"conversation_updated naming assignee and labels is CONVERSATION_ASSIGNED",
			conv("conversation_updated", `"changed_attributes":[{"label_list":{}},{"assignee_id":{}}]`),
			domain.EventConversationAssigned, "conversation_updated", "", false},
		{"conversation_updated naming priority is CONVERSATION_UPDATED",
			conv("conversation_updated", `"changed_attributes":[{"priority":{"previous_value":null,"current_value":"high"}}]`),
			domain.EventConversationUpdated, "conversation_updated", "", false},
		{"conversation_updated without changed_attributes is CONVERSATION_UPDATED",
			conv("conversation_updated", ""), domain.EventConversationUpdated, "conversation_updated", "", false},
		{"conversation_status_changed to open is OPEN", conv("conversation_status_changed", `"status":"open"`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusOpen, false},
		{"conversation_status_changed to resolved is RESOLVED", conv("conversation_status_changed", `"status":"resolved"`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusResolved, false},
		{"conversation_status_changed to pending is PENDING", conv("conversation_status_changed", `"status":"pending"`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusPending, false},
		{"conversation_status_changed to snoozed is SNOOZED", conv("conversation_status_changed", `"status":"snoozed"`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusSnoozed, false},
		{"conversation_status_changed to an unknown status is UNKNOWN", conv("conversation_status_changed", `"status":"archived"`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusUnknown, false},
		{"conversation_status_changed with the enum index is mapped", conv("conversation_status_changed", `"status":3`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusSnoozed, false},
		{"conversation_status_changed without status reads changed_attributes",
			conv("conversation_status_changed", `"changed_attributes":[{"status":{"previous_value":"open","current_value":"pending"}}]`),
			domain.EventConversationStatusChanged, "conversation_status_changed", domain.StatusPending, false},
		{"conversation_resolved is RESOLVED whatever the snapshot says", conv("conversation_resolved", `"status":"open"`),
			domain.EventConversationStatusChanged, "conversation_resolved", domain.StatusResolved, false},
		{"conversation_opened is OPEN", conv("conversation_opened", ""),
			domain.EventConversationStatusChanged, "conversation_opened", domain.StatusOpen, false},
		{"message_created is MESSAGE_CREATED", msg("message_created", `"message_type":"incoming"`),
			domain.EventMessageCreated, "message_created", "", false},
		{"private message_created is NOTE_ADDED", msg("message_created", `"message_type":"outgoing","private":true`),
			domain.EventNoteAdded, "message_created", "", false},
		{"private message_updated stays MESSAGE_UPDATED", msg("message_updated", `"private":true`),
			domain.EventMessageUpdated, "message_updated", "", false},
		{"message_updated is MESSAGE_UPDATED", msg("message_updated", `"message_type":"outgoing"`),
			domain.EventMessageUpdated, "message_updated", "", false},
		{"webwidget_triggered is WIDGET_OPENED", `{"event":"webwidget_triggered","id":311,"source_id":"s"}`,
			domain.EventWidgetOpened, "webwidget_triggered", "", false},
		{"contact_created is CONTACT_CREATED", `{"event":"contact_created","id":17}`,
			domain.EventContactCreated, "contact_created", "", false},
		{"contact_updated is CONTACT_UPDATED", `{"event":"contact_updated","id":17}`,
			domain.EventContactUpdated, "contact_updated", "", false},
		{"conversation_typing_on is TYPING_STARTED", `{"event":"conversation_typing_on","conversation":{"id":42}}`,
			domain.EventTypingStarted, "conversation_typing_on", "", false},
		{"conversation_typing_off is TYPING_STOPPED", `{"event":"conversation_typing_off","conversation":{"id":42}}`,
			domain.EventTypingStopped, "conversation_typing_off", "", false},
		{"inbox_created is OTHER under its name, understood", `{"event":"inbox_created","id":6}`,
			domain.EventOther, "inbox_created", "", false},
		{"inbox_updated is OTHER under its name, understood", `{"event":"inbox_updated","id":6}`,
			domain.EventOther, "inbox_updated", "", false},
		{"an event name in another case is known", conv(" Conversation_Created ", ""),
			domain.EventConversationCreated, "conversation_created", "", false},
		{"an unknown event is OTHER under its own name", `{"event":"conversation_deleted","id":42}`,
			domain.EventOther, "conversation_deleted", "", true},
		{"a missing event name is OTHER unknown", `{"id":42}`, domain.EventOther, "unknown", "", true},
		{"an event name that is not a name is OTHER unknown", `{"event":"message created!"}`, domain.EventOther, "unknown", "", true},
		{"a body that is not an object is OTHER unknown", `[{"event":"message_created"}]`, domain.EventOther, "unknown", "", true},
		{"a conversation event without id is OTHER", `{"event":"conversation_created","status":"open"}`,
			domain.EventOther, "conversation_created", "", true},
		{"a message event without message id is OTHER", `{"event":"message_created","conversation":{"id":42}}`,
			domain.EventOther, "message_created", "", true},
		{"a contact event without id is OTHER", `{"event":"contact_created","name":"x"}`,
			domain.EventOther, "contact_created", "", true},
		{"a typing event without a conversation id is OTHER", `{"event":"conversation_typing_off","conversation":{}}`,
			domain.EventOther, "conversation_typing_off", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parseBody(t, tt.body)
			if ev.Type != tt.wantType || ev.ProviderEventType != tt.wantPET {
				t.Fatalf("Type, ProviderEventType = %s, %q; want %s, %q", ev.Type, ev.ProviderEventType, tt.wantType, tt.wantPET)
			}
			if (ev.Reason != "") != tt.wantReason {
				t.Fatalf("Reason = %q, want one: %v", ev.Reason, tt.wantReason)
			}
			var status domain.ConversationStatus
			if ev.Conversation != nil {
				status = ev.Conversation.Status
			}
			if status != tt.wantStatus {
				t.Fatalf("Conversation.Status = %q, want %q", status, tt.wantStatus)
			}
		})
	}
}

func TestMessageDirectionAndAuthor(t *testing.T) {
	tests := []struct {
		name        string
		extra       string
		wantDir     domain.MessageDirection
		wantPrivate bool
		wantRole    domain.PersonRole // "" means no author
		wantAuthor  string
	}{
		{"incoming is INBOUND from the contact", `"message_type":"incoming","sender":{"id":17,"type":"contact","name":"Priya"}`,
			domain.DirectionInbound, false, domain.RoleContact, "17"},
		{"outgoing is OUTBOUND from the agent", `"message_type":"outgoing","sender":{"id":5,"type":"user"}`,
			domain.DirectionOutbound, false, domain.RoleAgent, "5"},
		{"activity without sender is INTERNAL by the system", `"message_type":"activity","sender":null`,
			domain.DirectionInternal, false, domain.RoleSystem, systemAuthor},
		{"template is OUTBOUND", `"message_type":"template"`, domain.DirectionOutbound, false, "", ""},
		{"integer 0 is INBOUND", `"message_type":0`, domain.DirectionInbound, false, "", ""},
		{"integer 1 is OUTBOUND", `"message_type":1`, domain.DirectionOutbound, false, "", ""},
		{"integer 2 is INTERNAL by the system", `"message_type":2`, domain.DirectionInternal, false, domain.RoleSystem, systemAuthor},
		{"integer 3 is OUTBOUND", `"message_type":3`, domain.DirectionOutbound, false, "", ""},
		{"private is INTERNAL and Private", `"message_type":"outgoing","private":true,"sender":{"id":5,"type":"user"}`,
			domain.DirectionInternal, true, domain.RoleAgent, "5"},
		{"private as a string is Private", `"message_type":"outgoing","private":"true"`, domain.DirectionInternal, true, "", ""},
		{"a bot sender is a system author", `"message_type":"outgoing","sender":{"id":1,"type":"agent_bot"}`,
			domain.DirectionOutbound, false, domain.RoleSystem, "1"},
		{"a sender without type is judged by the message type", `"message_type":"incoming","sender":{"id":17}`,
			domain.DirectionInbound, false, domain.RoleContact, "17"},
		{"an unknown type is judged by the sender", `"message_type":"whisper","sender":{"id":5,"type":"user"}`,
			domain.DirectionOutbound, false, domain.RoleAgent, "5"},
		{"an unknown type without sender has no direction", `"message_type":"whisper"`, "", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseBody(t, msg("message_created", tt.extra)).Message
			if m == nil {
				t.Fatal("no Message")
			}
			if m.Direction != tt.wantDir || m.Private != tt.wantPrivate {
				t.Fatalf("Direction, Private = %q, %v; want %q, %v", m.Direction, m.Private, tt.wantDir, tt.wantPrivate)
			}
			switch {
			case tt.wantRole == "" && m.Author != nil:
				t.Fatalf("Author = %+v, want none", m.Author)
			case tt.wantRole != "" && m.Author == nil:
				t.Fatalf("no Author, want %s %s", tt.wantRole, tt.wantAuthor)
			case tt.wantRole != "" && (m.Author.Role != tt.wantRole || m.Author.ExternalID != tt.wantAuthor || m.Author.Account != "3"):
				t.Fatalf("Author = %+v, want %s %s in account 3", m.Author, tt.wantRole, tt.wantAuthor)
			}
		})
	}
}

func TestConversationFacts(t *testing.T) {
	t.Run("a conversation event carries its people, tags and account", func(t *testing.T) {
		c := sampleEvent(t, "conversation_updated").Conversation
		if c.Account != "3" || c.ExternalID != "42" || c.Kind != domain.KindConversation || c.Channel != "Channel::WebWidget" {
			t.Fatalf("conversation = %+v, want account 3, id 42, a web widget CONVERSATION", c)
		}
		if r := c.Requester; r == nil || r.Role != domain.RoleContact || r.ExternalID != "17" || r.Email != "priya.sharma@example.com" || r.Phone != "+919876543210" || r.Account != "3" {
			t.Fatalf("Requester = %+v, want contact 17 of account 3 with email and phone", r)
		}
		if a := c.Assignee; a == nil || a.Role != domain.RoleAgent || a.ExternalID != "5" || a.Name != "Arjun Mehta" || c.Unassigned {
			t.Fatalf("Assignee = %+v, Unassigned = %v; want agent 5", a, c.Unassigned)
		}
		if !c.TagsKnown || len(c.Tags) != 0 {
			t.Fatalf("Tags = %v, TagsKnown = %v; want the known empty set", c.Tags, c.TagsKnown)
		}
		if want := time.Unix(1709527800, 0).UTC(); !c.CreatedAt.Equal(want) {
			t.Fatalf("CreatedAt = %s, want %s", c.CreatedAt, want)
		}
	})
	t.Run("labels are the whole tag set", func(t *testing.T) {
		c := sampleEvent(t, "conversation_updated_labels").Conversation
		if !c.TagsKnown || strings.Join(c.Tags, ",") != "delivery,vip" {
			t.Fatalf("Tags = %v, TagsKnown = %v; want delivery,vip", c.Tags, c.TagsKnown)
		}
	})
	t.Run("labels in changed_attributes only are the whole tag set", func(t *testing.T) {
		c := parseBody(t, conv("conversation_updated", `"changed_attributes":[{"label_list":{"previous_value":["a"],"current_value":["b",""," c "]}}]`)).Conversation
		if !c.TagsKnown || strings.Join(c.Tags, ",") != "b,c" {
			t.Fatalf("Tags = %q, TagsKnown = %v; want b,c", c.Tags, c.TagsKnown)
		}
	})
	t.Run("no labels says nothing about tags", func(t *testing.T) {
		c := parseBody(t, conv("conversation_updated", "")).Conversation
		if c.TagsKnown || c.Tags != nil {
			t.Fatalf("Tags = %v, TagsKnown = %v; want nothing", c.Tags, c.TagsKnown)
		}
	})
	t.Run("a null meta.assignee unassigns", func(t *testing.T) {
		c := parseBody(t, conv("conversation_updated", `"meta":{"assignee":null}`)).Conversation
		if !c.Unassigned || c.Assignee != nil {
			t.Fatalf("Assignee = %+v, Unassigned = %v; want unassigned", c.Assignee, c.Unassigned)
		}
	})
	t.Run("an absent meta.assignee says nothing", func(t *testing.T) {
		c := parseBody(t, conv("conversation_updated", `"meta":{"sender":{"id":17}}`)).Conversation
		if c.Unassigned || c.Assignee != nil {
			t.Fatalf("Assignee = %+v, Unassigned = %v; want nothing", c.Assignee, c.Unassigned)
		}
	})
	t.Run("assignee_id changed to null unassigns", func(t *testing.T) {
		ev := sampleEvent(t, "conversation_updated_unassigned")
		if ev.Type != domain.EventConversationAssigned || !ev.Conversation.Unassigned || ev.Conversation.Assignee != nil {
			t.Fatalf("Type = %s, Assignee = %+v, Unassigned = %v; want an unassignment", ev.Type, ev.Conversation.Assignee, ev.Conversation.Unassigned)
		}
	})
	t.Run("a message's conversation prefers display_id and takes the account from account.id", func(t *testing.T) {
		c := sampleEvent(t, "message_created").Conversation
		if c == nil || c.ExternalID != "42" || c.Account != "3" {
			t.Fatalf("conversation = %+v, want display id 42 in account 3 (not the row id 1187)", c)
		}
	})
	t.Run("the account comes from the conversation's messages as a last resort", func(t *testing.T) {
		c := parseBody(t, `{"event":"conversation_created","id":42,"messages":[{"id":1,"account_id":9}]}`).Conversation
		if c.Account != "9" {
			t.Fatalf("Account = %q, want 9", c.Account)
		}
	})
	t.Run("a typing event's conversation is attached", func(t *testing.T) {
		c := sampleEvent(t, "conversation_typing_on").Conversation
		if c == nil || c.ExternalID != "42" || c.Account != "3" {
			t.Fatalf("conversation = %+v, want 42 in account 3", c)
		}
	})
	t.Run("a widget opened without a conversation has none", func(t *testing.T) {
		ev := sampleEvent(t, "webwidget_triggered_no_conversation")
		if ev.Type != domain.EventWidgetOpened || ev.Conversation != nil || ev.Reason != "" {
			t.Fatalf("Type = %s, Conversation = %+v, Reason = %q; want WIDGET_OPENED without conversation", ev.Type, ev.Conversation, ev.Reason)
		}
	})
	t.Run("an email conversation's subject is its mail_subject", func(t *testing.T) {
		c := parseBody(t, conv("conversation_created", `"channel":"Channel::Email","additional_attributes":{"mail_subject":"Order #5531"}`)).Conversation
		if c.Subject != "Order #5531" {
			t.Fatalf("Subject = %q, want the mail subject", c.Subject)
		}
	})
	t.Run("a contact event carries the contact", func(t *testing.T) {
		ev := sampleEvent(t, "contact_updated")
		if len(ev.Contacts) != 1 {
			t.Fatalf("Contacts = %v, want one", ev.Contacts)
		}
		if p := ev.Contacts[0]; p.ExternalID != "17" || p.Account != "3" || p.Role != domain.RoleContact || p.Name != "Priya S. Sharma" || p.Email != "priya@sharma.example.net" {
			t.Fatalf("contact = %+v, want the updated contact 17 of account 3", p)
		}
	})
}

func TestOccurredAt(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	received := adapterstest.ReceivedAt
	tests := []struct {
		name string
		body string
		want time.Time
	}{
		{"integer seconds", msg("message_created", "") + "", at("2024-03-04T04:51:00Z")},
		{"created_at as integer seconds", `{"event":"message_created","id":1,"created_at":1709527860}`, at("2024-03-04T04:51:00Z")},
		{"created_at as float seconds", `{"event":"message_created","id":1,"created_at":1709527860.25}`, at("2024-03-04T04:51:00.25Z")},
		{"created_at as ISO-8601", `{"event":"message_created","id":1,"created_at":"2024-03-04T10:21:00+05:30"}`, at("2024-03-04T04:51:00Z")},
		{"created_at as a browser date string", `{"event":"message_created","id":1,"created_at":"Mon Mar 04 2024 10:21:00 GMT+0530 (India Standard Time)"}`,
			at("2024-03-04T04:51:00Z")},
		{"an unparsable created_at is the receive time", `{"event":"message_created","id":1,"created_at":"yesterday"}`, received},
		{"a wrong-typed created_at is the receive time", `{"event":"message_created","id":1,"created_at":{"t":1}}`, received},
		{"message_updated uses updated_at", msg("message_updated", ""), at("2024-03-04T04:52:00Z")},
		{"message_updated without updated_at uses created_at", `{"event":"message_updated","id":1,"created_at":1709527860}`, at("2024-03-04T04:51:00Z")},
		{"a conversation event uses updated_at", `{"event":"conversation_updated","id":42,"updated_at":1709527920,"timestamp":1709527860,"created_at":1709527800}`,
			at("2024-03-04T04:52:00Z")},
		{"a conversation event without updated_at uses timestamp", `{"event":"conversation_updated","id":42,"timestamp":1709527860,"created_at":1709527800}`,
			at("2024-03-04T04:51:00Z")},
		{"a conversation event with a bad updated_at uses timestamp", `{"event":"conversation_updated","id":42,"updated_at":"soon","timestamp":1709527860}`,
			at("2024-03-04T04:51:00Z")},
		{"a conversation event with created_at only uses it", `{"event":"conversation_created","id":42,"created_at":1709527800}`,
			at("2024-03-04T04:50:00Z")},
		{"a conversation event without updated_at uses the changed updated_at",
			`{"event":"conversation_updated","id":42,"timestamp":1,"changed_attributes":[{"updated_at":{"current_value":"2024-03-04T04:52:00Z"}}]}`,
			at("2024-03-04T04:52:00Z")},
		{"a contact event uses updated_at", `{"event":"contact_updated","id":17,"updated_at":"2024-03-04T04:52:00Z","created_at":"2024-03-04T04:50:00Z"}`,
			at("2024-03-04T04:52:00Z")},
		{"a contact event without times is the receive time", `{"event":"contact_created","id":17}`, received},
		{"a widget opening uses initiated_at", sampleBody(t, "webwidget_triggered"), at("2024-03-04T05:00:12Z")},
		{"a typing event is the receive time", `{"event":"conversation_typing_on","conversation":{"id":42,"updated_at":1}}`, received},
		{"an unknown event uses its updated_at", `{"event":"x","updated_at":1709527920}`, at("2024-03-04T04:52:00Z")},
		{"a year past 9999 is the receive time", `{"event":"message_created","id":1,"created_at":"10000-01-01T00:00:00Z"}`, received},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parseBody(t, tt.body)
			if !ev.OccurredAt.Equal(tt.want) {
				t.Fatalf("OccurredAt = %s, want %s", ev.OccurredAt.Format(time.RFC3339Nano), tt.want.Format(time.RFC3339Nano))
			}
			if !ev.ReceivedAt.Equal(received) {
				t.Fatalf("ReceivedAt = %s, want the request's %s", ev.ReceivedAt, received)
			}
		})
	}
}

func sampleBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDedupeKeys(t *testing.T) {
	typing := `{"event":"conversation_typing_on","user":{"id":5},"conversation":{"id":42}}`
	tests := []struct {
		name string
		body string
		want string
	}{
		{"a conversation event is keyed on account, name, id and updated_at as sent",
			`{"event":"conversation_updated","id":42,"account_id":3,"updated_at":1709527920.998172}`,
			"voxsig:3:conversation_updated:42:1709527920.998172"},
		{"an update without updated_at falls back to the changed updated_at",
			`{"event":"conversation_updated","id":42,"account_id":3,"changed_attributes":[{"updated_at":{"current_value":"2024-03-04T04:52:00.998Z"}}]}`,
			"voxsig:3:conversation_updated:42:2024-03-04T04:52:00.998Z"},
		{"an update without any updated_at is keyed on the body",
			`{"event":"conversation_updated","id":42,"account_id":3,"timestamp":1709527920}`,
			adapters.BodyKey(domain.ProviderVoxsig, []byte(`{"event":"conversation_updated","id":42,"account_id":3,"timestamp":1709527920}`))},
		{"a creation without updated_at is keyed on created_at",
			`{"event":"conversation_created","id":42,"account_id":3,"created_at":1709527800,"timestamp":1709527860}`,
			"voxsig:3:conversation_created:42:1709527800"},
		{"a creation without updated_at or created_at is keyed on timestamp",
			`{"event":"conversation_created","id":42,"account_id":3,"timestamp":1709527860}`,
			"voxsig:3:conversation_created:42:1709527860"},
		{"a message is keyed on its id and created_at as sent",
			`{"event":"message_created","id":902,"account":{"id":3},"created_at":"Mon Mar 04 2024 10:21:00 GMT+0530 (India Standard Time)"}`,
			"voxsig:3:message_created:902:Mon Mar 04 2024 10:21:00 GMT+0530 (India Standard Time)"},
		{"an unparsable timestamp still keys the event",
			`{"event":"message_created","id":902,"account":{"id":3},"created_at":"yesterday"}`,
			"voxsig:3:message_created:902:yesterday"},
		{"a message update is keyed on updated_at", msg("message_updated", ""), "voxsig:3:message_updated:902:2024-03-04T04:52:00Z"},
		{"a contact creation without times is keyed on its id", `{"event":"contact_created","id":17,"account":{"id":3}}`,
			"voxsig:3:contact_created:17:"},
		{"an account-less payload leaves the account empty", `{"event":"contact_created","id":17,"created_at":1}`,
			"voxsig::contact_created:17:1"},
		{"a long id is hashed", `{"event":"contact_created","id":"` + strings.Repeat("9a", 100) + `"}`,
			"voxsig::contact_created:" + payload.Key(strings.Repeat("9a", 100)) + ":"},
		{"an inbox is keyed on its id", `{"event":"inbox_updated","id":6,"account_id":3,"updated_at":"2024-03-04T05:02:44.519Z"}`,
			"voxsig:3:inbox_updated:6:2024-03-04T05:02:44.519Z"},
		{"a widget opening is keyed on id, source_id and initiated_at",
			`{"event":"webwidget_triggered","id":311,"source_id":"abc","account":{"id":3},"event_info":{"initiated_at":{"timestamp":"Mon Mar 04 2024 10:30:12 GMT+0530"}}}`,
			"voxsig:3:webwidget_triggered:311:abc:Mon Mar 04 2024 10:30:12 GMT+0530"},
		{"a widget opening without initiated_at is keyed on the body", `{"event":"webwidget_triggered","id":311,"source_id":"abc"}`,
			adapters.BodyKey(domain.ProviderVoxsig, []byte(`{"event":"webwidget_triggered","id":311,"source_id":"abc"}`))},
		{"a typing event is keyed on the body", typing, "voxsig:sha256:" + payload.SHA256(typing)},
		{"a message without id is keyed on the body", `{"event":"message_created","created_at":1}`,
			adapters.BodyKey(domain.ProviderVoxsig, []byte(`{"event":"message_created","created_at":1}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseBody(t, tt.body).DedupeKey; got != tt.want {
				t.Fatalf("DedupeKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDedupeKeysTellEventsApart(t *testing.T) {
	t.Run("a redelivery has the same key", func(t *testing.T) {
		for _, s := range adapterstest.Samples(t, "testdata") {
			a, b := parseBody(t, string(s.Body)), parseBody(t, string(s.Body))
			if a.DedupeKey != b.DedupeKey {
				t.Errorf("%s: keys %q and %q differ", s.Name, a.DedupeKey, b.DedupeKey)
			}
		}
	})
	t.Run("every sample has a key of its own", func(t *testing.T) {
		seen := map[string]string{}
		for _, s := range adapterstest.Samples(t, "testdata") {
			k := parseBody(t, string(s.Body)).DedupeKey
			if other, dup := seen[k]; dup {
				t.Errorf("%s and %s share the key %q", s.Name, other, k)
			}
			seen[k] = s.Name
		}
	})
	pairs := []struct{ name, a, b string }{
		{"two updates of one conversation",
			`{"event":"conversation_updated","id":42,"updated_at":1709527920.1}`,
			`{"event":"conversation_updated","id":42,"updated_at":1709527920.2}`},
		{"two events of one conversation change",
			`{"event":"conversation_updated","id":42,"updated_at":1709527920.1}`,
			`{"event":"conversation_status_changed","id":42,"updated_at":1709527920.1}`},
		{"one conversation id in two accounts",
			`{"event":"conversation_created","id":42,"account_id":3,"created_at":1}`,
			`{"event":"conversation_created","id":42,"account_id":4,"created_at":1}`},
		{"two updates of a contact without updated_at",
			`{"event":"contact_updated","id":17,"name":"A","created_at":1}`,
			`{"event":"contact_updated","id":17,"name":"B","created_at":1}`},
		{"two edits of a message without updated_at",
			`{"event":"message_updated","id":902,"content":"a","created_at":1}`,
			`{"event":"message_updated","id":902,"content":"b","created_at":1}`},
		{"typing on and off",
			`{"event":"conversation_typing_on","conversation":{"id":42}}`,
			`{"event":"conversation_typing_off","conversation":{"id":42}}`},
	}
	for _, p := range pairs {
		t.Run(p.name+" have different keys", func(t *testing.T) {
			if a, b := parseBody(t, p.a).DedupeKey, parseBody(t, p.b).DedupeKey; a == b {
				t.Fatalf("both keyed %q", a)
			}
		})
	}
}

func TestSeedPayloadsAreKept(t *testing.T) {
	// The seed's templates use type names as values ("id": "integer"):
	// lenient reading keeps them as the ids and raw status they claim to be.
	ev := sampleEvent(t, "seed_message_created")
	if ev.Type != domain.EventMessageCreated || ev.Message == nil || ev.Message.ExternalID != "integer" {
		t.Fatalf("seed message_created = %s %+v, want MESSAGE_CREATED with message id \"integer\"", ev.Type, ev.Message)
	}
	if c := ev.Conversation; c == nil || c.Status != domain.StatusUnknown || c.ProviderStatus != "string" {
		t.Fatalf("seed conversation = %+v, want status UNKNOWN kept raw as \"string\"", c)
	}
	if ev := sampleEvent(t, "seed_event_name"); ev.Type != domain.EventOther || ev.ProviderEventType != "event_name" || ev.Reason == "" {
		t.Fatalf("seed event_name = %s %q %q, want OTHER under its name with a Reason", ev.Type, ev.ProviderEventType, ev.Reason)
	}
}

// An automation rule's webhook is the conversation: each trigger becomes
// the event its account webhook counterpart would be, with the
// conversation's state and, for message_created, messages[0].
func TestAutomationRuleEvents(t *testing.T) {
	type want struct {
		typ                       domain.EventType
		conversation              string
		status                    domain.ConversationStatus
		requester, assignee, tags string
		message                   string
		direction                 domain.MessageDirection
		authorRole                domain.PersonRole
		author                    string
	}
	tests := []struct {
		sample string
		want   want
	}{
		{"automation_event.message_created", want{typ: domain.EventMessageCreated, conversation: "42", status: domain.StatusOpen,
			requester: "17", assignee: "5", tags: "delivery", message: "902", direction: domain.DirectionInbound,
			authorRole: domain.RoleContact, author: "17"}},
		{"automation_event.message_created_agent_reply", want{typ: domain.EventMessageCreated, conversation: "58", status: domain.StatusPending,
			requester: "17", assignee: "5", tags: "billing", message: "1301", direction: domain.DirectionOutbound,
			authorRole: domain.RoleAgent, author: "5"}},
		{"automation_event.message_created_private_note", want{typ: domain.EventNoteAdded, conversation: "59", status: domain.StatusOpen,
			requester: "17", assignee: "5", message: "1320", direction: domain.DirectionInternal, authorRole: domain.RoleAgent, author: "5"}},
		{"automation_event.conversation_created", want{typ: domain.EventConversationCreated, conversation: "61", status: domain.StatusPending,
			requester: "31"}},
		{"automation_event.conversation_updated", want{typ: domain.EventConversationUpdated, conversation: "42", status: domain.StatusOpen,
			requester: "17", assignee: "5", tags: "delivery,vip"}},
		{"automation_event.conversation_opened", want{typ: domain.EventConversationStatusChanged, conversation: "42", status: domain.StatusOpen,
			requester: "17", assignee: "5", tags: "delivery,vip"}},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			ev := sampleEvent(t, tt.sample)
			w := tt.want
			wantPET, _, _ := strings.Cut(tt.sample, "_agent")
			wantPET, _, _ = strings.Cut(wantPET, "_private")
			if ev.Type != w.typ || ev.ProviderEventType != wantPET || ev.Reason != "" {
				t.Fatalf("Type, ProviderEventType, Reason = %s, %q, %q; want %s, %q, none", ev.Type, ev.ProviderEventType, ev.Reason, w.typ, wantPET)
			}
			c := ev.Conversation
			if c == nil || c.ExternalID != w.conversation || c.Account != "3" || c.Status != w.status {
				t.Fatalf("conversation %+v, want %s in account 3, %s", c, w.conversation, w.status)
			}
			if c.Requester == nil || c.Requester.ExternalID != w.requester || c.Requester.Role != domain.RoleContact {
				t.Errorf("requester %+v, want contact %s", c.Requester, w.requester)
			}
			switch {
			case w.assignee == "" && (c.Assignee != nil || !c.Unassigned):
				t.Errorf("assignee %+v, unassigned %v; want unassigned", c.Assignee, c.Unassigned)
			case w.assignee != "" && (c.Assignee == nil || c.Assignee.ExternalID != w.assignee || c.Assignee.Role != domain.RoleAgent):
				t.Errorf("assignee %+v, want agent %s", c.Assignee, w.assignee)
			}
			if !c.TagsKnown || strings.Join(c.Tags, ",") != w.tags {
				t.Errorf("tags %v (known %v), want %q", c.Tags, c.TagsKnown, w.tags)
			}
			m := ev.Message
			if w.message == "" {
				if m != nil {
					t.Errorf("message %+v, want none", m)
				}
				return
			}
			if m == nil || m.ExternalID != w.message || m.Direction != w.direction || m.Author == nil ||
				m.Author.Role != w.authorRole || m.Author.ExternalID != w.author || m.Author.Account != "3" {
				t.Fatalf("message %+v (author %+v), want %s %s by %s %s", m, m.Author, w.message, w.direction, w.authorRole, w.author)
			}
		})
	}
}

// The same fact through an account webhook and through an automation rule
// is one event: a new message or conversation by the fact key both carry
// (their own keys differ, and a stored account key keeps its meaning), an
// update by the account webhook's own key for the same snapshot.
func TestAutomationAndAccountDeliveriesOfOneFactDedupe(t *testing.T) {
	account := sampleEvent(t, "message_created")
	automation := sampleEvent(t, "automation_event.message_created")
	if account.FactKey == "" || account.FactKey != automation.FactKey {
		t.Errorf("message 902: fact keys %q (account) and %q (automation), want one", account.FactKey, automation.FactKey)
	}
	if account.DedupeKey != "voxsig:3:message_created:902:2024-03-04T04:51:00.204Z" {
		t.Errorf("the account webhook's key changed to %q: stored events would no longer match their redeliveries", account.DedupeKey)
	}
	asAccount := func(sample, event string) *domain.Event {
		t.Helper()
		body := strings.Replace(sampleBody(t, sample), `"event": "automation_event.`+strings.TrimPrefix(sample, "automation_event."), `"event": "`+event, 1)
		ev := parseBody(t, body)
		if ev.ProviderEventType != event {
			t.Fatalf("%s as %s: parsed as %q", sample, event, ev.ProviderEventType)
		}
		return ev
	}
	created, createdByRule := asAccount("automation_event.conversation_created", "conversation_created"), sampleEvent(t, "automation_event.conversation_created")
	if created.FactKey == "" || created.FactKey != createdByRule.FactKey || created.DedupeKey == createdByRule.DedupeKey {
		t.Errorf("conversation_created: keys %q/%q (account) and %q/%q (automation), want one fact key and two dedupe keys",
			created.DedupeKey, created.FactKey, createdByRule.DedupeKey, createdByRule.FactKey)
	}
	for sample, counterpart := range map[string]string{
		"automation_event.conversation_updated": "conversation_updated",
		"automation_event.conversation_opened":  "conversation_status_changed",
	} {
		byRule, byAccount := sampleEvent(t, sample), asAccount(sample, counterpart)
		if byRule.DedupeKey != byAccount.DedupeKey || byRule.FactKey != "" {
			t.Errorf("%s keyed %q (fact %q), want the %s key %q", sample, byRule.DedupeKey, byRule.FactKey, counterpart, byAccount.DedupeKey)
		}
	}
	// A message the account webhook did not deliver is a fact of its own.
	if other := sampleEvent(t, "automation_event.message_created_agent_reply"); other.FactKey == account.FactKey {
		t.Errorf("two messages share the fact key %q", other.FactKey)
	}
}
