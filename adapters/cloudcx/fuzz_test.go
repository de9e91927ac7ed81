package cloudcx

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/adapters/payload"
	"github.com/helpdesk-gateway/gateway/domain"
)

// FuzzParse holds Parse to the adapter contract on arbitrary bytes: never
// a panic, EINVALID exactly for what is not JSON, valid and stable events
// for everything else.
func FuzzParse(f *testing.F) {
	for _, s := range adapterstest.Samples(f, "testdata") {
		f.Add(s.Body)
	}
	for _, b := range []string{`{}`, `[]`, `null`, `"x"`, `{`, ``,
		`{"event":"ContactDeleted","ids":["a",1,null]}`,
		`{"event":"ContactUpdated","contacts":[{"id":"a"},{"id":"a"}]}`,
		`{"event":"TicketAssigneeChanged","ticketId":"t","toAgentId":1e400}`} {
		f.Add([]byte(b))
	}
	a := New()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &adapters.Request{Header: http.Header{}, Body: body, ReceivedAt: adapterstest.ReceivedAt}
		valid := json.Valid(body)
		if err := adapterstest.CheckParse(a, req, valid); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		res, err := a.Parse(req)
		if !valid {
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("body %q is not JSON: Parse error = %v, want %q", body, err, domain.EINVALID)
			}
			return
		}
		if err != nil || len(res.Events) != 1 {
			t.Fatalf("body %q: Parse = %v, %v; want exactly one event", body, res, err)
		}
		checkFacts(t, res.Events[0])
	})
}

// checkFacts checks what CheckEvents does not (yet) look at: the people
// and message facts must name something and be storable.
func checkFacts(t *testing.T, e *domain.Event) {
	t.Helper()
	if (e.Type == domain.EventOther) != (e.Reason != "") {
		t.Fatalf("%s %q with Reason %q: every OTHER says why, and only OTHER", e.Type, e.ProviderEventType, e.Reason)
	}
	if m := e.Message; m != nil && (m.ExternalID == "" || len(m.ExternalID) > adapterstest.MaxKeyLen || !m.Direction.IsValid()) {
		t.Fatalf("bad message %+v", m)
	}
	people := e.Contacts
	if c := e.Conversation; c != nil && c.Assignee != nil {
		people = append(people, c.Assignee)
	}
	for _, p := range people {
		if p == nil || p.ExternalID == "" || len(p.ExternalID) > adapterstest.MaxKeyLen || !p.Role.IsValid() ||
			p.Provider != domain.ProviderCloudCX || !storable(p.Name) || !storable(p.Email) || !storable(p.Phone) {
			t.Fatalf("bad person %+v", p)
		}
		if !p.UpdatedAt.IsZero() && (p.UpdatedAt.Year() < 1 || p.UpdatedAt.Year() > 9999) {
			t.Fatalf("person time %v outside 1..9999", p.UpdatedAt)
		}
	}
}

func storable(s string) bool {
	return payload.Clean(s) == s
}
