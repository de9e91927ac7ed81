package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// After pruning, the old events are gone from every reader while their
// conversation stays as it was; a cursor from before the horizon is
// refused with CURSOR_EXPIRED (GraphQL, websocket) or 410 (export), one at
// the horizon reads on, and live streams carry on with new events.
func TestRetentionPrunesOldEventsAndExpiresTheirCursors(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		deliver := func(names ...string) {
			t.Helper()
			for _, name := range names {
				if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
					t.Fatalf("delivery of %s: %d %s", name, status, body)
				}
			}
		}
		conversations := func() string {
			t.Helper()
			var out struct {
				Conversations json.RawMessage `json:"conversations"`
			}
			graphQL(t, m, `{ conversations(first: 10) { edges { node { id externalId status subject tags messages(last: 10) { edges { node { content } } } } } } }`, nil, &out)
			return string(out.Conversations)
		}
		deliver("conversation_created.json", "conversation_message_added.json", "conversation_closed.json")
		old := listEvents(t, m)
		before := conversations()
		time.Sleep(20 * time.Millisecond) // receivedAt of the old and the new events differ
		cut := time.Now()
		time.Sleep(20 * time.Millisecond)
		deliver("conversation_note_added_seed1.json", "conversation_note_added_seed2.json")
		kept := listEvents(t, m)[3:]
		state := conversations()

		var out strings.Builder
		if err := prune(context.Background(), m.DB, pruneArgs{before: cut}, &out); err != nil {
			t.Fatalf("prune: %v", err)
		}
		horizon := old[2].Cursor
		if !strings.Contains(out.String(), "removed 3 events") || !strings.Contains(out.String(), horizon) {
			t.Fatalf("prune printed %q, want 3 events removed and the oldest cursor %s", out.String(), horizon)
		}

		// Gone from GraphQL; the conversation keeps its state.
		if got := listEvents(t, m); len(got) != 2 || got[0].ID != kept[0].ID || got[1].ID != kept[1].ID {
			t.Fatalf("events after pruning: %+v, want the two kept", got)
		}
		if got := conversations(); got != state || !strings.Contains(before, `"messages":{"edges":[{`) {
			t.Fatalf("conversations after pruning:\n%s\nwant as before:\n%s", got, state)
		}

		// An old cursor is refused, naming the oldest cursor available.
		for _, c := range []string{old[0].Cursor, old[1].Cursor} {
			resp := graphQLRaw(t, m, adminToken, `query($after: String) { events(after: $after) { edges { cursor } } }`, map[string]any{"after": c})
			if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "CURSOR_EXPIRED" ||
				resp.Errors[0].Extensions["oldestCursor"] != horizon || !strings.Contains(resp.Errors[0].Message, horizon) {
				t.Fatalf("events(after: %s): %+v, want CURSOR_EXPIRED naming %s", c, resp.Errors, horizon)
			}
		}
		// The boundary: the horizon's own cursor reads everything kept.
		var page struct {
			Events struct {
				Edges []struct{ Cursor string } `json:"edges"`
			} `json:"events"`
		}
		graphQL(t, m, `query($after: String) { events(after: $after) { edges { cursor } } }`, map[string]any{"after": horizon}, &page)
		if len(page.Events.Edges) != 2 || page.Events.Edges[0].Cursor != kept[0].Cursor {
			t.Fatalf("events after the horizon: %+v, want the two kept", page.Events.Edges)
		}

		// Export: 410 with a JSON error.
		res, body := getExport(t, m, adminToken, "after="+old[0].Cursor)
		var gone struct{ Error, OldestCursor string }
		if res.StatusCode != http.StatusGone || json.Unmarshal(body, &gone) != nil || gone.OldestCursor != horizon || !strings.Contains(gone.Error, "retention") {
			t.Fatalf("export after an expired cursor: %d %s, want 410 naming %s", res.StatusCode, body, horizon)
		}
		if res, body := getExport(t, m, adminToken, "after="+horizon); res.StatusCode != http.StatusOK || len(exportLines(t, body)) != 2 {
			t.Fatalf("export after the horizon: %d %s", res.StatusCode, body)
		}

		// eventStream: an expired cursor gets an error for its
		// subscription; a stream opened after pruning gets new events.
		expired := openStream(t, m, "graphql-transport-ws", &old[0].Cursor)
		msg := expired.read()
		if b, _ := json.Marshal(msg); msg["id"] != "1" || !strings.Contains(string(b), `"errors":[{"extensions":{"code":"CURSOR_EXPIRED","oldestCursor":"`+horizon+`"}`) {
			t.Fatalf("eventStream(after: expired): %s, want an error with CURSOR_EXPIRED", b)
		}
		if msg := expired.read(); msg["type"] != "complete" || msg["id"] != "1" {
			t.Fatalf("after the error: %v, want the subscription complete", msg)
		}
		if sse := sseBody(t, m, `subscription($after: String) { eventStream(after: $after) { id } }`, map[string]any{"after": old[0].Cursor}); !strings.Contains(sse, "event: next") ||
			!strings.Contains(sse, `"code":"CURSOR_EXPIRED"`) || !strings.Contains(sse, "event: complete") {
			t.Fatalf("eventStream(after: expired) over SSE:\n%s\nwant an error event with CURSOR_EXPIRED, then complete", sse)
		}
		live := openStream(t, m, "graphql-transport-ws", &kept[1].Cursor)
		resumed := openStream(t, m, "graphql-ws", &horizon)
		for _, want := range kept {
			if got := resumed.next(); got.ID != want.ID {
				t.Fatalf("stream after the horizon got %s, want %s", got.ID, want.ID)
			}
		}
		live.expectSilence(300 * time.Millisecond)
		deliver("conversation_open.json")
		latest := listEvents(t, m)
		if len(latest) != 3 {
			t.Fatalf("events after a new delivery: %d, want 3", len(latest))
		}
		for _, s := range []*wsStream{live, resumed} {
			if got := s.next(); got.ID != latest[2].ID {
				t.Fatalf("stream got %s, want the new event %s", got.ID, latest[2].ID)
			}
		}

		// Payloads only: the events stay and say their body is gone.
		out.Reset()
		if err := prune(context.Background(), m.DB, pruneArgs{before: time.Now().Add(time.Second), payloadsOnly: true}, &out); err != nil {
			t.Fatalf("prune payloads: %v", err)
		}
		if !strings.Contains(out.String(), "payloads of 3 events") {
			t.Fatalf("prune --payloads-only printed %q", out.String())
		}
		var bodies struct {
			Events struct {
				Edges []struct {
					Node struct {
						Payload        json.RawMessage
						PayloadExpired bool
					}
				}
			}
		}
		graphQL(t, m, `{ events { edges { node { payload payloadExpired } } } }`, nil, &bodies)
		if len(bodies.Events.Edges) != 3 {
			t.Fatalf("events after payload pruning: %d, want 3", len(bodies.Events.Edges))
		}
		for _, e := range bodies.Events.Edges {
			if string(e.Node.Payload) != "{}" || !e.Node.PayloadExpired {
				t.Fatalf("event after payload pruning: payload %s expired %v", e.Node.Payload, e.Node.PayloadExpired)
			}
		}
		var reprocessed struct {
			ReprocessEvents struct{ Examined, Retranslated, PayloadExpired int }
		}
		graphQL(t, m, `mutation { reprocessEvents(all: true) { examined retranslated payloadExpired } }`, nil, &reprocessed)
		if r := reprocessed.ReprocessEvents; r.Examined != 3 || r.PayloadExpired != 3 || r.Retranslated != 0 {
			t.Fatalf("reprocess after payload pruning: %+v, want 3 examined, all skipped as expired", r)
		}
	})
}

// sseBody runs a subscription over SSE and returns the whole stream, which
// must end within 10 seconds.
func sseBody(t *testing.T, m *Main, query string, vars map[string]any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(sseRequest(ctx, m, query, vars))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("SSE stream did not end: %v (read %q)", err, b)
	}
	return string(b)
}

// `gateway prune` takes a time or a duration, and says plainly what is
// wrong with anything else.
func TestPruneArguments(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		args     []string
		before   time.Time
		payloads bool
		err      string
	}{
		{args: []string{"--before", "2026-01-02T15:04:05Z"}, before: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{args: []string{"--before", "720h"}, before: now.Add(-720 * time.Hour)},
		{args: []string{"--before=24h", "--payloads-only"}, before: now.Add(-24 * time.Hour), payloads: true},
		{args: nil, err: "--before is required"},
		{args: []string{"--before", "yesterday"}, err: `--before "yesterday": want an RFC 3339 time`},
		{args: []string{"--before", "-5h"}, err: "positive duration"},
		{args: []string{"--before", "2027-01-01T00:00:00Z"}, err: "is in the future"},
		{args: []string{"--before", "1h", "extra"}, err: `unexpected argument "extra"`},
		{args: []string{"--after", "1h"}, err: "flag provided but not defined: -after"},
	} {
		got, err := parsePruneArgs(c.args, now)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || !got.before.Equal(c.before) || got.payloadsOnly != c.payloads {
			t.Errorf("%q: %+v %v, want before %s payloads-only %v", c.args, got, err, c.before, c.payloads)
		}
	}
	for _, env := range []string{"EVENT_RETENTION", "PAYLOAD_RETENTION"} {
		_, _, err := ParseConfig("test", nil, func(k string) string {
			if k == env {
				return "30 days"
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), "environment variable "+env+`="30 days" is not a valid duration`) {
			t.Errorf("%s=30 days: %v", env, err)
		}
	}
	if cfg, _, err := ParseConfig("test", nil, func(k string) string {
		return map[string]string{"EVENT_RETENTION": "2160h", "PAYLOAD_RETENTION": "720h"}[k]
	}); err != nil || cfg.EventRetention != 2160*time.Hour || cfg.PayloadRetention != 720*time.Hour {
		t.Errorf("retention from the environment: %v %v %v", cfg.EventRetention, cfg.PayloadRetention, err)
	}
	// Through the command line, before any store is opened.
	if err := run([]string{"-database-url", "sqlite://" + t.TempDir() + "/g.db", "prune", "--before", "soon"}, &strings.Builder{}); err == nil ||
		!strings.Contains(err.Error(), `--before "soon"`) {
		t.Fatalf("gateway prune --before soon: %v", err)
	}
}

// With EVENT_RETENTION set the gateway prunes in the background, from its
// start: a restart with a short retention removes what is older.
func TestEventRetentionPrunesInTheBackground(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_created.json")); status != http.StatusOK {
			t.Fatalf("delivery: %d %s", status, body)
		}
		if len(listEvents(t, m)) != 1 {
			t.Fatal("the delivery stored no event")
		}
		m.Close()
		time.Sleep(50 * time.Millisecond)
		m = startGateway(t, databaseURL, "-event-retention", "40ms")
		deadline := time.Now().Add(20 * time.Second)
		for len(listEvents(t, m)) != 0 {
			if time.Now().After(deadline) {
				t.Fatal("EVENT_RETENTION=40ms left the old event in place")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if horizon, err := m.DB.Horizon(context.Background()); err != nil || horizon == 0 {
			t.Fatalf("horizon after background pruning: %d %v", horizon, err)
		}
	})
}

// An endpoint whose cursor retention overtook (here: disabled meanwhile)
// moves to the horizon when it resumes and delivers what is kept after it.
func TestOutboundEndpointBehindTheHorizonJumpsToIt(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL, outboundFlags...)
		sub := createDixaSubscription(t, m)
		deliver := func(name string) {
			t.Helper()
			if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
				t.Fatalf("delivery of %s: %d %s", name, status, body)
			}
		}
		deliver("conversation_created.json")
		recv := &countingReceiver{accepted: map[string]int{}}
		srv := httptest.NewServer(recv)
		defer srv.Close()
		ep := createEndpoint(t, m, srv.URL)
		graphQL(t, m, `mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id } }`, map[string]any{"id": ep.ID}, &struct{}{})
		deliver("conversation_message_added.json")
		deliver("conversation_closed.json")
		time.Sleep(20 * time.Millisecond)
		cut := time.Now()
		time.Sleep(20 * time.Millisecond)
		deliver("conversation_note_added_seed1.json")
		deliver("conversation_note_added_seed2.json")
		all := listEvents(t, m)
		if err := prune(context.Background(), m.DB, pruneArgs{before: cut}, io.Discard); err != nil {
			t.Fatal(err)
		}
		cursor := func() string {
			t.Helper()
			var out struct {
				E struct{ Cursor *string } `json:"webhookEndpoint"`
			}
			graphQL(t, m, `query($id: ID!) { webhookEndpoint(id: $id) { cursor } }`, map[string]any{"id": ep.ID}, &out)
			if out.E.Cursor == nil {
				return ""
			}
			return *out.E.Cursor
		}
		if c := cursor(); c != all[0].Cursor {
			t.Fatalf("endpoint cursor %q, want the first event's %s (behind the horizon)", c, all[0].Cursor)
		}
		graphQL(t, m, `mutation($id: ID!) { enableWebhookEndpoint(id: $id) { id } }`, map[string]any{"id": ep.ID}, &struct{}{})
		deadline := time.Now().Add(20 * time.Second)
		for recv.distinct() < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // anything more would arrive now
		recv.mu.Lock()
		got := append([]string{}, recv.order...)
		recv.mu.Unlock()
		if len(got) != 2 || got[0] != all[3].ID || got[1] != all[4].ID {
			t.Fatalf("endpoint received %v, want the two events kept after the horizon %v", got, []string{all[3].ID, all[4].ID})
		}
		if c := cursor(); c != all[4].Cursor {
			t.Fatalf("endpoint cursor %q, want the last event's %s", c, all[4].Cursor)
		}
	})
}
