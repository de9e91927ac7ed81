package export

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// encodingJSON is what encoding/json makes of s without HTML escaping, the
// way httperror writes JSON.
func encodingJSON(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var stringSeeds = []string{
	"", "plain", `quote " and backslash \`, "line\nbreak\r\ttab", "\b\f\x00\x01\x1f\x7f",
	"<b>&amp;</b>", "héllo wörld ✓ 😀", "\u2028\u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate",
	"ends with \\", "Conversation\"Closed\"",
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range stringSeeds {
		if got, want := appendString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendString([]byte("prefix"), s), append([]byte("prefix"), encodingJSON(t, s)...); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendPayloadKeepsTheBodyOnOneLine(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		want    string
	}{
		{"compact body verbatim", `{"a": [1, 2.50, "x\ny"], "b":null}`, `{"a": [1, 2.50, "x\ny"], "b":null}`},
		{"line breaks become spaces", "{\r\n  \"a\": \"<&>\",\n  \"b\": {\"c\": true}\n}\n", `{    "a": "<&>",   "b": {"c": true} } `},
		{"empty body is null", "", "null"},
		{"invalid body becomes a string", "not json\n", `"not json\n"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := appendPayload(nil, domain.RawJSON(c.payload))
			if string(got) != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
			if !json.Valid(got) || bytes.ContainsAny(got, "\r\n") {
				t.Fatalf("%q is not one line of JSON", got)
			}
		})
	}
}

func TestAppendEventIsOneLineOfTheEventFields(t *testing.T) {
	at := time.Date(2024, 1, 31, 10, 30, 0, 123456000, time.FixedZone("CET", 3600))
	e := &domain.Event{
		ID: "e1", Position: domain.Position(42), Provider: domain.ProviderDixa, Type: domain.EventNoteAdded,
		ProviderEventType: "ConversationNoteAdded", DedupeKey: "k\"1", OccurredAt: at, ReceivedAt: at.Add(time.Second),
		SubscriptionID: "s1", ConversationID: "c1", Payload: domain.RawJSON("{\n\"x\": 1}"),
	}
	line := appendEvent(nil, e)
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	want := `{"id":"e1","cursor":"` + e.Cursor() + `","provider":"DIXA","type":"NOTE_ADDED","providerEventType":"ConversationNoteAdded",` +
		`"dedupeKey":"k\"1","occurredAt":"2024-01-31T09:30:00.123456Z","receivedAt":"2024-01-31T09:30:01.123456Z",` +
		`"conversationId":"c1","subscriptionId":"s1","messageId":null,"reason":null,"corrects":null,"payloadExpired":false,"payload":{ "x": 1}}` + "\n"
	if string(line) != want {
		t.Fatalf("line\n%s\nwant\n%s", line, want)
	}
	if got := appendErrorLine(nil, `store "down"`, "abc"); !strings.HasSuffix(string(got), "\n") || !json.Valid(got) {
		t.Fatalf("error line %q", got)
	}
}

func TestAppendEventAllocatesOnlyTheCursor(t *testing.T) {
	e := &domain.Event{ID: "e1", Position: domain.Position(7), Provider: domain.ProviderVoxsig, Type: domain.EventOther,
		OccurredAt: time.Now(), ReceivedAt: time.Now(), Reason: "unknown shape", Payload: domain.RawJSON(`{"a":"b"}`)}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() { buf = appendEvent(buf[:0], e) })
	if allocs > 2 {
		t.Fatalf("appendEvent allocates %v times a line, want at most 2 (the cursor)", allocs)
	}
}
