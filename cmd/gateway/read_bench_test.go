package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/loadgen"
	"github.com/jackc/pgx/v5"
)

// Read-side queries measured by BenchmarkReadSide.
const (
	benchEventsPage       = `{ events(first: 10) { edges { cursor node { id type providerEventType occurredAt } } } }`
	benchConversationPage = `{ conversations(first: 20) { edges { node { id subject status
		requester { name email } messages(last: 3) { edges { node { content createdAt } } } } } } }`
	// The largest page of these fields within the default complexity
	// limit (9 a node: 5000 × 9 + 1 ≤ 50,000).
	benchHistoryPage = `query($after: String) { events(first: 5000, after: $after) {
		edges { node { id type occurredAt payload } } pageInfo { hasNextPage endCursor } } }`
	// The same page with pageInfo first: a response's fields come in the
	// order selected, so a client learns the next cursor from the first
	// bytes of a page and can ask for the next page while it decodes.
	benchHistoryPageInfoFirst = `query($after: String) { events(first: 5000, after: $after) {
		pageInfo { hasNextPage endCursor } edges { node { id type occurredAt payload } } } }`
)

// BenchmarkReadSide loads READ_BENCH_EVENTS Dixa deliveries (default
// 20,000) over READ_BENCH_CONVERSATIONS (1,000) conversations into
// PostgreSQL through the gateway
// (built and run as a process of its own, as PostGraphile is),
// then reports req/s and p99 of the events page and of a conversation page
// (20 conversations, requester, last 3 messages) at 32 and 128 clients for
// READ_BENCH_SECONDS each (default 5), the rate of paging the whole
// history (events(first: 5000) with payloads, each page decoded as a
// client would: by a client that asks for the next page once it has
// decoded the last, and by one that asks for it as soon as the page's
// first bytes name its cursor, decoding the page meanwhile) and of the
// NDJSON export, each beside the same run's COPY
// of the events table, in READ_BENCH_ROUNDS (2) alternating rounds of
// each. READ_BENCH_ONLY
// (a comma-separated list of events-page, conversation-page, paging and
// export) runs only those.
//
//	TEST_DATABASE_URL=postgres://... go test ./cmd/gateway -run '^$' -bench ReadSide -benchtime 1x
func BenchmarkReadSide(b *testing.B) {
	events := envInt(b, "READ_BENCH_EVENTS", 20000)
	conversations := envInt(b, "READ_BENCH_CONVERSATIONS", 1000)
	seconds := envInt(b, "READ_BENCH_SECONDS", 5)
	rounds := envInt(b, "READ_BENCH_ROUNDS", 2)
	only := map[string]bool{}
	for _, name := range strings.Split(os.Getenv("READ_BENCH_ONLY"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			only[name] = true
		}
	}
	runs := func(name string) bool { return len(only) == 0 || only[name] }
	url := dbtest.PostgresURL(b)
	// The gateway runs as a process of its own, as PostGraphile does: the
	// clients' work in this process is not charged to it.
	g := startGatewayProcess(b, buildGateway(b), url, 0, "-max-concurrent-graphql", "1024")
	loadHistoryAt(b, g.base, loadgen.Config{Clients: 32, Deliveries: events, Conversations: conversations, Agents: 50})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	post := func(query string, vars map[string]any) ([]byte, error) {
		return postGraphQL(client, g.base+"/graphql", adminToken, query, vars)
	}
	pgURL := startPostGraphile(b, url)
	queries := []struct{ name, gateway, postgraphile string }{
		{"events-page", benchEventsPage, postgraphileEventsPage},
		{"conversation-page", benchConversationPage, postgraphileConversationPage},
	}
	queries = slices.DeleteFunc(queries, func(q struct{ name, gateway, postgraphile string }) bool { return !runs(q.name) })
	for _, q := range queries {
		g, err := post(q.gateway, nil)
		if err != nil {
			b.Fatal(err)
		}
		p, err := postGraphQL(client, pgURL, "", q.postgraphile, nil)
		if err != nil {
			b.Fatal(err)
		}
		sameRows(b, q.name, g, p)
	}
	round := time.Duration(seconds) * time.Second
	b.ResetTimer()
	for range b.N {
		for _, q := range queries {
			for _, clients := range []int{32, 128} {
				// Alternating rounds, so that load from elsewhere on the
				// machine falls on both servers alike.
				var gw, pg closedLoopResult
				for range rounds {
					gw.add(closedLoop(b, clients, round, func() error { _, err := post(q.gateway, nil); return err }))
					pg.add(closedLoop(b, clients, round, func() error {
						_, err := postGraphQL(client, pgURL, "", q.postgraphile, nil)
						return err
					}))
				}
				b.ReportMetric(gw.rate(), fmt.Sprintf("%s-%d-req/s", q.name, clients))
				b.ReportMetric(ms(gw.p99()), fmt.Sprintf("%s-%d-p99-ms", q.name, clients))
				b.ReportMetric(pg.rate(), fmt.Sprintf("%s-%d-postgraphile-req/s", q.name, clients))
				b.ReportMetric(ms(pg.p99()), fmt.Sprintf("%s-%d-postgraphile-p99-ms", q.name, clients))
				fmt.Printf("%-17s %3d clients  gateway %7.0f req/s p99 %7.1f ms  postgraphile %7.0f req/s p99 %7.1f ms  ratio %.2f\n",
					q.name, clients, gw.rate(), ms(gw.p99()), pg.rate(), ms(pg.p99()), gw.rate()/pg.rate())
			}
		}
		if !runs("paging") && !runs("export") {
			continue
		}
		// Alternating rounds again: COPY, paging, export, each round; a
		// rate is the rows of all rounds over their time.
		var copying, paging, pipelined, exporting readRate
		for range rounds {
			copying.add(copyEvents(b, url))
			if runs("paging") {
				for _, r := range []struct {
					rate *readRate
					page func(*testing.B, *http.Client, string) (int, time.Duration)
				}{{&paging, pageAllEvents}, {&pipelined, pageAllEventsAhead}} {
					read, took := r.page(b, client, g.base+"/graphql")
					if read != events {
						b.Fatalf("paging read %d events of %d", read, events)
					}
					r.rate.add(read, took)
				}
			}
			if runs("export") {
				exporting.add(exportHistory(b, client, g.base, events))
			}
		}
		copyRate := copying.rate()
		b.ReportMetric(copyRate, "copy-rows/s")
		fmt.Printf("copy              %7.0f rows/s\n", copyRate)
		for _, r := range []struct {
			name, unit string
			rate       readRate
		}{{"paging", "events/s", paging}, {"paging-ahead", "events/s", pipelined}, {"export", "lines/s", exporting}} {
			if r.rate.took == 0 {
				continue
			}
			b.ReportMetric(r.rate.rate(), r.name+"-"+r.unit)
			b.ReportMetric(r.rate.rate()/copyRate, r.name+"/copy")
			fmt.Printf("%-17s %7.0f %-9s %.2f of copy\n", r.name, r.rate.rate(), r.unit, r.rate.rate()/copyRate)
		}
	}
}

// readRate adds up rows read and the time they took, over rounds.
type readRate struct {
	rows int
	took time.Duration
}

func (r *readRate) add(rows int, took time.Duration) { r.rows += rows; r.took += took }

func (r readRate) rate() float64 { return float64(r.rows) / r.took.Seconds() }

// pageAllEvents pages the whole history through GraphQL and returns the
// events read and the time taken. Each page is decoded as it arrives, as
// an analytics job reading large pages would (the gateway writes a page of
// events into the response as it encodes it).
func pageAllEvents(b *testing.B, client *http.Client, endpoint string) (int, time.Duration) {
	start, read := time.Now(), 0
	var after any
	for {
		res, err := client.Do(graphQLRequest(endpoint, adminToken, benchHistoryPage, map[string]any{"after": after}))
		if err != nil {
			b.Fatal(err)
		}
		var page struct {
			Errors []json.RawMessage
			Data   struct {
				Events struct {
					Edges    []struct{}
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || len(page.Errors) > 0 {
			b.Fatalf("page after %v: status %d, %v %s", after, res.StatusCode, err, page.Errors)
		}
		read += len(page.Data.Events.Edges)
		if !page.Data.Events.PageInfo.HasNextPage {
			break
		}
		after = page.Data.Events.PageInfo.EndCursor
	}
	return read, time.Since(start)
}

// pageAllEventsAhead pages the whole history as pageAllEvents does, but
// asks for each page with pageInfo first and, as soon as it has read the
// next cursor at the start of a page, sends the request for the next page
// (on a second connection) while it decodes the rest of this one: the
// gateway reads the next page from the store while the client decodes.
func pageAllEventsAhead(b *testing.B, client *http.Client, endpoint string) (int, time.Duration) {
	type response struct {
		res *http.Response
		err error
	}
	ask := func(after any) <-chan response {
		c := make(chan response, 1)
		go func() {
			res, err := client.Do(graphQLRequest(endpoint, adminToken, benchHistoryPageInfoFirst, map[string]any{"after": after}))
			c <- response{res, err}
		}()
		return c
	}
	start, read := time.Now(), 0
	var after any
	for next := ask(after); next != nil; {
		r := <-next
		if r.err != nil {
			b.Fatal(r.err)
		}
		if r.res.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(r.res.Body)
			b.Fatalf("page after %v: status %d %s", after, r.res.StatusCode, body)
		}
		// {"data":{"events":{"pageInfo":{...},"edges":[...]}}}
		dec := json.NewDecoder(r.res.Body)
		for _, want := range []any{json.Delim('{'), "data", json.Delim('{'), "events", json.Delim('{'), "pageInfo"} {
			if tok, err := dec.Token(); err != nil || tok != want {
				b.Fatalf("page after %v: %v where %v was expected (%v)", after, tok, want, err)
			}
		}
		var info struct {
			HasNextPage bool
			EndCursor   *string
		}
		if err := dec.Decode(&info); err != nil {
			b.Fatalf("page after %v: pageInfo: %v", after, err)
		}
		next = nil
		if info.HasNextPage {
			after = info.EndCursor
			next = ask(after)
		}
		var edges []struct{}
		if tok, err := dec.Token(); err != nil || tok != "edges" {
			b.Fatalf("page after %v: %v where edges was expected (%v)", after, tok, err)
		}
		if err := dec.Decode(&edges); err != nil {
			b.Fatalf("page after %v: edges: %v", after, err)
		}
		for range 3 {
			if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
				b.Fatalf("page after %v: %v at the end of the response (%v)", after, tok, err)
			}
		}
		r.res.Body.Close()
		read += len(edges)
	}
	return read, time.Since(start)
}

// exportHistory reads the whole NDJSON export and returns the lines read
// and the time taken.
func exportHistory(b *testing.B, client *http.Client, base string, events int) (int, time.Duration) {

	start := time.Now()
	req, _ := http.NewRequest("GET", base+"/export/events?format=ndjson", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	lines := 0
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		lines++
	}
	res.Body.Close()
	if lines < events {
		b.Fatalf("export gave %d lines for %d events", lines, events)
	}
	return lines, time.Since(start)
}

// closedLoopResult gathers the calls of one or more closedLoop rounds.
type closedLoopResult struct {
	took    []time.Duration
	elapsed time.Duration
}

// add appends the calls and the duration of another round.
func (r *closedLoopResult) add(o closedLoopResult) {
	r.took = append(r.took, o.took...)
	r.elapsed += o.elapsed
}

// rate is completed calls per second.
func (r closedLoopResult) rate() float64 { return float64(len(r.took)) / r.elapsed.Seconds() }

// p99 is the 99th percentile latency of the calls.
func (r closedLoopResult) p99() time.Duration { return quantile(r.took, 0.99) }

// ms is d in milliseconds, for reports.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// closedLoop runs do from clients goroutines for d and returns the
// latencies of the completed calls and the time they took; a failed call
// ends the benchmark.
func closedLoop(b *testing.B, clients int, d time.Duration, do func() error) closedLoopResult {
	var mu sync.Mutex
	var took []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := do(); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(took) == 0 {
		b.Fatal("no call completed")
	}
	return closedLoopResult{took: took, elapsed: time.Since(start)}
}

// copyEvents copies the history page's columns of the events table out of
// PostgreSQL and returns the rows and the time taken: the floor of reading
// the history.
func copyEvents(b *testing.B, url string) (int, time.Duration) {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	start := time.Now()
	tag, err := conn.PgConn().CopyTo(context.Background(), io.Discard, "COPY (SELECT "+benchCopyColumns+" FROM events ORDER BY position) TO STDOUT")
	if err != nil {
		b.Fatal(err)
	}
	return int(tag.RowsAffected()), time.Since(start)
}

// benchCopyColumns are the columns of an event the history page reads.
const benchCopyColumns = "position, id, provider, type, provider_event_type, occurred_at, payload"

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// loadHistory posts cfg's Dixa deliveries to m through a webhook
// subscription of their own, as providers do, and returns once all are
// answered.
func loadHistory(b *testing.B, m *Main, cfg loadgen.Config) {
	b.Helper()
	loadHistoryAt(b, m.URL(), cfg)
}

// loadHistoryAt is loadHistory for the gateway at base.
func loadHistoryAt(b *testing.B, base string, cfg loadgen.Config) {
	b.Helper()
	cfg.Target, cfg.AdminToken, cfg.Provider = base, adminToken, domain.ProviderDixa
	load, err := loadgen.NewRunner(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := load.Subscribe(context.Background()); err != nil {
		b.Fatal(err)
	}
	if _, err := load.Post(context.Background()); err != nil {
		b.Fatal(err)
	}
}
