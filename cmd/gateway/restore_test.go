package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/db/dbtest/pgcluster"
)

// TestHistorySurvivesDumpAndRestoreIntoAFreshCluster moves a gateway's
// database with pg_dump and pg_restore into a new PostgreSQL cluster, whose
// transaction ids start far below those of the server that wrote the
// history, and checks that the history reads back unchanged, with the same
// cursors, and that events written after the move follow it: a cursor is a
// position that belongs to the data, not to the server that wrote it.
func TestHistorySurvivesDumpAndRestoreIntoAFreshCluster(t *testing.T) {
	const before, after = 36, 12
	source := dbtest.PostgresURL(t)
	// A CI service container starts near where a fresh cluster starts; the
	// history must be written at transaction ids the fresh cluster will not
	// reach during the test, as on any server with a past.
	pgcluster.ConsumeTransactionIDs(t, source, 50000)
	sourceNext := pgcluster.NextTransactionID(t, source)

	old := startGateway(t, source)
	sub := createDixaSubscription(t, old)
	labels := map[string]string{}
	oldIDs := postDistinct(t, old, sub, "before", before, labels)
	history := waitForHistory(t, old, "", oldIDs, 30*time.Second)
	if !slices.Equal(ids(history), oldIDs) {
		t.Fatalf("before the restore, paging returned %s, want %s", describe(ids(history), labels), describe(oldIDs, labels))
	}
	if err := old.Close(); err != nil {
		t.Fatalf("stop the gateway: %v", err)
	}

	dump := pgcluster.DumpSchema(t, source)
	cluster := pgcluster.StartCluster(t)
	restoredURL := cluster.Restore(t, dump)
	if next := pgcluster.NextTransactionID(t, restoredURL); next >= sourceNext {
		t.Fatalf("the fresh cluster's next transaction id %d is not below the source's %d: this run could not tell", next, sourceNext)
	}
	m := startGateway(t, restoredURL)
	// The move itself must be complete, or a failure below would say
	// nothing about cursors.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := m.DB.CountEvents(ctx); err != nil || n != before {
		t.Fatalf("the restored database holds %d events (%v), want %d", n, err, before)
	}
	var restoredSub struct {
		S *struct{ ID string } `json:"webhookSubscription"`
	}
	graphQL(t, m, `query($id: ID!) { webhookSubscription(id: $id) { id } }`, map[string]any{"id": sub.ID}, &restoredSub)
	if restoredSub.S == nil || restoredSub.S.ID != sub.ID {
		t.Fatalf("the subscription %s was not restored: %+v", sub.ID, restoredSub.S)
	}

	// Nothing but this gateway runs on the fresh cluster, so no foreign
	// transaction holds events back there: a shorter wait than on the
	// shared server suffices.
	const wait = 10 * time.Second

	// (a) The history reads back whole, in order, with its cursors.
	got := waitForHistory(t, m, "", oldIDs, wait)
	if !slices.Equal(ids(got), oldIDs) {
		t.Errorf("(a) after the restore, paging from the start returned %s, want %s", describe(ids(got), labels), describe(oldIDs, labels))
	} else if i := firstCursorDifference(got, history); i >= 0 {
		t.Errorf("(a) after the restore, event %s has cursor %q, it had %q", labels[got[i].ID], got[i].Cursor, history[i].Cursor)
	}

	// (b) A stream resumed from the last cursor of the old history gets the
	// new events only. Posting after the subscribe needs no wait: the
	// resumed stream replays whatever commits after its cursor.
	lastOld := history[len(history)-1].Cursor
	stream := openStream(t, m, "graphql-transport-ws", &lastOld)
	newIDs := postDistinct(t, m, sub, "after", after, labels)
	received, problem := collectStream(stream, len(newIDs), wait)
	if problem == "" && len(received) == len(newIDs) {
		// Anything more would be an old event or a duplicate.
		more, _ := collectStream(stream, 1, 500*time.Millisecond)
		received = append(received, more...)
	}
	if !slices.Equal(ids(received), newIDs) || problem != "" {
		t.Errorf("(b) the stream resumed after the last old cursor received %s, want %s%s",
			describe(ids(received), labels), describe(newIDs, labels), problem)
	}

	// (c) Paging from the first cursor returns everything after it once,
	// the new events included.
	want := append(slices.Clone(oldIDs[1:]), newIDs...)
	fromFirst := waitForHistory(t, m, history[0].Cursor, want, wait)
	if !slices.Equal(ids(fromFirst), want) {
		t.Errorf("(c) paging after the first cursor returned %s, want %s", describe(ids(fromFirst), labels), describe(want, labels))
	} else if i := firstCursorDifference(fromFirst[:len(oldIDs)-1], history[1:]); i >= 0 {
		t.Errorf("(c) event %s has cursor %q, it had %q before the restore", labels[fromFirst[i].ID], fromFirst[i].Cursor, history[i+1].Cursor)
	}

	// (d) New events' cursors sort after the old ones: paging from the
	// start puts them last, and paging after the last old cursor returns
	// them alone.
	want = append(slices.Clone(oldIDs), newIDs...)
	all := waitForHistory(t, m, "", want, wait)
	if !slices.Equal(ids(all), want) {
		t.Errorf("(d) paging from the start after new deliveries returned %s, want %s", describe(ids(all), labels), describe(want, labels))
	}
	afterOld := waitForHistory(t, m, lastOld, newIDs, wait)
	if !slices.Equal(ids(afterOld), newIDs) {
		t.Errorf("(d) paging after the last old cursor returned %s, want %s", describe(ids(afterOld), labels), describe(newIDs, labels))
	}
	for _, e := range afterOld {
		if slices.ContainsFunc(history, func(h edge) bool { return h.Cursor == e.Cursor }) {
			t.Errorf("(d) new event %s reuses the cursor %q of an old event", labels[e.ID], e.Cursor)
		}
	}
}

// restoreSeeds are Dixa deliveries of several kinds, so that the history
// touches conversations, messages, notes and tags.
var restoreSeeds = []string{
	"conversation_created.json", "conversation_open.json", "conversation_message_added.json",
	"conversation_note_added_seed1.json", "conversation_tag_added.json", "conversation_assigned.json",
	"conversation_pending.json", "conversation_closed.json",
}

// postDistinct posts n signed deliveries to m, cycling through the seeds
// with an event_id of their own each (Dixa's dedupe key), and returns the
// ids of the stored events in the order they were accepted. Each id is
// labelled "<phase>-<n>" in labels, for readable failures.
func postDistinct(t *testing.T, m *Main, sub subscription, phase string, n int, labels map[string]string) []string {
	t.Helper()
	url := m.URL() + "/webhooks/dixa/" + sub.ID // sub.URL names the gateway that created it
	var out []string
	for i := range n {
		var body map[string]any
		dec := json.NewDecoder(bytes.NewReader(readSeed(t, restoreSeeds[i%len(restoreSeeds)])))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			t.Fatal(err)
		}
		body["event_id"] = fmt.Sprintf("restore-%s-%d", phase, i)
		b, _ := json.Marshal(body)
		status, answer := postDixa(t, url, sub.SecretKey, b)
		var a struct {
			Status string
			Events []string
		}
		if status != http.StatusOK || json.Unmarshal([]byte(answer), &a) != nil || a.Status != "accepted" || len(a.Events) != 1 {
			t.Fatalf("delivery %s-%d: %d %s, want one accepted event", phase, i, status, answer)
		}
		labels[a.Events[0]] = phase + "-" + strconv.Itoa(i)
		out = append(out, a.Events[0])
	}
	return out
}

type edge struct{ ID, Cursor string }

func ids(edges []edge) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = e.ID
	}
	return out
}

// pageHistory reads every event after the cursor ("": from the start) the
// way an analytics job does: small pages, each after the previous page's
// endCursor.
func pageHistory(t *testing.T, m *Main, after string) []edge {
	t.Helper()
	var out []edge
	for range 1000 {
		var page struct {
			Events struct {
				Edges []struct {
					Cursor string
					Node   struct{ ID, Cursor string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		graphQL(t, m, `query($after: String) { events(first: 7, after: $after) { edges { cursor node { id cursor } } pageInfo { hasNextPage endCursor } } }`, vars, &page)
		for _, e := range page.Events.Edges {
			if e.Cursor != e.Node.Cursor {
				t.Fatalf("edge cursor %q differs from node cursor %q", e.Cursor, e.Node.Cursor)
			}
			out = append(out, edge{e.Node.ID, e.Cursor})
		}
		if !page.Events.PageInfo.HasNextPage {
			return out
		}
		if page.Events.PageInfo.EndCursor == nil || *page.Events.PageInfo.EndCursor == after {
			t.Fatalf("page after %q has a next page but no new endCursor", after)
		}
		after = *page.Events.PageInfo.EndCursor
	}
	t.Fatal("more than 1000 pages of events")
	return nil
}

// waitForHistory pages after the cursor until it reads the wanted ids, or
// the timeout passes, and returns the last read: a delivery's events may
// still be committing when the test starts to read.
func waitForHistory(t *testing.T, m *Main, after string, want []string, timeout time.Duration) []edge {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := pageHistory(t, m, after)
		if slices.Equal(ids(got), want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// collectStream reads up to n events from the stream within the timeout.
// Unlike wsStream.next it does not fail the test, so that a short or wrong
// stream can be reported with what it did deliver; problem says what ended
// it early.
func collectStream(s *wsStream, n int, timeout time.Duration) (events []edge, problem string) {
	deadline := time.After(timeout)
	for len(events) < n {
		select {
		case msg, ok := <-s.messages:
			if !ok {
				return events, fmt.Sprintf("; the connection closed: %v", s.closeErr)
			}
			if msg["type"] != "next" {
				return events, fmt.Sprintf("; then the message %v", msg)
			}
			b, _ := json.Marshal(msg["payload"])
			var p struct {
				Data struct{ EventStream struct{ ID, Cursor string } }
			}
			if err := json.Unmarshal(b, &p); err != nil {
				return events, fmt.Sprintf("; then the payload %s", b)
			}
			events = append(events, edge{p.Data.EventStream.ID, p.Data.EventStream.Cursor})
		case <-deadline:
			return events, ""
		}
	}
	return events, ""
}

// firstCursorDifference returns the first index at which got and want
// carry different cursors, or -1.
func firstCursorDifference(got, want []edge) int {
	for i := range min(len(got), len(want)) {
		if got[i].Cursor != want[i].Cursor {
			return i
		}
	}
	return -1
}

// describe lists ids by their labels, runs of one phase in a row written
// as "before-0..35", and prefixed by their count.
func describe(list []string, labels map[string]string) string {
	var parts []string
	for i := 0; i < len(list); {
		phase, n, ok := splitLabel(labels[list[i]])
		if !ok {
			parts = append(parts, list[i])
			i++
			continue
		}
		j := i + 1
		for ; j < len(list); j++ {
			p, m, ok := splitLabel(labels[list[j]])
			if !ok || p != phase || m != n+(j-i) {
				break
			}
		}
		if j-i == 1 {
			parts = append(parts, labels[list[i]])
		} else {
			parts = append(parts, fmt.Sprintf("%s-%d..%d", phase, n, n+j-i-1))
		}
		i = j
	}
	return fmt.Sprintf("%d events [%s]", len(list), strings.Join(parts, " "))
}

func splitLabel(label string) (string, int, bool) {
	i := strings.LastIndexByte(label, '-')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(label[i+1:])
	return label[:i], n, err == nil
}
