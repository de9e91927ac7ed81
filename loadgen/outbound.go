package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// OutboundConfig configures an outbound run: webhook endpoints on a
// receiver of the run's own, fed by two ingest loads.
type OutboundConfig struct {
	// Backlog is posted while the endpoints are disabled; enabling them
	// then measures how fast the gateway drains it: its delivery capacity.
	Backlog *Runner
	// Live is posted while the endpoints are caught up: each event's time
	// from its commit to its receipt is measured.
	Live *Runner
	// Endpoints is how many endpoints receive every event.
	Endpoints int
	// Listen is the receiver's address; the gateway must reach it there
	// and allow private targets when it is a loopback address.
	Listen string
	// Wait bounds each wait for the deliveries.
	Wait time.Duration
}

// Outbound is what an outbound run measured.
type Outbound struct {
	Endpoints int
	// Baseline is the receiver's own capacity: Endpoints clients posting
	// to it one request at a time each, as the gateway does with ENDPOINT
	// ordering, with no gateway in between.
	Baseline timing
	// Backlog is the backlog's posting; Drain its delivery once the
	// endpoints were enabled: Delivered of Expected deliveries in Elapsed.
	Backlog *Ingest
	Drain   Delivery
	// Live is the live load's posting and LiveDelivery its delivery, with
	// the latency from each event's commit to its receipt.
	Live         *Ingest
	LiveDelivery Delivery
}

// Delivery is what the receiver got of a phase's events.
type Delivery struct {
	Expected, Delivered, Duplicates int
	Elapsed                         time.Duration
	// Latency runs from the event's receivedAt, which its commit follows
	// within the ingest batch, to the receiver reading the request: an
	// upper bound of commit to receipt. FromAnswer runs from the 2xx
	// answer that named the event, which follows its commit: a lower
	// bound (negative when the push beat the answer).
	Latency, FromAnswer Latency
}

// Rate is the deliveries received per second.
func (d Delivery) Rate() float64 {
	if d.Elapsed <= 0 {
		return 0
	}
	return float64(d.Delivered) / d.Elapsed.Seconds()
}

// String is the report.
func (o *Outbound) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "receiver  baseline: %d clients one request at a time each, no gateway: %s\n", o.Endpoints, o.Baseline.summary())
	if o.Backlog != nil {
		b.WriteString(o.Backlog.String())
		d := o.Drain
		fmt.Fprintf(&b, "drain     %d endpoints  %d/%d deliveries in %s  %.0f/s (%.0f%% of the receiver's baseline)  duplicates %d\n",
			o.Endpoints, d.Delivered, d.Expected, short(d.Elapsed), d.Rate(), 100*d.Rate()/max(o.Baseline.rate(), 1), d.Duplicates)
	}
	if o.Live != nil {
		b.WriteString(o.Live.String())
		d := o.LiveDelivery
		fmt.Fprintf(&b, "live      %d endpoints  %d/%d deliveries  %.0f/s  commit→receipt p50 %s p99 %s max %s (from receipt at the gateway), p50 %s p99 %s max %s (from the 2xx answer)  duplicates %d\n",
			o.Endpoints, d.Delivered, d.Expected, d.Rate(), short(d.Latency.P50), short(d.Latency.P99), short(d.Latency.Max),
			signed(d.FromAnswer.P50), signed(d.FromAnswer.P99), signed(d.FromAnswer.Max), d.Duplicates)
	}
	return b.String()
}

// signed is short for a duration that may be negative.
func signed(d time.Duration) string {
	if d < 0 {
		return "-" + short(-d)
	}
	return short(d)
}

// receipt is one request the receiver read.
type receipt struct {
	key        string // endpoint and webhook-id
	id         string // webhook-id: the event's id
	at         time.Time
	receivedAt time.Time
}

// receiver is the run's webhook receiver: it answers 204 at once and
// keeps a receipt per request.
type receiver struct {
	mu       sync.Mutex
	receipts []receipt
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(req.Body, 16<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
	if req.URL.Path == "/baseline" {
		return
	}
	var event struct {
		ReceivedAt time.Time `json:"receivedAt"`
	}
	_ = json.Unmarshal(body, &event)
	r.mu.Lock()
	r.receipts = append(r.receipts, receipt{key: req.URL.Path + " " + req.Header.Get("webhook-id"), id: req.Header.Get("webhook-id"), at: at, receivedAt: event.ReceivedAt})
	r.mu.Unlock()
}

// take returns the receipts so far and starts a new list.
func (r *receiver) take() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.receipts
	r.receipts = nil
	return out
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.receipts)
}

// maxBaselineRequests bounds the receiver's baseline: enough for a steady
// rate, few enough to leave the run's time to the gateway.
const maxBaselineRequests = 20000

// RunOutbound runs the outbound benchmark: the receiver's baseline, then
// the backlog's drain, then the live load.
func RunOutbound(ctx context.Context, cfg OutboundConfig) (*Outbound, error) {
	if cfg.Endpoints <= 0 || cfg.Backlog == nil || cfg.Live == nil {
		return nil, errors.New("outbound run: want at least one endpoint, a backlog and a live load")
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	recv := &receiver{}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	out := &Outbound{Endpoints: cfg.Endpoints}

	sample := cfg.Backlog.bodies[0]
	out.Baseline = measure(ctx, cfg.Endpoints, min(len(cfg.Backlog.bodies)*cfg.Endpoints, maxBaselineRequests), 100, func() (operation, func()) {
		transport := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}
		client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
		return func(ctx context.Context, _ int) outcome {
			return postOnce(ctx, client, base+"/baseline", sample)
		}, transport.CloseIdleConnections
	})

	gql := cfg.Backlog.gql
	ids := make([]string, cfg.Endpoints)
	defer func() {
		// The endpoints go with the run, so that the gateway stops pushing
		// to a receiver that is gone.
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, id := range ids {
			if id != "" {
				_ = gql.do(cleanup, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": id}, &struct{}{})
			}
		}
	}()
	for i := range ids {
		var created struct {
			Create struct{ ID string } `json:"createWebhookEndpoint"`
		}
		err := gql.do(ctx, `mutation($name: String!, $url: String!) { createWebhookEndpoint(input: {name: $name, url: $url, ordering: ENDPOINT, enabled: false}) { id } }`,
			map[string]any{"name": fmt.Sprintf("bench %d", i), "url": fmt.Sprintf("%s/hook/%d", base, i)}, &created)
		if err != nil {
			return out, fmt.Errorf("create endpoint (the gateway must allow private targets for a receiver on loopback: OUTBOUND_ALLOW_PRIVATE=true): %w", err)
		}
		ids[i] = created.Create.ID
	}

	if out.Backlog, err = cfg.Backlog.Run(ctx); err != nil {
		return out, err
	}
	start := time.Now()
	for _, id := range ids {
		if err := gql.do(ctx, `mutation($id: ID!) { enableWebhookEndpoint(id: $id) { id } }`, map[string]any{"id": id}, &struct{}{}); err != nil {
			return out, err
		}
	}
	out.Drain = collect(ctx, recv, out.Backlog.Expected*cfg.Endpoints, start, cfg.Wait, nil)

	if out.Live, err = cfg.Live.Run(ctx); err != nil {
		return out, err
	}
	out.LiveDelivery = collect(ctx, recv, out.Live.Expected*cfg.Endpoints, time.Time{}, cfg.Wait, out.Live.answered)
	return out, nil
}

// collect waits until the receiver holds expected receipts, or wait
// passes, and summarises them; the phase began at start, or with its first
// commit when start is zero. answered, when given, is when each event's
// 2xx answer came.
func collect(ctx context.Context, recv *receiver, expected int, start time.Time, wait time.Duration, answered map[string]time.Time) Delivery {
	deadline := time.Now().Add(wait)
	for recv.count() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	receipts := recv.take()
	d := Delivery{Expected: expected}
	seen := map[string]bool{}
	from := start
	latencies := make([]time.Duration, 0, len(receipts))
	var fromAnswer []time.Duration
	var last time.Time
	for _, r := range receipts {
		if seen[r.key] {
			d.Duplicates++
			continue
		}
		seen[r.key] = true
		d.Delivered++
		latencies = append(latencies, r.at.Sub(r.receivedAt))
		if at, ok := answered[r.id]; ok {
			fromAnswer = append(fromAnswer, r.at.Sub(at))
		}
		if r.at.After(last) {
			last = r.at
		}
		if from.IsZero() || (start.IsZero() && r.receivedAt.Before(from)) {
			from = r.receivedAt
		}
	}
	d.Latency, d.FromAnswer = summarise(latencies), summarise(fromAnswer)
	if !last.IsZero() {
		d.Elapsed = last.Sub(from)
	}
	return d
}

// postOnce posts body to url and reads the answer.
func postOnce(ctx context.Context, client *http.Client, url string, body []byte) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{failure: "request error", detail: err.Error()}
	}
	res, err := client.Do(req)
	if err != nil {
		return outcome{failure: "transport error", detail: err.Error()}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode >= 300 {
		return outcome{failure: fmt.Sprintf("status %d", res.StatusCode)}
	}
	return outcome{}
}
