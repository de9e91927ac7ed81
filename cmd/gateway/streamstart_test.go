package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// position reads a cursor.
func position(t *testing.T, cursor string) domain.Position {
	t.Helper()
	p, err := domain.ParseCursor(context.Background(), cursor, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// probeNote is a Dixa delivery of a note, distinct for each n.
func probeNote(n int) []byte {
	return []byte(fmt.Sprintf(`{"event_id":"probe-%d","event_fqn":"CONVERSATION_NOTE_ADDED","event_version":"1",`+
		`"event_timestamp":"2024-05-01T10:00:00.000Z","organization":{"id":"org"},"data":{"conversation":{"csid":77,"status":"OPEN"},`+
		`"note_id":"probe-%d","text":"probe %d","created_at":"2024-05-01T10:00:00.000Z"}}`, n, n, n))
}

// untilEstablished posts probe notes, one at a time, until next reports
// that one reached the stream: a stream that starts at the head cannot
// tell its client when it is established, but the first probe it carries
// proves it was. It returns the first event received.
func untilEstablished(t *testing.T, sub subscription, next func(wait time.Duration) (event, bool)) event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		if status, body := postDixa(t, sub.URL, sub.SecretKey, probeNote(n)); status != http.StatusOK {
			t.Fatalf("probe delivery: %d %s", status, body)
		}
		if e, ok := next(250 * time.Millisecond); ok {
			return e
		}
	}
	t.Fatal("no probe reached the stream within 30s")
	return event{}
}

// liveAfterProbes checks the events of a stream without `after` opened
// once conversation_created was stored: the first it carries is a probe,
// the created event never comes, and conversation_closed, posted once the
// stream is established, does, with cursors rising all the way.
func liveAfterProbes(t *testing.T, sub subscription, next func(wait time.Duration) (event, bool)) {
	t.Helper()
	first := untilEstablished(t, sub, next)
	if first.ProviderEventType != "ConversationNoteAdded" {
		t.Fatalf("first event of a stream without after: %s %s, want a probe posted after it was opened", first.ProviderEventType, first.Cursor)
	}
	if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_closed.json")); status != http.StatusOK {
		t.Fatalf("delivery: %d %s", status, body)
	}
	last := first.Cursor
	for {
		e, ok := next(30 * time.Second)
		if !ok {
			t.Fatal("the event posted after the stream was established did not arrive")
		}
		if !position(t, last).Less(position(t, e.Cursor)) {
			t.Fatalf("cursor %s after %s: not rising", e.Cursor, last)
		}
		last = e.Cursor
		switch e.ProviderEventType {
		case "ConversationClosed":
			return
		case "ConversationNoteAdded": // a later probe
		default:
			t.Fatalf("stream without after carried %s, stored before it was opened", e.ProviderEventType)
		}
	}
}

// TestEventStreamStartsAtTheHeadUnlessAskedToReplay: without `after` a
// stream carries only what commits once it is established; `after`
// replays from the cursor and then follows without gap or duplicate;
// `fromBeginning` replays the whole history.
func TestEventStreamStartsAtTheHeadUnlessAskedToReplay(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		for _, name := range []string{"conversation_created.json", "conversation_open.json"} {
			if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != http.StatusOK {
				t.Fatalf("delivery: %d %s", status, body)
			}
		}
		stored := listEvents(t, m)

		atHead := openSubscription(t, m, "graphql-transport-ws", `subscription { eventStream { `+eventFields+` } }`, nil)
		liveAfterProbes(t, sub, atHead.tryNext)

		// Everything stored now: the two seeds, the probes, the closing.
		all := listEvents(t, m)
		fromStart := openSubscription(t, m, "graphql-transport-ws", `subscription { eventStream(fromBeginning: true) { `+eventFields+` } }`, nil)
		for i, want := range all {
			if got := fromStart.next(); got.Cursor != want.Cursor {
				t.Fatalf("fromBeginning event %d: cursor %s, want %s", i, got.Cursor, want.Cursor)
			}
		}
		fromStart.expectSilence(200 * time.Millisecond)

		resumed := openStream(t, m, "graphql-transport-ws", &stored[0].Cursor)
		for i, want := range all[1:] {
			if got := resumed.next(); got.Cursor != want.Cursor {
				t.Fatalf("after %s, event %d: cursor %s, want %s", stored[0].Cursor, i, got.Cursor, want.Cursor)
			}
		}
		if status, body := postDixa(t, sub.URL, sub.SecretKey, probeNote(-1)); status != http.StatusOK {
			t.Fatalf("delivery: %d %s", status, body)
		}
		if got := resumed.next(); got.ProviderEventType != "ConversationNoteAdded" || !position(t, all[len(all)-1].Cursor).Less(position(t, got.Cursor)) {
			t.Fatalf("after the replay, the live event: %+v", got)
		}
		resumed.expectSilence(200 * time.Millisecond)
	})
}

// TestSSEEventStreamStartsAtTheHead: the same start over SSE.
func TestSSEEventStreamStartsAtTheHead(t *testing.T) {
	eachStore(t, testSSEEventStreamStartsAtTheHead)
}

func testSSEEventStreamStartsAtTheHead(t *testing.T, databaseURL string) {
	m := startGateway(t, databaseURL)
	sub := createDixaSubscription(t, m)
	if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_created.json")); status != http.StatusOK {
		t.Fatalf("delivery: %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := http.DefaultClient.Do(sseRequest(ctx, m, `subscription { eventStream { `+eventFields+` } }`, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan event, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var p struct {
				Data struct {
					EventStream event `json:"eventStream"`
				} `json:"data"`
			}
			if json.Unmarshal([]byte(data), &p) == nil && p.Data.EventStream.Cursor != "" {
				events <- p.Data.EventStream
			}
		}
	}()
	liveAfterProbes(t, sub, func(wait time.Duration) (event, bool) {
		select {
		case e, ok := <-events:
			return e, ok
		case <-time.After(wait):
			return event{}, false
		}
	})
}
