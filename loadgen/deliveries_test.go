package loadgen

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/cinnox"
	"github.com/helpdesk-gateway/gateway/adapters/cloudcx"
	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/adapters/voxsig"
	"github.com/helpdesk-gateway/gateway/domain"
)

// TestDeliveriesAreFullyProjected parses generated deliveries with the real
// adapters and checks that each becomes the event its provider documents,
// with every fact the adapter can project from it: a load run must make the
// gateway do the work real deliveries make it do.
func TestDeliveriesAreFullyProjected(t *testing.T) {
	registry := adapters.NewRegistry(cinnox.New(), cloudcx.New(), dixa.New(), voxsig.New())
	tests := []struct {
		provider           domain.Provider
		minBytes, maxBytes int
		types              []domain.EventType
		// What the provider's payload carries, so the event must have.
		message, requester, assignee bool
	}{
		{domain.ProviderDixa, 1000, 1500, []domain.EventType{domain.EventMessageCreated}, true, true, true},
		{domain.ProviderVoxsig, 1000, 1500, []domain.EventType{domain.EventMessageCreated}, true, true, true},
		// CloudCX sends ids only: the ticket and the message.
		{domain.ProviderCloudCX, 100, 200, []domain.EventType{domain.EventMessageCreated}, true, false, false},
		// A CINNOX enquiry names its customer, and no message or agent.
		{domain.ProviderCINNOX, 250, 450, []domain.EventType{domain.EventConversationCreated, domain.EventConversationStatusChanged}, false, true, false},
	}
	const deliveries, conversations, agents = 400, 40, 5
	for _, tt := range tests {
		t.Run(tt.provider.Slug(), func(t *testing.T) {
			gen, err := NewGenerator(GeneratorConfig{Provider: tt.provider, Conversations: conversations, Agents: agents, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			adapter, err := registry.Lookup(tt.provider)
			if err != nil {
				t.Fatal(err)
			}
			keys := map[string]bool{}
			requesterOf := map[string]string{} // conversation -> requester
			people := map[string]bool{}        // requesters and agents
			agentIDs := map[string]bool{}
			directions := map[domain.MessageDirection]bool{}
			for i := range deliveries {
				body, err := gen.Body(i)
				if err != nil {
					t.Fatal(err)
				}
				if len(body) < tt.minBytes || len(body) > tt.maxBytes {
					t.Fatalf("delivery %d is %d bytes, want %d to %d: %s", i, len(body), tt.minBytes, tt.maxBytes, body)
				}
				res, err := adapter.Parse(&adapters.Request{Header: http.Header{}, Body: body, ReceivedAt: time.Now()})
				if err != nil {
					t.Fatalf("delivery %d: %v", i, err)
				}
				if len(res.Events) != 1 {
					t.Fatalf("delivery %d became %d events, want 1", i, len(res.Events))
				}
				e := res.Events[0]
				if e.Reason != "" || !slices.Contains(tt.types, e.Type) {
					t.Fatalf("delivery %d became %s (reason %q), want one of %v: %s", i, e.Type, e.Reason, tt.types, body)
				}
				if keys[e.DedupeKey] {
					t.Fatalf("delivery %d repeats the dedupe key %s: the store would drop it as a redelivery", i, e.DedupeKey)
				}
				keys[e.DedupeKey] = true
				c := e.Conversation
				if c == nil || c.ExternalID == "" {
					t.Fatalf("delivery %d names no conversation: %s", i, body)
				}
				if tt.requester {
					if c.Requester == nil || c.Requester.ExternalID == "" {
						t.Fatalf("delivery %d: conversation %s has no requester", i, c.ExternalID)
					}
					if r, ok := requesterOf[c.ExternalID]; ok && r != c.Requester.ExternalID {
						t.Fatalf("conversation %s has requesters %s and %s", c.ExternalID, r, c.Requester.ExternalID)
					}
					requesterOf[c.ExternalID] = c.Requester.ExternalID
					people[c.Requester.ExternalID] = true
				}
				if tt.assignee {
					if c.Assignee == nil || c.Assignee.Role != domain.RoleAgent {
						t.Fatalf("delivery %d: conversation %s has no agent assigned", i, c.ExternalID)
					}
					agentIDs[c.Assignee.ExternalID] = true
					people[c.Assignee.ExternalID] = true
				}
				if tt.message {
					m := e.Message
					if m == nil || m.ExternalID == "" {
						t.Fatalf("delivery %d has no message: %s", i, body)
					}
					directions[m.Direction] = true
					if tt.requester && (m.Author == nil || !people[m.Author.ExternalID] || m.Content == "") {
						t.Fatalf("delivery %d: message %s has no author among the conversation's people, or no content", i, m.ExternalID)
					}
				}
			}
			if tt.message && (!directions[domain.DirectionInbound] || !directions[domain.DirectionOutbound]) {
				t.Errorf("message directions %v: want customers' messages and agents' answers", directions)
			}
			if tt.requester {
				requesters := map[string]bool{}
				for _, r := range requesterOf {
					requesters[r] = true
				}
				if len(requesterOf) < conversations/2 || len(requesters) != len(requesterOf) {
					t.Errorf("%d conversations with %d requesters: want most of the %d conversations, each with a requester of its own",
						len(requesterOf), len(requesters), conversations)
				}
			}
			if tt.assignee && (len(agentIDs) < 2 || len(agentIDs) > agents) {
				t.Errorf("%d agents assigned: want the %d agents shared across the conversations", len(agentIDs), agents)
			}
		})
	}
}

// TestDeliveriesAreAuthenticatedAsTheProviderDoes signs a generated
// delivery as the run does and verifies it with the provider's adapter.
func TestDeliveriesAreAuthenticatedAsTheProviderDoes(t *testing.T) {
	for _, tt := range []struct {
		adapter adapters.Adapter
		secret  string
	}{
		{dixa.New(), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{voxsig.New(), "voxsig-secret"},
	} {
		t.Run(tt.adapter.Provider().Slug(), func(t *testing.T) {
			gen, err := NewGenerator(GeneratorConfig{Provider: tt.adapter.Provider(), Conversations: 3, Agents: 2})
			if err != nil {
				t.Fatal(err)
			}
			body, err := gen.Body(7)
			if err != nil {
				t.Fatal(err)
			}
			sub := &Subscription{SecretKey: tt.secret, provider: tt.adapter.Provider()}
			h := http.Header{}
			sub.Authenticate(h, body, time.Now())
			req := &adapters.Request{Header: h, Body: body, ReceivedAt: time.Now()}
			if err := tt.adapter.Verify(req, tt.secret); err != nil {
				t.Fatalf("signed delivery refused: %v", err)
			}
			if err := tt.adapter.Verify(req, "other-"+tt.secret); err == nil {
				t.Fatal("a delivery signed with another secret was accepted: the check proves nothing")
			}
		})
	}
}

// TestRunsDoNotShareEventIDs checks that two runs' deliveries have no
// dedupe key in common: the second would otherwise be answered duplicate.
func TestRunsDoNotShareEventIDs(t *testing.T) {
	for _, p := range []domain.Provider{domain.ProviderDixa, domain.ProviderVoxsig, domain.ProviderCloudCX, domain.ProviderCINNOX} {
		t.Run(p.Slug(), func(t *testing.T) {
			adapter, _ := adapters.NewRegistry(cinnox.New(), cloudcx.New(), dixa.New(), voxsig.New()).Lookup(p)
			start := time.Now()
			keys := map[string]int{}
			for run := range 2 {
				gen, err := NewGenerator(GeneratorConfig{Provider: p, Conversations: 10, Agents: 3, Start: start})
				if err != nil {
					t.Fatal(err)
				}
				for i := range 50 {
					body, err := gen.Body(i)
					if err != nil {
						t.Fatal(err)
					}
					res, err := adapter.Parse(&adapters.Request{Body: body, ReceivedAt: start})
					if err != nil {
						t.Fatal(err)
					}
					key := res.Events[0].DedupeKey
					if r, ok := keys[key]; ok && r != run {
						t.Fatalf("runs %d and %d share the dedupe key %s", r, run, key)
					}
					keys[key] = run
				}
			}
		})
	}
}
