package dixa

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
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

// samples returns every delivery in testdata, signed as Dixa would.
func samples(t testing.TB) []adapterstest.Sample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []adapterstest.Sample
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(SignatureHeader, Sign(testSecret, signedAt, body))
		out = append(out, adapterstest.Sample{
			Name:   strings.TrimSuffix(filepath.Base(f), ".json"),
			Body:   body,
			Header: h,
		})
	}
	if len(out) < 8 {
		t.Fatalf("found %d samples in testdata, want at least 8: is the working directory the package?", len(out))
	}
	return out
}

func TestContract(t *testing.T) {
	adapterstest.Run(t, New(), samples(t))
}

// golden is the part of an event that is fixed by its input: not the
// random ID, and ReceivedAt only through occurredAt when Dixa gave no time.
type golden struct {
	Type              domain.EventType `json:"type"`
	ProviderEventType string           `json:"providerEventType"`
	OccurredAt        time.Time        `json:"occurredAt"`
	DedupeKey         string           `json:"dedupeKey"`
	Reason            string           `json:"reason,omitempty"`
	ConversationID    string           `json:"conversationId,omitempty"`
	Conversation      *goldenConv      `json:"conversation,omitempty"`
}

type goldenConv struct {
	ExternalID     string                    `json:"externalId"`
	Kind           domain.ConversationKind   `json:"kind"`
	Status         domain.ConversationStatus `json:"status"`
	ProviderStatus string                    `json:"providerStatus"`
	Channel        string                    `json:"channel"`
	Subject        string                    `json:"subject"`
	CreatedAt      *time.Time                `json:"createdAt,omitempty"`
}

func render(events []*domain.Event) []golden {
	out := make([]golden, 0, len(events))
	for _, e := range events {
		g := golden{
			Type: e.Type, ProviderEventType: e.ProviderEventType, OccurredAt: e.OccurredAt,
			DedupeKey: e.DedupeKey, Reason: e.Reason, ConversationID: e.ConversationID,
		}
		if c := e.Conversation; c != nil {
			g.Conversation = &goldenConv{
				ExternalID: c.ExternalID, Kind: c.Kind, Status: c.Status, ProviderStatus: c.ProviderStatus,
				Channel: c.Channel, Subject: c.Subject,
			}
			if !c.CreatedAt.IsZero() {
				g.Conversation.CreatedAt = &c.CreatedAt
			}
		}
		out = append(out, g)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.Name, func(t *testing.T) {
			res, err := New().Parse(&adapters.Request{Header: s.Header, Body: s.Body, ReceivedAt: adapterstest.ReceivedAt})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(render(res.Events), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", s.Name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./adapters/dixa -update` to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
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
		{"documented event not mapped yet", `{"event_fqn":"CONVERSATION_TAG_ADDED"}`, "ConversationTagAdded", ""},
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
}

func TestParseMapsEventsAndStatuses(t *testing.T) {
	tests := []struct {
		name, fqn, snapshot string
		wantType            domain.EventType
		wantStatus          domain.ConversationStatus
		wantProviderStatus  string
	}{
		{"created keeps the snapshot status", "CONVERSATION_CREATED", "OPEN", domain.EventConversationCreated, domain.StatusOpen, "OPEN"},
		{"open event wins over a stale snapshot", "CONVERSATION_OPEN", "PENDING", domain.EventConversationStatusChanged, domain.StatusOpen, "OPEN"},
		{"pending event wins over a stale snapshot", "CONVERSATION_PENDING", "OPEN", domain.EventConversationStatusChanged, domain.StatusPending, "PENDING"},
		{"closed event wins over a stale snapshot", "CONVERSATION_CLOSED", "OPEN", domain.EventConversationStatusChanged, domain.StatusClosed, "CLOSED"},
		{"note keeps a lower-case status", "CONVERSATION_NOTE_ADDED", "closed", domain.EventNoteAdded, domain.StatusClosed, "closed"},
		{"message with an unknown status leaves it unchanged", "CONVERSATION_MESSAGE_ADDED", "SNOOZED", domain.EventMessageCreated, "", "SNOOZED"},
		{"other event still updates its conversation", "CONVERSATION_ASSIGNED", "OPEN", domain.EventOther, domain.StatusOpen, "OPEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event_id":"e","event_fqn":"`+tt.fqn+`","data":{"conversation":{"csid":1,"status":"`+tt.snapshot+`"}}}`)
			if e.Type != tt.wantType {
				t.Errorf("Type = %s, want %s", e.Type, tt.wantType)
			}
			if e.Conversation == nil {
				t.Fatal("no conversation update")
			}
			if e.Conversation.Status != tt.wantStatus || e.Conversation.ProviderStatus != tt.wantProviderStatus {
				t.Errorf("status = %q (provider %q), want %q (provider %q)",
					e.Conversation.Status, e.Conversation.ProviderStatus, tt.wantStatus, tt.wantProviderStatus)
			}
		})
	}
}

func TestParseReadsCSIDInAnyIntegerForm(t *testing.T) {
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
		{`9223372036854775808`, ""},
		{`12.5`, ""},
		{`"abc"`, ""},
		{`""`, ""},
		{`null`, ""},
		{`true`, ""},
		{`{}`, ""},
		{`[1]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.csid, func(t *testing.T) {
			e := parseOne(t, `{"event_id":"e","event_fqn":"CONVERSATION_NOTE_ADDED","data":{"conversation":{"csid":`+tt.csid+`}}}`)
			switch {
			case tt.want == "" && e.Conversation != nil:
				t.Errorf("got conversation %q, want none", e.Conversation.ExternalID)
			case tt.want != "" && e.Conversation == nil:
				t.Errorf("got no conversation, want %q", tt.want)
			case tt.want != "":
				if e.Conversation.ExternalID != tt.want || e.Conversation.Kind != domain.KindConversation {
					t.Errorf("got %q %s, want %q CONVERSATION", e.Conversation.ExternalID, e.Conversation.Kind, tt.want)
				}
				if e.ConversationID != domain.ConversationID(domain.ProviderDixa, tt.want) {
					t.Errorf("ConversationID = %q, want the id of %q", e.ConversationID, tt.want)
				}
			}
		})
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
		{"missing falls back to receipt", `null`, adapterstest.ReceivedAt},
		{"garbage falls back to receipt", `"soon"`, adapterstest.ReceivedAt},
		{"number falls back to receipt", `1694779200000`, adapterstest.ReceivedAt},
		{"zero time falls back to receipt", `"0001-01-01T00:00:00Z"`, adapterstest.ReceivedAt},
		{"year 10000 in UTC falls back to receipt", `"9999-12-31T23:59:59-23:59"`, adapterstest.ReceivedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseOne(t, `{"event_id":"e","event_fqn":"CONVERSATION_CREATED","event_timestamp":`+tt.ts+`}`)
			if !e.OccurredAt.Equal(tt.want) || e.OccurredAt.Location() != time.UTC {
				t.Errorf("OccurredAt = %v, want %v in UTC", e.OccurredAt, tt.want)
			}
		})
	}
}

func TestParseDedupeKeys(t *testing.T) {
	long := strings.Repeat("x", maxIDLen+1)
	tests := []struct {
		name, body, wantPrefix string
	}{
		{"event_id", `{"event_id":"8967e0c6","event_fqn":"CONVERSATION_CREATED"}`, "dixa:8967e0c6"},
		{"numeric event_id", `{"event_id":42}`, "dixa:42"},
		{"missing event_id hashes the body", `{"event_fqn":"CONVERSATION_CREATED"}`, "dixa:sha256:"},
		{"blank event_id hashes the body", `{"event_id":" "}`, "dixa:sha256:"},
		{"long event_id is hashed", `{"event_id":"` + long + `"}`, "dixa:id-sha256:"},
		{"NUL in event_id is hashed", `{"event_id":"a\u0000b"}`, "dixa:id-sha256:"},
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
	// Two different events without ids must not collapse into one.
	a := parseOne(t, `{"event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":1}}}`)
	b := parseOne(t, `{"event_fqn":"CONVERSATION_CREATED","data":{"conversation":{"csid":2}}}`)
	if a.DedupeKey == b.DedupeKey {
		t.Errorf("different bodies without event_id share the key %q", a.DedupeKey)
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

func TestParseReadsConversationFields(t *testing.T) {
	e := parseOne(t, `{"event_id":"e","event_fqn":"CONVERSATION_CREATED","data":{"conversation":{
		"csid":7,"channel":"EMAIL","status":"OPEN","subject":"Hi\u0000there","created_at":"2023-09-01T12:00:00.000Z"}}}`)
	want := domain.ConversationUpdate{
		ExternalID: "7", Kind: domain.KindConversation, Status: domain.StatusOpen, ProviderStatus: "OPEN",
		Channel: "EMAIL", Subject: "Hithere", CreatedAt: time.Date(2023, 9, 1, 12, 0, 0, 0, time.UTC),
	}
	if e.Conversation == nil || *e.Conversation != want {
		t.Errorf("conversation = %+v, want %+v", e.Conversation, want)
	}
	wrongTypes := parseOne(t, `{"event_fqn":"CONVERSATION_CREATED","data":{"conversation":{
		"csid":7,"channel":1,"status":{},"subject":null,"created_at":"later"}}}`)
	want = domain.ConversationUpdate{ExternalID: "7", Kind: domain.KindConversation}
	if wrongTypes.Conversation == nil || *wrongTypes.Conversation != want {
		t.Errorf("with wrong-typed fields: conversation = %+v, want only %+v", wrongTypes.Conversation, want)
	}
}
