package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// getExport fetches GET /export/events?query with token ("" for none).
func getExport(t *testing.T, m *Main, token, query string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", m.URL()+"/export/events?"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read export: %v", err)
	}
	return res, body
}

// exportLines parses an NDJSON export, one JSON object a line.
func exportLines(t *testing.T, body []byte) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	for _, l := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal(l, &v); err != nil {
			t.Fatalf("export line is not a JSON object: %v\n%s", err, l)
		}
		out = append(out, v)
	}
	return out
}

func exportedIDs(t *testing.T, lines []map[string]json.RawMessage) []string {
	t.Helper()
	ids := make([]string, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal(l["id"], &ids[i]); err != nil {
			t.Fatalf("line %d id %s: %v", i, l["id"], err)
		}
	}
	return ids
}

func TestExportStreamsTheEventHistory(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		if res, _ := getExport(t, m, adminToken, ""); res.StatusCode != http.StatusOK {
			t.Fatalf("export of an empty history: %d", res.StatusCode)
		}
		sub := createDixaSubscription(t, m)
		for _, name := range []string{"conversation_created.json", "conversation_message_added.json", "conversation_note_added_seed1.json", "conversation_closed.json"} {
			if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
				t.Fatalf("delivery of %s: %d %s", name, status, body)
			}
		}
		listEvents(t, m) // settles the store

		// Each line is the GraphQL Event's scalar fields, its related
		// objects by id.
		var gql struct {
			Events struct {
				Edges []struct {
					Node struct {
						ID                string          `json:"id"`
						Cursor            string          `json:"cursor"`
						Provider          string          `json:"provider"`
						Type              string          `json:"type"`
						ProviderEventType string          `json:"providerEventType"`
						DedupeKey         string          `json:"dedupeKey"`
						OccurredAt        string          `json:"occurredAt"`
						ReceivedAt        string          `json:"receivedAt"`
						Reason            *string         `json:"reason"`
						Payload           json.RawMessage `json:"payload"`
						PayloadExpired    bool            `json:"payloadExpired"`
						Conversation      *struct{ ID string }
						Subscription      *struct{ ID string }
						Message           *struct{ ID string }
						Corrects          *struct{ ID string }
					} `json:"node"`
				} `json:"edges"`
			} `json:"events"`
		}
		graphQL(t, m, `{ events(first: 100) { edges { node { id cursor provider type providerEventType dedupeKey occurredAt receivedAt
			reason payload payloadExpired conversation { id } subscription { id } message { id } corrects { id } } } } }`, nil, &gql)
		res, body := getExport(t, m, adminToken, "format=ndjson")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("export: %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		lines := exportLines(t, body)
		if len(lines) != 4 || len(gql.Events.Edges) != 4 {
			t.Fatalf("exported %d lines, GraphQL lists %d events, want 4 each", len(lines), len(gql.Events.Edges))
		}
		messages := 0
		for i, edge := range gql.Events.Edges {
			n := edge.Node
			idOf := func(v *struct{ ID string }) any {
				if v == nil {
					return nil
				}
				return v.ID
			}
			if n.Message != nil {
				messages++
			}
			// GraphQL answers "" for an event without a reason (the field
			// is bound to a string); the export says null.
			if n.Reason != nil && *n.Reason == "" {
				n.Reason = nil
			}
			want, _ := json.Marshal(map[string]any{
				"id": n.ID, "cursor": n.Cursor, "provider": n.Provider, "type": n.Type, "providerEventType": n.ProviderEventType,
				"dedupeKey": n.DedupeKey, "occurredAt": n.OccurredAt, "receivedAt": n.ReceivedAt, "reason": n.Reason,
				"payload": n.Payload, "conversationId": idOf(n.Conversation), "subscriptionId": idOf(n.Subscription), "messageId": idOf(n.Message),
				"corrects": idOf(n.Corrects), "payloadExpired": n.PayloadExpired,
			})
			got, _ := json.Marshal(lines[i])
			if !sameJSON(t, got, want) {
				t.Fatalf("line %d:\n%s\nwant, as GraphQL has it:\n%s", i, got, want)
			}
		}
		if messages == 0 {
			t.Fatal("no event has a message: the messageId column is not exercised")
		}

		// Resuming from a line's cursor gives exactly the rest; filters apply.
		var cursor string
		_ = json.Unmarshal(lines[1]["cursor"], &cursor)
		_, rest := getExport(t, m, adminToken, "after="+cursor)
		if got, want := exportedIDs(t, exportLines(t, rest)), exportedIDs(t, lines[2:]); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("resumed after line 1: %v, want %v", got, want)
		}
		_, notes := getExport(t, m, adminToken, "type=note_added&provider=dixa")
		if got := exportLines(t, notes); len(got) != 1 || !strings.Contains(string(got[0]["type"]), "NOTE_ADDED") {
			t.Fatalf("type=note_added: %s", notes)
		}
		if _, none := getExport(t, m, adminToken, "provider=voxsig"); len(none) != 0 {
			t.Fatalf("provider=voxsig: %s", none)
		}
		if _, two := getExport(t, m, adminToken, "limit=2"); len(exportLines(t, two)) != 2 {
			t.Fatalf("limit=2: %s", two)
		}

		res, body = getExport(t, m, adminToken, "format=csv")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "format") {
			t.Fatalf("format=csv: %d %s", res.StatusCode, body)
		}
		for _, token := range []string{"", "wrong"} {
			if res, body := getExport(t, m, token, ""); res.StatusCode != http.StatusUnauthorized || bytes.Contains(body, []byte(`"cursor"`)) {
				t.Fatalf("token %q: %d %s", token, res.StatusCode, body)
			}
		}
		// The GraphQL auth lets websocket upgrades through to authenticate
		// in connection_init; the export must not be reachable that way.
		req, _ := http.NewRequest("GET", m.URL()+"/export/events", nil)
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Connection", "Upgrade")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || bytes.Contains(body, []byte(`"cursor"`)) {
			t.Fatalf("Upgrade: websocket without a token: %d %s", res.StatusCode, body)
		}
	})
}
