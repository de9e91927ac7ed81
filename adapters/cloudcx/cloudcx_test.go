package cloudcx

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

var update = flag.Bool("update", false, "rewrite golden files")

const ticketUUID = "ebcb7b53-6636-4c6b-8023-4a61d6df694c"

func TestContract(t *testing.T) {
	samples := adapterstest.Samples(t, "testdata")
	if len(samples) < 20 {
		t.Fatalf("found %d samples in testdata, want at least 20: is the working directory the package?", len(samples))
	}
	adapterstest.Run(t, New(), samples)
}

func TestGolden(t *testing.T) {
	adapterstest.Golden(t, New(), "testdata", *update)
}

func parseOne(t *testing.T, body string) *domain.Event {
	t.Helper()
	res, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	if res == nil || len(res.Events) != 1 {
		t.Fatalf("Parse(%s) gave %v, want exactly 1 event", body, res)
	}
	if err := adapterstest.CheckEvents(domain.ProviderCloudCX, &adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt}, res.Events); err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	return res.Events[0]
}

func TestAdapterDoesNotSignAndVerifiesNothing(t *testing.T) {
	a := New()
	if a.Provider() != domain.ProviderCloudCX {
		t.Errorf("Provider() = %s, want CLOUDCX", a.Provider())
	}
	if a.SignsDeliveries() {
		t.Error("SignsDeliveries() = true: CloudCX documents no signature, so a required secret would refuse every delivery")
	}
	req := &adapters.Request{Header: http.Header{"X-Signature": {"garbage"}}, Body: []byte(`{"event":"TicketCreated"}`)}
	for _, secret := range []string{"", "s3cret"} {
		if err := a.Verify(req, secret); err != nil {
			t.Errorf("Verify(secret %q) = %v, want nil", secret, err)
		}
	}
	if err := a.Verify(nil, "s3cret"); err != nil {
		t.Errorf("Verify(nil) = %v, want nil", err)
	}
}

func TestParseRefusesOnlyWhatIsNotJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `{"event":`, `not json`, "\xef\xbb\xbf{}", `{"a":1}{"b":2}`} {
		_, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("Parse(%q) error = %v, want an %q error", body, err, domain.EINVALID)
		}
	}
	if _, err := New().Parse(nil); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("Parse(nil) error = %v, want %q", err, domain.EINVALID)
	}
}

func TestParseMapsEveryEvent(t *testing.T) {
	tests := []struct {
		name, body         string
		wantType           domain.EventType
		wantName           string
		wantStatus         domain.ConversationStatus
		wantProviderStatus string
		wantDirection      domain.MessageDirection
		wantMessage        string
	}{
		{name: "TicketCreated opens a ticket without saying its status",
			body:     `{"event":"TicketCreated","ticketId":"` + ticketUUID + `"}`,
			wantType: domain.EventConversationCreated, wantName: TicketCreated},
		{name: "TicketFromUserReply is an inbound message",
			body:     `{"event":"TicketFromUserReply","ticketId":"` + ticketUUID + `","messageId":"m1"}`,
			wantType: domain.EventMessageCreated, wantName: TicketFromUserReply, wantDirection: domain.DirectionInbound, wantMessage: "m1"},
		{name: "TicketAgentReply is an outbound message",
			body:     `{"event":"TicketAgentReply","ticketId":"` + ticketUUID + `","messageId":"m2"}`,
			wantType: domain.EventMessageCreated, wantName: TicketAgentReply, wantDirection: domain.DirectionOutbound, wantMessage: "m2"},
		{name: "TicketAssigneeChanged assigns",
			body:     `{"event":"TicketAssigneeChanged","ticketId":"` + ticketUUID + `","fromAgentId":null,"toAgentId":"a1"}`,
			wantType: domain.EventConversationAssigned, wantName: TicketAssigneeChanged},
		{name: "TicketStatusChanged to PendingExternal is pending",
			body:     `{"event":"TicketStatusChanged","ticketId":"` + ticketUUID + `","beforeTicketStatus":"Open","afterTicketStatus":"PendingExternal"}`,
			wantType: domain.EventConversationStatusChanged, wantName: TicketStatusChanged, wantStatus: domain.StatusPending, wantProviderStatus: "PendingExternal"},
		{name: "TicketMoveToRecycleBin deletes",
			body:     `{"event":"TicketMoveToRecycleBin","ticketId":"` + ticketUUID + `"}`,
			wantType: domain.EventConversationDeleted, wantName: TicketMoveToRecycleBin, wantStatus: domain.StatusDeleted, wantProviderStatus: "RecycleBin"},
		{name: "ContactCreated", body: `{"event":"ContactCreated","contacts":[{"id":"c1"}]}`,
			wantType: domain.EventContactCreated, wantName: ContactCreated},
		{name: "ContactUpdated", body: `{"event":"ContactUpdated","contacts":[{"id":"c1"}]}`,
			wantType: domain.EventContactUpdated, wantName: ContactUpdated},
		{name: "ContactDeleted", body: `{"event":"ContactDeleted","ids":["c1"]}`,
			wantType: domain.EventContactDeleted, wantName: ContactDeleted},
		{name: "a name in another case or style is the known event",
			body:     `{"event":"ticket_agent_reply","ticketId":"` + ticketUUID + `","messageId":"m3"}`,
			wantType: domain.EventMessageCreated, wantName: TicketAgentReply, wantDirection: domain.DirectionOutbound, wantMessage: "m3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if e.Type != tt.wantType || e.ProviderEventType != tt.wantName || e.Reason != "" {
				t.Fatalf("got %s %q (reason %q), want %s %q", e.Type, e.ProviderEventType, e.Reason, tt.wantType, tt.wantName)
			}
			if strings.HasPrefix(tt.wantName, "Ticket") {
				c := e.Conversation
				if c == nil || c.ExternalID != ticketUUID || c.Kind != domain.KindTicket || c.Account != "" {
					t.Fatalf("conversation = %+v, want ticket %s", c, ticketUUID)
				}
				if c.Status != tt.wantStatus || c.ProviderStatus != tt.wantProviderStatus {
					t.Errorf("status = %q (provider %q), want %q (provider %q)", c.Status, c.ProviderStatus, tt.wantStatus, tt.wantProviderStatus)
				}
			} else if e.Conversation != nil {
				t.Errorf("contact event carries conversation %+v", e.Conversation)
			}
			switch {
			case tt.wantMessage == "" && e.Message != nil:
				t.Errorf("message %+v, want none", e.Message)
			case tt.wantMessage != "" && (e.Message == nil || e.Message.ExternalID != tt.wantMessage || e.Message.Direction != tt.wantDirection):
				t.Errorf("message %+v, want %s %s", e.Message, tt.wantMessage, tt.wantDirection)
			}
		})
	}
}

func TestParseMapsTicketStatuses(t *testing.T) {
	tests := []struct {
		raw  string
		want domain.ConversationStatus
	}{
		{"Open", domain.StatusOpen}, {"new", domain.StatusOpen}, {"Reopened", domain.StatusOpen},
		{"Pending", domain.StatusPending}, {"PendingExternal", domain.StatusPending},
		{"PendingInternal", domain.StatusPending}, {"pending_internal", domain.StatusPending},
		{"Waiting", domain.StatusPending}, {"On Hold", domain.StatusPending}, {"OnHold", domain.StatusPending},
		{"Resolved", domain.StatusResolved}, {"SOLVED", domain.StatusResolved},
		{"Closed", domain.StatusClosed},
		{"Deleted", domain.StatusDeleted}, {"Trash", domain.StatusDeleted},
		{"Escalated", domain.StatusUnknown}, {"3", domain.StatusUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			e := parseOne(t, `{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"Open","afterTicketStatus":"`+tt.raw+`"}`)
			if e.Type != domain.EventConversationStatusChanged || e.Conversation == nil {
				t.Fatalf("got %s with conversation %+v, want a status change", e.Type, e.Conversation)
			}
			if e.Conversation.Status != tt.want || e.Conversation.ProviderStatus != tt.raw {
				t.Errorf("status %q (provider %q), want %q (provider %q kept raw)", e.Conversation.Status, e.Conversation.ProviderStatus, tt.want, tt.raw)
			}
		})
	}
	numeric := parseOne(t, `{"event":"TicketStatusChanged","ticketId":"t","afterTicketStatus":4}`)
	if numeric.Type != domain.EventConversationStatusChanged || numeric.Conversation.Status != domain.StatusUnknown || numeric.Conversation.ProviderStatus != "4" {
		t.Errorf("numeric status: %s %+v, want UNKNOWN with provider status \"4\"", numeric.Type, numeric.Conversation)
	}
}

func TestParseAssignment(t *testing.T) {
	tests := []struct {
		name, fields   string
		wantAssignee   string
		wantUnassigned bool
	}{
		{"first assignment from null", `"fromAgentId":null,"toAgentId":"a1"`, "a1", false},
		{"first assignment without fromAgentId", `"toAgentId":"a1"`, "a1", false},
		{"reassignment", `"fromAgentId":"a1","toAgentId":"a2"`, "a2", false},
		{"numeric agent id", `"fromAgentId":"a1","toAgentId":42`, "42", false},
		{"null toAgentId unassigns", `"fromAgentId":"a1","toAgentId":null`, "", true},
		{"absent toAgentId unassigns", `"fromAgentId":"a1"`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event":"TicketAssigneeChanged","ticketId":"t",`+tt.fields+`}`)
			c := e.Conversation
			if e.Type != domain.EventConversationAssigned || c == nil {
				t.Fatalf("got %s with conversation %+v, want an assignment", e.Type, c)
			}
			if c.Unassigned != tt.wantUnassigned {
				t.Errorf("Unassigned = %v, want %v", c.Unassigned, tt.wantUnassigned)
			}
			switch {
			case tt.wantAssignee == "" && c.Assignee != nil:
				t.Errorf("Assignee = %+v, want none", c.Assignee)
			case tt.wantAssignee != "":
				want := domain.Person{Provider: domain.ProviderCloudCX, ExternalID: tt.wantAssignee, Role: domain.RoleAgent}
				if c.Assignee == nil || !reflect.DeepEqual(*c.Assignee, want) {
					t.Errorf("Assignee = %+v, want %+v", c.Assignee, want)
				}
			}
			if c.Status != "" {
				t.Errorf("Status = %q: an assignment says nothing about status", c.Status)
			}
		})
	}
}

func TestParseKeepsWhatItDoesNotUnderstandAsOther(t *testing.T) {
	tests := []struct {
		name, body, wantName, wantReason string
		wantTicket                       bool
	}{
		{"array body", `[{"event":"TicketCreated","ticketId":"t"}]`, "unknown", "JSON array", false},
		{"string body", `"TicketCreated"`, "unknown", "JSON string", false},
		{"no event", `{"ticketId":"t"}`, "unknown", "event is missing", false},
		{"numeric event", `{"event":7,"ticketId":"t"}`, "unknown", "event is not a string", false},
		{"blank event", `{"event":"  ","ticketId":"t"}`, "unknown", "event is empty", false},
		{"garbage event", `{"event":"Ticket Created\u0000"}`, "unknown", "not an event name", false},
		{"unknown event keeps its name and ticket", `{"event":"TicketMerged","ticketId":"t"}`, "TicketMerged", "not a CloudCX event this gateway knows", true},
		{"unknown event without ticket", `{"event":"AgentLoggedIn"}`, "AgentLoggedIn", "not a CloudCX event this gateway knows", false},
		{"missing ticketId", `{"event":"TicketCreated"}`, TicketCreated, "ticketId is missing", false},
		{"null ticketId", `{"event":"TicketMoveToRecycleBin","ticketId":null}`, TicketMoveToRecycleBin, "ticketId is missing", false},
		{"blank ticketId", `{"event":"TicketCreated","ticketId":" "}`, TicketCreated, "ticketId is not an id", false},
		{"object ticketId", `{"event":"TicketAgentReply","ticketId":{},"messageId":"m"}`, TicketAgentReply, "ticketId is not an id", false},
		{"reply without messageId", `{"event":"TicketAgentReply","ticketId":"t"}`, TicketAgentReply, "messageId is missing", true},
		{"reply with a boolean messageId", `{"event":"TicketFromUserReply","ticketId":"t","messageId":true}`, TicketFromUserReply, "messageId is missing or not an id", true},
		{"assignee that is not an id", `{"event":"TicketAssigneeChanged","ticketId":"t","toAgentId":{"id":"a"}}`, TicketAssigneeChanged, "toAgentId is not an agent id", true},
		{"status change without afterTicketStatus", `{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"Open"}`, TicketStatusChanged, "afterTicketStatus is missing", true},
		{"status change to an empty status", `{"event":"TicketStatusChanged","ticketId":"t","afterTicketStatus":""}`, TicketStatusChanged, "afterTicketStatus is missing", true},
		{"contacts missing", `{"event":"ContactCreated"}`, ContactCreated, "contacts is missing", false},
		{"contacts not a list", `{"event":"ContactUpdated","contacts":{"id":"c"}}`, ContactUpdated, "contacts is not a list", false},
		{"contacts without ids", `{"event":"ContactCreated","contacts":[{"name":"x"},7]}`, ContactCreated, "no entry of contacts has an id", false},
		{"ids missing", `{"event":"ContactDeleted"}`, ContactDeleted, "ids is missing", false},
		{"ids not a list", `{"event":"ContactDeleted","ids":"c1"}`, ContactDeleted, "ids is not a list", false},
		{"ids empty", `{"event":"ContactDeleted","ids":[]}`, ContactDeleted, "ids holds no contact id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if e.Type != domain.EventOther || e.ProviderEventType != tt.wantName {
				t.Errorf("got %s %q, want OTHER %q", e.Type, e.ProviderEventType, tt.wantName)
			}
			if !strings.Contains(e.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want it to contain %q", e.Reason, tt.wantReason)
			}
			if want := "cloudcx:sha256:"; !strings.HasPrefix(e.DedupeKey, want) {
				t.Errorf("DedupeKey = %q, want the body's hash (prefix %q)", e.DedupeKey, want)
			}
			if string(e.Payload) != tt.body {
				t.Errorf("Payload = %s, want the body %s", e.Payload, tt.body)
			}
			if got := e.Conversation != nil; got != tt.wantTicket {
				t.Errorf("conversation %+v, want one: %v", e.Conversation, tt.wantTicket)
			}
			if e.Conversation != nil && (e.Conversation.Assignee != nil || e.Conversation.Unassigned || e.Conversation.Status != "") {
				t.Errorf("an event not understood changes its ticket: %+v", e.Conversation)
			}
			if e.Message != nil || e.Contacts != nil {
				t.Errorf("an event not understood carries facts: message %+v contacts %v", e.Message, e.Contacts)
			}
		})
	}
}

func TestParseDedupeKeys(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"created", `{"event":"TicketCreated","ticketId":"t1"}`, "cloudcx:TicketCreated:t1"},
		{"user reply", `{"event":"TicketFromUserReply","ticketId":"t1","messageId":"m1"}`, "cloudcx:TicketFromUserReply:t1:m1"},
		{"agent reply", `{"event":"TicketAgentReply","ticketId":"t1","messageId":"m1"}`, "cloudcx:TicketAgentReply:t1:m1"},
		{"assigned", `{"event":"TicketAssigneeChanged","ticketId":"t1","fromAgentId":null,"toAgentId":"a1"}`, "cloudcx:TicketAssigneeChanged:t1:>a1"},
		{"reassigned", `{"event":"TicketAssigneeChanged","ticketId":"t1","fromAgentId":"a1","toAgentId":"a2"}`, "cloudcx:TicketAssigneeChanged:t1:a1>a2"},
		{"unassigned", `{"event":"TicketAssigneeChanged","ticketId":"t1","fromAgentId":"a2","toAgentId":null}`, "cloudcx:TicketAssigneeChanged:t1:a2>"},
		{"status", `{"event":"TicketStatusChanged","ticketId":"t1","beforeTicketStatus":"Open","afterTicketStatus":"Resolved"}`, "cloudcx:TicketStatusChanged:t1:Open>Resolved"},
		{"first status", `{"event":"TicketStatusChanged","ticketId":"t1","afterTicketStatus":"Open"}`, "cloudcx:TicketStatusChanged:t1:>Open"},
		{"recycle bin", `{"event":"TicketMoveToRecycleBin","ticketId":"t1"}`, "cloudcx:TicketMoveToRecycleBin:t1"},
		{"canonical name and id", `{"event":"ticketcreated","ticketId":" 0042 "}`, "cloudcx:TicketCreated:42"},
		{"contact created, sorted ids", `{"event":"ContactCreated","contacts":[{"id":"b"},{"id":"a"}]}`, "cloudcx:ContactCreated:a,b"},
		{"contact deleted, sorted ids", `{"event":"ContactDeleted","ids":["b","a","b"]}`, "cloudcx:ContactDeleted:a,b"},
		{"contact updated carries the contacts' hash", `{"event":"ContactUpdated","contacts":[{"id":"a"}]}`,
			"cloudcx:ContactUpdated:a:" + sha(`[{"id":"a"}]`)},
		{"long ticket id is hashed", `{"event":"TicketCreated","ticketId":"` + strings.Repeat("t", 200) + `"}`,
			"cloudcx:TicketCreated:sha256:" + sha(strings.Repeat("t", 200))},
		{"many contacts are hashed", `{"event":"ContactDeleted","ids":[` + manyIDs(40) + `]}`, ""},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if e.Type == domain.EventOther {
				t.Fatalf("OTHER: %s", e.Reason)
			}
			if tt.want != "" && e.DedupeKey != tt.want {
				t.Errorf("DedupeKey = %q, want %q", e.DedupeKey, tt.want)
			}
			if len(e.DedupeKey) > 200 {
				t.Errorf("DedupeKey is %d bytes: long ids must be hashed", len(e.DedupeKey))
			}
			if again := parseOne(t, tt.body); again.DedupeKey != e.DedupeKey {
				t.Errorf("redelivery key %q differs from %q", again.DedupeKey, e.DedupeKey)
			}
			if other, dup := seen[e.DedupeKey]; dup {
				t.Errorf("key %q also given to %q: different events must not collapse", e.DedupeKey, other)
			}
			seen[e.DedupeKey] = tt.name
		})
	}
}

func TestParseDedupeKeysTellEventsApart(t *testing.T) {
	pairs := []struct{ name, a, b string }{
		{"two updates of one contact",
			`{"event":"ContactUpdated","contacts":[{"id":"a","name":"Ann"}]}`,
			`{"event":"ContactUpdated","contacts":[{"id":"a","name":"Anne"}]}`},
		{"two replies on one ticket",
			`{"event":"TicketAgentReply","ticketId":"t","messageId":"m1"}`,
			`{"event":"TicketAgentReply","ticketId":"t","messageId":"m2"}`},
		{"a reply from each side with one message id",
			`{"event":"TicketAgentReply","ticketId":"t","messageId":"m1"}`,
			`{"event":"TicketFromUserReply","ticketId":"t","messageId":"m1"}`},
		{"a status change and its reversal",
			`{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"Open","afterTicketStatus":"Resolved"}`,
			`{"event":"TicketStatusChanged","ticketId":"t","beforeTicketStatus":"Resolved","afterTicketStatus":"Open"}`},
		{"two events without ids",
			`{"event":"TicketCreated"}`,
			`{"event":"TicketCreated","x":1}`},
		{"an unknown event on two tickets",
			`{"event":"TicketMerged","ticketId":"t1"}`,
			`{"event":"TicketMerged","ticketId":"t2"}`},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			if a, b := parseOne(t, p.a), parseOne(t, p.b); a.DedupeKey == b.DedupeKey {
				t.Errorf("both get the key %q", a.DedupeKey)
			}
		})
	}
}

func TestParseOccurredAtIsTheReceiptTime(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	for _, body := range []string{
		`{"event":"TicketCreated","ticketId":"t"}`,
		`{"event":"TicketCreated","ticketId":"t","timestamp":"2020-01-01T00:00:00Z","createdTime":"1577836800000"}`,
		`{"event":"ContactCreated","contacts":[{"id":"c","createdTime":"1577836800000"}]}`,
		`{"event":"Nope","time":"garbage"}`,
	} {
		res, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		e := res.Events[0]
		if !e.OccurredAt.Equal(at) || !e.ReceivedAt.Equal(at) || e.OccurredAt.Location() != time.UTC || e.ReceivedAt.Location() != time.UTC {
			t.Errorf("%s: OccurredAt %v ReceivedAt %v, want both the request's %v in UTC", body, e.OccurredAt, e.ReceivedAt, at)
		}
	}
	res, err := New().Parse(&adapters.Request{Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Events[0]; e.ReceivedAt.IsZero() || !e.OccurredAt.Equal(e.ReceivedAt) {
		t.Errorf("without a request time: ReceivedAt %v OccurredAt %v, want now for both", e.ReceivedAt, e.OccurredAt)
	}
}

func TestParseSetsIdentityAndOwnsThePayload(t *testing.T) {
	body := []byte(`{"event":"TicketCreated","ticketId":"t"}`)
	req := &adapters.Request{Body: body, ReceivedAt: adapterstest.ReceivedAt}
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
	if e1.Provider != domain.ProviderCloudCX || e1.ConversationID != "" {
		t.Errorf("Provider %s ConversationID %q, want CLOUDCX and no ConversationID (the store derives it)", e1.Provider, e1.ConversationID)
	}
	body[0] = ' ' // ingest may reuse its read buffer
	if e1.Payload[0] != '{' {
		t.Error("Payload shares the request's buffer: a reused buffer would corrupt the stored event")
	}
}

func TestParseReadsContacts(t *testing.T) {
	ms := func(n int64) time.Time { return time.UnixMilli(n).UTC() }
	tests := []struct {
		name, body string
		want       []domain.Person
	}{
		{"name, email, phone and createdTime in milliseconds",
			`{"event":"ContactCreated","contacts":[{"id":"c1","name":" Ann Lee ","email":"ann@example.com","phone":"+1 555","createdTime":"1709528767000"}]}`,
			[]domain.Person{{ExternalID: "c1", Name: "Ann Lee", Email: "ann@example.com", Emails: []string{"ann@example.com"},
				Phone: "+1 555", Phones: []domain.Phone{{Number: "+1 555", Kind: domain.PhoneUnspecified}}, UpdatedAt: ms(1709528767000)}}},
		{"contactId, fullName, phoneNumber",
			`{"event":"ContactCreated","contacts":[{"contactId":"c2","fullName":"Bo","phoneNumber":"+2"}]}`,
			[]domain.Person{{ExternalID: "c2", Name: "Bo", Phone: "+2", Phones: []domain.Phone{{Number: "+2", Kind: domain.PhoneUnspecified}}}}},
		{"first and last name, lists of emails and phones",
			`{"event":"ContactCreated","contacts":[{"id":"c3","firstName":"Cy","lastName":"Dee","emails":["","cy@example.com"],"phones":[{"type":"work","value":"+3"}]}]}`,
			[]domain.Person{{ExternalID: "c3", Name: "Cy Dee", FirstName: "Cy", LastName: "Dee", Email: "cy@example.com",
				Emails: []string{"cy@example.com"}, Phone: "+3", Phones: []domain.Phone{{Number: "+3", Kind: domain.PhoneOffice}}}}},
		{"only a last name", `{"event":"ContactCreated","contacts":[{"id":"c4","lastName":"Eve"}]}`,
			[]domain.Person{{ExternalID: "c4", Name: "Eve", LastName: "Eve"}}},
		{"field names in another case", `{"event":"ContactCreated","contacts":[{"ID":"c5","FullName":"Fay","Email":"fay@example.com"}]}`,
			[]domain.Person{{ExternalID: "c5", Name: "Fay", Email: "fay@example.com", Emails: []string{"fay@example.com"}}}},
		{"the older schema: contactName, mail, cellPhone, officePhone, whatsApp, sms, companyName",
			`{"event":"ContactCreated","contacts":[{"id":"54f3","contactName":"kaid","firstName":"Wang","lastName":"Wei","companyName":"Cloudfon",` +
				`"cellPhone":"1011","officePhone":"18612345678","mail":"kaid@cloudCX.com","facebook":"186612345678","sms":"","whatsApp":"18612345670","telegram":null}]}`,
			[]domain.Person{{ExternalID: "54f3", Name: "kaid", FirstName: "Wang", LastName: "Wei", Company: "Cloudfon",
				Email: "kaid@cloudCX.com", Emails: []string{"kaid@cloudCX.com"}, Phone: "1011", Phones: []domain.Phone{
					{Number: "1011", Kind: domain.PhoneMobile}, {Number: "18612345678", Kind: domain.PhoneOffice},
					{Number: "18612345670", Kind: domain.PhoneWhatsApp}}}}},
		{"the newer schema: id beside contactId, avatarUrl, whatsappNumber, lastUpdatedTime; empty strings are absent",
			`{"event":"ContactUpdated","contacts":[{"id":"392a","contactId":"987654321","firstName":"Allen","lastName":"Ji","avatarUrl":"",` +
				`"email":"","phoneNumber":"12345678","whatsappNumber":"+86 1","companyName":"","createdTime":"1730877830000","lastUpdatedTime":"1730877890000"}]}`,
			[]domain.Person{{ExternalID: "392a", Name: "Allen Ji", FirstName: "Allen", LastName: "Ji", Phone: "12345678",
				Phones:    []domain.Phone{{Number: "12345678", Kind: domain.PhoneUnspecified}, {Number: "+86 1", Kind: domain.PhoneWhatsApp}},
				UpdatedAt: ms(1730877890000)}}},
		{"update dated by updatedTime", `{"event":"ContactUpdated","contacts":[{"id":"c6","createdTime":"1709528767000","updatedTime":"1709532367000"}]}`,
			[]domain.Person{{ExternalID: "c6", UpdatedAt: ms(1709532367000)}}},
		{"update without updatedTime is not dated by its creation", `{"event":"ContactUpdated","contacts":[{"id":"c7","createdTime":"1709528767000"}]}`,
			[]domain.Person{{ExternalID: "c7"}}},
		{"unparsable time is left out", `{"event":"ContactCreated","contacts":[{"id":"c8","createdTime":"soon"}]}`,
			[]domain.Person{{ExternalID: "c8"}}},
		{"wrong-typed fields are left out", `{"event":"ContactCreated","contacts":[{"id":"c9","name":7,"email":{},"phone":["x"],"createdTime":true}]}`,
			[]domain.Person{{ExternalID: "c9"}}},
		{"entries without id are skipped, the last of an id wins in its first place",
			`{"event":"ContactCreated","contacts":[{"id":"a","name":"A1"},{"name":"nobody"},{"id":"b"},"x",{"id":"a","name":"A2"}]}`,
			[]domain.Person{{ExternalID: "a", Name: "A2"}, {ExternalID: "b"}}},
		{"text is made storable", `{"event":"ContactCreated","contacts":[{"id":"c10","name":"G\u0000il"}]}`,
			[]domain.Person{{ExternalID: "c10", Name: "Gil"}}},
		{"deleted ids", `{"event":"ContactDeleted","ids":["d1",2,null,{},"d1"]}`,
			[]domain.Person{{ExternalID: "d1", Deleted: true}, {ExternalID: "2", Deleted: true}}},
		{"deleted as a contacts list", `{"event":"ContactDeleted","contacts":[{"id":"d3","name":"x"}]}`,
			[]domain.Person{{ExternalID: "d3", Deleted: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if e.Type == domain.EventOther {
				t.Fatalf("OTHER: %s", e.Reason)
			}
			if len(e.Contacts) != len(tt.want) {
				t.Fatalf("got %d contacts %+v, want %d", len(e.Contacts), e.Contacts, len(tt.want))
			}
			for i, w := range tt.want {
				w.Provider, w.Role = domain.ProviderCloudCX, domain.RoleContact
				if got := e.Contacts[i]; got == nil || !reflect.DeepEqual(*got, w) {
					t.Errorf("contact %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

// sha is computed here rather than with payload.SHA256 so that the keys
// are checked against something they do not share code with.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func manyIDs(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = `"` + strings.Repeat("0", 8) + "-" + string(rune('a'+i%26)) + strings.Repeat("1", i/26+1) + `"`
	}
	return strings.Join(ids, ",")
}
