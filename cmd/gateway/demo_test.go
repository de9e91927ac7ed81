package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// demoOutput is what a demo printed: where it serves and its token.
type demoOutput struct{ base, token string }

// startDemo runs `gateway demo` in-process on a free port and a temporary
// folder, and reads where it serves from what it prints. The returned
// stop ends it and returns what it returned.
func startDemo(t *testing.T) (demoOutput, func() error) {
	t.Helper()
	cfg, _, err := ParseConfig("test", []string{"-log-level", "error"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- demoCommand(ctx, cfg, []string{"-addr", "127.0.0.1:0", "-dir", t.TempDir(), "-interval", "50ms"}, w)
		w.Close()
	}()
	var d demoOutput
	lines := bufio.NewScanner(out)
	for d.token == "" && lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if rest, ok := strings.CutPrefix(line, "GraphQL:"); ok {
			d.base = strings.TrimSuffix(strings.Fields(rest)[0], "/graphql")
		}
		if rest, ok := strings.CutPrefix(line, "Admin token:"); ok {
			d.token = strings.Fields(rest)[0]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if d.base == "" || d.token == "" {
		cancel()
		t.Fatalf("the demo printed no GraphQL URL and admin token; it returned %v", <-done)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("the demo did not stop within 20s of its context ending")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return d, stop
}

// demoEvents is the demo's whole history as far as one page shows it.
type demoEvents struct {
	Events struct {
		Edges []struct {
			Node struct {
				Provider          string  `json:"provider"`
				Type              string  `json:"type"`
				ProviderEventType string  `json:"providerEventType"`
				Reason            *string `json:"reason"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"events"`
}

func (d demoOutput) query(t *testing.T, query string, out any) {
	t.Helper()
	res := graphQLAt(t, d.base, d.token, query, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", res.Errors)
	}
	if err := json.Unmarshal(res.Data, out); err != nil {
		t.Fatalf("decode %s: %v", res.Data, err)
	}
}

func TestDemoFeedsAllFourProvidersWithRefusedAndUntranslatedDeliveries(t *testing.T) {
	d, stop := startDemo(t)

	// Within 10s: events of all four providers, translated into the
	// lifecycle's unified types, an untranslated one, and the refusal and
	// challenge in the delivery logs.
	wantTypes := []string{"CONVERSATION_CREATED", "MESSAGE_CREATED", "CONVERSATION_ASSIGNED", "CONVERSATION_TAGGED",
		"CONVERSATION_STATUS_CHANGED", "CONTACT_CREATED"}
	var missing []string
	var count int
	deadline := time.Now().Add(10 * time.Second)
	for {
		var evs demoEvents
		d.query(t, `{ events(first: 1000) { edges { node { provider type providerEventType reason } } } }`, &evs)
		var untranslated demoEvents
		d.query(t, `{ events(first: 10, filter: {untranslated: true}) { edges { node { provider type providerEventType reason } } } }`, &untranslated)
		var subs struct {
			WebhookSubscriptions []struct {
				Provider  string `json:"provider"`
				EventLogs []struct {
					Outcome        string `json:"outcome"`
					DeliveryDetail struct {
						ResponseCode int `json:"responseCode"`
					} `json:"deliveryDetail"`
				} `json:"eventLogs"`
			} `json:"webhookSubscriptions"`
		}
		d.query(t, `{ webhookSubscriptions { provider eventLogs(first: 1000) { outcome deliveryDetail { responseCode } } } }`, &subs)

		seen := map[string]bool{}
		for _, e := range evs.Events.Edges {
			seen["provider "+e.Node.Provider] = true
			seen["type "+e.Node.Type] = true
			// Only the deliberately unknown event may miss a translation.
			if e.Node.Reason != nil && e.Node.ProviderEventType != "conversation_priority_escalated" {
				t.Fatalf("the adapter could not translate a demo %s %s: %s", e.Node.Provider, e.Node.ProviderEventType, *e.Node.Reason)
			}
		}
		for _, e := range untranslated.Events.Edges {
			if e.Node.Type == "OTHER" && e.Node.Reason != nil && *e.Node.Reason != "" {
				seen["untranslated "+e.Node.Provider+" "+e.Node.ProviderEventType] = true
			}
		}
		for _, s := range subs.WebhookSubscriptions {
			for _, l := range s.EventLogs {
				seen[s.Provider+" "+l.Outcome] = true
				if l.Outcome == "REFUSED" && l.DeliveryDetail.ResponseCode == 401 {
					seen[s.Provider+" refused 401"] = true
				}
			}
		}
		missing = missing[:0]
		want := []string{"provider CINNOX", "provider CLOUDCX", "provider DIXA", "provider VOXSIG",
			"untranslated VOXSIG conversation_priority_escalated", "DIXA refused 401", "CINNOX CHALLENGE",
			"DIXA ACCEPTED", "VOXSIG ACCEPTED", "CLOUDCX ACCEPTED", "CINNOX ACCEPTED"}
		for _, ty := range wantTypes {
			want = append(want, "type "+ty)
		}
		for _, w := range want {
			if !seen[w] {
				missing = append(missing, w)
			}
		}
		count = len(evs.Events.Edges)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s of the demo (%d events), not seen: %s", count, strings.Join(missing, ", "))
		}
		time.Sleep(250 * time.Millisecond)
	}

	// The stream goes on: the history keeps growing.
	deadline = time.Now().Add(10 * time.Second)
	for {
		var evs demoEvents
		d.query(t, `{ events(first: 1000) { edges { node { provider } } } }`, &evs)
		if len(evs.Events.Edges) > count {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history stayed at %d events for 10s", count)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Conversations go through to their end.
	deadline = time.Now().Add(20 * time.Second)
	for {
		var closed struct {
			Conversations struct {
				TotalCount int `json:"totalCount"`
			} `json:"conversations"`
		}
		d.query(t, `{ conversations(filter: {statuses: [CLOSED, RESOLVED]}) { totalCount } }`, &closed)
		if closed.Conversations.TotalCount > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no demo conversation was closed or resolved within 20s")
		}
		time.Sleep(250 * time.Millisecond)
	}

	if err := stop(); err != nil {
		t.Fatalf("the demo ended with %v, want a clean shutdown", err)
	}
}
