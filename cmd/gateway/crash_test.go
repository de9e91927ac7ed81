package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
)

// TestSIGKILLUnderLoadLosesNoAcknowledgedDelivery kills a gateway process
// with SIGKILL while 16 clients post deliveries, restarts it on the same
// store, and lets the clients redeliver everything they sent, as providers
// retry what was not acknowledged: every delivery answered 2xx before the
// kill is stored, and every delivery is stored exactly once.
func TestSIGKILLUnderLoadLosesNoAcknowledgedDelivery(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		first, kill := startKillableProcess(t, databaseURL)
		sub := createDixaSubscription(t, first)
		seed := readSeed(t, "conversation_message_added.json")
		body := func(i int) []byte {
			var doc map[string]any
			dec := json.NewDecoder(bytes.NewReader(seed))
			dec.UseNumber()
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			doc["event_id"] = fmt.Sprintf("crash-%d", i)
			b, _ := json.Marshal(doc)
			return b
		}
		post := func(client *http.Client, m *Main, i int) (acknowledged string, err error) {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			b := body(i)
			req, _ := http.NewRequestWithContext(ctx, "POST", m.URL()+"/webhooks/dixa/"+sub.ID, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-DIXA-SIGNATURE", dixa.Sign(sub.SecretKey, time.Now(), b))
			res, err := client.Do(req)
			if err != nil {
				return "", err
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var a struct {
				Status string
				Events []string
			}
			if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &a) != nil {
				return "", fmt.Errorf("delivery %d: %d %s", i, res.StatusCode, raw)
			}
			if a.Status == "accepted" && len(a.Events) == 1 {
				return a.Events[0], nil
			}
			return "", nil // a duplicate: stored before
		}

		const clients = 16
		var mu sync.Mutex
		acked := map[string]int{} // event id -> delivery
		sent := 0
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Transport: &http.Transport{}}
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					i := c + n*clients
					mu.Lock()
					sent = max(sent, i+1)
					mu.Unlock()
					id, err := post(client, first, i)
					if err != nil {
						return // the process is gone
					}
					mu.Lock()
					acked[id] = i
					mu.Unlock()
				}
			}()
		}
		// Kill once deliveries are flowing, in the middle of the load.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d deliveries acknowledged in 30 s", n)
			}
		}
		kill()
		close(stop)
		wg.Wait()
		t.Logf("killed after %d deliveries acknowledged, %d sent", len(acked), sent)

		second := startProcess(t, databaseURL)
		client := &http.Client{}
		stored := map[string]bool{}
		for i := range sent {
			id, err := post(client, second, i)
			if err != nil {
				t.Fatalf("redelivery after the restart: %v", err)
			}
			if id != "" {
				stored[id] = true
			}
		}
		events := pageAll(t, second)
		if len(events) != sent {
			t.Errorf("%d events stored for %d distinct deliveries", len(events), sent)
		}
		seen := map[string]int{}
		for _, id := range events {
			seen[id]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %s stored %d times", id, n)
			}
		}
		for id, i := range acked {
			if seen[id] != 1 {
				t.Errorf("delivery %d was acknowledged as event %s before the kill, but that event is not stored", i, id)
			}
			if stored[id] {
				t.Errorf("delivery %d was acknowledged before the kill, yet its redelivery was stored again", i)
			}
		}
	})
}

// pageAll returns the ids of every event, paging the history by cursor.
func pageAll(t *testing.T, m *Main) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		var page struct {
			Events struct {
				Edges []struct {
					Node struct{ ID string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		graphQL(t, m, `query($after: String) { events(first: 1000, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, vars, &page)
		for _, e := range page.Events.Edges {
			out = append(out, e.Node.ID)
		}
		if !page.Events.PageInfo.HasNextPage {
			return out
		}
		after = page.Events.PageInfo.EndCursor
	}
}
