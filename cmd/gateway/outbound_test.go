package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// outboundFlags let a gateway in a test push to a receiver on 127.0.0.1
// and retry fast.
var outboundFlags = []string{"-outbound-allow-private", "true", "-outbound-retry-base", "50ms", "-outbound-poll", "200ms"}

type endpoint struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

func createEndpoint(t *testing.T, m *Main, url string) endpoint {
	t.Helper()
	var out struct {
		Create endpoint `json:"createWebhookEndpoint"`
	}
	graphQL(t, m, `mutation($url: String!) { createWebhookEndpoint(input: {name: "crm", url: $url, ordering: ENDPOINT}) { id secret } }`,
		map[string]any{"url": url}, &out)
	return out.Create
}

// receiverLine is what the Node receiver printed about one request.
type receiverLine struct {
	ID       string          `json:"id"`
	Attempt  int             `json:"attempt"`
	Status   int             `json:"status"`
	Verified []bool          `json:"verified"`
	Cursor   string          `json:"cursor"`
	Conv     json.RawMessage `json:"conversation"`
}

// nodeReceiver is testdata/receiver/receiver.mjs: a webhook receiver that
// verifies with the standardwebhooks npm package.
type nodeReceiver struct {
	t     *testing.T
	URL   string
	stdin io.Writer
	lines chan receiverLine
}

func startNodeReceiver(t *testing.T) *nodeReceiver {
	t.Helper()
	dir := filepath.Join("testdata", "receiver")
	node := nodeWith(t, dir, "standardwebhooks")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "receiver.mjs")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &nodeReceiver{t: t, stdin: stdin, lines: make(chan receiverLine, 10000)}
	port := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var head struct {
				Port    int  `json:"port"`
				Secrets *int `json:"secrets"`
			}
			if json.Unmarshal(sc.Bytes(), &head) == nil && head.Port != 0 {
				port <- head.Port
				continue
			}
			if head.Secrets != nil {
				continue
			}
			var l receiverLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("receiver printed %q: %v", sc.Text(), err)
				continue
			}
			r.lines <- l
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		<-done
	})
	select {
	case p := <-port:
		r.URL = fmt.Sprintf("http://127.0.0.1:%d/hook", p)
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver did not start")
	}
	return r
}

// setSecrets tells the receiver the secrets to verify with, each on its
// own.
func (r *nodeReceiver) setSecrets(secrets ...string) {
	b, _ := json.Marshal(map[string]any{"secrets": secrets})
	if _, err := r.stdin.Write(append(b, '\n')); err != nil {
		r.t.Fatal(err)
	}
}

// accepted reads requests until n were answered 200 and returns every
// request read.
func (r *nodeReceiver) accepted(n int) []receiverLine {
	r.t.Helper()
	var all []receiverLine
	timeout := time.After(60 * time.Second)
	for ok := 0; ok < n; {
		select {
		case l := <-r.lines:
			all = append(all, l)
			if l.Status == 200 {
				ok++
			}
		case <-timeout:
			r.t.Fatalf("%d of %d events accepted after 60s; requests: %+v", countAccepted(all), n, all)
		}
	}
	return all
}

func countAccepted(lines []receiverLine) int {
	n := 0
	for _, l := range lines {
		if l.Status == 200 {
			n++
		}
	}
	return n
}

type endpointState struct {
	State          string  `json:"state"`
	DisabledReason *string `json:"disabledReason"`
	Secret         string  `json:"secret"`
	Cursor         *string `json:"cursor"`
	LagEvents      int     `json:"lagEvents"`
	Delivered      int     `json:"delivered"`
	Failed         int     `json:"failed"`
	Attempts       struct {
		Edges []struct {
			Node struct {
				EventID string  `json:"eventId"`
				Attempt int     `json:"attempt"`
				Status  *int    `json:"status"`
				Outcome string  `json:"outcome"`
				Error   *string `json:"error"`
				Event   *struct {
					ID string `json:"id"`
				} `json:"event"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"attempts"`
}

func readEndpoint(t *testing.T, m *Main, id string) endpointState {
	t.Helper()
	var out struct {
		E endpointState `json:"webhookEndpoint"`
	}
	graphQL(t, m, `query($id: ID!) { webhookEndpoint(id: $id) { state disabledReason secret cursor lagEvents delivered failed
		attempts(first: 1000) { edges { node { eventId attempt status outcome error event { id } } } } } }`, map[string]any{"id": id}, &out)
	return out.E
}

// TestOutboundDeliversEveryEventInHistoryOrderVerifiedByStandardWebhooks:
// a receiver that verifies each request with the standardwebhooks npm
// package and fails the first two attempts of every third event gets
// every event, in history order, each accepted exactly once; the attempts
// show through GraphQL.
func TestOutboundDeliversEveryEventInHistoryOrderVerifiedByStandardWebhooks(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		recv := startNodeReceiver(t)
		m := startGateway(t, databaseURL, outboundFlags...)
		sub := createDixaSubscription(t, m)
		ep := createEndpoint(t, m, recv.URL)
		if !strings.HasPrefix(ep.Secret, "whsec_") {
			t.Fatalf("secret %q: want whsec_...", ep.Secret)
		}
		recv.setSecrets(ep.Secret)
		const n = 30
		posted := postDistinct(t, m, sub, "outbound", n, map[string]string{})
		lines := recv.accepted(n)

		var order []string
		perEvent := map[string][]receiverLine{}
		for _, l := range lines {
			if len(l.Verified) != 1 || !l.Verified[0] {
				t.Fatalf("request %+v did not verify with the endpoint's secret", l)
			}
			if l.Status == 200 {
				order = append(order, l.ID)
			}
			perEvent[l.ID] = append(perEvent[l.ID], l)
		}
		if strings.Join(order, ",") != strings.Join(posted, ",") {
			t.Fatalf("accepted in order\n%v\nwant history order\n%v", order, posted)
		}
		for i, id := range posted {
			want := 1
			if (i+1)%3 == 0 {
				want = 3
			}
			if got := len(perEvent[id]); got != want {
				t.Errorf("event %d (%s): %d attempts, want %d: %+v", i+1, id, got, want, perEvent[id])
			}
		}
		events := listEvents(t, m)
		last := events[len(events)-1]
		if lines[len(lines)-1].Cursor != last.Cursor || len(lines[len(lines)-1].Conv) == 0 || string(lines[len(lines)-1].Conv) == "null" {
			t.Errorf("the last body has cursor %q and conversation %s; want the event's cursor %q and its conversation",
				lines[len(lines)-1].Cursor, lines[len(lines)-1].Conv, last.Cursor)
		}

		var st endpointState
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if st = readEndpoint(t, m, ep.ID); st.Delivered == n || time.Now().After(deadline) {
				break
			}
		}
		if st.State != "ACTIVE" || st.Delivered != n || st.Failed != 0 || st.LagEvents != 0 || st.Cursor == nil || *st.Cursor != last.Cursor {
			t.Errorf("endpoint: state %s delivered %d failed %d lag %d cursor %v, want ACTIVE, %d, 0, 0 and %q", st.State, st.Delivered, st.Failed, st.LagEvents, st.Cursor, n, last.Cursor)
		}
		if strings.HasPrefix(st.Secret, "whsec_") {
			t.Errorf("the secret is shown in full outside create and rotate: %q", st.Secret)
		}
		retries, delivered := 0, 0
		for _, e := range st.Attempts.Edges {
			a := e.Node
			if a.Event == nil || a.Event.ID != a.EventID || a.Status == nil {
				t.Fatalf("attempt %+v", a)
			}
			switch {
			case a.Outcome == "retry" && *a.Status == 500:
				retries++
			case a.Outcome == "delivered" && *a.Status == 200:
				delivered++
			default:
				t.Errorf("attempt %+v", a)
			}
		}
		if retries != 2*n/3 || delivered != n {
			t.Errorf("attempts through GraphQL: %d retries and %d deliveries, want %d and %d", retries, delivered, 2*n/3, n)
		}
	})
}

// TestOutboundSecretRotation: during the grace period each delivery
// verifies with either secret; after it, only with the new one.
func TestOutboundSecretRotation(t *testing.T) {
	recv := startNodeReceiver(t)
	m := startGateway(t, dbtest.SQLiteURL(t), outboundFlags...)
	sub := createDixaSubscription(t, m)
	ep := createEndpoint(t, m, recv.URL)
	recv.setSecrets(ep.Secret)
	labels := map[string]string{}
	deliver := func(phase string) receiverLine {
		t.Helper()
		postDistinct(t, m, sub, phase, 1, labels)
		lines := recv.accepted(1)
		return lines[len(lines)-1]
	}
	if l := deliver("before"); fmt.Sprint(l.Verified) != "[true]" {
		t.Fatalf("before the rotation: verified %v", l.Verified)
	}
	var out struct {
		Rotate endpoint `json:"rotateWebhookEndpointSecret"`
	}
	const grace = 3 * time.Second
	graphQL(t, m, `mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id, gracePeriodSeconds: 3) { id secret } }`, map[string]any{"id": ep.ID}, &out)
	rotated := time.Now()
	if out.Rotate.Secret == ep.Secret || !strings.HasPrefix(out.Rotate.Secret, "whsec_") {
		t.Fatalf("rotation answered secret %q", out.Rotate.Secret)
	}
	recv.setSecrets(ep.Secret, out.Rotate.Secret)
	if l := deliver("grace"); fmt.Sprint(l.Verified) != "[true true]" {
		t.Fatalf("during the grace period: verified with old, new: %v, want both", l.Verified)
	}
	if time.Since(rotated) >= grace {
		t.Fatal("the delivery in the grace period took longer than the grace period")
	}
	time.Sleep(time.Until(rotated.Add(grace + 500*time.Millisecond)))
	if l := deliver("after"); fmt.Sprint(l.Verified) != "[false true]" {
		t.Fatalf("after the grace period: verified with old, new: %v, want only the new", l.Verified)
	}
}

func TestOutboundEndpointOnLoopbackIsRefusedUnlessAllowed(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	resp := graphQLRaw(t, m, adminToken, `mutation { createWebhookEndpoint(input: {name: "x", url: "http://127.0.0.1:9/hook"}) { id } }`, nil)
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(resp.Errors[0].Message, "127.0.0.1") {
		t.Fatalf("errors %+v, want one BAD_USER_INPUT naming 127.0.0.1", resp.Errors)
	}
	allowed := startGateway(t, dbtest.SQLiteURL(t), outboundFlags...)
	createEndpoint(t, allowed, "http://127.0.0.1:9/hook")
}

// countingReceiver accepts every delivery after a short delay and counts
// deliveries per webhook-id and how many were in flight at once.
type countingReceiver struct {
	mu          sync.Mutex
	accepted    map[string]int
	order       []string
	inFlight    int
	maxInFlight int
	last        time.Time
}

func (c *countingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.inFlight++
	c.maxInFlight = max(c.maxInFlight, c.inFlight)
	c.mu.Unlock()
	time.Sleep(10 * time.Millisecond)
	id := r.Header.Get("webhook-id")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if c.accepted[id] == 0 {
		c.order = append(c.order, id)
	}
	c.accepted[id]++
	c.last = time.Now()
}

func (c *countingReceiver) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

// TestOutboundSurvivesSIGKILLAndHandsOverToAnotherProcess runs two gateway
// processes on one PostgreSQL database with one endpoint, kills the one
// delivering mid-stream, and restarts it: the other takes over within
// seconds, nothing is lost, the only duplicate is the attempt in flight at
// the kill, and no two requests were ever in flight at once.
func TestOutboundSurvivesSIGKILLAndHandsOverToAnotherProcess(t *testing.T) {
	recv := &countingReceiver{accepted: map[string]int{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	databaseURL := dbtest.PostgresURL(t)
	env := func(name string) []string {
		return []string{"INSTANCE_ID=" + name, "OUTBOUND_ALLOW_PRIVATE=true", "OUTBOUND_RETRY_BASE=50ms", "OUTBOUND_LEASE_TTL=2s", "OUTBOUND_POLL=200ms"}
	}
	a, killA := startKillableProcess(t, databaseURL, env("a")...)
	_, killB := startKillableProcess(t, databaseURL, env("b")...)
	sub := createDixaSubscription(t, a)
	ep := createEndpoint(t, a, srv.URL+"/hook")
	labels := map[string]string{}
	posted := postDistinct(t, a, sub, "first", 200, labels)
	for deadline := time.Now().Add(30 * time.Second); recv.distinct() < 40; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d events delivered after 30s", recv.distinct())
		}
	}
	var out struct {
		E struct {
			DeliveredBy *string `json:"deliveredBy"`
		} `json:"webhookEndpoint"`
	}
	graphQL(t, a, `query($id: ID!) { webhookEndpoint(id: $id) { deliveredBy } }`, map[string]any{"id": ep.ID}, &out)
	if out.E.DeliveredBy == nil {
		t.Fatal("no process holds the endpoint's lease")
	}
	holder, kill := "a", killA
	if *out.E.DeliveredBy == "b" {
		holder, kill = "b", killB
	}
	kill()
	killed := time.Now()
	before := recv.distinct()
	if before == len(posted) {
		t.Fatal("every event was delivered before the kill: nothing was mid-stream")
	}
	for deadline := time.Now().Add(30 * time.Second); recv.distinct() == before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no delivery within 30s of the kill")
		}
	}
	handover := time.Since(killed)
	t.Logf("process %s killed after %d of %d events; the other delivered again after %s", holder, before, len(posted), handover.Round(time.Millisecond))
	if handover > 10*time.Second {
		t.Errorf("handover took %s, want a few seconds", handover)
	}
	// The killed process comes back and the history goes on.
	restarted := startProcess(t, databaseURL, env(holder)...)
	posted = append(posted, postDistinct(t, restarted, sub, "after", 20, labels)...)
	for deadline := time.Now().Add(60 * time.Second); recv.distinct() < len(posted); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered after 60s", recv.distinct(), len(posted))
		}
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive now
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if strings.Join(recv.order, ",") != strings.Join(posted, ",") {
		t.Errorf("first deliveries not in history order")
	}
	duplicates := 0
	for id, n := range recv.accepted {
		if n > 1 {
			duplicates += n - 1
			t.Logf("%s delivered %d times", labels[id], n)
		}
	}
	if duplicates > 1 {
		t.Errorf("%d duplicate deliveries, want at most the one in flight at the kill", duplicates)
	}
	if recv.maxInFlight != 1 {
		t.Errorf("%d requests in flight at once, want 1: two processes delivered at the same time", recv.maxInFlight)
	}
}
