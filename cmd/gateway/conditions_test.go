package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/voxsig"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// TestStreamAndWebhookConditionsAgreeOnQueueInboxAndOrigin sends the same
// payloads to a gateway whose webhook subscriptions carry conditions on
// queue, inbox and operation origin, and to another whose streams carry
// them: the events let through are the same.
func TestStreamAndWebhookConditionsAgreeOnQueueInboxAndOrigin(t *testing.T) {
	for name, newURL := range map[string]func(testing.TB) string{"sqlite": dbtest.SQLiteURL, "postgres": dbtest.PostgresURL} {
		t.Run(name, func(t *testing.T) {
			conditions := []map[string]any{
				{"id": 1, "field": "QUEUE_ID", "operator": "EQUALS", "values": []string{"q1"}},
				{"id": 2, "field": "INBOX_ID", "operator": "IS_ONE_OF", "values": []string{"7"}},
				{"id": 3, "field": "OPERATION_ORIGIN", "operator": "EQUALS", "values": []string{"API"}},
			}
			dixaBody := func(csid int, queue, origin string) []byte {
				q := "null"
				if queue != "" {
					q = `{"id":"` + queue + `","name":"Queue"}`
				}
				return []byte(fmt.Sprintf(`{"event_id":"c%d","event_fqn":"CONVERSATION_PENDING","event_version":"1","event_timestamp":"2024-05-01T10:00:00.000Z",`+
					`"organization":{"id":"org"},"data":{"operation_origin":"%s","conversation":{"csid":%d,"channel":"EMAIL","status":"PENDING","queue":%s}}}`, csid, origin, csid, q))
			}
			voxsigBody := func(id, inbox int) []byte {
				var v map[string]any
				if err := json.Unmarshal(adapterSample(t, "voxsig", "conversation_created"), &v); err != nil {
					t.Fatal(err)
				}
				v["id"], v["inbox_id"] = id, inbox
				b, _ := json.Marshal(v)
				return b
			}
			type payload struct {
				provider, conversation string
				body                   []byte
			}
			payloads := []payload{
				{"DIXA", "1", dixaBody(1, "q1", "AGENT")},
				{"DIXA", "2", dixaBody(2, "q2", "API")},
				{"DIXA", "3", dixaBody(3, "q2", "AGENT")},
				{"VOXSIG", "51", voxsigBody(51, 7)},
				{"VOXSIG", "52", voxsigBody(52, 8)},
				{"DIXA", "4", dixaBody(4, "", "api")},
			}
			want := []string{"DIXA/1", "DIXA/2", "DIXA/4", "VOXSIG/51"}

			send := func(m *Main, extra map[string]any) map[string]bool {
				t.Helper()
				dixaSub := createSubscription(t, m, "DIXA", extra)
				vx := map[string]any{"secretKey": "voxsig-secret"}
				for k, v := range extra {
					vx[k] = v
				}
				voxsigSub := createSubscription(t, m, "VOXSIG", vx)
				accepted := map[string]bool{}
				for _, p := range payloads {
					var status int
					var answer string
					if p.provider == "DIXA" {
						status, answer = postDixa(t, dixaSub.URL, dixaSub.SecretKey, p.body)
					} else {
						sig, ts := voxsig.Sign("voxsig-secret", time.Now(), p.body)
						var b []byte
						status, b = post(t, voxsigSub.URL, p.body, map[string]string{voxsig.SignatureHeader: sig, voxsig.TimestampHeader: ts})
						answer = string(b)
					}
					if status != http.StatusOK {
						t.Fatalf("%s %s: %d %s", p.provider, p.conversation, status, answer)
					}
					if strings.Contains(answer, `"accepted"`) {
						accepted[p.provider+"/"+p.conversation] = true
					}
				}
				return accepted
			}
			keys := func(set map[string]bool) []string {
				var out []string
				for k := range set {
					out = append(out, k)
				}
				sort.Strings(out)
				return out
			}

			webhooks := startGateway(t, newURL(t))
			byWebhook := keys(send(webhooks, map[string]any{"conditions": conditions, "match": "ANY"}))

			streams := startGateway(t, newURL(t))
			query := `subscription($after: String, $fromBeginning: Boolean, $conditions: [ConditionInput!]) {
				eventStream(after: $after, fromBeginning: $fromBeginning, conditions: $conditions, match: ANY) { ` + eventFields + ` } }`
			// The store is empty: from the beginning is everything posted
			// once the subscribe message is sent.
			live := openSubscription(t, streams, "graphql-transport-ws", query, map[string]any{"conditions": conditions, "fromBeginning": true})
			if all := send(streams, nil); len(all) != len(payloads) {
				t.Fatalf("without conditions %d of %d payloads were accepted", len(all), len(payloads))
			}
			// A stream opened afterwards reads the history from the store,
			// where the events' own statements are not kept.
			replay := openSubscription(t, streams, "graphql-transport-ws", query, map[string]any{"conditions": conditions, "after": ""})
			for name, s := range map[string]*wsStream{"live": live, "replay": replay} {
				got := map[string]bool{}
				for range want {
					e := s.next()
					provider := "DIXA"
					if strings.Contains(string(e.Payload), `"inbox_id"`) {
						provider = "VOXSIG"
					}
					got[provider+"/"+e.Conversation.ExternalID] = true
				}
				s.expectSilence(300 * time.Millisecond)
				if fmt.Sprint(keys(got)) != fmt.Sprint(want) {
					t.Errorf("%s stream got %v, want %v", name, keys(got), want)
				}
			}
			if fmt.Sprint(byWebhook) != fmt.Sprint(want) {
				t.Errorf("webhook subscriptions accepted %v, want %v", byWebhook, want)
			}
		})
	}
}
