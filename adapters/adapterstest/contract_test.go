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
		ConversationID:    domain.ConversationID(toyProvider, "42"),
		Conversation: &domain.ConversationUpdate{
			ExternalID: "42", Kind: domain.KindConversation, Status: domain.StatusOpen, Channel: "chat",
		},
	}
	res := &adapters.Result{Events: []*domain.Event{ev}}
	if a.mutate != nil {
		a.mutate(req, res)
	}
	return res, nil
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
				first(r).ConversationID = ""
			}}},
		{name: "conversation with unknown kind", want: "Conversation.Kind",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Kind = "" }}},
		{name: "conversation with unknown status", want: "Conversation.Status",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) { first(r).Conversation.Status = "open" }}},
		{name: "conversation id of another conversation", want: "ConversationID =",
			a: &toy{mutate: func(_ *adapters.Request, r *adapters.Result) {
				first(r).ConversationID = domain.ConversationID(toyProvider, "43")
			}}},
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
