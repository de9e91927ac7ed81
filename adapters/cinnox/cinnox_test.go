package cinnox

import (
	"encoding/json"
	"flag"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestContract(t *testing.T) {
	adapterstest.Run(t, New(), adapterstest.Samples(t, "testdata"))
}

func TestGolden(t *testing.T) {
	adapterstest.Golden(t, New(), "testdata", *update)
}

func parse(t *testing.T, body string) *adapters.Result {
	t.Helper()
	res, err := New().Parse(&adapters.Request{Header: http.Header{}, Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	if res == nil {
		t.Fatalf("Parse(%s): nil result", body)
	}
	if err := adapterstest.CheckEvents(domain.ProviderCINNOX, &adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt}, res.Events); err != nil {
		t.Errorf("Parse(%s): %v", body, err)
	}
	return res
}

func parseOne(t *testing.T, body string) *domain.Event {
	t.Helper()
	res := parse(t, body)
	if res.Reply != nil || len(res.Events) != 1 {
		t.Fatalf("Parse(%s) = reply %s and %d events, want exactly one event", body, res.Reply, len(res.Events))
	}
	return res.Events[0]
}

func enquiryBody(status, date string) string {
	return `{"status":"` + status + `","serviceId":"s1","displayCaseNumber":"E1","eid":"e-1","type":"inquiry",` +
		`"channel":"WHATSAPP","channelOri":"Channel","socialId":"85291234567","date":"` + date + `"}`
}

func TestIdentity(t *testing.T) {
	a := New()
	if a.Provider() != domain.ProviderCINNOX {
		t.Errorf("Provider() = %s, want CINNOX", a.Provider())
	}
	if a.SignsDeliveries() {
		t.Error("SignsDeliveries() = true: CINNOX documents no signing, a required secret would refuse every delivery")
	}
}

func TestVerifyAcceptsAnyDeliveryBecauseCINNOXDoesNotSign(t *testing.T) {
	for _, secret := range []string{"", "s3cret"} {
		for _, h := range []http.Header{nil, {}, {"X-Signature": {"garbage"}}} {
			if err := New().Verify(&adapters.Request{Header: h, Body: []byte(`{}`)}, secret); err != nil {
				t.Errorf("Verify(header %v, secret %q) = %v, want nil", h, secret, err)
			}
		}
	}
	if err := New().Verify(nil, "s3cret"); err != nil {
		t.Errorf("Verify(nil) = %v, want nil", err)
	}
}

func TestParseRefusesOnlyWhatIsNotJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `{"challenge":`, `not json`, "\xef\xbb\xbf{}", `{"a":1}{"b":2}`} {
		_, err := New().Parse(&adapters.Request{Body: []byte(body), ReceivedAt: adapterstest.ReceivedAt})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("Parse(%q) error = %v, want an %q error", body, err, domain.EINVALID)
		}
	}
	if _, err := New().Parse(nil); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("Parse(nil) error = %v, want %q", err, domain.EINVALID)
	}
}

func TestParseAnswersAChallengeWithTheSameString(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"plain", `{"challenge":"3eZbrw1aBm2r"}`, "3eZbrw1aBm2r"},
		{"quotes and backslashes", `{"challenge":"a\"b\\c"}`, `a"b\c`},
		{"markup", `{"challenge":"</script><b>&amp;"}`, "</script><b>&amp;"},
		{"control characters and NUL", `{"challenge":"x\u0000\n\ty"}`, "x\x00\n\ty"},
		{"non-BMP rune", `{"challenge":"\ud83d\ude00 \u2603"}`, "\U0001F600 \u2603"},
		{"whitespace only", `{"challenge":"  "}`, "  "},
		{"beside other fields", `{"challenge":"c1","token":"t"}`, "c1"},
		{"long", `{"challenge":"` + strings.Repeat("z", 5000) + `"}`, strings.Repeat("z", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.body)
			if len(res.Events) != 0 {
				t.Fatalf("challenge gave %d events, want none: a challenge is not an event", len(res.Events))
			}
			var got struct {
				Code   *int            `json:"code"`
				Result json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(res.Reply, &got); err != nil {
				t.Fatalf("Reply %s is not JSON: %v", res.Reply, err)
			}
			var result struct {
				Challenge *string `json:"challenge"`
			}
			if got.Code == nil || *got.Code != 0 {
				t.Errorf("Reply %s: code is not 0", res.Reply)
			}
			if len(got.Result) == 0 || got.Result[0] != '{' || json.Unmarshal(got.Result, &result) != nil {
				t.Fatalf("Reply %s: result is not an object", res.Reply)
			}
			if result.Challenge == nil || *result.Challenge != tt.want {
				t.Errorf("Reply %s: challenge is not %q", res.Reply, tt.want)
			}
		})
	}
	exact := parse(t, `{"challenge":"abc"}`)
	if want := `{"code":0,"result":{"challenge":"abc"}}`; string(exact.Reply) != want {
		t.Errorf("Reply = %s, want %s", exact.Reply, want)
	}
}

func TestParseTreatsAnEmptyOrNonStringChallengeAsAnEvent(t *testing.T) {
	tests := []struct {
		name, body string
		wantType   domain.EventType
		wantReason string
	}{
		{"empty alone", `{"challenge":""}`, domain.EventOther, "challenge is empty"},
		{"number", `{"challenge":12}`, domain.EventOther, "challenge is not a string"},
		{"null", `{"challenge":null}`, domain.EventOther, "challenge is not a string"},
		{"object", `{"challenge":{"challenge":"x"}}`, domain.EventOther, "challenge is not a string"},
		{"empty beside a contact event", `{"challenge":"","type":"message","message":{"type":"contact","status":"create","id":"c1","fullName":"A"}}`,
			domain.EventContactCreated, ""},
		{"empty beside an enquiry", `{"challenge":"","type":"inquiry","status":"Closed","eid":"e1"}`,
			domain.EventConversationStatusChanged, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, tt.body)
			if e.Type != tt.wantType {
				t.Errorf("Type = %s, want %s", e.Type, tt.wantType)
			}
			if (tt.wantReason == "") != (e.Reason == "") || !strings.Contains(e.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want %q", e.Reason, tt.wantReason)
			}
		})
	}
}

func TestParseMapsEnquiryStatuses(t *testing.T) {
	tests := []struct {
		status             string
		wantName           string
		wantType           domain.EventType
		wantStatus         domain.ConversationStatus
		wantProviderStatus string
	}{
		{"Opened", "EnquiryOpened", domain.EventConversationCreated, domain.StatusOpen, "Opened"},
		{"Handling", "EnquiryHandling", domain.EventConversationStatusChanged, domain.StatusOpen, "Handling"},
		{"Closed", "EnquiryClosed", domain.EventConversationStatusChanged, domain.StatusClosed, "Closed"},
		{"Missed", "EnquiryMissed", domain.EventConversationStatusChanged, domain.StatusClosed, "Missed"},
		{"closed", "EnquiryClosed", domain.EventConversationStatusChanged, domain.StatusClosed, "closed"},
		{" Opened ", "EnquiryOpened", domain.EventConversationCreated, domain.StatusOpen, "Opened"},
		{"Transferred", "EnquiryTransferred", domain.EventConversationStatusChanged, domain.StatusUnknown, "Transferred"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			e := parseOne(t, enquiryBody(tt.status, "2022-11-07T00:00:00.000Z"))
			if e.Type != tt.wantType || e.ProviderEventType != tt.wantName {
				t.Errorf("got %s %q, want %s %q", e.Type, e.ProviderEventType, tt.wantType, tt.wantName)
			}
			if e.Reason != "" {
				t.Errorf("Reason = %q, want none", e.Reason)
			}
			c := e.Conversation
			if c == nil {
				t.Fatal("no conversation update")
			}
			if c.ExternalID != "e-1" || c.Kind != domain.KindEnquiry || c.Status != tt.wantStatus || c.ProviderStatus != tt.wantProviderStatus {
				t.Errorf("conversation %q %s status %q (provider %q), want e-1 ENQUIRY %q (provider %q)",
					c.ExternalID, c.Kind, c.Status, c.ProviderStatus, tt.wantStatus, tt.wantProviderStatus)
			}
		})
	}
}

func TestParseReadsEnquiryFacts(t *testing.T) {
	opened := parseOne(t, `{"status":"Opened","eid":"e-9","type":"inquiry","channel":" CINNOX ","channelOri":"Web",
		"socialId":"","date":"2022-11-07T08:15:30.125Z","displayCaseNumber":"E9"}`)
	created := time.Date(2022, 11, 7, 8, 15, 30, 125e6, time.UTC)
	want := domain.ConversationUpdate{
		ExternalID: "e-9", Kind: domain.KindEnquiry, Status: domain.StatusOpen, ProviderStatus: "Opened",
		Channel: "CINNOX", CreatedAt: created,
	}
	if opened.Conversation == nil || opened.Conversation.Requester != nil || !reflect.DeepEqual(*opened.Conversation, want) {
		t.Errorf("Opened: conversation = %+v, want %+v without a requester (empty socialId)", opened.Conversation, want)
	}
	if !opened.OccurredAt.Equal(created) {
		t.Errorf("Opened: OccurredAt = %v, want the enquiry's date %v", opened.OccurredAt, created)
	}

	handling := parseOne(t, enquiryBody("Handling", "2022-11-07T09:00:00.000Z"))
	c := handling.Conversation
	if !c.CreatedAt.IsZero() {
		t.Errorf("Handling: CreatedAt = %v, want zero: only Opened says when the enquiry began", c.CreatedAt)
	}
	if c.Channel != "WHATSAPP" {
		t.Errorf("Handling: Channel = %q, want WHATSAPP (channelOri stays in the payload)", c.Channel)
	}
	wantReq := domain.Person{Provider: domain.ProviderCINNOX, ExternalID: "85291234567", Role: domain.RoleContact}
	if c.Requester == nil || !reflect.DeepEqual(*c.Requester, wantReq) {
		t.Errorf("Handling: Requester = %+v, want %+v", c.Requester, wantReq)
	}
	if c.Assignee != nil || c.Unassigned {
		t.Errorf("Handling: assignee %+v unassigned %v, want the assignment left alone", c.Assignee, c.Unassigned)
	}

	odd := parseOne(t, `{"status":"Closed","eid":12,"channel":7,"socialId":"0044 7700","date":"tomorrow"}`)
	if odd.Type != domain.EventConversationStatusChanged || odd.Conversation.ExternalID != "12" || odd.Conversation.Channel != "" {
		t.Errorf("wrong-typed fields: %s conversation %+v, want a status change of enquiry 12 without a channel", odd.Type, odd.Conversation)
	}
	if r := odd.Conversation.Requester; r == nil || r.ExternalID != "0044 7700" {
		t.Errorf("socialId: Requester = %+v, want ExternalID %q kept as sent", r, "0044 7700")
	}
}

func TestParseMapsCallAndContactEvents(t *testing.T) {
	tests := []struct {
		status     string
		wantType   domain.EventType
		wantStatus domain.ConversationStatus // calls
		wantRole   domain.PersonRole         // contacts
		wantDelete bool
	}{
		{status: "CallStart", wantType: domain.EventCallStarted, wantStatus: domain.StatusOpen},
		{status: "CallEnd", wantType: domain.EventCallEnded, wantStatus: domain.StatusClosed},
		{status: "create", wantType: domain.EventContactCreated, wantRole: domain.RoleContact},
		{status: "edit", wantType: domain.EventContactUpdated, wantRole: domain.RoleContact},
		{status: "delete", wantType: domain.EventContactDeleted, wantRole: domain.RoleContact, wantDelete: true},
		{status: "staffCreate", wantType: domain.EventContactCreated, wantRole: domain.RoleAgent},
		{status: "staffEdit", wantType: domain.EventContactUpdated, wantRole: domain.RoleAgent},
		{status: "staffDelete", wantType: domain.EventContactDeleted, wantRole: domain.RoleAgent, wantDelete: true},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			body := `{"message":{"id":"m-1","status":"` + tt.status + `","serviceId":"s1"}}`
			if tt.wantRole != "" {
				body = `{"type":"message","message":{"type":"contact","status":"` + tt.status + `","serviceId":"s1","fullName":" Chan Tai Man ","id":"m-1"}}`
			}
			e := parseOne(t, body)
			if e.Type != tt.wantType || e.ProviderEventType != tt.status || e.Reason != "" {
				t.Errorf("got %s %q (reason %q), want %s %q", e.Type, e.ProviderEventType, e.Reason, tt.wantType, tt.status)
			}
			if !e.OccurredAt.Equal(adapterstest.ReceivedAt) {
				t.Errorf("OccurredAt = %v, want the receive time: CINNOX sends no timestamp here", e.OccurredAt)
			}
			if tt.wantRole == "" {
				c := e.Conversation
				if c == nil || c.ExternalID != "m-1" || c.Kind != domain.KindCall || c.Status != tt.wantStatus || c.ProviderStatus != tt.status {
					t.Errorf("conversation = %+v, want call m-1 %s (provider %s)", c, tt.wantStatus, tt.status)
				}
				if len(e.Contacts) != 0 {
					t.Errorf("Contacts = %v, want none for a call", e.Contacts)
				}
				return
			}
			if e.Conversation != nil {
				t.Errorf("conversation = %+v, want none for a contact event", e.Conversation)
			}
			want := domain.Person{Provider: domain.ProviderCINNOX, ExternalID: "m-1", Role: tt.wantRole, Name: "Chan Tai Man", Deleted: tt.wantDelete}
			if len(e.Contacts) != 1 || !reflect.DeepEqual(*e.Contacts[0], want) {
				t.Errorf("Contacts = %v, want [%+v]", e.Contacts, want)
			}
		})
	}
}

func TestParseReadsCallParties(t *testing.T) {
	person := func(id, phone string, role domain.PersonRole) *domain.Person {
		p := &domain.Person{Provider: domain.ProviderCINNOX, ExternalID: id, Role: role}
		p.AddPhone(domain.PhoneUnspecified, phone)
		return p
	}
	tests := []struct {
		name, parties string
		wantRequester *domain.Person
		wantAssignee  *domain.Person
	}{
		{"both with eids", `"caller":{"eid":"u1","number":"+85291234567"},"callees":{"eid":"a1","number":"+85230011234"}`,
			person("u1", "+85291234567", domain.RoleContact), person("a1", "+85230011234", domain.RoleAgent)},
		{"caller known by number only", `"caller":{"eid":"","number":" +85261234567 "}`,
			person("+85261234567", "+85261234567", domain.RoleContact), nil},
		{"numeric number", `"caller":{"number":85261234567}`,
			person("85261234567", "85261234567", domain.RoleContact), nil},
		{"callees as a list: first that names somebody", `"callees":[{},{"eid":"a2"},{"eid":"a3"}]`,
			nil, person("a2", "", domain.RoleAgent)},
		{"nobody named", `"caller":{},"callees":[]`, nil, nil},
		{"wrong types", `"caller":"u1","callees":7`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"message":{"id":"call-1","status":"CallStart",`+tt.parties+`}}`)
			c := e.Conversation
			if c == nil {
				t.Fatal("no conversation update")
			}
			if !samePerson(c.Requester, tt.wantRequester) || !samePerson(c.Assignee, tt.wantAssignee) {
				t.Errorf("requester %+v assignee %+v, want %+v and %+v", c.Requester, c.Assignee, tt.wantRequester, tt.wantAssignee)
			}
			if c.Unassigned {
				t.Error("Unassigned set: a call event never says the call was unassigned")
			}
		})
	}
}

func samePerson(a, b *domain.Person) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(*a, *b)
}

func TestParseKeepsWhatItDoesNotUnderstandAsOther(t *testing.T) {
	tests := []struct {
		name, body, wantName, wantReason string
		wantConversation                 bool
	}{
		{"array body", `[{"challenge":"x"}]`, "unknown", "JSON array", false},
		{"string body", `"EnquiryOpened"`, "unknown", "JSON string", false},
		{"null body", `null`, "unknown", "JSON null", false},
		{"empty object", `{}`, "unknown", "no field that names", false},
		{"unknown type", `{"type":"survey","eid":"e1"}`, "unknown", `type "survey"`, false},
		{"enquiry without eid", `{"type":"inquiry","status":"Opened"}`, "EnquiryOpened", "no eid", false},
		{"enquiry without status", `{"type":"inquiry","eid":"e1"}`, "Enquiry", "status is missing", true},
		{"enquiry with a numeric status", `{"type":"inquiry","eid":"e1","status":3}`, "Enquiry", "status is not a string", true},
		{"enquiry with a garbage status", `{"type":"inquiry","eid":"e1","status":"a\u0000b"}`, "Enquiry", "not a status name", true},
		{"enquiry with neither", `{"type":"inquiry","status":""}`, "Enquiry", "no eid, so its enquiry cannot be named, and its status is empty", false},
		{"message not an object", `{"type":"message","message":"hi"}`, "unknown", "message is a JSON string", false},
		{"message without status", `{"message":{"id":"m1"}}`, "unknown", "message.status is missing", false},
		{"unknown message status", `{"message":{"id":"m1","status":"Ringing"}}`, "Ringing", `"Ringing" is not a CINNOX call or contact event`, false},
		{"unknown call status", `{"message":{"id":"m1","status":"CallHold","caller":{"eid":"u"}}}`, "CallHold", "neither CallStart nor CallEnd", false},
		{"call without id", `{"message":{"status":"CallEnd","serviceId":"s"}}`, "CallEnd", "no message.id", false},
		{"call with an empty id", `{"message":{"id":" ","status":"CallStart"}}`, "CallStart", "no message.id", false},
		{"unknown contact status", `{"message":{"type":"contact","status":"merge","id":"c1"}}`, "merge", "none of create, edit", false},
		{"contact without status", `{"message":{"type":"contact","id":"c1"}}`, "unknown", "contact event: message.status is missing", false},
		{"contact without id", `{"message":{"type":"contact","status":"staffEdit"}}`, "staffEdit", "no message.id", false},
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
			if (e.Conversation != nil) != tt.wantConversation {
				t.Errorf("conversation = %+v, want one: %v", e.Conversation, tt.wantConversation)
			}
			if e.Conversation != nil && (e.Conversation.Status != "" || e.Conversation.ProviderStatus != "") {
				t.Errorf("conversation status %q (provider %q), want none: the event says nothing usable about it",
					e.Conversation.Status, e.Conversation.ProviderStatus)
			}
			if len(e.Contacts) != 0 {
				t.Errorf("Contacts = %v, want none", e.Contacts)
			}
			if want := "cinnox:sha256:" + payload.SHA256(tt.body); e.DedupeKey != want {
				t.Errorf("DedupeKey = %q, want the body's hash %q", e.DedupeKey, want)
			}
			if string(e.Payload) != tt.body {
				t.Errorf("Payload = %s, want the body %s", e.Payload, tt.body)
			}
		})
	}
}

func TestParseOccurredAt(t *testing.T) {
	tests := []struct {
		name, date string
		want       time.Time
	}{
		{"RFC3339 with milliseconds", `"2022-11-07T00:00:00.123Z"`, time.Date(2022, 11, 7, 0, 0, 0, 123e6, time.UTC)},
		{"offset normalised to UTC", `"2022-11-07T08:00:00+08:00"`, time.Date(2022, 11, 7, 0, 0, 0, 0, time.UTC)},
		{"Unix milliseconds", `1667779200000`, time.Date(2022, 11, 7, 0, 0, 0, 0, time.UTC)},
		{"missing falls back to receipt", `null`, adapterstest.ReceivedAt},
		{"garbage falls back to receipt", `"07/11/2022 12:30"`, adapterstest.ReceivedAt},
		{"wrong type falls back to receipt", `{}`, adapterstest.ReceivedAt},
		{"zero time falls back to receipt", `"0001-01-01T00:00:00Z"`, adapterstest.ReceivedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"type":"inquiry","status":"Opened","eid":"e1","date":`+tt.date+`}`)
			if !e.OccurredAt.Equal(tt.want) || e.OccurredAt.Location() != time.UTC {
				t.Errorf("OccurredAt = %v, want %v in UTC", e.OccurredAt, tt.want)
			}
			if got := e.Conversation.CreatedAt; tt.want == adapterstest.ReceivedAt && !got.IsZero() {
				t.Errorf("CreatedAt = %v, want zero: the receive time is not when the enquiry began", got)
			}
		})
	}
}

func TestParseDedupeKeys(t *testing.T) {
	contact := func(status, name string) string {
		return `{"type":"message","message":{"type":"contact","status":"` + status + `","serviceId":"s1","fullName":"` + name + `","id":"c-1"}}`
	}
	editMsg := `{"type":"contact","status":"edit","serviceId":"s1","fullName":"A","id":"c-1"}`
	tests := []struct{ name, body, want string }{
		{"enquiry: eid, status and date as sent", enquiryBody("Closed", "2022-11-07T00:00:00.000Z"), "cinnox:enquiry:e-1:Closed:2022-11-07T00:00:00.000Z"},
		{"enquiry without a date", `{"type":"inquiry","eid":"e-1","status":"Closed"}`, "cinnox:enquiry:e-1:Closed:"},
		{"enquiry with a numeric date", `{"type":"inquiry","eid":"e-1","status":"Closed","date":1667779200000}`, "cinnox:enquiry:e-1:Closed:1667779200000"},
		{"call start", `{"message":{"id":"k-1","status":"CallStart"}}`, "cinnox:call:k-1:CallStart"},
		{"call end", `{"message":{"id":"k-1","status":"CallEnd","serviceId":"s1"}}`, "cinnox:call:k-1:CallEnd"},
		{"contact create", contact("create", "A"), "cinnox:contact:c-1:create"},
		{"contact delete", contact("delete", "A"), "cinnox:contact:c-1:delete"},
		{"staff create", contact("staffCreate", "A"), "cinnox:contact:c-1:staffCreate"},
		{"contact edit keys on the message's bytes", `{"type":"message","message":` + editMsg + `}`,
			"cinnox:contact:c-1:edit:" + payload.SHA256(editMsg)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseOne(t, tt.body).DedupeKey; got != tt.want {
				t.Errorf("DedupeKey = %q, want %q", got, tt.want)
			}
		})
	}

	differ := []struct{ name, a, b string }{
		{"one enquiry at two dates", enquiryBody("Closed", "2022-11-07T00:00:00.000Z"), enquiryBody("Closed", "2022-11-08T00:00:00.000Z")},
		{"one enquiry in two statuses", enquiryBody("Opened", "2022-11-07T00:00:00.000Z"), enquiryBody("Handling", "2022-11-07T00:00:00.000Z")},
		{"two edits of one contact", contact("edit", "A"), contact("edit", "B")},
		{"two edits of one staff member", contact("staffEdit", "A"), contact("staffEdit", "B")},
		{"edit of a contact and of a staff member", contact("edit", "A"), contact("staffEdit", "A")},
		{"create of a contact and of a staff member", contact("create", "A"), contact("staffCreate", "A")},
		{"start and end of one call", `{"message":{"id":"k-1","status":"CallStart"}}`, `{"message":{"id":"k-1","status":"CallEnd"}}`},
		{"two calls", `{"message":{"id":"k-1","status":"CallEnd"}}`, `{"message":{"id":"k-2","status":"CallEnd"}}`},
		{"two unknown bodies", `{"x":1}`, `{"x":2}`},
		{"one id as a call and as a contact", `{"message":{"id":"k-1","status":"CallStart"}}`, `{"message":{"type":"contact","id":"k-1","status":"create"}}`},
	}
	for _, tt := range differ {
		t.Run("differ/"+tt.name, func(t *testing.T) {
			if a, b := parseOne(t, tt.a).DedupeKey, parseOne(t, tt.b).DedupeKey; a == b {
				t.Errorf("different events share the key %q", a)
			}
		})
	}

	same := []struct{ name, a, b string }{
		{"a call redelivered with other parties", `{"message":{"id":"k-1","status":"CallEnd","serviceId":"s1"}}`,
			`{"message":{"id":"k-1","status":"CallEnd","serviceId":"s1","caller":{"eid":"u"}}}`},
		{"an enquiry redelivered with other fields", enquiryBody("Missed", "2022-11-07T00:00:00.000Z"),
			`{"type":"inquiry","eid":"e-1","status":"Missed","date":"2022-11-07T00:00:00.000Z"}`},
	}
	for _, tt := range same {
		t.Run("same/"+tt.name, func(t *testing.T) {
			if a, b := parseOne(t, tt.a).DedupeKey, parseOne(t, tt.b).DedupeKey; a != b {
				t.Errorf("keys %q and %q differ for one event", a, b)
			}
		})
	}

	long := strings.Repeat("x", 600)
	for _, body := range []string{
		`{"type":"inquiry","eid":"` + long + `","status":"Opened","date":"` + long + `"}`,
		`{"message":{"id":"` + long + `","status":"CallStart"}}`,
		`{"message":{"type":"contact","id":"` + long + `","status":"staffEdit"}}`,
	} {
		e := parseOne(t, body) // CheckEvents bounds the key and the external id
		if e.Type == domain.EventOther || !strings.Contains(e.DedupeKey, "sha256:") {
			t.Errorf("long ids: %s key %q, want the event translated with its long ids hashed", e.Type, e.DedupeKey)
		}
	}
}

func TestParseOwnsThePayload(t *testing.T) {
	body := []byte(`{"message":{"id":"k-1","status":"CallStart"}}`)
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
	if e1.ReceivedAt.Location() != time.UTC || !e1.ReceivedAt.Equal(req.ReceivedAt) || !e1.OccurredAt.Equal(req.ReceivedAt) {
		t.Errorf("ReceivedAt %v OccurredAt %v, want the request's time in UTC for both", e1.ReceivedAt, e1.OccurredAt)
	}
	if e1.ConversationID != "" {
		t.Errorf("ConversationID = %q, want it left to the store", e1.ConversationID)
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
