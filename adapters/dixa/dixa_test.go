package dixa

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the adapter's output")

// testSecret is the secretKey from Dixa's own documentation (seed 002). It
// is not hex, which is the case signingKey must handle.
const testSecret = "4g4h988p468g785965b780684bde5546c52gge658d76b4q33fb69c526ea4bdbc"

var signedAt = time.Date(2023, time.September, 15, 12, 0, 0, 0, time.UTC)

// samples returns every delivery in testdata, signed as Dixa would sign
// it, so the contract's signature checks run against real signatures.
func samples(t testing.TB) []adapterstest.Sample {
	t.Helper()
	out := adapterstest.Samples(t, "testdata")
	for i := range out {
		out[i].Header.Set(SignatureHeader, Sign(testSecret, signedAt, out[i].Body))
	}
	return out
}

func TestContract(t *testing.T) {
	adapterstest.Run(t, New(), samples(t))
}

func TestGolden(t *testing.T) {
	adapterstest.Golden(t, New(), "testdata", *update)
}

// TestTestdataCoversEveryEvent keeps one real payload per subscribable
// event, translated under its own name, in testdata.
func TestTestdataCoversEveryEvent(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range samples(t) {
		res, err := New().Parse(&adapters.Request{Body: s.Body, ReceivedAt: adapterstest.ReceivedAt})
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for _, e := range res.Events {
			if e.Reason == "" {
				seen[e.ProviderEventType] = true
			}
		}
	}
	for _, name := range eventNames {
		if !seen[name] {
			t.Errorf("no testdata payload is translated as %s", name)
		}
	}
}

func parseOne(t *testing.T, body string) *domain.Event {
	t.Helper()
	res, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("Parse(%s) gave %d events, want 1", body, len(res.Events))
	}
	if err := adapterstest.CheckEvents(domain.ProviderDixa, &adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt}, res.Events); err != nil {
		t.Fatalf("Parse(%s) broke the contract: %v", body, err)
	}
	return res.Events[0]
}

func TestParseRefusesOnlyWhatIsNotJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `{"event_id":`, `not json`, "\xef\xbb\xbf{}", `{"a":1}{"b":2}`} {
		_, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("Parse(%q) error = %v, want an %q error", body, err, domain.EINVALID)
		}
	}
	if _, err := New().Parse(nil); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("Parse(nil) error = %v, want %q", err, domain.EINVALID)
	}
}

func TestParseKeepsWhatItDoesNotUnderstandAsOther(t *testing.T) {
	tests := []struct {
		name, body, wantName, wantReason string
	}{
		{"array body", `[1,2]`, "unknown", "JSON array"},
		{"string body", `"CONVERSATION_CREATED"`, "unknown", "JSON string"},
		{"no event_fqn", `{"event_id":"e1"}`, "unknown", "event_fqn is missing"},
		{"null event_fqn", `{"event_fqn":null}`, "unknown", "event_fqn is missing"},
		{"numeric event_fqn", `{"event_fqn":7}`, "unknown", "not a string"},
		{"blank event_fqn", `{"event_fqn":"  "}`, "unknown", "event_fqn is empty"},
		{"garbage event_fqn", `{"event_fqn":"DROP TABLE\u0000"}`, "unknown", "not an event name"},
		{"unknown event_fqn", `{"event_fqn":"CONVERSATION_SNOOZED"}`, "ConversationSnoozed", "not a Dixa event this gateway knows"},
		{"conversation event without data", `{"event_fqn":"CONVERSATION_CREATED"}`, "ConversationCreated", "data.conversation is missing"},
		{"conversation event without csid", `{"event_fqn":"CONVERSATION_OPEN","data":{"conversation":{"status":"OPEN"}}}`,
			"ConversationOpen", "data.conversation.csid is missing"},
		{"note without note_id", `{"event_fqn":"CONVERSATION_NOTE_ADDED","data":{"conversation":{"csid":1},"text":"x"}}`,
			"ConversationNoteAdded", "data.note_id is missing"},
		{"message without message_id", `{"event_fqn":"CONVERSATION_MESSAGE_ADDED","data":{"conversation":{"csid":1},"text":"x"}}`,
			"ConversationMessageAdded", "data.message_id is missing"},
		{"tag event without tag", `{"event_fqn":"CONVERSATION_TAG_ADDED","data":{"conversation":{"csid":1},"tag":{"id":"t1"}}}`,
			"ConversationTagAdded", "data.tag is missing"},
		{"IP ban is understood but has no unified type", `{"event_fqn":"AGENT_BANNED_IP","data":{"ip_address":"203.0.113.45"}}`,
			"AgentBannedIp", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if e.Type != domain.EventOther || e.ProviderEventType != tt.wantName {
				t.Errorf("got %s %q, want OTHER %q", e.Type, e.ProviderEventType, tt.wantName)
			}
			if (tt.wantReason == "" && e.Reason != "") || !strings.Contains(e.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want it to contain %q", e.Reason, tt.wantReason)
			}
			if string(e.Payload) != tt.body {
				t.Errorf("Payload = %s, want the body %s", e.Payload, tt.body)
			}
		})
	}
	// An untranslatable event still keeps the snapshot it carried.
	e := parseOne(t, `{"event_fqn":"CONVERSATION_MESSAGE_ADDED","data":{"conversation":{"csid":1,"status":"OPEN"}}}`)
	if e.Conversation == nil || e.Conversation.ExternalID != "1" || e.Conversation.Status != domain.StatusOpen || e.Message != nil {
		t.Errorf("message without id: conversation %+v message %+v, want the snapshot and no message", e.Conversation, e.Message)
	}
}

// fullData carries every id any event needs, so that each event name is
// translated by its mapping alone.
const fullData = `"organization":{"id":"org-1"},"data":{"conversation":{"csid":1,"status":"%s","assignee":{"id":"a1"}},
	"note_id":"n1","message_id":"m1","tag":"vip","enduser":{"id":"u1"}}`

func TestParseMapsEveryEvent(t *testing.T) {
	tests := []struct {
		fqn, snapshot string
		wantType      domain.EventType
		wantStatus    domain.ConversationStatus
	}{
		{"CONVERSATION_CREATED", "OPEN", domain.EventConversationCreated, domain.StatusOpen},
		{"CONVERSATION_CUSTOM_ATTRIBUTE_UPDATED", "PENDING", domain.EventConversationUpdated, domain.StatusPending},
		{"CONVERSATION_OPEN", "PENDING", domain.EventConversationStatusChanged, domain.StatusOpen},
		{"CONVERSATION_PENDING", "OPEN", domain.EventConversationStatusChanged, domain.StatusPending},
		{"CONVERSATION_CLOSED", "OPEN", domain.EventConversationStatusChanged, domain.StatusClosed},
		{"CONVERSATION_PENDING_EXPIRED", "OPEN", domain.EventConversationStatusChanged, domain.StatusOpen},
		{"CONVERSATION_ABANDONED", "CLOSED", domain.EventConversationStatusChanged, domain.StatusClosed},
		{"CONVERSATION_ENQUEUED", "OPEN", domain.EventConversationUpdated, domain.StatusOpen},
		{"CONVERSATION_ASSIGNED", "OPEN", domain.EventConversationAssigned, domain.StatusOpen},
		{"CONVERSATION_UNASSIGNED", "OPEN", domain.EventConversationAssigned, domain.StatusOpen},
		{"CONVERSATION_NOTE_ADDED", "closed", domain.EventNoteAdded, domain.StatusClosed},
		{"CONVERSATION_MESSAGE_ADDED", "OPEN", domain.EventMessageCreated, domain.StatusOpen},
		{"CONVERSATION_TAG_ADDED", "OPEN", domain.EventConversationTagged, domain.StatusOpen},
		{"CONVERSATION_TAG_REMOVED", "OPEN", domain.EventConversationTagged, domain.StatusOpen},
		{"CONVERSATION_RATED", "CLOSED", domain.EventConversationRated, domain.StatusClosed},
		{"CONVERSATION_TRANSFERRED", "OPEN", domain.EventConversationUpdated, domain.StatusOpen},
		{"CONVERSATION_END_USER_REPLACED", "OPEN", domain.EventConversationUpdated, domain.StatusOpen},
		{"CONVERSATION_MESSAGE_DELIVERY_SENT", "OPEN", domain.EventMessageUpdated, domain.StatusOpen},
		{"CONVERSATION_MESSAGE_DELIVERY_DELIVERED", "OPEN", domain.EventMessageUpdated, domain.StatusOpen},
		{"CONVERSATION_MESSAGE_DELIVERY_SEEN", "OPEN", domain.EventMessageUpdated, domain.StatusOpen},
		{"CONVERSATION_MESSAGE_DELIVERY_FAILED", "OPEN", domain.EventMessageUpdated, domain.StatusOpen},
		{"CONVERSATION_MESSAGE_DELIVERY_INFO", "OPEN", domain.EventMessageUpdated, domain.StatusOpen},
		{"CONVERSATION_MESSAGE_DELIVERY_SPAM_COMPLAINT", "OPEN", domain.EventMessageUpdated, domain.StatusOpen},
		{"AGENT_BANNED_ENDUSER", "OPEN", domain.EventContactUpdated, domain.StatusOpen},
		{"AGENT_UNBANNED_ENDUSER", "OPEN", domain.EventContactUpdated, domain.StatusOpen},
		{"AGENT_BANNED_IP", "OPEN", domain.EventOther, domain.StatusOpen},
		{"AGENT_UNBANNED_IP", "OPEN", domain.EventOther, domain.StatusOpen},
		{"TYPING_STARTED", "OPEN", domain.EventTypingStarted, domain.StatusOpen},
		{"SLA_EVALUATION_PENDING", "OPEN", domain.EventSLAUpdated, domain.StatusOpen},
		{"SLA_EVALUATION_BREACHED", "OPEN", domain.EventSLAUpdated, domain.StatusOpen},
		{"SLA_EVALUATION_ACHIEVED", "CLOSED", domain.EventSLAUpdated, domain.StatusClosed},
		{"SLA_EVALUATION_VOIDED", "OPEN", domain.EventSLAUpdated, domain.StatusOpen},
		// Statuses the snapshot gives that Dixa has not documented.
		{"CONVERSATION_CREATED", "SNOOZED", domain.EventConversationCreated, domain.StatusUnknown},
		{"CONVERSATION_OPEN", "SNOOZED", domain.EventConversationStatusChanged, domain.StatusOpen},
	}
	if len(tests) != len(eventNames)+2 {
		t.Fatalf("table has %d rows for %d events", len(tests), len(eventNames))
	}
	for _, tt := range tests {
		t.Run(tt.fqn+"/"+tt.snapshot, func(t *testing.T) {
			e := parseOne(t, `{"event_id":"e","event_fqn":"`+tt.fqn+`",`+strings.Replace(fullData, "%s", tt.snapshot, 1)+`}`)
			if e.Type != tt.wantType || e.Reason != "" {
				t.Errorf("Type = %s (reason %q), want %s", e.Type, e.Reason, tt.wantType)
			}
			if e.ProviderEventType != eventNames[tt.fqn] {
				t.Errorf("ProviderEventType = %q, want %q", e.ProviderEventType, eventNames[tt.fqn])
			}
			if e.Conversation == nil {
				t.Fatal("no conversation update")
			}
			if e.Conversation.Status != tt.wantStatus {
				t.Errorf("Status = %q, want %q", e.Conversation.Status, tt.wantStatus)
			}
			wantProvider := tt.snapshot
			if m := mappings[eventNames[tt.fqn]]; m.status != "" {
				wantProvider = string(m.status)
			}
			if e.Conversation.ProviderStatus != wantProvider {
				t.Errorf("ProviderStatus = %q, want %q", e.Conversation.ProviderStatus, wantProvider)
			}
		})
	}
}

func TestParseReadsCSID(t *testing.T) {
	tests := []struct {
		csid string
		want string // "" means no conversation update
	}{
		{`1234`, "1234"},
		{`"1234"`, "1234"},
		{`" 0042 "`, "42"},
		{`1234.0`, "1234"},
		{`1.234e3`, "1234"},
		{`-5`, "-5"},
		{`9223372036854775807`, "9223372036854775807"},
		{`9223372036854775808`, "9223372036854775808"}, // beyond int64: kept as written, never rounded
		{`"conv-7"`, "conv-7"},
		{`""`, ""},
		{`null`, ""},
		{`true`, ""},
		{`{}`, ""},
		{`[1]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.csid, func(t *testing.T) {
			e := parseOne(t, `{"event_id":"e","event_fqn":"TYPING_STARTED","organization":{"id":"org-1"},"data":{"conversation":{"csid":`+tt.csid+`}}}`)
			switch {
			case tt.want == "" && e.Conversation != nil:
				t.Errorf("got conversation %q, want none", e.Conversation.ExternalID)
			case tt.want != "" && e.Conversation == nil:
				t.Errorf("got no conversation, want %q", tt.want)
			case tt.want != "":
				c := e.Conversation
				if c.ExternalID != tt.want || c.Kind != domain.KindConversation || c.Account != "org-1" {
					t.Errorf("got %q %s in %q, want %q CONVERSATION in org-1", c.ExternalID, c.Kind, c.Account, tt.want)
				}
			}
			if e.ConversationID != "" {
				t.Errorf("ConversationID = %q, want it left to the store", e.ConversationID)
			}
		})
	}
	long := strings.Repeat("9", 200)
	e := parseOne(t, `{"event_fqn":"TYPING_STARTED","data":{"conversation":{"csid":"`+long+`"}}}`)
	if e.Conversation == nil || !strings.HasPrefix(e.Conversation.ExternalID, "sha256:") {
		t.Errorf("a 200-digit csid gave %+v, want it hashed", e.Conversation)
	}
}

func TestParseOccurredAt(t *testing.T) {
	tests := []struct {
		name, ts string
		want     time.Time
	}{
		{"milliseconds", `"2023-09-15T12:00:00.123Z"`, time.Date(2023, 9, 15, 12, 0, 0, 123e6, time.UTC)},
		{"no fraction", `"2023-09-15T12:00:00Z"`, time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)},
		{"offset normalised to UTC", `"2023-09-15T14:00:00+02:00"`, time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)},
		{"no zone read as UTC", `"2023-09-15T12:00:00.5"`, time.Date(2023, 9, 15, 12, 0, 0, 5e8, time.UTC)},
		{"Unix milliseconds", `1694779200000`, time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)},
		{"Unix seconds as a string", `"1694779200"`, time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)},
		{"missing falls back to receipt", `null`, adapterstest.ReceivedAt},
		{"garbage falls back to receipt", `"soon"`, adapterstest.ReceivedAt},
		{"object falls back to receipt", `{}`, adapterstest.ReceivedAt},
		{"zero time falls back to receipt", `"0001-01-01T00:00:00Z"`, adapterstest.ReceivedAt},
		{"year 10000 in UTC falls back to receipt", `"9999-12-31T23:59:59-23:59"`, adapterstest.ReceivedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event_id":"e","event_fqn":"AGENT_BANNED_IP","event_timestamp":`+tt.ts+`}`)
			if !e.OccurredAt.Equal(tt.want) || e.OccurredAt.Location() != time.UTC {
				t.Errorf("OccurredAt = %v, want %v in UTC", e.OccurredAt, tt.want)
			}
		})
	}
}

func TestParseDedupeKeys(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name, body, wantPrefix string
	}{
		{"event_id", `{"event_id":"8967e0c6","event_fqn":"CONVERSATION_CREATED"}`, "dixa:8967e0c6"},
		{"numeric event_id", `{"event_id":42}`, "dixa:42"},
		{"missing event_id hashes the body", `{"event_fqn":"CONVERSATION_CREATED"}`, "dixa:sha256:"},
		{"blank event_id hashes the body", `{"event_id":" "}`, "dixa:sha256:"},
		{"long event_id is hashed", `{"event_id":"` + long + `"}`, "dixa:sha256:"},
		{"NUL in event_id is hashed", `{"event_id":"a\u0000b"}`, "dixa:sha256:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if !strings.HasPrefix(e.DedupeKey, tt.wantPrefix) {
				t.Errorf("DedupeKey = %q, want prefix %q", e.DedupeKey, tt.wantPrefix)
			}
			if again := parseOne(t, tt.body); again.DedupeKey != e.DedupeKey {
				t.Errorf("redelivery key %q differs from %q", again.DedupeKey, e.DedupeKey)
			}
		})
	}
	// A redelivery is the same event_id, whatever else differs (Dixa
	// re-sends with a fresh snapshot); different event_ids never collapse.
	a := parseOne(t, `{"event_id":"e1","event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":1}}}`)
	b := parseOne(t, `{"event_id":"e1","event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":1,"status":"OPEN"}}}`)
	c := parseOne(t, `{"event_id":"e2","event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":1}}}`)
	if a.DedupeKey != b.DedupeKey || a.DedupeKey == c.DedupeKey {
		t.Errorf("keys %q, %q, %q: want the first two equal and the third different", a.DedupeKey, b.DedupeKey, c.DedupeKey)
	}
	// Two different events without ids must not collapse into one.
	x := parseOne(t, `{"event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":1}}}`)
	y := parseOne(t, `{"event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":2}}}`)
	if x.DedupeKey == y.DedupeKey {
		t.Errorf("different bodies without event_id share the key %q", x.DedupeKey)
	}
}

func TestParseSetsIdentityAndOwnsThePayload(t *testing.T) {
	body := []byte(`{"event_id":"e1","event_fqn":"CONVERSATION_CREATED"}`)
	req := &adapters.Request{Body: body, ReceivedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))}
	r1, err := New().Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := New().Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	e1, e2 := r1.Events[0], r2.Events[0]
	if e1.ID == "" || e1.ID == e2.ID {
		t.Errorf("IDs %q and %q: want distinct, non-empty ids per parse", e1.ID, e2.ID)
	}
	if e1.Provider != domain.ProviderDixa || e1.ReceivedAt.Location() != time.UTC || !e1.ReceivedAt.Equal(req.ReceivedAt) {
		t.Errorf("Provider %s ReceivedAt %v, want DIXA and the request's time in UTC", e1.Provider, e1.ReceivedAt)
	}
	body[0] = ' ' // ingest may reuse its read buffer
	if e1.Payload[0] != '{' {
		t.Error("Payload shares the request's buffer: a reused buffer would corrupt the stored event")
	}
	noTime, err := New().Parse(&adapters.Request{Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if e := noTime.Events[0]; e.ReceivedAt.IsZero() || !e.OccurredAt.Equal(e.ReceivedAt) {
		t.Errorf("without a request time: ReceivedAt %v OccurredAt %v, want now for both", e.ReceivedAt, e.OccurredAt)
	}
}

func person(role domain.PersonRole, id, name, email, phone string) *domain.Person {
	p := &domain.Person{Provider: domain.ProviderDixa, Account: "org-1", ExternalID: id, Role: role, Name: name}
	p.AddEmail(email)
	p.AddPhone(domain.PhoneUnspecified, phone)
	return p
}

func TestParseReadsConversationFields(t *testing.T) {
	e := parseOne(t, `{"event_id":"e","event_fqn":"CONVERSATION_CREATED","organization":{"id":"org-1","name":"Org"},"data":{"conversation":{
		"csid":7,"channel":"EMAIL","status":"OPEN","subject":"Hi\u0000there","created_at":"2023-09-01T12:00:00.000Z",
		"requester":{"id":"u1","name":"Maria","email":"m@example.com","phone":null,"roles":["Agent"],"user_type":"Member"},
		"assignee":{"id":"a1","name":"Agent","email":"a@example.com","phone":"+45 1122","roles":["Enduser"]},
		"tags":[{"id":"t1","name":"vip","is_deactivated":true},{"id":"t2","name":" shipping "},"legacy",{"id":"t1","name":"vip"}]}}}`)
	want := &domain.ConversationUpdate{
		Account: "org-1", ExternalID: "7", Kind: domain.KindConversation, Status: domain.StatusOpen, ProviderStatus: "OPEN",
		Channel: "EMAIL", Subject: "Hithere", CreatedAt: time.Date(2023, 9, 1, 12, 0, 0, 0, time.UTC),
		// The requester is the customer and the assignee an agent, whatever
		// their own roles say.
		Requester: person(domain.RoleContact, "u1", "Maria", "m@example.com", ""),
		Assignee:  person(domain.RoleAgent, "a1", "Agent", "a@example.com", "+45 1122"),
		Tags:      []string{"vip", "shipping", "legacy"}, TagsKnown: true,
	}
	if !reflect.DeepEqual(e.Conversation, want) {
		t.Errorf("conversation =\n%+v\nwant\n%+v", e.Conversation, want)
	}

	wrongTypes := parseOne(t, `{"event_fqn":"CONVERSATION_CREATED","organization":"org-1","data":{"conversation":{
		"csid":7,"channel":1,"status":{},"subject":null,"created_at":"later","requester":{"name":"no id"},"assignee":"a1","tags":{}}}}`)
	want = &domain.ConversationUpdate{ExternalID: "7", Kind: domain.KindConversation}
	if !reflect.DeepEqual(wrongTypes.Conversation, want) {
		t.Errorf("with wrong-typed fields: conversation = %+v, want only %+v", wrongTypes.Conversation, want)
	}
}

func TestParseAssignment(t *testing.T) {
	tests := []struct {
		name, fqn, data string
		wantAssignee    string // ExternalID, "" for none
		wantUnassigned  bool
	}{
		{"snapshot assignee", "CONVERSATION_CREATED", `"conversation":{"csid":1,"assignee":{"id":"a1"}}`, "a1", false},
		{"snapshot null unassigns", "CONVERSATION_CREATED", `"conversation":{"csid":1,"assignee":null}`, "", true},
		{"snapshot without the key says nothing", "CONVERSATION_CREATED", `"conversation":{"csid":1}`, "", false},
		{"garbled snapshot assignee says nothing", "CONVERSATION_CREATED", `"conversation":{"csid":1,"assignee":{"name":"x"}}`, "", false},
		{"assigned takes the snapshot first", "CONVERSATION_ASSIGNED", `"conversation":{"csid":1,"assignee":{"id":"a1"}},"agent":{"id":"a2"}`, "a1", false},
		{"assigned falls back to data.agent", "CONVERSATION_ASSIGNED", `"conversation":{"csid":1,"assignee":null},"agent":{"id":"a2"}`, "a2", false},
		{"assigned falls back to data.assignee", "CONVERSATION_ASSIGNED", `"conversation":{"csid":1},"assignee":{"id":"a3"}`, "a3", false},
		{"assigned without any agent never unassigns", "CONVERSATION_ASSIGNED", `"conversation":{"csid":1,"assignee":null}`, "", false},
		{"unassigned wins over a stale snapshot", "CONVERSATION_UNASSIGNED", `"conversation":{"csid":1,"assignee":{"id":"a1"}}`, "", true},
		{"unassigned without the key", "CONVERSATION_UNASSIGNED", `"conversation":{"csid":1}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event_fqn":"`+tt.fqn+`","organization":{"id":"org-1"},"data":{`+tt.data+`}}`)
			c := e.Conversation
			var got string
			if c.Assignee != nil {
				got = c.Assignee.ExternalID
				if c.Assignee.Role != domain.RoleAgent || c.Assignee.Account != "org-1" {
					t.Errorf("assignee %+v, want an AGENT of org-1", c.Assignee)
				}
			}
			if got != tt.wantAssignee || c.Unassigned != tt.wantUnassigned {
				t.Errorf("assignee %q unassigned %v, want %q %v", got, c.Unassigned, tt.wantAssignee, tt.wantUnassigned)
			}
		})
	}
}

func TestParseTags(t *testing.T) {
	tests := []struct {
		name, fqn, data      string
		wantTags             []string
		wantKnown            bool
		wantAdded, wantRemov []string
	}{
		{"empty tag set is known", "CONVERSATION_CREATED", `"conversation":{"csid":1,"tags":[]}`, []string{}, true, nil, nil},
		{"missing tag set is not known", "CONVERSATION_CREATED", `"conversation":{"csid":1}`, nil, false, nil, nil},
		{"a nameless tag makes the set unknown", "CONVERSATION_CREATED", `"conversation":{"csid":1,"tags":[{"name":"a"},{"id":"t2"}]}`, nil, false, nil, nil},
		{"tag added as a name", "CONVERSATION_TAG_ADDED", `"conversation":{"csid":1,"tags":[{"name":"vip"}]},"tag":"vip"`, []string{"vip"}, true, []string{"vip"}, nil},
		{"tag removed as an object", "CONVERSATION_TAG_REMOVED", `"conversation":{"csid":1,"tags":[]},"tag":{"id":"t1","name":" vip "}`, []string{}, true, nil, []string{"vip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event_fqn":"`+tt.fqn+`","data":{`+tt.data+`}}`)
			c := e.Conversation
			if !reflect.DeepEqual(c.Tags, tt.wantTags) || c.TagsKnown != tt.wantKnown ||
				!reflect.DeepEqual(c.TagsAdded, tt.wantAdded) || !reflect.DeepEqual(c.TagsRemoved, tt.wantRemov) {
				t.Errorf("tags %q known %v added %q removed %q; want %q %v %q %q",
					c.Tags, c.TagsKnown, c.TagsAdded, c.TagsRemoved, tt.wantTags, tt.wantKnown, tt.wantAdded, tt.wantRemov)
			}
		})
	}
}

// The author of a note or message is what Dixa says it is (user_type,
// roles), except the requester, who writes as the contact; where Dixa
// says nothing, whoever else writes a note or an outbound message writes
// as an agent.
func TestParseAuthorRoles(t *testing.T) {
	note := func(author string) string {
		return `"event_fqn":"CONVERSATION_NOTE_ADDED","data":{"conversation":{"csid":1,"requester":{"id":"r1"}},"note_id":"n","author":` + author + `}`
	}
	message := func(direction, author string) string {
		return `"event_fqn":"CONVERSATION_MESSAGE_ADDED","data":{"conversation":{"csid":1,"requester":{"id":"r1"}},"message_id":"m",` +
			`"direction":"` + direction + `","author":` + author + `}`
	}
	tests := []struct {
		name, body string
		want       domain.PersonRole
	}{
		{"member", note(`{"id":"x","user_type":"Member","roles":[]}`), domain.RoleAgent},
		{"contact", message("inbound", `{"id":"x","user_type":"Contact","roles":["Enduser"]}`), domain.RoleContact},
		{"agent role without user_type (the seed)", note(`{"id":"x","roles":["Admin","TeamLead","SystemAdmin","Agent"]}`), domain.RoleAgent},
		{"admin role", note(`{"id":"x","roles":["admin"]}`), domain.RoleAgent},
		{"team lead role only", message("outbound", `{"id":"x","roles":["TeamLead"]}`), domain.RoleAgent},
		{"end user role without user_type", message("inbound", `{"id":"x","roles":["Enduser"]}`), domain.RoleContact},
		{"nothing known, a note", note(`{"id":"x"}`), domain.RoleAgent},
		{"nothing known, an outbound message to another requester", message("outbound", `{"id":"x","roles":[]}`), domain.RoleAgent},
		{"nothing known, an inbound message", message("inbound", `{"id":"x"}`), domain.RoleContact},
		{"the requester writes as the contact, whatever the roles", message("outbound", `{"id":"r1","roles":["Agent"]}`), domain.RoleContact},
		{"wrong-typed roles, an inbound message", message("inbound", `{"id":"x","roles":"Agent","user_type":7}`), domain.RoleContact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{`+tt.body+`}`)
			if e.Message == nil || e.Message.Author == nil || e.Message.Author.Role != tt.want {
				t.Errorf("message = %+v, want an author of role %s", e.Message, tt.want)
			}
		})
	}
}

func TestParseNoteAndMessage(t *testing.T) {
	created := time.Date(2023, 9, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, fqn, data string
		want            *domain.Message
	}{
		{"note is private and internal", "CONVERSATION_NOTE_ADDED",
			`"conversation":{"csid":1,"direction":"INBOUND"},"note_id":"n1","text":"Call back","created_at":"2023-09-15T12:00:00.000Z","author":{"id":"a1","name":"Agent","roles":["Agent"]}`,
			&domain.Message{ExternalID: "n1", Direction: domain.DirectionInternal, Private: true, Content: "Call back", CreatedAt: created,
				Author: person(domain.RoleAgent, "a1", "Agent", "", "")}},
		{"message reads content first", "CONVERSATION_MESSAGE_ADDED",
			`"conversation":{"csid":1,"direction":"INBOUND"},"message_id":"m1","direction":"outbound","text":"plain","content":{"text":"<p>rich</p>","content_type":"text/html"},"created_at":"2023-09-15T12:00:00Z","author":{"id":"a1","user_type":"Member"}`,
			&domain.Message{ExternalID: "m1", Direction: domain.DirectionOutbound, Content: "<p>rich</p>", ContentType: "text/html", CreatedAt: created,
				Author: person(domain.RoleAgent, "a1", "", "", "")}},
		{"message falls back to text and the conversation's direction", "CONVERSATION_MESSAGE_ADDED",
			`"conversation":{"csid":1,"direction":"INBOUND"},"message_id":"m2","text":"hello","content":null,"author":{"id":"u1","user_type":"Contact"}`,
			&domain.Message{ExternalID: "m2", Direction: domain.DirectionInbound, Content: "hello", Author: person(domain.RoleContact, "u1", "", "", "")}},
		{"message with an unknown direction has none", "CONVERSATION_MESSAGE_ADDED",
			`"conversation":{"csid":1,"direction":"SIDEWAYS"},"message_id":"m3","direction":"sideways","created_at":"never"`,
			&domain.Message{ExternalID: "m3"}},
		{"delivery report names its message", "CONVERSATION_MESSAGE_DELIVERY_SEEN",
			`"conversation":{"csid":1},"message_id":"m1","text":"ignored"`,
			&domain.Message{ExternalID: "m1"}},
		{"delivery report without a message", "CONVERSATION_MESSAGE_DELIVERY_FAILED", `"conversation":{"csid":1}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event_fqn":"`+tt.fqn+`","organization":{"id":"org-1"},"data":{`+tt.data+`}}`)
			if e.Reason != "" {
				t.Fatalf("Reason = %q, want the event translated", e.Reason)
			}
			if !reflect.DeepEqual(e.Message, tt.want) {
				t.Errorf("message =\n%+v\nwant\n%+v", e.Message, tt.want)
			}
		})
	}
}

func TestParseBanNamesTheEndUser(t *testing.T) {
	for _, key := range []string{"enduser", "end_user", "user", "requester"} {
		e := parseOne(t, `{"event_fqn":"AGENT_BANNED_ENDUSER","organization":{"id":"org-1"},"data":{"`+key+`":{"id":"u1","name":"Visitor","roles":["Agent"]}}}`)
		want := []*domain.Person{person(domain.RoleContact, "u1", "Visitor", "", "")}
		if e.Type != domain.EventContactUpdated || !reflect.DeepEqual(e.Contacts, want) {
			t.Errorf("data.%s: %s contacts %+v, want CONTACT_UPDATED %+v", key, e.Type, e.Contacts, want)
		}
	}
	e := parseOne(t, `{"event_fqn":"AGENT_UNBANNED_ENDUSER","data":{"ip":"203.0.113.45"}}`)
	if e.Type != domain.EventContactUpdated || e.Contacts != nil || e.Reason != "" {
		t.Errorf("ban without an end user: %s contacts %+v reason %q, want CONTACT_UPDATED without contacts", e.Type, e.Contacts, e.Reason)
	}
}
