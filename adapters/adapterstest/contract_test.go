package adapterstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// toy is a minimal adapter that keeps the contract; each test case breaks
// it in one way through the hooks to prove the matching check fires.
type toy struct {
	signs  bool
	parse  func(req *adapters.Request) (*adapters.Result, error)
	mutate func(req *adapters.Request, res *adapters.Result)
	verify func(req *adapters.Request, secret string) error
}

const toyProvider = domain.ProviderVoxsig

func (a *toy) Provider() domain.Provider { return toyProvider }
func (a *toy) SignsDeliveries() bool     { return a.signs }

func (a *toy) Verify(req *adapters.Request, secret string) error {
	if a.verify != nil {
		return a.verify(req, secret)
	}
	if secret == "" || req.Header.Get("X-Toy-Sig") == secret {
		return nil
	}
	return domain.Errorf(domain.EUNAUTHORIZED, "bad signature")
}

func (a *toy) Parse(req *adapters.Request) (*adapters.Result, error) {
	if a.parse != nil {
		return a.parse(req)
	}
	if !json.Valid(req.Body) {
		return nil, domain.Errorf(domain.EINVALID, "not JSON")
	}
	sum := sha256.Sum256(req.Body)
	ev := &domain.Event{
		ID:                domain.NewID(),
		Provider:          toyProvider,
		Type:              domain.EventOther,
		ProviderEventType: "toy",
		OccurredAt:        req.ReceivedAt,
		ReceivedAt:        req.ReceivedAt,
		DedupeKey:         "toy:" + hex.EncodeToString(sum[:]),
		Payload:           domain.RawJSON(bytes.Clone(req.Body)),
		Conversation: &domain.ConversationUpdate{
			Account: "acme", ExternalID: "42", Kind: domain.KindConversation, Status: domain.StatusOpen, Channel: "chat",
			Requester: toyPerson(domain.RoleContact, "c1"),
			Assignee:  toyPerson(domain.RoleAgent, "a1"),
			Tags:      []string{"a", "b"}, TagsKnown: true, TagsAdded: []string{"b"}, TagsRemoved: []string{"c"},
		},
		Message: &domain.Message{
			ExternalID: "m1", Direction: domain.DirectionInbound, Content: "hello", ContentType: "text/plain",
			Author: toyPerson(domain.RoleContact, "c1"), CreatedAt: req.ReceivedAt,
		},
		Contacts: []*domain.Person{toyPerson(domain.RoleContact, "c1")},
	}
	res := &adapters.Result{Events: []*domain.Event{ev}}
	if a.mutate != nil {
		a.mutate(req, res)
	}
	return res, nil
}

// toyPerson is a fresh person each call, so that a case that breaks one
// person breaks only that one.
func toyPerson(role domain.PersonRole, id string) *domain.Person {
	return &domain.Person{Provider: toyProvider, Account: "acme", ExternalID: id, Role: role, Name: "Ann", Email: "ann@example.com"}
}

var toySample = Sample{
	Name:   "toy",
	Body:   []byte(`{"id":"1","conversation":{"id":42,"status":"open"},"tags":["a","b"]}`),
	Header: http.Header{"X-Toy-Sig": {"s3cret"}},
}

func first(res *adapters.Result) *domain.Event { return res.Events[0] }

// isVariant tells the sample from the garbled bodies, so a case can break
// the adapter on variants only.
func isVariant(req *adapters.Request) bool { return !bytes.Equal(req.Body, toySample.Body) }

func TestCheckPassesAConformingAdapter(t *testing.T) {
	if probs := Check(&toy{}, toySample); len(probs) > 0 {
		t.Fatalf("conforming adapter reported: %v", errors.Join(probs...))
	}
	Run(t, &toy{}, []Sample{toySample})
}

// TestCheckPassesThinFacts keeps the contract lenient where providers are
// thin: CloudCX sends a message id and nothing else, and an event may say
// nothing about status, direction, people or tags.
func TestCheckPassesThinFacts(t *testing.T) {
	thin := &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
		e := first(r)
		e.Conversation = &domain.ConversationUpdate{ExternalID: "t-1", Kind: domain.KindTicket}
		e.Message = &domain.Message{ExternalID: "m-1"}
		e.Contacts = nil
	}}
	if probs := Check(thin, toySample); len(probs) > 0 {
		t.Fatalf("thin facts reported: %v", errors.Join(probs...))
	}
	unassigned := &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
		c := first(r).Conversation
		c.Assignee, c.Unassigned = nil, true
		c.Tags, c.TagsKnown = nil, true // a conversation whose every tag was removed
	}}
	if probs := Check(unassigned, toySample); len(probs) > 0 {
		t.Fatalf("unassigned conversation without tags reported: %v", errors.Join(probs...))
	}
	noFacts := &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
		e := first(r)
		e.Conversation, e.Message, e.Contacts = nil, nil, nil
	}}
	if probs := Check(noFacts, toySample); len(probs) > 0 {
		t.Fatalf("event without facts reported: %v", errors.Join(probs...))
	}
}

func TestCheckFailsEachBrokenAdapter(t *testing.T) {
	n := 0
	tests := []struct {
		name   string
		sample *Sample
		a      *toy
		want   string
	}{
		{name: "wrong provider", want: `Provider = "DIXA"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Provider = domain.ProviderDixa }}},
		{name: "unknown event type", want: "not a domain.EventType",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Type = "NOPE" }}},
		{name: "empty provider event type", want: "ProviderEventType is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).ProviderEventType = "" }}},
		{name: "zero occurredAt", want: "OccurredAt is zero",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).OccurredAt = time.Time{} }}},
		{name: "occurredAt past year 9999", want: "OccurredAt = 10000",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
			}}},
		{name: "zero receivedAt", want: "ReceivedAt is zero",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).ReceivedAt = time.Time{} }}},
		{name: "receivedAt from the clock", want: "want the request's",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).ReceivedAt = time.Now() }}},
		{name: "empty dedupe key", want: "DedupeKey is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).DedupeKey = "" }}},
		{name: "overlong dedupe key", want: "more than 512",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).DedupeKey = strings.Repeat("k", 513) }}},
		{name: "dedupe key changes between parses", want: "DedupeKeys differ",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { n++; first(r).DedupeKey = fmt.Sprint("k", n) }}},
		{name: "two events share a dedupe key", want: "duplicate DedupeKey",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				e := *first(r)
				r.Events = append(r.Events, &e)
			}}},
		{name: "payload re-encoded", want: "Payload differs",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Payload = append(bytes.Clone(first(r).Payload), '\n')
			}}},
		{name: "payload missing", want: "Payload differs",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Payload = nil }}},
		{name: "conversation without external id", want: "ExternalID is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Conversation.ExternalID = ""
			}}},
		{name: "conversation with unknown kind", want: "Conversation.Kind",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Kind = "" }}},
		{name: "conversation with unknown status", want: "Conversation.Status",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Status = "open" }}},
		{name: "conversation id set by the adapter", want: "ConversationID =",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).ConversationID = domain.ConversationID(toyProvider, "acme", "42")
			}}},
		{name: "conversation id set without a conversation", want: "ConversationID =",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Conversation = nil
				first(r).ConversationID = domain.ConversationID(toyProvider, "", "42")
			}}},
		{name: "overlong conversation account", want: "Conversation.Account is 513 bytes",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Conversation.Account = strings.Repeat("a", 513)
			}}},
		{name: "assigned and unassigned at once", want: "cannot both assign and unassign",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Unassigned = true }}},
		{name: "requester who is an agent", want: `Conversation.Requester.Role = "AGENT"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Conversation.Requester.Role = domain.RoleAgent
			}}},
		{name: "assignee who is a contact", want: `Conversation.Assignee.Role = "CONTACT"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Conversation.Assignee.Role = domain.RoleContact
			}}},
		{name: "requester without external id", want: "Conversation.Requester.ExternalID is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Requester.ExternalID = "" }}},
		{name: "assignee with unknown role", want: "Conversation.Assignee.Role = \"agent\", not a domain.PersonRole",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Assignee.Role = "agent" }}},
		{name: "assignee of another provider", want: `Conversation.Assignee.Provider = "DIXA"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Conversation.Assignee.Provider = domain.ProviderDixa
			}}},
		{name: "tags without TagsKnown", want: "TagsKnown is false",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.TagsKnown = false }}},
		{name: "empty tag in the tag set", want: "Conversation.Tags[1] is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Tags[1] = "" }}},
		{name: "empty tag added", want: "Conversation.TagsAdded[0] is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.TagsAdded[0] = "" }}},
		{name: "NUL byte in a removed tag", want: "Conversation.TagsRemoved[0]",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.TagsRemoved[0] = "c\x00" }}},
		{name: "message without external id", want: "Message.ExternalID is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.ExternalID = "" }}},
		{name: "overlong message external id", want: "Message.ExternalID is 513 bytes",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Message.ExternalID = strings.Repeat("m", 513)
			}}},
		{name: "message with unknown direction", want: `Message.Direction = "inbound"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.Direction = "inbound" }}},
		{name: "message id set by the adapter", want: "Message.ID, ConversationID, AuthorID",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Message.ID = domain.MessageID(toyProvider, "acme", "m1")
			}}},
		{name: "message conversation id set by the adapter", want: "Message.ID, ConversationID, AuthorID",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Message.ConversationID = domain.ConversationID(toyProvider, "acme", "42")
			}}},
		{name: "message author id set by the adapter", want: "Message.ID, ConversationID, AuthorID",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Message.AuthorID = domain.PersonID(toyProvider, domain.RoleContact, "acme", "c1")
			}}},
		{name: "event message id set by the adapter", want: "MessageID =",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).MessageID = domain.MessageID(toyProvider, "acme", "m1")
			}}},
		{name: "message created past year 9999", want: "Message.CreatedAt = 10000",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Message.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
			}}},
		{name: "invalid UTF-8 in message content", want: "Message.Content",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.Content = "caf\xe9" }}},
		{name: "NUL byte in message content type", want: "Message.ContentType",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.ContentType = "text/\x00" }}},
		{name: "message author with unknown role", want: "Message.Author.Role",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.Author.Role = "" }}},
		{name: "message author without external id", want: "Message.Author.ExternalID is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.Author.ExternalID = "" }}},
		{name: "NUL byte in the author's name", want: "Message.Author.Name",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Message.Author.Name = "A\x00nn" }}},
		{name: "invalid UTF-8 in a contact's company", want: "Contacts[0].Company",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Contacts[0].Company = "caf\xe9" }}},
		{name: "NUL byte in a contact's second address", want: "Contacts[0].Emails[1]",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Contacts[0].Emails = []string{"a@example.com", "b\x00@example.com"}
			}}},
		{name: "phone of an unknown kind", want: `Contacts[0].Phones[0].Kind = "cell"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Contacts[0].Phones = []domain.Phone{{Number: "+1", Kind: "cell"}}
			}}},
		{name: "nil contact", want: "Contacts[1] is nil",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Contacts = append(first(r).Contacts, nil)
			}}},
		{name: "contact without external id", want: "Contacts[0].ExternalID is empty",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Contacts[0].ExternalID = "" }}},
		{name: "overlong contact external id", want: "Contacts[0].ExternalID is 513 bytes",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Contacts[0].ExternalID = strings.Repeat("c", 513)
			}}},
		{name: "contact external id with a NUL byte", want: "Contacts[0].ExternalID = ",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Contacts[0].ExternalID = "c\x001" }}},
		{name: "overlong contact account", want: "Contacts[0].Account is 513 bytes",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Contacts[0].Account = strings.Repeat("a", 513)
			}}},
		{name: "contact with unknown role", want: "Contacts[0].Role",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Contacts[0].Role = "CUSTOMER" }}},
		{name: "contact of another provider", want: `Contacts[0].Provider = "CINNOX"`,
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Contacts[0].Provider = domain.ProviderCINNOX }}},
		{name: "contact id set by the adapter", want: "Contacts[0].ID =",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).Contacts[0].ID = domain.PersonID(toyProvider, domain.RoleContact, "acme", "c1")
			}}},
		{name: "invalid UTF-8 in a contact's email", want: "Contacts[0].Email",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Contacts[0].Email = "\xffann@example.com" }}},
		{name: "NUL byte in a requester's phone", want: "Conversation.Requester.Phone",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Requester.Phone = "+45\x00" }}},
		{name: "NUL byte in a text field", want: "Conversation.Channel",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Channel = "a\x00b" }}},
		{name: "nil event", want: "is nil",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { r.Events = append(r.Events, nil) }}},
		{name: "no events", want: "no events and no Reply",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { r.Events = nil }}},
		{name: "reply and events", want: "a Reply and 1 events",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { r.Reply = []byte(`{}`) }}},
		{name: "nil result", want: "nil Result",
			a: &toy{parse: func(*adapters.Request) (*adapters.Result, error) { return nil, nil }}},
		{name: "valid sample refused", want: "refused a valid delivery",
			a: &toy{parse: func(*adapters.Request) (*adapters.Result, error) {
				return nil, domain.Errorf(domain.EINVALID, "no")
			}}},
		{name: "variant refused without a domain code", want: `error code "internal"`,
			a: &toy{parse: func(req *adapters.Request) (*adapters.Result, error) {
				if isVariant(req) {
					return nil, errors.New("cannot parse")
				}
				return (&toy{}).Parse(req)
			}}},
		{name: "panic on a variant", want: "Parse panicked",
			a: &toy{mutate: func(req *adapters.Request, r *adapters.Result) {
				if string(req.Body) == "[]" {
					var m map[string]int
					m["x"]++ // a nil-map write, the kind of bug the contract exists for
				}
			}}},
		{name: "invalid events on a variant only", want: "variant strings=x",
			a: &toy{mutate: func(req *adapters.Request, r *adapters.Result) {
				if bytes.Contains(req.Body, []byte(`"id":"x"`)) {
					first(r).ProviderEventType = ""
				}
			}}},
		{name: "second parse fails", want: "second parse of the same body failed",
			a: &toy{parse: func(req *adapters.Request) (*adapters.Result, error) {
				n++
				if n%2 == 0 {
					return nil, domain.Errorf(domain.EINVALID, "flaky")
				}
				return (&toy{}).Parse(req)
			}}},
		{name: "second parse drops the events", want: "DedupeKeys differ",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				n++
				if n%2 == 0 {
					r.Events = nil
				}
			}}},
		{name: "body mutated", want: "modified the request body",
			a: &toy{mutate: func(req *adapters.Request, _ *adapters.Result) {
				if len(req.Body) > 0 {
					req.Body[0] = ' '
				}
			}}},
		{name: "verify checks even without a secret", want: `Verify with secret ""`,
			a: &toy{verify: func(*adapters.Request, string) error {
				return domain.Errorf(domain.EUNAUTHORIZED, "always")
			}}},
		{name: "verify panics", want: "Verify with a wrong secret: panicked",
			a: &toy{verify: func(req *adapters.Request, secret string) error {
				if secret != "" {
					_ = strings.Split(req.Header.Get("X-Nothing"), "=")[1]
				}
				return nil
			}}},
		{name: "verify answers with another code", want: `error code "invalid"`,
			a: &toy{verify: func(req *adapters.Request, secret string) error {
				if secret != "" {
					return domain.Errorf(domain.EINVALID, "bad")
				}
				return nil
			}}},
		{name: "signing provider accepts an unsigned delivery", want: "unsigned delivery",
			a: &toy{signs: true, verify: func(*adapters.Request, string) error { return nil }}},
		{name: "sample that is not JSON", want: "is not valid JSON",
			sample: &Sample{Name: "cut", Body: toySample.Body[:10]}, a: &toy{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := toySample
			if tt.sample != nil {
				s = *tt.sample
			}
			probs := Check(tt.a, s)
			all := errors.Join(probs...)
			if all == nil || !strings.Contains(all.Error(), tt.want) {
				t.Fatalf("Check did not report %q; it reported: %v", tt.want, all)
			}
		})
	}
}

func TestVariantsAreValidJSONAndGarbleTheSample(t *testing.T) {
	vs := Variants(toySample)
	names := map[string]bool{}
	for _, v := range vs {
		if !json.Valid(v.Body) {
			t.Errorf("variant %s is not valid JSON: %s", v.Name, v.Body)
		}
		if names[v.Name] {
			t.Errorf("variant name %s is used twice", v.Name)
		}
		names[v.Name] = true
	}
	want := map[string]string{
		"strings=x":                 `{"conversation":{"id":42,"status":"x"},"id":"x","tags":["x","x"]}`,
		"conversation.id=deleted":   `{"conversation":{"status":"open"},"id":"1","tags":["a","b"]}`,
		"conversation.status=array": `{"conversation":{"id":42,"status":[]},"id":"1","tags":["a","b"]}`,
		"tags[0]=null":              `{"conversation":{"id":42,"status":"open"},"id":"1","tags":[null,"b"]}`,
		"tags[0]=deleted":           `{"conversation":{"id":42,"status":"open"},"id":"1","tags":["b"]}`,
		"objects=arrays":            `{"conversation":[42,"open"],"id":"1","tags":["a","b"]}`,
		"numbers=huge":              `{"conversation":{"id":-1e400,"status":"open"},"id":"1","tags":["a","b"]}`,
		"empty-array":               `[]`,
	}
	for _, v := range vs {
		if w, ok := want[v.Name]; ok {
			if string(v.Body) != w {
				t.Errorf("variant %s = %s, want %s", v.Name, v.Body, w)
			}
			delete(want, v.Name)
		}
	}
	for name := range want {
		t.Errorf("variant %s is missing", name)
	}
}
