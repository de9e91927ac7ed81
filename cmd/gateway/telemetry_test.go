package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// scrape reads /metrics at url (with token, when set) and parses it.
func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := getMetrics(t, url, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return families
}

func getMetrics(t *testing.T, url, token string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// sample returns the value of the sample of family whose labels are
// exactly labels (a histogram's: its count), and whether there is one.
func sample(families map[string]*dto.MetricFamily, family string, labels map[string]string) (float64, bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		for _, l := range m.Label {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// expectSample fails unless the sample is there with value want.
func expectSample(t *testing.T, families map[string]*dto.MetricFamily, family string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := sample(families, family, labels)
	if !ok || got != want {
		t.Errorf("%s%v = %v (present %v), want %v", family, labels, got, ok, want)
	}
}

func TestMetricsCountDeliveriesByOutcome(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createSubscription(t, m, "DIXA", nil)
		filtering := createSubscription(t, m, "DIXA", map[string]any{"events": []string{"CONVERSATION_CREATED"}})
		note := readSeed(t, "conversation_note_added_seed1.json")

		status, body := postDixa(t, sub.URL, sub.SecretKey, note)
		var accepted struct{ Status string }
		var answer struct {
			Status string
			Events []string
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || status != http.StatusOK || answer.Status != "accepted" || len(answer.Events) == 0 {
			t.Fatalf("delivery: %d %s", status, body)
		}
		if status, body := postDixa(t, sub.URL, sub.SecretKey, note); status != http.StatusOK || json.Unmarshal([]byte(body), &accepted) != nil || accepted.Status != "duplicate" {
			t.Fatalf("redelivery: %d %s", status, body)
		}
		if status, body := postDixa(t, filtering.URL, filtering.SecretKey, note); status != http.StatusOK || !strings.Contains(body, `"filtered"`) {
			t.Fatalf("unsubscribed delivery: %d %s", status, body)
		}
		if status, _ := postDixa(t, sub.URL, otherSecret(sub.SecretKey), note); status != http.StatusUnauthorized {
			t.Fatalf("badly signed delivery: %d, want 401", status)
		}
		if status, _ := postDixa(t, strings.Replace(sub.URL, "/dixa/", "/nosuch/", 1), sub.SecretKey, note); status != http.StatusNotFound {
			t.Fatalf("delivery to an unknown provider: %d, want 404", status)
		}
		// A mutation that fails, beside the two that did not.
		if resp := graphQLRaw(t, m, adminToken, `mutation { deleteWebhookSubscription(id: "00000000-0000-4000-8000-000000000000") }`, nil); len(resp.Errors) == 0 {
			t.Fatalf("deleting an unknown subscription succeeded: %s", resp.Data)
		}

		f := scrape(t, m.MetricsURL(), "")
		deliveries := "gateway_webhook_deliveries_total"
		for outcome, want := range map[string]float64{"accepted": 1, "duplicate": 1, "filtered": 1, "refused": 1, "challenge": 0} {
			expectSample(t, f, deliveries, map[string]string{"provider": "dixa", "outcome": outcome}, want)
		}
		expectSample(t, f, deliveries, map[string]string{"provider": "unknown", "outcome": "refused"}, 1)
		expectSample(t, f, deliveries, map[string]string{"provider": "cinnox", "outcome": "accepted"}, 0)
		expectSample(t, f, "gateway_webhook_delivery_duration_seconds", map[string]string{"provider": "dixa"}, 4)
		// The accepted delivery and the redelivery each went through a
		// batch of their own: they were sent one after the other.
		expectSample(t, f, "gateway_ingest_batch_size", nil, 2)
		expectSample(t, f, "gateway_ingest_commit_duration_seconds", nil, 2)
		if h := f["gateway_ingest_batch_size"].Metric[0].Histogram; h.GetSampleSum() != 2 {
			t.Errorf("batch sizes sum to %v, want 2", h.GetSampleSum())
		}
		var stored float64
		for _, s := range f["gateway_events_stored_total"].GetMetric() {
			stored += s.Counter.GetValue()
		}
		if stored != float64(len(answer.Events)) {
			t.Errorf("gateway_events_stored_total sums to %v, want the %d events the delivery stored", stored, len(answer.Events))
		}
		expectSample(t, f, "gateway_graphql_requests_total", map[string]string{"operation_type": "mutation", "outcome": "ok"}, 2)
		expectSample(t, f, "gateway_graphql_requests_total", map[string]string{"operation_type": "mutation", "outcome": "error"}, 1)
		expectSample(t, f, "gateway_graphql_request_duration_seconds", map[string]string{"operation_type": "mutation"}, 3)
		maxOpen := map[string]float64{"sqlite": 1, "postgres": 16}[m.DB.Dialect()]
		expectSample(t, f, "gateway_db_connections_max_open", nil, maxOpen)
		for _, family := range []string{"gateway_db_connections_open", "gateway_db_connections_in_use", "gateway_db_connections_idle", "gateway_db_wait_count_total", "go_goroutines", "process_cpu_seconds_total"} {
			if _, ok := f[family]; !ok {
				t.Errorf("/metrics has no %s", family)
			}
		}

		live := openStream(t, m, "graphql-transport-ws", nil)
		waitForSample(t, m, "gateway_stream_subscribers", map[string]string{"transport": "websocket"}, 1)
		live.conn.CloseNow()
		waitForSample(t, m, "gateway_stream_subscribers", map[string]string{"transport": "websocket"}, 0)
		waitForSample(t, m, "gateway_stream_closed_total", map[string]string{"reason": "client"}, 1)
		f = scrape(t, m.MetricsURL(), "")
		expectSample(t, f, "gateway_graphql_requests_total", map[string]string{"operation_type": "subscription", "outcome": "ok"}, 1)
	})
}

// waitForSample scrapes until the sample has value want: a stream's end is
// counted once its goroutine sees its reader gone.
func waitForSample(t *testing.T, m *Main, family string, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(requestTimeout)
	for {
		got, ok := sample(scrape(t, m.MetricsURL(), ""), family, labels)
		if ok && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v (present %v), want %v", family, labels, got, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMetricsOnTheirOwnAddressNeedTheirToken(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), "-metrics-addr", "127.0.0.1:0", "-metrics-token", "scrape-secret")
	if status, _ := getMetrics(t, m.URL()+"/metrics", "scrape-secret"); status != http.StatusNotFound {
		t.Fatalf("/metrics on the main listener: %d, want 404 when METRICS_ADDR is set", status)
	}
	if !strings.HasPrefix(m.MetricsURL(), "http://127.0.0.1:") || strings.HasPrefix(m.MetricsURL(), m.URL()) {
		t.Fatalf("metrics URL %s, main URL %s", m.MetricsURL(), m.URL())
	}
	for _, token := range []string{"", "wrong", adminToken} {
		if status, body := getMetrics(t, m.MetricsURL(), token); status != http.StatusUnauthorized || strings.Contains(body, "gateway_") {
			t.Fatalf("/metrics with token %q: %d %s, want 401", token, status, body)
		}
	}
	f := scrape(t, m.MetricsURL(), "scrape-secret")
	expectSample(t, f, "gateway_webhook_deliveries_total", map[string]string{"provider": "dixa", "outcome": "accepted"}, 0)
}

// startTraced runs the gateway with its spans going to an in-memory
// exporter, through the same wiring as an OTLP endpoint.
func startTraced(t *testing.T, databaseURL string, flags ...string) (*Main, *tracetest.InMemoryExporter) {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-database-url", databaseURL, "-admin-token", adminToken}, flags...)
	cfg, _, err := ParseConfig("test", args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	exporter := tracetest.NewInMemoryExporter()
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m.SpanExporter = exporter
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("run gateway: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m, exporter
}

// spansOf flushes the gateway's spans and returns those of trace id.
func spansOf(t *testing.T, m *Main, exporter *tracetest.InMemoryExporter, id trace.TraceID) tracetest.SpanStubs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := m.Tracing.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	var out tracetest.SpanStubs
	for _, s := range exporter.GetSpans() {
		if s.SpanContext.TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

func TestTracesFollowADeliveryFromItsCallerToItsSQL(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m, exporter := startTraced(t, databaseURL)
		sub := createDixaSubscription(t, m)
		note := readSeed(t, "conversation_note_added_seed1.json")

		const traceID, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", sub.URL, bytes.NewReader(note))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-DIXA-SIGNATURE", dixa.Sign(sub.SecretKey, time.Now(), note))
		req.Header.Set("traceparent", "00-"+traceID+"-"+callerSpan+"-01")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("delivery: %d", res.StatusCode)
		}

		id, _ := trace.TraceIDFromHex(traceID)
		spans := spansOf(t, m, exporter, id)
		var delivery, batch *tracetest.SpanStub
		for i, s := range spans {
			switch s.Name {
			case "webhook delivery":
				delivery = &spans[i]
			case "ingest batch commit":
				batch = &spans[i]
			}
		}
		if delivery == nil || batch == nil {
			t.Fatalf("trace %s has no delivery or batch span: %v", traceID, names(spans))
		}
		if delivery.Parent.SpanID().String() != callerSpan {
			t.Errorf("delivery span's parent %s, want the caller's %s", delivery.Parent.SpanID(), callerSpan)
		}
		for key, want := range map[string]string{"gateway.provider": "dixa", "gateway.subscription_id": sub.ID, "gateway.outcome": "accepted", "gateway.events_stored": "1"} {
			if got := attr(*delivery, key); got != want {
				t.Errorf("delivery span %s = %q, want %q", key, got, want)
			}
		}
		if batch.Parent.SpanID() != delivery.SpanContext.SpanID() || attr(*batch, "gateway.batch_size") != "1" {
			t.Errorf("batch span: parent %s (delivery %s), size %q", batch.Parent.SpanID(), delivery.SpanContext.SpanID(), attr(*batch, "gateway.batch_size"))
		}
		if len(batch.Links) != 1 || batch.Links[0].SpanContext.SpanID() != delivery.SpanContext.SpanID() {
			t.Errorf("batch span links %v, want the delivery's span", batch.Links)
		}
		// pgx puts the statements of a pipelined batch under a span of
		// the batch's own: an SQL span belongs to the commit when the
		// commit's span is among its ancestors.
		parents := map[trace.SpanID]trace.SpanID{}
		for _, s := range spans {
			parents[s.SpanContext.SpanID()] = s.Parent.SpanID()
		}
		under := func(s tracetest.SpanStub, ancestor trace.SpanID) bool {
			for id := s.Parent.SpanID(); id.IsValid(); id = parents[id] {
				if id == ancestor {
					return true
				}
			}
			return false
		}
		insert := false
		for _, s := range spans {
			q := attr(s, "db.query.text")
			if under(s, batch.SpanContext.SpanID()) && strings.Contains(q, "INSERT INTO events") {
				insert = true
			}
			if strings.Contains(q, "Some Note Added") {
				t.Errorf("an SQL span holds a parameter value: %s", q)
			}
		}
		if !insert {
			t.Errorf("no SQL span inserting the events under the batch span: %v", names(spans))
		}

		// A GraphQL operation is a span in its caller's trace too, over
		// the SQL its resolvers run.
		const queryTrace = "5bf92f3577b34da6a3ce929d0e0e4737"
		body, _ := json.Marshal(map[string]any{"query": `query Recent { events(first: 5) { edges { node { id } } } }`})
		req, _ = http.NewRequestWithContext(ctx, "POST", m.URL()+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("traceparent", "00-"+queryTrace+"-"+callerSpan+"-01")
		if res, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		id, _ = trace.TraceIDFromHex(queryTrace)
		spans = spansOf(t, m, exporter, id)
		var op *tracetest.SpanStub
		for i, s := range spans {
			if s.Name == "graphql query" {
				op = &spans[i]
			}
		}
		if op == nil || attr(*op, "graphql.operation.name") != "Recent" {
			t.Fatalf("no span of the GraphQL query in its trace: %v", names(spans))
		}
		sql := 0
		for _, s := range spans {
			if attr(s, "db.query.text") != "" {
				sql++
			}
		}
		if sql == 0 {
			t.Errorf("the GraphQL query's trace has no SQL span: %v", names(spans))
		}
	})
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// syncBuffer is a log destination the gateway's goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the JSON log lines written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAccessLogCarriesRequestIDsAndNoSecrets(t *testing.T) {
	logs := &syncBuffer{}
	m := startGatewayLogged(t, dbtest.SQLiteURL(t), newLogger("info", logs))
	sub := createDixaSubscription(t, m)
	marker := "body-marker-7f3a"
	note := bytes.Replace(readSeed(t, "conversation_note_added_seed1.json"), []byte("Some Note Added"), []byte(marker), 1)

	post := func(requestID, secret string) *http.Response {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", sub.URL, bytes.NewReader(note))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-DIXA-SIGNATURE", dixa.Sign(secret, time.Now(), note))
		if requestID != "" {
			req.Header.Set("X-Request-Id", requestID)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	// A refused delivery: its refusal is logged, with its reason, and
	// with the request's id.
	res := post("req-refused-1", otherSecret(sub.SecretKey))
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-Request-Id") != "req-refused-1" {
		t.Fatalf("refused delivery: %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	if res := post("req-accepted-1", sub.SecretKey); res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") != "req-accepted-1" {
		t.Fatalf("delivery: %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	// An id that could forge log structure, or too long, is replaced.
	generated := map[string]string{}
	for _, bad := range []string{"has space", `quote"d`, strings.Repeat("x", 129)} {
		res := post(bad, sub.SecretKey)
		got := res.Header.Get("X-Request-Id")
		if got == "" || got == bad || len(got) != 24 {
			t.Fatalf("request id %q came back as %q, want a new one", bad, got)
		}
		generated[got] = bad
	}
	// GraphQL over GET: the query string holds a marker that must not be
	// logged; the request id is made up by the gateway.
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", m.URL()+"/graphql?query="+url.QueryEscape(`{ webhookSubscriptions { id name } } # query-marker`), nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	gqlID := res.Header.Get("X-Request-Id")
	if res.StatusCode != http.StatusOK || gqlID == "" {
		t.Fatalf("GraphQL GET: %d, X-Request-Id %q", res.StatusCode, gqlID)
	}

	byID := map[string][]map[string]any{}
	for _, l := range logs.lines(t) {
		if id, ok := l["request_id"].(string); ok {
			byID[id] = append(byID[id], l)
		}
	}
	access := func(id string) map[string]any {
		t.Helper()
		for _, l := range byID[id] {
			if l["msg"] == "http request" {
				return l
			}
		}
		t.Fatalf("no access log line of request %s in\n%s", id, logs)
		return nil
	}
	refused := access("req-refused-1")
	if refused["level"] != "INFO" || refused["method"] != "POST" || refused["route"] != "POST /webhooks/{provider}/{subscriptionId}" ||
		refused["status"] != float64(401) || refused["bytes"].(float64) <= 0 || refused["duration"] == nil {
		t.Errorf("access log of the refused delivery: %v", refused)
	}
	refusal := false
	for _, l := range byID["req-refused-1"] {
		if l["msg"] == "webhook delivery refused" && l["level"] == "INFO" && strings.Contains(strings.ToLower(fmt.Sprint(l["reason"])), "signature") && l["subscription"] == sub.ID {
			refusal = true
		}
	}
	if !refusal {
		t.Errorf("the refusal is not logged at info with its reason and request id: %v", byID["req-refused-1"])
	}
	if l := access("req-accepted-1"); l["status"] != float64(200) {
		t.Errorf("access log of the delivery: %v", l)
	}
	for id := range generated {
		access(id)
	}
	if l := access(gqlID); l["route"] != "/graphql" || l["method"] != "GET" || l["status"] != float64(200) {
		t.Errorf("access log of the GraphQL request: %v", l)
	}
	all := logs.String()
	for _, secret := range []string{adminToken, sub.SecretKey, marker, "query-marker", "has space"} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds %q:\n%s", secret, all)
		}
	}
}

func TestDebugLogShowsSlowStatementsAndBatchSizes(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		logs := &syncBuffer{}
		m := startGatewayLogged(t, databaseURL, newLogger("debug", logs), "-log-level", "debug", "-log-slow-sql", "1ns")
		sub := createDixaSubscription(t, m)
		marker := "param-marker-5c2e"
		note := bytes.Replace(readSeed(t, "conversation_note_added_seed1.json"), []byte("Some Note Added"), []byte(marker), 1)
		if status, body := postDixa(t, sub.URL, sub.SecretKey, note); status != http.StatusOK {
			t.Fatalf("delivery: %d %s", status, body)
		}
		if err := m.Tracing.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		insert, batch := false, false
		for _, l := range logs.lines(t) {
			switch l["msg"] {
			case "slow SQL statement":
				if strings.Contains(fmt.Sprint(l["statement"]), "INSERT INTO events") && l["duration"] != nil {
					insert = true
				}
			case "committing ingest batch":
				batch = batch || l["size"] == float64(1)
			}
		}
		if !insert || !batch {
			t.Errorf("debug log: slow insert logged %v, batch size logged %v", insert, batch)
		}
		if strings.Contains(logs.String(), marker) {
			t.Errorf("the debug log holds a parameter value")
		}
	})
}

func TestOTLPEndpointReceivesTheSpans(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	var received int
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		received += len(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	args := []string{"-addr", "127.0.0.1:0", "-database-url", dbtest.SQLiteURL(t), "-admin-token", adminToken}
	cfg, _, err := ParseConfig("test", args, osGetenv)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Telemetry.OTLP || cfg.Telemetry.ServiceName != "helpdesk-gateway" {
		t.Fatalf("telemetry config %+v: want OTLP on, the default service name", cfg.Telemetry)
	}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	sub := createDixaSubscription(t, m)
	if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_note_added_seed1.json")); status != http.StatusOK {
		t.Fatalf("delivery: %d %s", status, body)
	}
	// Close exports what is still buffered.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || paths[0] != "/v1/traces" || received == 0 {
		t.Fatalf("the collector got %v (%d bytes), want spans posted to /v1/traces", paths, received)
	}
}

// otherSecret is secret with its first two characters changed: a secret
// of the same form that does not sign alike.
func otherSecret(secret string) string {
	if strings.HasPrefix(secret, "00") {
		return "11" + secret[2:]
	}
	return "00" + secret[2:]
}
