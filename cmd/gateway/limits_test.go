package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// peakHeap runs f and returns the largest heap the process held meanwhile,
// sampled every few milliseconds.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPayloadQueriesAreBoundedInMemory stores 40 events of 1 MiB each and
// asks for them as a READ key would: eight aliases of a 1,000-event page
// with payloads are capped by the response's byte budget (the first pages
// end early with hasNextPage, the rest are refused saying why), pages
// without payloads never load one, and the heap stays under 256 MiB.
func TestPayloadQueriesAreBoundedInMemory(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t)) // MAX_RESPONSE_BYTES: 16 MiB
	sub := createDixaSubscription(t, m)
	big := domain.RawJSON(`{"blob":"` + strings.Repeat("x", 1<<20-20) + `"}`)
	for i := range 40 {
		e := &domain.Event{ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
			DedupeKey: fmt.Sprint("big-", i), SubscriptionID: sub.ID, OccurredAt: time.Now(), ReceivedAt: time.Now(), Payload: big}
		if _, err := m.DB.AppendDeliveries(context.Background(), []*domain.Delivery{{Events: []*domain.Event{e},
			Log: domain.DeliveryLog{SubscriptionID: sub.ID, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, token := createKey(t, m, "reader", "READ")
	aliases := func(selection string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 8 {
			fmt.Fprintf(&b, " a%d: events(first: 1000) { edges { node { %s } } pageInfo { hasNextPage } }", i, selection)
		}
		return b.String() + " }"
	}

	var capped gqlResponse
	peak := peakHeap(func() { capped = graphQLRaw(t, m, token, aliases("id payload"), nil) })
	var pages map[string]struct {
		Edges    []struct{ Node struct{ ID string } }
		PageInfo struct{ HasNextPage bool }
	}
	if err := json.Unmarshal(capped.Data, &pages); err != nil {
		t.Fatal(err)
	}
	answered := 0
	for _, p := range pages {
		answered += len(p.Edges)
		if len(p.Edges) > 0 && !p.PageInfo.HasNextPage {
			t.Errorf("a page cut by the byte budget says there is no next page")
		}
	}
	if answered == 0 || answered > 17 {
		t.Errorf("the 8 payload pages answered %d events, want 1 to 17 (16 MiB of 1 MiB payloads)", answered)
	}
	if len(capped.Errors) == 0 || !strings.Contains(capped.Errors[0].Message, "limit of 16777216 bytes of payloads") {
		t.Errorf("pages past the budget: errors %v, want one saying the response holds its limit", capped.Errors)
	}
	t.Logf("payload pages: %d events answered, %d pages refused; peak heap %d MiB", answered, len(capped.Errors), peak>>20)

	var plain gqlResponse
	peak = max(peak, peakHeap(func() { plain = graphQLRaw(t, m, token, aliases("id"), nil) }))
	if len(plain.Errors) != 0 || bytes.Count(plain.Data, []byte(`"id"`)) != 8*40 {
		t.Fatalf("8 aliased pages without payloads: %d errors %v, want every event's id", len(plain.Errors), plain.Errors)
	}
	if peak >= 256<<20 {
		t.Fatalf("peak heap %d MiB, want under 256 MiB", peak>>20)
	}
	t.Logf("peak heap %d MiB", peak>>20)
}

// TestHostileDocumentsCostLittleCPU: fragments that fan out to 2^24
// spreads in a document under 1 KB, and 40,000 repeated fields, are
// answered (refused or run) in well under a second of CPU.
func TestHostileDocumentsCostLittleCPU(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	var fanout strings.Builder
	fanout.WriteString("query { ...F0 }\n")
	const k = 24
	for i := range k {
		fmt.Fprintf(&fanout, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&fanout, "fragment F%d on Query { __typename }\n", k)
	if fanout.Len() >= 1024 {
		t.Fatalf("the fan-out document is %d bytes", fanout.Len())
	}
	cases := []struct{ name, doc, want string }{
		{"fragment fan-out k=24", fanout.String(), "complexity"},
		// Over the token limit, under the body limit: the parser stops.
		{"20,000 repeated fields", "{ " + strings.Repeat("__typename ", 20000) + "}", "token limit"},
		// Over the body limit: refused before it is read.
		{"40,000 repeated fields", "{ " + strings.Repeat("__typename ", 40000) + "}", "exceeds the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": c.doc})
			req, _ := http.NewRequest("POST", m.URL()+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+adminToken)
			before := cpuTime(t)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(res.Body)
			res.Body.Close()
			used := cpuTime(t) - before
			t.Logf("%v of CPU; answered %d %.200s", used, res.StatusCode, answer)
			if !strings.Contains(string(answer), c.want) {
				t.Errorf("answer does not say %q", c.want)
			}
			if used > time.Second {
				t.Errorf("%v of CPU, want under 1s", used)
			}
		})
	}
}

// TestOversizedGraphQLRequestsAreRefused: a body over MAX_QUERY_BYTES is
// refused with 413 before it is parsed.
func TestOversizedGraphQLRequestsAreRefused(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	body := []byte(`{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("y", 300<<10) + `"}}`)
	req, _ := http.NewRequest("POST", m.URL()+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 300 KiB GraphQL request answered %d, want 413", res.StatusCode)
	}
}

// TestSmallerAbuseCases: a body GraphQL cannot decode is not echoed back;
// the embedded store's file, which holds signing secrets, is readable by
// its owner alone; a huge subscription id is not echoed either.
func TestSmallerAbuseCases(t *testing.T) {
	dir := t.TempDir()
	m := startGateway(t, "sqlite://"+dir+"/gateway.db")
	pad := strings.Repeat("z", 10000)
	req, _ := http.NewRequest("POST", m.URL()+"/graphql", strings.NewReader(`{"query": 5, "pad": "`+pad+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || bytes.Contains(answer, []byte(pad)) || len(answer) > 1000 {
		t.Fatalf("an undecodable body answered %d with %d bytes: %.200s", res.StatusCode, len(answer), answer)
	}
	info, err := os.Stat(dir + "/gateway.db")
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("the database file's mode is %v, want 0600", perm)
	}
	long := strings.Repeat("a", 100<<10)
	status, body := postDixa(t, m.URL()+"/webhooks/dixa/"+long, "", []byte(`{}`))
	if status != http.StatusNotFound || len(body) > 1000 {
		t.Fatalf("a 100 KB subscription id answered %d with %d bytes", status, len(body))
	}
}
