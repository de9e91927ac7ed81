package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// TestReplicasStreamEveryEventExactlyOnceInOrder runs two gateway processes
// on one PostgreSQL database, posts 10,000 events across both, and checks
// that a subscriber on each receives all of them, exactly once, in cursor
// order: a webhook received by one replica reaches streams on the other.
func TestReplicasStreamEveryEventExactlyOnceInOrder(t *testing.T) {
	const total = 10000
	url := dbtest.PostgresURL(t)
	a, b := startGateway(t, url), startGateway(t, url)
	sub := createDixaSubscription(t, a)
	streams := []*wsStream{openStream(t, a, "graphql-transport-ws", nil), openStream(t, b, "graphql-transport-ws", nil)}

	var wg sync.WaitGroup
	var posted atomic.Int64
	next := make(chan int)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := []*Main{a, b}[w%2]
			for i := range next {
				body := []byte(fmt.Sprintf(`{"event_id":"replica-%d","event_fqn":"CONVERSATION_NOTE_ADDED","event_version":"1",`+
					`"event_timestamp":"2024-05-01T10:00:00.000Z","organization":{"id":"org"},"data":{"conversation":{"csid":%d,"status":"OPEN"},`+
					`"note_id":"n-%d","text":"note %d","created_at":"2024-05-01T10:00:00.000Z"}}`, i, i%50, i, i))
				status, answer := postDixa(t, strings.Replace(sub.URL, a.URL(), target.URL(), 1), sub.SecretKey, body)
				if status != http.StatusOK {
					t.Errorf("delivery %d: %d %s", i, status, answer)
					return
				}
				posted.Add(1)
			}
		}()
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()
	if posted.Load() != total {
		t.Fatalf("posted %d of %d", posted.Load(), total)
	}
	for si, s := range streams {
		seen := map[string]bool{}
		var last domain.Position
		deadline := time.Now().Add(2 * time.Minute)
		for len(seen) < total {
			if time.Now().After(deadline) {
				t.Fatalf("subscriber %d received %d of %d events", si, len(seen), total)
			}
			e := s.next()
			if seen[e.ID] {
				t.Fatalf("subscriber %d received %s twice", si, e.ID)
			}
			seen[e.ID] = true
			pos, err := domain.ParseCursor(e.Cursor)
			if err != nil {
				t.Fatal(err)
			}
			if !last.Less(pos) {
				t.Fatalf("subscriber %d: cursor %v after %v, not in order", si, pos, last)
			}
			last = pos
		}
		s.expectSilence(300 * time.Millisecond)
	}
}
