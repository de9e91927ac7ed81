package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// gqlError runs a query that must fail and returns its first error's code
// and message.
func gqlError(t *testing.T, m *Main, query string, vars map[string]any) (string, string) {
	t.Helper()
	resp := graphQLRaw(t, m, adminToken, query, vars)
	if len(resp.Errors) == 0 {
		t.Fatalf("query succeeded, want an error: %s", resp.Data)
	}
	code, _ := resp.Errors[0].Extensions["code"].(string)
	return code, resp.Errors[0].Message
}

const subFields = `id name subscribedEvents secretKey enabled authorizationType authorizationUsername
	conditions { id field operator values } match expression createdBy updatedBy createdAt updatedAt previousSecretsExpireAt`

type subView struct {
	ID                    string
	Name                  string
	SubscribedEvents      []string
	SecretKey             *string
	Enabled               bool
	AuthorizationType     string
	AuthorizationUsername *string
	Conditions            []struct {
		ID       int
		Field    string
		Operator string
		Values   []string
	}
	Match                   *string
	Expression              *string
	CreatedBy, UpdatedBy    string
	CreatedAt, UpdatedAt    time.Time
	PreviousSecretsExpireAt []time.Time
}

func TestSubscriptionMutations(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	var created struct {
		C subView `json:"createWebhookSubscription"`
	}
	graphQL(t, m, `mutation($in: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $in) { `+subFields+` } }`,
		map[string]any{"in": map[string]any{
			"provider": "DIXA", "name": "Dashboard Integration", "events": []string{"ConversationCreated", "ConversationClosed"},
			"authorization": map[string]any{"type": "BASIC", "username": "webhook_user", "password": "webhook_password"},
		}}, &created)
	s := created.C
	if s.SecretKey == nil || len(*s.SecretKey) != 64 || s.AuthorizationType != "BASIC" || *s.AuthorizationUsername != "webhook_user" ||
		s.CreatedBy != "admin" || !s.Enabled || len(s.SubscribedEvents) != 2 || s.Match != nil {
		t.Fatalf("created: %+v", s)
	}
	secret := *s.SecretKey

	var read struct {
		S subView `json:"webhookSubscription"`
	}
	graphQL(t, m, `query($id: ID!) { webhookSubscription(id: $id) { `+subFields+` } }`, map[string]any{"id": s.ID}, &read)
	if read.S.SecretKey == nil || *read.S.SecretKey == secret || !strings.HasSuffix(*read.S.SecretKey, secret[60:]) || strings.Contains(*read.S.SecretKey, secret[:8]) {
		t.Fatalf("secret outside create must be masked: %v", read.S.SecretKey)
	}

	update := `mutation($id: ID!, $in: UpdateWebhookSubscriptionInput!) { updateWebhookSubscription(id: $id, input: $in) { ` + subFields + ` } }`
	var updated struct {
		U subView `json:"updateWebhookSubscription"`
	}
	time.Sleep(10 * time.Millisecond)
	graphQL(t, m, update, map[string]any{"id": s.ID, "in": map[string]any{"name": "New name"}}, &updated)
	u := updated.U
	if u.Name != "New name" || len(u.SubscribedEvents) != 2 || u.AuthorizationType != "BASIC" || !u.Enabled || !u.UpdatedAt.After(u.CreatedAt) {
		t.Fatalf("a patch of the name changed other fields: %+v", u)
	}
	graphQL(t, m, update, map[string]any{"id": s.ID, "in": map[string]any{"events": nil, "authorization": map[string]any{"type": "TOKEN", "token": "t0k"}}}, &updated)
	if u := updated.U; len(u.SubscribedEvents) != 0 || u.AuthorizationType != "TOKEN" || u.AuthorizationUsername != nil || u.Name != "New name" {
		t.Fatalf("explicit null did not clear events, or auth not replaced: %+v", u)
	}
	graphQL(t, m, update, map[string]any{"id": s.ID, "in": map[string]any{
		"conditions": []map[string]any{{"id": 1, "field": "CHANNEL", "operator": "IS_ONE_OF", "values": []string{"EMAIL"}}, {"id": 2, "field": "STATUS", "operator": "EQUALS", "values": []string{"PENDING"}}},
		"match":      "EXPRESSION", "expression": "1 and 2",
	}}, &updated)
	if u := updated.U; len(u.Conditions) != 2 || *u.Match != "EXPRESSION" || *u.Expression != "1 and 2" {
		t.Fatalf("conditions: %+v", u)
	}
	graphQL(t, m, update, map[string]any{"id": s.ID, "in": map[string]any{"conditions": nil}}, &updated)
	if u := updated.U; len(u.Conditions) != 0 || u.Match != nil || u.Expression != nil {
		t.Fatalf("null conditions did not clear them: %+v", u)
	}

	cases := []struct {
		name, query string
		vars        map[string]any
		code, msg   string
	}{
		{"null name", update, map[string]any{"id": s.ID, "in": map[string]any{"name": nil}}, "BAD_USER_INPUT", "input.name"},
		{"null enabled", update, map[string]any{"id": s.ID, "in": map[string]any{"enabled": nil}}, "BAD_USER_INPUT", "input.enabled"},
		{"undefined condition", update, map[string]any{"id": s.ID, "in": map[string]any{
			"conditions": []map[string]any{{"id": 1, "field": "CHANNEL", "operator": "EQUALS", "values": []string{"EMAIL"}}},
			"match":      "EXPRESSION", "expression": "1 or 6"}}, "BAD_USER_INPUT", "condition 6 is not defined"},
		{"unbalanced parenthesis", update, map[string]any{"id": s.ID, "in": map[string]any{
			"conditions": []map[string]any{{"id": 1, "field": "CHANNEL", "operator": "EQUALS", "values": []string{"EMAIL"}}},
			"match":      "EXPRESSION", "expression": "(1 and 1"}}, "BAD_USER_INPUT", "parenthesis"},
		{"basic without password", update, map[string]any{"id": s.ID, "in": map[string]any{"authorization": map[string]any{"type": "BASIC", "username": "u"}}}, "BAD_USER_INPUT", "input.authorization"},
		{"unknown id", update, map[string]any{"id": "nope", "in": map[string]any{"name": "x"}}, "NOT_FOUND", "nope"},
		{"rotate unknown id", `mutation { rotateWebhookSecret(id: "nope") { id } }`, nil, "NOT_FOUND", "nope"},
		{"negative grace", `mutation($id: ID!) { rotateWebhookSecret(id: $id, gracePeriodSeconds: -1) { id } }`, map[string]any{"id": s.ID}, "BAD_USER_INPUT", "gracePeriodSeconds"},
		{"disable unknown id", `mutation { disableWebhookSubscription(id: "nope") { id } }`, nil, "NOT_FOUND", "nope"},
		{"empty name on create", `mutation { createWebhookSubscription(input: {provider: CLOUDCX, name: " "}) { id } }`, nil, "BAD_USER_INPUT", "input.name"},
	}
	for _, c := range cases {
		code, msg := gqlError(t, m, c.query, c.vars)
		if code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: got %s %q, want %s mentioning %q", c.name, code, msg, c.code, c.msg)
		}
	}

	var disabled struct {
		D subView `json:"disableWebhookSubscription"`
	}
	graphQL(t, m, `mutation($id: ID!) { disableWebhookSubscription(id: $id) { `+subFields+` } }`, map[string]any{"id": s.ID}, &disabled)
	note := readSeed(t, "conversation_note_added_seed1.json")
	url := m.URL() + "/webhooks/dixa/" + s.ID
	bearer := map[string]string{"Authorization": "Bearer t0k", "X-DIXA-SIGNATURE": dixa.Sign(secret, time.Now(), note)}
	if status, answer := post(t, url, note, bearer); disabled.D.Enabled || status != http.StatusForbidden || !strings.Contains(string(answer), "disabled") {
		t.Fatalf("delivery to a disabled subscription: %d %s", status, answer)
	}
	var enabled struct {
		E subView `json:"enableWebhookSubscription"`
	}
	graphQL(t, m, `mutation($id: ID!) { enableWebhookSubscription(id: $id) { `+subFields+` } }`, map[string]any{"id": s.ID}, &enabled)
	if status, answer := post(t, url, note, bearer); !enabled.E.Enabled || status != http.StatusOK {
		t.Fatalf("delivery after enable: %d %s", status, answer)
	}

	var deleted struct {
		D bool `json:"deleteWebhookSubscription"`
	}
	graphQL(t, m, `mutation($id: ID!) { deleteWebhookSubscription(id: $id) }`, map[string]any{"id": s.ID}, &deleted)
	if !deleted.D {
		t.Fatal("delete answered false")
	}
	graphQL(t, m, `query($id: ID!) { webhookSubscription(id: $id) { id } }`, map[string]any{"id": s.ID}, &read)
	if code, _ := gqlError(t, m, `mutation($id: ID!) { deleteWebhookSubscription(id: $id) }`, map[string]any{"id": s.ID}); code != "NOT_FOUND" {
		t.Fatalf("second delete: %s", code)
	}
	if status, _ := post(t, url, note, bearer); status != http.StatusNotFound {
		t.Fatalf("delivery to a deleted subscription: %d", status)
	}
	if n := len(listEvents(t, m)); n != 1 {
		t.Fatalf("events after delete: %d, want the one stored before", n)
	}
}

func TestRotatedSecretGracePeriod(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	rotate := `mutation($id: ID!, $grace: Int) { rotateWebhookSecret(id: $id, gracePeriodSeconds: $grace) { secretKey previousSecretsExpireAt } }`
	var out struct {
		R struct {
			SecretKey               string
			PreviousSecretsExpireAt []time.Time
		} `json:"rotateWebhookSecret"`
	}
	graphQL(t, m, rotate, map[string]any{"id": sub.ID, "grace": 3600}, &out)
	second := out.R.SecretKey
	if len(second) != 64 || second == sub.SecretKey || len(out.R.PreviousSecretsExpireAt) != 1 {
		t.Fatalf("rotation answer: %+v", out.R)
	}
	bodies := []string{"conversation_created.json", "conversation_open.json", "conversation_pending.json", "conversation_closed.json"}
	if status, answer := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, bodies[0])); status != http.StatusOK {
		t.Fatalf("old secret within the grace period: %d %s", status, answer)
	}
	if status, answer := postDixa(t, sub.URL, second, readSeed(t, bodies[1])); status != http.StatusOK {
		t.Fatalf("new secret: %d %s", status, answer)
	}
	graphQL(t, m, rotate, map[string]any{"id": sub.ID, "grace": 0}, &out)
	third := out.R.SecretKey
	// The first secret still has its own grace period; the second one was
	// rotated out with none.
	if status, _ := postDixa(t, sub.URL, second, readSeed(t, bodies[2])); status != http.StatusUnauthorized {
		t.Fatalf("secret rotated out with a zero grace period: %d, want 401", status)
	}
	if status, _ := postDixa(t, sub.URL, third, readSeed(t, bodies[2])); status != http.StatusOK {
		t.Fatalf("newest secret: %d", status)
	}
	var given struct {
		R struct{ SecretKey string } `json:"rotateWebhookSecret"`
	}
	graphQL(t, m, `mutation($id: ID!) { rotateWebhookSecret(id: $id, secretKey: "provider-made-secret", gracePeriodSeconds: 0) { secretKey } }`, map[string]any{"id": sub.ID}, &given)
	if given.R.SecretKey != "provider-made-secret" {
		t.Fatalf("given secret: %q", given.R.SecretKey)
	}
	if status, _ := postDixa(t, sub.URL, "provider-made-secret", readSeed(t, bodies[3])); status != http.StatusOK {
		t.Fatalf("provider-made secret: %d", status)
	}
}

func TestConditionsFilterDeliveries(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createSubscription(t, m, "DIXA", map[string]any{
			"events": []string{"ConversationPending", "ConversationOpen", "ConversationClosed"},
			"conditions": []map[string]any{
				{"id": 1, "field": "CHANNEL", "operator": "IS_ONE_OF", "values": []string{"EMAIL"}},
				{"id": 2, "field": "STATUS", "operator": "EQUALS", "values": []string{"PENDING"}},
			},
			"match": "EXPRESSION", "expression": "1 and 2",
		})
		envelope := func(id, fqn, status string) []byte {
			return []byte(`{"event_id":"` + id + `","event_fqn":"` + fqn + `","event_version":"1","event_timestamp":"2024-05-01T10:00:00.000Z",` +
				`"organization":{"id":"org","name":"Org"},"data":{"conversation":{"csid":` + map[string]string{"p": "1", "o": "2"}[id] +
				`,"channel":"email","status":"` + status + `","direction":"INBOUND","queue":null,"assignee":null,"subject":null,"tags":[],"created_at":"2024-05-01T09:00:00.000Z"}}}`)
		}
		if status, answer := postDixa(t, sub.URL, sub.SecretKey, envelope("p", "CONVERSATION_PENDING", "PENDING")); status != http.StatusOK || !strings.Contains(string(answer), "accepted") {
			t.Fatalf("pending e-mail conversation: %d %s", status, answer)
		}
		if status, answer := postDixa(t, sub.URL, sub.SecretKey, envelope("o", "CONVERSATION_OPEN", "OPEN")); status != http.StatusOK || !strings.Contains(string(answer), "filtered") {
			t.Fatalf("open e-mail conversation: %d %s", status, answer)
		}
		events := listEvents(t, m)
		if len(events) != 1 || events[0].ProviderEventType != "ConversationPending" {
			t.Fatalf("stored %+v, want only the pending conversation's event", events)
		}
		var out struct {
			S struct {
				EventLogs []struct {
					Payload        string
					Outcome        string
					Event          string
					DeliveryDetail struct {
						Success      bool
						ResponseCode int
						ResponseText string
					}
				}
				DeliveryStatuses []struct {
					Event          string
					DeliveryStatus map[string]any
				}
			} `json:"webhookSubscription"`
		}
		graphQL(t, m, `query($id: ID!) { webhookSubscription(id: $id) {
			eventLogs { payload outcome event deliveryDetail { success responseCode responseText } }
			deliveryStatuses { event deliveryStatus { __typename ... on DeliveryDetail { responseCode } ... on NoRecentDelivery { event } } } } }`,
			map[string]any{"id": sub.ID}, &out)
		logs := out.S.EventLogs
		if len(logs) != 2 || logs[0].Outcome != "FILTERED" || logs[0].Event != "ConversationOpen" || logs[1].Outcome != "ACCEPTED" ||
			!logs[0].DeliveryDetail.Success || logs[0].DeliveryDetail.ResponseCode != 200 || !strings.Contains(logs[1].Payload, `"event_id":"p"`) {
			t.Fatalf("event logs: %+v", logs)
		}
		statuses := map[string]string{}
		for _, s := range out.S.DeliveryStatuses {
			statuses[s.Event] = s.DeliveryStatus["__typename"].(string)
		}
		want := map[string]string{"ConversationPending": "DeliveryDetail", "ConversationOpen": "DeliveryDetail", "ConversationClosed": "NoRecentDelivery"}
		if b, _ := json.Marshal(statuses); len(statuses) != 3 || statuses["ConversationClosed"] != want["ConversationClosed"] || statuses["ConversationPending"] != want["ConversationPending"] {
			t.Fatalf("delivery statuses %s, want %v", b, want)
		}
	})
}

func TestDixaFiltersBecomeConditions(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	var out struct {
		C subView `json:"createWebhookSubscription"`
	}
	graphQL(t, m, `mutation($in: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $in) { `+subFields+` } }`,
		map[string]any{"in": map[string]any{"provider": "DIXA", "name": "filtered", "dixaFilters": map[string]any{
			"strategy": "Any", "conditions": []map[string]any{
				{"type": "IsOneOf", "field": "InitialChannel", "values": []string{"EMAIL", "WIDGET_CHAT"}},
				{"type": "IsNotOneOf", "field": "QueueId", "values": []string{"q-1"}},
			}}}}, &out)
	c := out.C
	if len(c.Conditions) != 2 || *c.Match != "ANY" || c.Conditions[0].Field != "CHANNEL" || c.Conditions[0].Operator != "IS_ONE_OF" ||
		c.Conditions[1].Field != "QUEUE_ID" || c.Conditions[1].Operator != "IS_NOT_ONE_OF" {
		t.Fatalf("translated conditions: %+v", c)
	}
	code, msg := gqlError(t, m, `mutation { createWebhookSubscription(input: {provider: DIXA, name: "x", dixaFilters: {strategy: "Most", conditions: []}}) { id } }`, nil)
	if code != "BAD_USER_INPUT" || !strings.Contains(msg, "strategy") {
		t.Fatalf("bad strategy: %s %q", code, msg)
	}
}

func TestStreamConditionsAndConversationUpdates(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	pendingEmail := openSubscription(t, m, "graphql-transport-ws", `subscription { eventStream(fromBeginning: true,
		conditions: [{id: 1, field: CHANNEL, operator: IS_ONE_OF, values: ["EMAIL"]}, {id: 2, field: STATUS, operator: EQUALS, values: ["PENDING"]}],
		match: EXPRESSION, expression: "1 and 2") { `+eventFields+` } }`, nil)
	envelope := func(id, fqn, status, channel string, csid int) []byte {
		return []byte(fmt.Sprintf(`{"event_id":"%s","event_fqn":"%s","event_version":"1","event_timestamp":"2024-05-01T10:00:0%d.000Z",`+
			`"organization":{"id":"org"},"data":{"conversation":{"csid":%d,"channel":"%s","status":"%s"}}}`, id, fqn, csid, csid, channel, status))
	}
	open := envelope("s1", "CONVERSATION_OPEN", "OPEN", "EMAIL", 1)
	if status, _ := postDixa(t, sub.URL, sub.SecretKey, open); status != http.StatusOK {
		t.Fatal(status)
	}
	watch := openSubscription(t, m, "graphql-transport-ws", `subscription($id: ID!) { conversationUpdated(id: $id) { externalId status } }`,
		map[string]any{"id": domain.ConversationID(domain.ProviderDixa, "org", "1")})
	pendingEmail.expectSilence(300 * time.Millisecond) // an open e-mail conversation does not pass
	if status, _ := postDixa(t, sub.URL, sub.SecretKey, envelope("s2", "CONVERSATION_PENDING", "PENDING", "WIDGET_CHAT", 2)); status != http.StatusOK {
		t.Fatal(status)
	}
	if status, _ := postDixa(t, sub.URL, sub.SecretKey, envelope("s3", "CONVERSATION_PENDING", "PENDING", "EMAIL", 1)); status != http.StatusOK {
		t.Fatal(status)
	}
	if e := pendingEmail.next(); e.ProviderEventType != "ConversationPending" || e.Conversation == nil || e.Conversation.ExternalID != "1" {
		t.Fatalf("stream with conditions got %+v", e)
	}
	pendingEmail.expectSilence(300 * time.Millisecond)
	msg := watch.read()
	b, _ := json.Marshal(msg["payload"])
	if !strings.Contains(string(b), `"status":"PENDING"`) || !strings.Contains(string(b), `"externalId":"1"`) {
		t.Fatalf("conversationUpdated sent %s", b)
	}
	watch.expectSilence(300 * time.Millisecond) // conversation 2's event is not conversation 1's
	if code, msg := gqlError(t, m, `subscription { eventStream(conditions: [{id: 1, field: TAG, operator: EQUALS, values: ["x"]}], match: EXPRESSION, expression: "1 or 2") { id } }`, nil); code != "BAD_USER_INPUT" || !strings.Contains(msg, "condition 2 is not defined") {
		t.Fatalf("bad stream conditions over HTTP: %s %q", code, msg)
	}
}

// A rotation that races patches of other fields stays in force: no patch
// made from a read before the rotation writes the old secret back.
func TestRotationRacingUpdatesKeepsTheNewSecret(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		update := `mutation($id: ID!, $name: String) { updateWebhookSubscription(id: $id, input: {name: $name}) { id } }`
		rotate := `mutation($id: ID!) { rotateWebhookSecret(id: $id, secretKey: "rotated-secret", gracePeriodSeconds: 0) { secretKey } }`
		var wg sync.WaitGroup
		codes := make(chan any, 1000)
		for i := range 20 {
			wg.Go(func() {
				resp := graphQLRaw(t, m, adminToken, update, map[string]any{"id": sub.ID, "name": fmt.Sprintf("racer %d", i)})
				for _, e := range resp.Errors {
					codes <- e.Extensions["code"]
				}
			})
		}
		wg.Go(func() {
			// A write that keeps losing the race is refused, never
			// silently undone: the client tries again.
			for {
				resp := graphQLRaw(t, m, adminToken, rotate, map[string]any{"id": sub.ID})
				if len(resp.Errors) == 0 {
					return
				}
				codes <- resp.Errors[0].Extensions["code"]
				if resp.Errors[0].Extensions["code"] != "CONFLICT" {
					return
				}
			}
		})
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != "CONFLICT" {
				t.Fatalf("error code %v, want only CONFLICT", c)
			}
		}
		if status, answer := postDixa(t, sub.URL, "rotated-secret", readSeed(t, "conversation_created.json")); status != http.StatusOK {
			t.Fatalf("delivery signed with the new secret: %d %s", status, answer)
		}
		if status, _ := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_open.json")); status != http.StatusUnauthorized {
			t.Fatalf("delivery signed with the old secret: %d, want 401", status)
		}
	})
}
