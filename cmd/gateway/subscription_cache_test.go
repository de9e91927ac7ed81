package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// expectedAnswer is what a delivery signed with secret must be answered.
type expectedAnswer struct {
	secret string
	status int
	// has is part of the answer's body.
	has string
}

// subscriptionChange changes a subscription through GraphQL and returns
// what deliveries must be answered from then on.
type subscriptionChange struct {
	name   string
	change func() []expectedAnswer
}

// subscriptionChanges are every kind of change of sub, made through m.
func subscriptionChanges(t *testing.T, m *Main, sub subscription) []subscriptionChange {
	secret := sub.SecretKey
	mutate := func(query string, out any) {
		t.Helper()
		graphQL(t, m, query, map[string]any{"id": sub.ID}, out)
	}
	var ignored map[string]any
	return []subscriptionChange{
		{"disable", func() []expectedAnswer {
			mutate(`mutation($id: ID!) { disableWebhookSubscription(id: $id) { id } }`, &ignored)
			return []expectedAnswer{{secret, http.StatusForbidden, "disabled"}}
		}},
		{"enable", func() []expectedAnswer {
			mutate(`mutation($id: ID!) { enableWebhookSubscription(id: $id) { id } }`, &ignored)
			return []expectedAnswer{{secret, http.StatusOK, "accepted"}}
		}},
		{"conditions the delivery fails", func() []expectedAnswer {
			mutate(`mutation($id: ID!) { updateWebhookSubscription(id: $id, input: {conditions: [
				{id: 1, field: PROVIDER_EVENT_TYPE, operator: EQUALS, values: ["ConversationClosed"]}]}) { id } }`, &ignored)
			return []expectedAnswer{{secret, http.StatusOK, "filtered"}}
		}},
		{"conditions removed", func() []expectedAnswer {
			mutate(`mutation($id: ID!) { updateWebhookSubscription(id: $id, input: {conditions: null}) { id } }`, &ignored)
			return []expectedAnswer{{secret, http.StatusOK, "accepted"}}
		}},
		{"rotation without grace", func() []expectedAnswer {
			var out struct {
				R struct{ SecretKey string } `json:"rotateWebhookSecret"`
			}
			mutate(`mutation($id: ID!) { rotateWebhookSecret(id: $id, gracePeriodSeconds: 0) { secretKey } }`, &out)
			old := secret
			secret = out.R.SecretKey
			return []expectedAnswer{{old, http.StatusUnauthorized, "does not match"}, {secret, http.StatusOK, "accepted"}}
		}},
		{"delete", func() []expectedAnswer {
			mutate(`mutation($id: ID!) { deleteWebhookSubscription(id: $id) }`, &ignored)
			return []expectedAnswer{{secret, http.StatusNotFound, "not found"}}
		}},
	}
}

// freshNote is Dixa's example note with an event_id of its own, so that it
// is never a redelivery.
func freshNote(t *testing.T) []byte {
	t.Helper()
	const seedEventID = "8967e0c6-fe64-4105-bf71-14ae0c256gg4"
	seed := readSeed(t, "conversation_note_added_seed1.json")
	note := bytes.Replace(seed, []byte(seedEventID), []byte(domain.NewID()), 1)
	if bytes.Equal(note, seed) {
		t.Fatalf("the seed note no longer holds event_id %s", seedEventID)
	}
	return note
}

// deliver posts a fresh note to url signed with e.secret and reports
// whether it was answered as e expects.
func deliver(t *testing.T, url string, e expectedAnswer) (ok bool, status int, answer string) {
	t.Helper()
	status, answer = postDixa(t, url, e.secret, freshNote(t))
	return status == e.status && strings.Contains(answer, e.has), status, answer
}

// Ingest serves subscriptions from memory, yet the delivery right after a
// change through GraphQL is answered by the new state.
func TestSubscriptionChangesApplyToTheNextDelivery(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		if ok, status, answer := deliver(t, sub.URL, expectedAnswer{sub.SecretKey, http.StatusOK, "accepted"}); !ok {
			t.Fatalf("first delivery: %d %s", status, answer)
		}
		for _, c := range subscriptionChanges(t, m, sub) {
			for _, e := range c.change() {
				if ok, status, answer := deliver(t, sub.URL, e); !ok {
					t.Fatalf("right after %s: %d %s, want %d mentioning %q", c.name, status, answer, e.status, e.has)
				}
			}
		}
	})
}

// Two gateway processes on one PostgreSQL database: a change through one
// is honoured by the other within a second, although the other would keep
// its cached copy for an hour.
func TestSubscriptionChangesThroughOneProcessReachTheOther(t *testing.T) {
	url := dbtest.PostgresURL(t)
	a := startProcess(t, url, "SUBSCRIPTION_CACHE_TTL=1h")
	b := startProcess(t, url, "SUBSCRIPTION_CACHE_TTL=1h")
	sub := createDixaSubscription(t, a)
	atB := strings.Replace(sub.URL, a.URL(), b.URL(), 1)
	if ok, status, answer := deliver(t, atB, expectedAnswer{sub.SecretKey, http.StatusOK, "accepted"}); !ok {
		t.Fatalf("first delivery to the other process: %d %s", status, answer)
	}
	for _, c := range subscriptionChanges(t, a, sub) {
		expected := c.change()
		deadline := time.Now().Add(time.Second)
		for _, e := range expected {
			for {
				ok, status, answer := deliver(t, atB, e)
				if ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a second after %s the other process answers %d %s, want %d mentioning %q", c.name, status, answer, e.status, e.has)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}
