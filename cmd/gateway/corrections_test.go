package main

import (
	"net/http"
	"testing"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// A correction is listed after the original, both name each other, and
// corrected: false leaves the original out.
func TestCorrectionsThroughGraphQL(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	body := []byte(`{"event_id":"x1","event_fqn":"CONVERSATION_OPEN","event_version":"1","event_timestamp":"2024-05-01T10:00:00.000Z",` +
		`"organization":{"id":"org"},"data":{"conversation":{"csid":1,"channel":"EMAIL","status":"OPEN"}}}`)
	if status, answer := postDixa(t, sub.URL, sub.SecretKey, body); status != http.StatusOK {
		t.Fatalf("%d %s", status, answer)
	}
	stored := listEvents(t, m)
	if len(stored) != 1 {
		t.Fatalf("stored %v", stored)
	}
	original, err := m.DB.FindEvent(t.Context(), stored[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	fresh := *original
	fresh.ID, fresh.Type, fresh.Conversation = domain.NewID(), domain.EventConversationUpdated, &domain.ConversationUpdate{Account: "org", ExternalID: "1"}
	if appended, err := m.DB.Correct(t.Context(), original, []*domain.Event{&fresh}); err != nil || len(appended) != 1 {
		t.Fatalf("correct: %v %v", appended, err)
	}
	type node struct {
		ID          string
		Type        string
		Corrects    *struct{ ID string }
		CorrectedBy *struct{ ID string }
	}
	var out struct {
		All, Uncorrected struct{ Edges []struct{ Node node } }
	}
	graphQL(t, m, `{ all: events(first: 10) { edges { node { id type corrects { id } correctedBy { id } } } }
		uncorrected: events(first: 10, filter: {corrected: false}) { edges { node { id type corrects { id } correctedBy { id } } } } }`, nil, &out)
	all := out.All.Edges
	if len(all) != 2 || all[0].Node.ID != original.ID || all[0].Node.CorrectedBy == nil || all[0].Node.CorrectedBy.ID != fresh.ID ||
		all[1].Node.ID != fresh.ID || all[1].Node.Corrects == nil || all[1].Node.Corrects.ID != original.ID || all[1].Node.Type != "CONVERSATION_UPDATED" {
		t.Fatalf("events %+v", all)
	}
	if u := out.Uncorrected.Edges; len(u) != 1 || u[0].Node.ID != fresh.ID {
		t.Fatalf("corrected: false gives %+v", u)
	}
}
