package voxsig

import (
	"net/http"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// FuzzParse runs the shared contract fuzz target over Voxsig's shapes.
func FuzzParse(f *testing.F) {
	adapterstest.FuzzParse(f, New(), nil, `{"event":"conversation_updated","id":1,"changed_attributes":{"label_list":{"current_value":[""]}}}`,
		`{"event":"automation_event.message_created","id":1,"messages":[{"id":2,"account_id":3,"sender_type":"User","sender_id":5,"message_type":1}]}`,
		`{"event":"automation_event.message_created","id":1,"messages":[null,{"id":2}]}`,
		`{"event":"AUTOMATION_EVENT.conversation_opened","id":1,"status":"resolved","meta":{"sender":{"id":2,"additional_attributes":{"company_name":""}}}}`,
		`{"event":"automation_event.","id":1}`)
}

// FuzzVerify checks that no header makes Verify panic or accept a body it
// was not signed for, and that what Sign produces always passes.
func FuzzVerify(f *testing.F) {
	sig, ts := Sign(sampleSecret, adapterstest.ReceivedAt, sigBody)
	f.Add(sig, ts, sampleSecret, sigBody)
	f.Add("sha256=", "", "s", []byte(`{}`))
	f.Add("sha256=zz", "-1", "", []byte(``))
	a := New()
	f.Fuzz(func(t *testing.T, sigHeader, tsHeader, secret string, body []byte) {
		req := &adapters.Request{
			Header:     http.Header{SignatureHeader: {sigHeader}, TimestampHeader: {tsHeader}},
			Body:       body,
			ReceivedAt: adapterstest.ReceivedAt,
		}
		if err := a.Verify(req, secret); err != nil && domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Fatalf("Verify(%q, %q) = %v, want nil or %q", sigHeader, tsHeader, err, domain.EUNAUTHORIZED)
		}
		if secret == "" {
			return
		}
		at := adapterstest.ReceivedAt.Add(-time.Minute)
		s, ts := Sign(secret, at, body)
		signed := &adapters.Request{
			Header:     http.Header{SignatureHeader: {s}, TimestampHeader: {ts}},
			Body:       body,
			ReceivedAt: adapterstest.ReceivedAt,
		}
		if err := a.Verify(signed, secret); err != nil {
			t.Fatalf("Verify of Sign(%q) = %v", secret, err)
		}
		signed.Body = append(append([]byte(nil), body...), ' ')
		if err := a.Verify(signed, secret); err == nil {
			t.Fatal("Verify accepted a body changed after signing")
		}
	})
}
