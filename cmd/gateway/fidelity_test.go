package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func adapterSample(t *testing.T, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "adapters", provider, "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postStatus posts body and returns the answer's status: "accepted",
// "duplicate", ...
func postStatus(t *testing.T, url string, body []byte) string {
	t.Helper()
	code, answer := post(t, url, body, nil)
	var a struct{ Status string }
	if code != http.StatusOK || json.Unmarshal(answer, &a) != nil {
		t.Fatalf("delivery answered %d %s", code, answer)
	}
	return a.Status
}

// A Voxsig message delivered through an account webhook and through an
// automation rule is one event, the first to arrive, whichever way that
// is; the other delivery is answered as a duplicate.
func TestVoxsigMessageThroughAccountWebhookAndAutomationRuleIsOneEvent(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createSubscription(t, m, "VOXSIG", nil)
		account := adapterSample(t, "voxsig", "message_created")
		rule := adapterSample(t, "voxsig", "automation_event.message_created")
		// Message 902 through the account webhook first; message 9020 (the
		// same bodies, another id) through the rule first.
		otherMessage := func(b []byte) []byte { return []byte(strings.Replace(string(b), `"id": 902,`, `"id": 9020,`, 1)) }
		for i, d := range []struct {
			body []byte
			want string
		}{
			{account, "accepted"}, {rule, "duplicate"}, {account, "duplicate"},
			{otherMessage(rule), "accepted"}, {otherMessage(account), "duplicate"},
		} {
			if got := postStatus(t, sub.URL, d.body); got != d.want {
				t.Fatalf("delivery %d answered %q, want %q", i, got, d.want)
			}
		}
		var out struct {
			Events struct {
				Edges []struct {
					Node struct {
						Type, ProviderEventType string
						Message                 struct{ ExternalID string }
					}
				}
			}
			Conversations struct {
				Edges []struct {
					Node struct {
						ExternalID string `json:"externalId"`
						Status     string
						Tags       []string
						Requester  struct{ Name, Company string }
						Messages   struct {
							Edges []struct {
								Node struct {
									ExternalID string `json:"externalId"`
									Direction  string
									CreatedAt  time.Time
									Author     struct{ Name string }
								}
							}
						}
					}
				}
			}
		}
		graphQL(t, m, `{ events(first: 10) { edges { node { type providerEventType message { externalId } } } }
			conversations { edges { node { externalId status tags requester { name company }
				messages(first: 10) { edges { node { externalId direction createdAt author { name } } } } } } } }`, nil, &out)
		var events []string
		for _, e := range out.Events.Edges {
			events = append(events, e.Node.Type+" "+e.Node.ProviderEventType+" "+e.Node.Message.ExternalID)
		}
		if want := []string{"MESSAGE_CREATED message_created 902", "MESSAGE_CREATED automation_event.message_created 9020"}; !reflect.DeepEqual(events, want) {
			t.Fatalf("events %q, want %q", events, want)
		}
		if len(out.Conversations.Edges) != 1 {
			t.Fatalf("conversations: %+v", out.Conversations)
		}
		c := out.Conversations.Edges[0].Node
		// The account delivery's whole label set (none, at 04:51:00.204)
		// is later than the rule's (delivery, at 04:51:00): applied in
		// either order, the labels are none.
		if c.ExternalID != "42" || c.Status != "OPEN" || c.Requester.Name != "Priya Sharma" || c.Requester.Company != "Sharma Textiles" ||
			!reflect.DeepEqual(c.Tags, []string{}) {
			t.Errorf("conversation %+v", c)
		}
		// Messages come oldest first by creation time: 9020 was first
		// stored from the rule's body, which dates it earlier.
		var messages []string
		for i, e := range c.Messages.Edges {
			messages = append(messages, e.Node.ExternalID+" "+e.Node.Direction+" "+e.Node.Author.Name)
			if i > 0 && e.Node.CreatedAt.Before(c.Messages.Edges[i-1].Node.CreatedAt) {
				t.Errorf("message %s created %v, before the one listed ahead of it", e.Node.ExternalID, e.Node.CreatedAt)
			}
		}
		if want := []string{"9020 INBOUND Priya Sharma", "902 INBOUND Priya Sharma"}; !reflect.DeepEqual(messages, want) {
			t.Errorf("messages %q, want %q", messages, want)
		}
	})
}

type contactDetails struct {
	Name, FirstName, LastName, Email, Phone, Company string
	Emails                                           []string
	Phones                                           []struct{ Number, Kind string }
}

func findContact(t *testing.T, m *Main, search string) contactDetails {
	t.Helper()
	var out struct {
		Contacts struct {
			Edges []struct{ Node contactDetails }
		}
	}
	graphQL(t, m, `query($s: String) { contacts(search: $s) { edges { node {
		name firstName lastName email emails phone phones { number kind } company } } } }`, map[string]any{"s": search}, &out)
	if len(out.Contacts.Edges) != 1 {
		t.Fatalf("contacts matching %q: %+v", search, out.Contacts.Edges)
	}
	return out.Contacts.Edges[0].Node
}

func phoneList(c contactDetails) []string {
	var out []string
	for _, p := range c.Phones {
		out = append(out, p.Kind+" "+p.Number)
	}
	return out
}

// CloudCX contacts of both schemas keep their name, e-mail and every phone;
// a later delivery whose e-mail (or phone field) is "" erases nothing.
func TestCloudCXContactsKeepTheirDetails(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createSubscription(t, m, "CLOUDCX", nil)
		for _, name := range []string{"contact_created_legacy_schema", "contact_updated_legacy_schema",
			"contact_created_current_schema", "contact_updated_current_schema_empty_email"} {
			if got := postStatus(t, sub.URL, adapterSample(t, "cloudcx", name)); got != "accepted" {
				t.Fatalf("%s answered %q", name, got)
			}
		}
		legacy := findContact(t, m, "lina")
		if legacy.Name != "lina.k" || legacy.FirstName != "Lina" || legacy.LastName != "Kovacs-Szabo" || legacy.Company != "Harbour Freight Ltd" ||
			legacy.Email != "lina.kovacs@harbourfreight.example" || !reflect.DeepEqual(legacy.Emails, []string{"lina.kovacs@harbourfreight.example"}) ||
			legacy.Phone != "+36 30 123 4567" {
			t.Errorf("older-schema contact after an update with \"mail\": \"\": %+v", legacy)
		}
		if got, want := phoneList(legacy), []string{"MOBILE +36 30 123 4567", "OFFICE +36 1 987 6543", "WHATSAPP +36 30 765 4321", "SMS +36 30 123 4567"}; !reflect.DeepEqual(got, want) {
			t.Errorf("older-schema phones %q, want %q", got, want)
		}
		current := findContact(t, m, "tomas")
		if current.Name != "Tomas Berg" || current.Email != "tomas.berg@example.se" || current.Company != "Berg Transport AB" {
			t.Errorf("newer-schema contact after an update with \"email\": \"\": %+v", current)
		}
		if got, want := phoneList(current), []string{"PHONE +46 70 123 45 67", "WHATSAPP +46 70 765 43 21"}; !reflect.DeepEqual(got, want) {
			t.Errorf("newer-schema phones %q, want %q", got, want)
		}
	})
}
