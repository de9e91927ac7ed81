package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	dto "github.com/prometheus/client_model/go"
)

// request is one request a scriptedReceiver got.
type request struct {
	ID           string
	Attempt      int
	At           time.Time
	Status       int
	Conversation string
}

// scriptedReceiver answers each request with what answer says for the
// event's webhook-id and attempt number, and records every request.
type scriptedReceiver struct {
	answer func(id string, attempt int) (status int, header http.Header)
	// hold, when set, runs before the answer, outside the lock.
	hold func()

	mu          sync.Mutex
	requests    []request
	attempts    map[string]int
	inFlight    int
	maxInFlight int
}

func startScriptedReceiver(t *testing.T, answer func(id string, attempt int) (int, http.Header)) (*scriptedReceiver, string) {
	t.Helper()
	r := &scriptedReceiver{answer: answer, attempts: map[string]int{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL + "/hook"
}

func (r *scriptedReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(req.Body)
	var event struct {
		Conversation *struct {
			ID string `json:"id"`
		} `json:"conversation"`
	}
	_ = json.Unmarshal(body, &event)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
	r.attempts[id]++
	attempt := r.attempts[id]
	r.mu.Unlock()
	if r.hold != nil {
		r.hold()
	}
	status, header := r.answer(id, attempt)
	r.mu.Lock()
	r.inFlight--
	l := request{ID: id, Attempt: attempt, At: at, Status: status}
	if event.Conversation != nil {
		l.Conversation = event.Conversation.ID
	}
	r.requests = append(r.requests, l)
	r.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

// seen returns a copy of the requests so far.
func (r *scriptedReceiver) seen() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

// waitFor polls cond until it holds or 30 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %s", what)
		}
	}
}

// acceptedIDs lists the events answered 2xx, in the order of the answers.
func acceptedIDs(reqs []request) []string {
	var out []string
	for _, r := range reqs {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r.ID)
		}
	}
	return out
}

func always(status int) func(string, int) (int, http.Header) {
	return func(string, int) (int, http.Header) { return status, nil }
}

// createEndpointWith creates an endpoint from the input fields given as
// GraphQL source, e.g. `ordering: CONVERSATION, rateLimit: 10`.
func createEndpointWith(t *testing.T, m *Main, url, fields string) endpoint {
	t.Helper()
	var out struct {
		Create endpoint `json:"createWebhookEndpoint"`
	}
	graphQL(t, m, `mutation($url: String!) { createWebhookEndpoint(input: {name: "crm", url: $url, `+fields+`}) { id secret } }`,
		map[string]any{"url": url}, &out)
	return out.Create
}

func enableEndpoint(t *testing.T, m *Main, id string) {
	t.Helper()
	var out struct {
		Enable struct{ Enabled bool } `json:"enableWebhookEndpoint"`
	}
	graphQL(t, m, `mutation($id: ID!) { enableWebhookEndpoint(id: $id) { enabled } }`, map[string]any{"id": id}, &out)
	if !out.Enable.Enabled {
		t.Fatal("enableWebhookEndpoint answered a disabled endpoint")
	}
}

// postToConversations posts n Dixa deliveries spread round robin over
// convs conversations of their own and returns the stored events' ids in
// history order. edit, when set, changes delivery i's conversation.
func postToConversations(t *testing.T, m *Main, sub subscription, phase string, n, convs int, edit func(i int, conv map[string]any)) []string {
	t.Helper()
	url := m.URL() + "/webhooks/dixa/" + sub.ID
	var out []string
	for i := range n {
		var body map[string]any
		if err := json.Unmarshal(readSeed(t, "conversation_open.json"), &body); err != nil {
			t.Fatal(err)
		}
		body["event_id"] = fmt.Sprintf("%s-%d", phase, i)
		conv := body["data"].(map[string]any)["conversation"].(map[string]any)
		conv["csid"] = 90000 + i%convs
		if edit != nil {
			edit(i, conv)
		}
		b, _ := json.Marshal(body)
		status, answer := postDixa(t, url, sub.SecretKey, b)
		var a struct{ Events []string }
		if status != http.StatusOK || json.Unmarshal([]byte(answer), &a) != nil || len(a.Events) != 1 {
			t.Fatalf("delivery %s-%d: %d %s, want one event", phase, i, status, answer)
		}
		out = append(out, a.Events[0])
	}
	return out
}

// TestOutboundConversationOrderingKeepsEachConversationInOrderInParallel:
// with CONVERSATION ordering, each conversation's events are accepted in
// history order (a retried event holds back its own conversation only),
// and conversations are delivered at once, up to the configured width.
func TestOutboundConversationOrderingKeepsEachConversationInOrderInParallel(t *testing.T) {
	const width = 3
	recv, url := startScriptedReceiver(t, func(id string, attempt int) (int, http.Header) {
		if strings.HasSuffix(id, "0") && attempt == 1 { // about one event in sixteen fails once
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	// Each request waits, a while at most, for a second one to be in
	// flight: deliveries one at a time would each wait the whole while,
	// parallel ones go through at once.
	recv.hold = func() {
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			recv.mu.Lock()
			n := recv.maxInFlight
			recv.mu.Unlock()
			if n >= 2 {
				return
			}
		}
	}
	m := startGateway(t, dbtest.SQLiteURL(t), append(outboundFlags, "-outbound-conversation-width", fmt.Sprint(width))...)
	sub := createDixaSubscription(t, m)
	// Disabled while the history is written, so that the first pass reads
	// every conversation at once.
	ep := createEndpointWith(t, m, url, "ordering: CONVERSATION, enabled: false")
	const n, convs = 40, 5
	posted := postToConversations(t, m, sub, "conv", n, convs, nil)
	enableEndpoint(t, m, ep.ID)
	waitFor(t, "every event accepted", func() bool { return len(acceptedIDs(recv.seen())) >= n })

	reqs := recv.seen()
	conversationOf := map[string]string{}
	perConversation := map[string][]string{}
	accepted := map[string]int{}
	for _, r := range reqs {
		conversationOf[r.ID] = r.Conversation
		if r.Status == http.StatusOK {
			accepted[r.ID]++
			perConversation[r.Conversation] = append(perConversation[r.Conversation], r.ID)
		}
	}
	if len(perConversation) != convs {
		t.Fatalf("%d conversations received, want %d", len(perConversation), convs)
	}
	for _, id := range posted {
		if accepted[id] != 1 {
			t.Errorf("event %s accepted %d times, want once", id, accepted[id])
		}
	}
	for conv, got := range perConversation {
		var want []string
		for _, id := range posted {
			if conversationOf[id] == conv {
				want = append(want, id)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("conversation %s accepted\n%v\nwant history order\n%v", conv, got, want)
		}
	}
	if recv.maxInFlight < 2 || recv.maxInFlight > width {
		t.Errorf("%d requests in flight at most, want between 2 and the width %d", recv.maxInFlight, width)
	}
}

// TestOutbound410GoneDisablesTheEndpoint: an endpoint that answers 410 is
// disabled at once, says why, and gets nothing more.
func TestOutbound410GoneDisablesTheEndpoint(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		recv, url := startScriptedReceiver(t, always(http.StatusGone))
		m := startGateway(t, databaseURL, outboundFlags...)
		sub := createDixaSubscription(t, m)
		ep := createEndpoint(t, m, url)
		posted := postDistinct(t, m, sub, "gone", 3, map[string]string{})
		var h endpointState
		waitFor(t, "the endpoint disabled", func() bool { h = readEndpoint(t, m, ep.ID); return h.State == "DISABLED" })
		if h.DisabledReason == nil || !strings.Contains(*h.DisabledReason, "410") {
			t.Errorf("disabled reason %v, want one naming 410", h.DisabledReason)
		}
		if len(h.Attempts.Edges) != 1 || h.Attempts.Edges[0].Node.Outcome != "failed" || h.Failed != 1 {
			t.Errorf("attempts %+v failed %d, want the one failed attempt", h.Attempts.Edges, h.Failed)
		}
		if got := len(recv.seen()); got != 1 {
			t.Errorf("%d requests, want 1: nothing after the 410", got)
		}
		waitFor(t, "the metrics count the disabled endpoint", func() bool {
			return metricValue(t, m, "gateway_outbound_endpoints", "state", "DISABLED") == 1
		})
		if got := metricValue(t, m, "gateway_outbound_attempts_total", "outcome", "failed"); got != 1 {
			t.Errorf("gateway_outbound_attempts_total{outcome=failed} = %v, want 1", got)
		}

		// The disabling is an event on the history, after the refused
		// event (and maybe after the others, which were committed
		// meanwhile): a stream from the refused one gets it.
		var refused string
		for _, e := range listEvents(t, m) {
			if e.ID == posted[0] {
				refused = e.Cursor
			}
		}
		stream := openSubscription(t, m, "graphql-transport-ws",
			`subscription($after: String) { eventStream(after: $after) { provider type providerEventType payload } }`,
			map[string]any{"after": refused})
		var seen []string
		for range len(posted) {
			msg := stream.read()
			b, _ := json.Marshal(msg["payload"])
			var got struct {
				Data struct {
					EventStream struct {
						Provider, Type, ProviderEventType string
						Payload                           struct{ EndpointID, Reason string }
					}
				}
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("stream message %s: %v", b, err)
			}
			e := got.Data.EventStream
			if e.Provider != "GATEWAY" {
				seen = append(seen, string(b))
				continue
			}
			if e.Type != "ENDPOINT_DISABLED" || e.ProviderEventType != "endpoint.disabled" || e.Payload.EndpointID != ep.ID || !strings.Contains(e.Payload.Reason, "410") {
				t.Errorf("the gateway's event %s, want ENDPOINT_DISABLED of endpoint %s, naming 410", b, ep.ID)
			}
			return
		}
		t.Errorf("no GATEWAY event after the refused one; the stream gave %v", seen)
	})
}

// TestOutboundDisablesAnEndpointFailingLongerThanDisableAfter: an
// endpoint that fails without a success for OUTBOUND_DISABLE_AFTER is
// disabled, with the reason.
func TestOutboundDisablesAnEndpointFailingLongerThanDisableAfter(t *testing.T) {
	recv, url := startScriptedReceiver(t, always(http.StatusServiceUnavailable))
	m := startGateway(t, dbtest.SQLiteURL(t), append(outboundFlags, "-outbound-disable-after", "1s")...)
	sub := createDixaSubscription(t, m)
	ep := createEndpoint(t, m, url)
	postDistinct(t, m, sub, "failing", 1, map[string]string{})
	var h endpointState
	waitFor(t, "the endpoint disabled", func() bool { h = readEndpoint(t, m, ep.ID); return h.State == "DISABLED" })
	reqs := recv.seen()
	if h.DisabledReason == nil || !strings.Contains(*h.DisabledReason, "failing") {
		t.Errorf("disabled reason %v, want one saying it was failing", h.DisabledReason)
	}
	if len(reqs) < 2 || reqs[len(reqs)-1].At.Sub(reqs[0].At) < time.Second-100*time.Millisecond {
		t.Errorf("%d requests over %s before the disabling, want retries over about a second", len(reqs), reqs[len(reqs)-1].At.Sub(reqs[0].At))
	}
	for _, e := range h.Attempts.Edges {
		if e.Node.Outcome != "retry" {
			t.Errorf("attempt %+v: want retry (the event is not given up, the endpoint is disabled)", e.Node)
		}
	}
	waitFor(t, "an ENDPOINT_DISABLED event on the history", func() bool {
		events := listEvents(t, m)
		last := events[len(events)-1]
		return last.Type == "ENDPOINT_DISABLED" && strings.Contains(string(last.Payload), ep.ID) && strings.Contains(string(last.Payload), "failing")
	})
	if got := metricValue(t, m, "gateway_outbound_attempts_total", "outcome", "retry"); int(got) != len(h.Attempts.Edges) {
		t.Errorf("gateway_outbound_attempts_total{outcome=retry} = %v, want %d", got, len(h.Attempts.Edges))
	}
}

// TestOutboundGivesAnEventUpAfterMaxAgeAndMovesOn: an event refused for
// longer than OUTBOUND_MAX_AGE is recorded as failed and the events after
// it are delivered.
func TestOutboundGivesAnEventUpAfterMaxAgeAndMovesOn(t *testing.T) {
	var first string
	var mu sync.Mutex
	recv, url := startScriptedReceiver(t, func(id string, _ int) (int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if first == "" {
			first = id
		}
		if id == first {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nil
	})
	m := startGateway(t, dbtest.SQLiteURL(t), append(outboundFlags, "-outbound-max-age", "600ms")...)
	sub := createDixaSubscription(t, m)
	ep := createEndpoint(t, m, url)
	posted := postDistinct(t, m, sub, "maxage", 3, map[string]string{})
	waitFor(t, "the later events delivered", func() bool { return len(acceptedIDs(recv.seen())) == 2 })
	if got := acceptedIDs(recv.seen()); !slices.Equal(got, posted[1:]) {
		t.Errorf("accepted %v, want the events after the given-up one %v", got, posted[1:])
	}
	var h endpointState
	waitFor(t, "the endpoint's counters settled", func() bool { h = readEndpoint(t, m, ep.ID); return h.Delivered == 2 })
	events := listEvents(t, m)
	if h.Failed != 1 || h.Cursor == nil || *h.Cursor != events[len(events)-1].Cursor {
		t.Errorf("failed %d cursor %v, want 1 and the last event's %q", h.Failed, h.Cursor, events[len(events)-1].Cursor)
	}
	var given []string
	for _, e := range h.Attempts.Edges {
		if e.Node.EventID == posted[0] && e.Node.Outcome == "failed" {
			given = append(given, "")
			if e.Node.Error != nil {
				given[len(given)-1] = *e.Node.Error
			}
		}
	}
	if len(given) != 1 || !strings.Contains(given[0], "given up") {
		t.Errorf("final attempts of the refused event: %v, want one failed, given up", given)
	}
	if got := metricValue(t, m, "gateway_outbound_attempts_total", "outcome", "delivered"); got != 2 {
		t.Errorf("gateway_outbound_attempts_total{outcome=delivered} = %v, want 2", got)
	}
	if got := metricValue(t, m, "gateway_outbound_delivery_latency_seconds"); got != 2 {
		t.Errorf("gateway_outbound_delivery_latency_seconds counts %v deliveries, want 2", got)
	}
	waitFor(t, "the lag back to 0", func() bool { return metricValue(t, m, "gateway_outbound_lag_seconds_max") == 0 })
	res, err := http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	exposed, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(exposed), `gateway_outbound_attempts_total{outcome="delivered"} 2`) {
		t.Errorf("/metrics answered %d without the outbound attempts:\n%.2000s", res.StatusCode, exposed)
	}
}

// TestOutboundHonoursRetryAfter: a 429 with Retry-After holds the retry
// back for at least that long, even when the back-off is shorter.
func TestOutboundHonoursRetryAfter(t *testing.T) {
	recv, url := startScriptedReceiver(t, func(_ string, attempt int) (int, http.Header) {
		if attempt == 1 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}
		}
		return http.StatusOK, nil
	})
	m := startGateway(t, dbtest.SQLiteURL(t), outboundFlags...) // back-off 50ms
	sub := createDixaSubscription(t, m)
	createEndpoint(t, m, url)
	postDistinct(t, m, sub, "later", 1, map[string]string{})
	waitFor(t, "the event accepted", func() bool { return len(acceptedIDs(recv.seen())) == 1 })
	reqs := recv.seen()
	if len(reqs) != 2 {
		t.Fatalf("requests %+v, want the 429 and the retry", reqs)
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
		t.Errorf("retried %s after a 429 with Retry-After: 1, want at least 1s", gap)
	}
}

// TestOutboundRateLimitSpacesTheAttempts: an endpoint's rateLimit spaces
// its requests to at most that many a second.
func TestOutboundRateLimitSpacesTheAttempts(t *testing.T) {
	recv, url := startScriptedReceiver(t, always(http.StatusOK))
	m := startGateway(t, dbtest.SQLiteURL(t), outboundFlags...)
	sub := createDixaSubscription(t, m)
	ep := createEndpointWith(t, m, url, "rateLimit: 10, enabled: false")
	const n = 8
	postDistinct(t, m, sub, "paced", n, map[string]string{})
	enableEndpoint(t, m, ep.ID)
	waitFor(t, "every event accepted", func() bool { return len(acceptedIDs(recv.seen())) == n })
	reqs := recv.seen()
	// The limit spaces the sends 100ms apart; arrivals may bunch by the
	// jitter of one request, never by more over the whole run.
	if span := reqs[n-1].At.Sub(reqs[0].At); span < (n-1)*100*time.Millisecond-50*time.Millisecond {
		t.Errorf("%d requests within %s, want them at most 10 a second", n, span)
	}
}

// metricValue reads a metric of m's registry: the counter's or gauge's
// value, or the histogram's count, of the series with the label pair
// given (none: the metric's only series).
func metricValue(t *testing.T, m *Main, name string, label ...string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, metric := range f.GetMetric() {
			if len(label) == 2 && !slices.ContainsFunc(metric.GetLabel(), func(p *dto.LabelPair) bool {
				return p.GetName() == label[0] && p.GetValue() == label[1]
			}) {
				continue
			}
			switch {
			case metric.Counter != nil:
				return metric.Counter.GetValue()
			case metric.Gauge != nil:
				return metric.Gauge.GetValue()
			case metric.Histogram != nil:
				return float64(metric.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("no metric %s %v", name, label)
	return 0
}

// TestOutboundEndpointConditionsSelectTheEventsPushed: an endpoint with
// conditions receives only the events that meet them, in history order;
// the conditions show through GraphQL, and clearing them by a patch
// pushes every event after.
func TestOutboundEndpointConditionsSelectTheEventsPushed(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		recv, url := startScriptedReceiver(t, always(http.StatusOK))
		m := startGateway(t, databaseURL, outboundFlags...)
		sub := createDixaSubscription(t, m)
		var created struct {
			E struct {
				ID         string
				Match      *string
				Expression *string
				Conditions []struct {
					ID     int
					Field  string
					Values []string
				}
			} `json:"createWebhookEndpoint"`
		}
		graphQL(t, m, `mutation($url: String!) { createWebhookEndpoint(input: {name: "crm", url: $url,
			conditions: [{id: 1, field: CHANNEL, operator: EQUALS, values: ["EMAIL"]}, {id: 2, field: CHANNEL, operator: EQUALS, values: ["SMS"]}],
			match: EXPRESSION, expression: "1 or 2"}) { id match expression conditions { id field values } } }`,
			map[string]any{"url": url}, &created)
		ep := created.E
		if ep.Match == nil || *ep.Match != "EXPRESSION" || ep.Expression == nil || *ep.Expression != "1 or 2" ||
			len(ep.Conditions) != 2 || ep.Conditions[1].Field != "CHANNEL" || ep.Conditions[1].Values[0] != "SMS" {
			t.Fatalf("created endpoint %+v, want its conditions", ep)
		}
		channels := []string{"EMAIL", "WHATSAPP", "SMS"}
		byChannel := func(i int, conv map[string]any) { conv["channel"] = channels[i%len(channels)] }
		posted := postToConversations(t, m, sub, "cond", 9, 3, byChannel)
		var want []string
		for i, id := range posted {
			if channels[i%3] != "WHATSAPP" {
				want = append(want, id)
			}
		}
		// A last EMAIL event marks the end: everything before it was
		// tested by then.
		posted = postToConversations(t, m, sub, "cond-end", 1, 1, byChannel)
		want = append(want, posted...)
		waitFor(t, "the selected events delivered", func() bool { return len(acceptedIDs(recv.seen())) >= len(want) })
		if got := acceptedIDs(recv.seen()); !slices.Equal(got, want) {
			t.Fatalf("delivered\n%v\nwant the EMAIL and SMS events in history order\n%v", got, want)
		}

		var updated struct {
			E struct {
				Match      *string
				Conditions []struct{ ID int }
			} `json:"updateWebhookEndpoint"`
		}
		graphQL(t, m, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {conditions: null}) { match conditions { id } } }`,
			map[string]any{"id": ep.ID}, &updated)
		if updated.E.Match != nil || len(updated.E.Conditions) != 0 {
			t.Fatalf("after clearing: %+v, want no conditions", updated.E)
		}
		after := postToConversations(t, m, sub, "cond-after", 3, 3, byChannel)
		want = append(want, after...)
		waitFor(t, "every event after the patch delivered", func() bool { return len(acceptedIDs(recv.seen())) >= len(want) })
		if got := acceptedIDs(recv.seen()); !slices.Equal(got, want) {
			t.Errorf("delivered\n%v\nwant\n%v", got, want)
		}
		resp := graphQLRaw(t, m, adminToken, `mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: {match: EXPRESSION, expression: "1 and"}) { id } }`, map[string]any{"id": ep.ID})
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("an invalid expression answered %+v, want BAD_USER_INPUT", resp.Errors)
		}
	})
}
