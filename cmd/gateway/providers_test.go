package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/adapters/voxsig"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

func createSubscription(t *testing.T, m *Main, provider string, extra map[string]any) subscription {
	t.Helper()
	in := map[string]any{"provider": provider, "name": "e2e " + provider}
	for k, v := range extra {
		in[k] = v
	}
	var out struct {
		Create subscription `json:"createWebhookSubscription"`
	}
	graphQL(t, m, `mutation($in: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $in) { id url secretKey } }`,
		map[string]any{"in": in}, &out)
	return out.Create
}

func post(t *testing.T, url string, body []byte, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type goldenFile struct {
	Reply  json.RawMessage
	Events []struct {
		Type, ProviderEventType, DedupeKey, FactKey string
		Conversation                                *struct{ ExternalID string }
	}
}

// TestEveryProviderPayloadThroughTheGateway posts every adapter test
// payload (the seeds among them) to a running gateway and checks that each
// stored event has the type and conversation its golden file documents.
func TestEveryProviderPayloadThroughTheGateway(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		type want struct{ typ, pet, externalID string }
		wants := map[string]want{} // by dedupe key
		seen := map[string]int{}
		// A payload whose fact an earlier one reported (a Voxsig message
		// through an account webhook and through an automation rule) is
		// a duplicate: its key is documented, and must not be stored.
		factOwner, repeats := map[string]string{}, map[string]bool{}
		posted := 0
		for _, provider := range []string{"cinnox", "cloudcx", "dixa", "voxsig"} {
			sub := createSubscription(t, m, strings.ToUpper(provider), nil)
			goldens, _ := filepath.Glob(filepath.Join("..", "..", "adapters", provider, "testdata", "*.golden.json"))
			for _, g := range goldens {
				raw, err := os.ReadFile(g)
				if err != nil {
					t.Fatal(err)
				}
				var gf goldenFile
				if err := json.Unmarshal(raw, &gf); err != nil {
					t.Fatalf("%s: %v", g, err)
				}
				body, err := os.ReadFile(strings.TrimSuffix(g, ".golden.json") + ".json")
				if err != nil {
					t.Fatal(err)
				}
				header := map[string]string{}
				if provider == "dixa" {
					header["X-DIXA-SIGNATURE"] = dixa.Sign(sub.SecretKey, time.Now(), body)
				}
				status, answer := post(t, sub.URL, body, header)
				if status != http.StatusOK {
					t.Fatalf("%s: %d %s", g, status, answer)
				}
				posted++
				if gf.Reply != nil {
					var got, exp any
					_ = json.Unmarshal(answer, &got)
					_ = json.Unmarshal(gf.Reply, &exp)
					if fmt.Sprint(got) != fmt.Sprint(exp) {
						t.Errorf("%s: answered %s, want the reply %s", g, answer, gf.Reply)
					}
					continue
				}
				for _, e := range gf.Events {
					if owner, ok := factOwner[e.FactKey]; ok && owner != e.DedupeKey {
						repeats[e.DedupeKey] = true
						continue
					}
					if e.FactKey != "" {
						factOwner[e.FactKey] = e.DedupeKey
					}
					seen[e.DedupeKey]++
					w := want{typ: e.Type, pet: e.ProviderEventType}
					if e.Conversation != nil {
						w.externalID = e.Conversation.ExternalID
					}
					wants[e.DedupeKey] = w
				}
			}
		}
		var out struct {
			Events struct {
				Edges []struct {
					Node struct {
						Type, ProviderEventType, DedupeKey string
						Conversation                       *struct{ ExternalID string }
					}
				}
			}
		}
		graphQL(t, m, `{ events(first: 1000) { edges { node { type providerEventType dedupeKey conversation { externalId } } } } }`, nil, &out)
		stored := map[string]bool{}
		for _, edge := range out.Events.Edges {
			e := edge.Node
			stored[e.DedupeKey] = true
			w, ok := wants[e.DedupeKey]
			if repeats[e.DedupeKey] {
				t.Errorf("stored %+v, whose fact an earlier payload reported", e)
				continue
			}
			if !ok {
				t.Errorf("stored an event no golden file documents: %+v", e)
				continue
			}
			if seen[e.DedupeKey] > 1 {
				continue // two payloads share a key on purpose: the first stored wins
			}
			got := want{typ: e.Type, pet: e.ProviderEventType}
			if e.Conversation != nil {
				got.externalID = e.Conversation.ExternalID
			}
			if got != w {
				t.Errorf("event %s: stored %+v, documented %+v", e.DedupeKey, got, w)
			}
		}
		for key := range wants {
			if !stored[key] {
				t.Errorf("documented event %s was not stored", key)
			}
		}
		if posted < 60 {
			t.Fatalf("posted %d payloads, want at least 60", posted)
		}
		t.Logf("posted %d payloads, stored %d events", posted, len(out.Events.Edges))
	})
}

func TestCINNOXChallengeIsAnsweredAndStoresNothing(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createSubscription(t, m, "CINNOX", nil)
	status, answer := post(t, sub.URL, []byte(`{"challenge":"abc-123"}`), nil)
	if status != http.StatusOK || string(bytes.TrimSpace(answer)) != `{"code":0,"result":{"challenge":"abc-123"}}` {
		t.Fatalf("challenge answered %d %s", status, answer)
	}
	if n, _ := m.DB.CountEvents(t.Context()); n != 0 {
		t.Fatalf("a challenge stored %d events", n)
	}
	var logs struct {
		S struct {
			EventLogs []struct{ Outcome string } `json:"eventLogs"`
		} `json:"webhookSubscription"`
	}
	graphQL(t, m, `query($id: ID!) { webhookSubscription(id: $id) { eventLogs { outcome } } }`, map[string]any{"id": sub.ID}, &logs)
	if len(logs.S.EventLogs) != 1 || logs.S.EventLogs[0].Outcome != "CHALLENGE" {
		t.Fatalf("delivery log: %+v", logs.S.EventLogs)
	}
}

func TestVoxsigSignatureWindow(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createSubscription(t, m, "VOXSIG", map[string]any{"secretKey": "voxsig-secret"})
	body, err := os.ReadFile(filepath.Join("..", "..", "adapters", "voxsig", "testdata", "message_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	signed := func(at time.Time) map[string]string {
		sig, ts := voxsig.Sign("voxsig-secret", at, body)
		return map[string]string{voxsig.SignatureHeader: sig, voxsig.TimestampHeader: ts}
	}
	if status, answer := post(t, sub.URL, body, signed(time.Now().Add(-10*time.Minute))); status != http.StatusUnauthorized {
		t.Fatalf("signed 10 minutes ago: %d %s, want 401", status, answer)
	}
	if n, _ := m.DB.CountEvents(t.Context()); n != 0 {
		t.Fatalf("a refused delivery stored %d events", n)
	}
	if status, answer := post(t, sub.URL, body, signed(time.Now().Add(-time.Minute))); status != http.StatusOK {
		t.Fatalf("signed a minute ago: %d %s, want 200", status, answer)
	}
}

func TestLateOlderEventLeavesConversationClosed(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		envelope := func(id, fqn, status, at string) []byte {
			return []byte(`{"event_id":"` + id + `","event_fqn":"` + fqn + `","event_version":"1","event_timestamp":"` + at +
				`","organization":{"id":"org-9","name":"Org"},"data":{"conversation":{"csid":4242,"channel":"EMAIL","status":"` + status +
				`","direction":"INBOUND","queue":null,"requester":{"id":"c-1","name":"Cy","email":"cy@example.com","phone":null,"roles":[]},"assignee":null,"subject":"Help","tags":[],"created_at":"2024-05-01T09:00:00.000Z"}}}`)
		}
		closed := envelope("e-closed", "CONVERSATION_CLOSED", "CLOSED", "2024-05-01T10:00:00.000Z")
		open := envelope("e-open", "CONVERSATION_OPEN", "OPEN", "2024-05-01T09:30:00.000Z")
		for _, b := range [][]byte{closed, open} {
			if status, answer := postDixa(t, sub.URL, sub.SecretKey, b); status != http.StatusOK {
				t.Fatalf("delivery: %d %s", status, answer)
			}
		}
		var out struct {
			Conversations struct {
				Edges []struct {
					Node struct {
						ExternalID     string `json:"externalId"`
						Status         string
						ProviderStatus string `json:"providerStatus"`
						Requester      *struct{ Name string }
						Events         struct {
							Edges []struct {
								Node struct{ ProviderEventType string }
							}
						}
					}
				}
			}
		}
		graphQL(t, m, `{ conversations { edges { node { externalId status providerStatus requester { name } events(first: 10) { edges { node { providerEventType } } } } } } }`, nil, &out)
		if len(out.Conversations.Edges) != 1 {
			t.Fatalf("conversations: %+v", out)
		}
		c := out.Conversations.Edges[0].Node
		if c.ExternalID != "4242" || c.Status != "CLOSED" || c.ProviderStatus != "CLOSED" || c.Requester == nil || c.Requester.Name != "Cy" {
			t.Fatalf("conversation after a late older ConversationOpen: %+v", c)
		}
		if len(c.Events.Edges) != 2 {
			t.Fatalf("conversation events: %+v", c.Events)
		}
	})
}
