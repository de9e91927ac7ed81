package cloudcx

import (
	"testing"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// FuzzParse runs the shared contract fuzz target over CloudCX's shapes,
// adding CloudCX's own rules: one event per delivery, and OTHER exactly
// when the adapter says why.
func FuzzParse(f *testing.F) {
	adapterstest.FuzzParse(f, New(), func(t *testing.T, body []byte, res *adapters.Result) {
		if len(res.Events) != 1 {
			t.Fatalf("body %q: %d events, want exactly one", body, len(res.Events))
		}
		if e := res.Events[0]; (e.Type == domain.EventOther) != (e.Reason != "") {
			t.Fatalf("%s %q with Reason %q: every OTHER says why, and only OTHER", e.Type, e.ProviderEventType, e.Reason)
		}
	},
		`{"event":"ContactDeleted","ids":["a",1,null]}`,
		`{"event":"ContactUpdated","contacts":[{"id":"a"},{"id":"a"}]}`,
		`{"event":"TicketAssigneeChanged","ticketId":"t","toAgentId":1e400}`,
		`{"event":"ContactUpdated","contacts":[{"id":"a","contactId":"b","mail":"","email":" ","cellPhone":18612345678,"officePhone":1e3,"phones":[{"type":7,"value":"+1"},""]}]}`)
}
