// Package loadgen is a load generator for a running gateway: it creates a
// webhook subscription of its own through the GraphQL API, posts signed
// deliveries shaped like the provider's from many keep-alive clients,
// measures throughput and latency, and then checks through the GraphQL API
// that every accepted delivery is stored. Baseline measures what the same
// database does with one row per commit, the bound a gateway that commits
// each delivery on its own would have.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Config configures a Runner.
type Config struct {
	// Target is the gateway's base URL, such as http://localhost:8080.
	Target string
	// AdminToken is a bearer token allowed to create subscriptions.
	AdminToken string
	// Provider is whose deliveries to post.
	Provider domain.Provider
	// Clients is how many deliveries are in flight at once, each client on
	// a keep-alive connection of its own.
	Clients int
	// Deliveries is how many deliveries to post.
	Deliveries int
	// Conversations and Agents shape the deliveries (see GeneratorConfig).
	Conversations int
	Agents        int
	// Seed makes the deliveries' ids; zero picks a random one.
	Seed uint64
	// Timeout bounds each request; zero means 30 seconds.
	Timeout time.Duration
	// CheckFor bounds how long Check waits for accepted events to become
	// readable; zero means 30 seconds. On PostgreSQL a committed event is
	// readable once no older transaction is still running anywhere.
	CheckFor time.Duration
	// MaxErrors ends the posting after that many failed deliveries; zero
	// means 100.
	MaxErrors int
}

// Runner runs one load: Subscribe, then Post, then Check (or Run, which
// does all three). Its deliveries are made when it is created, so that
// making them is not measured.
type Runner struct {
	cfg    Config
	bodies [][]byte
	gql    *graphQL
	sub    *Subscription
}

// NewRunner validates cfg and makes its deliveries.
func NewRunner(cfg Config) (*Runner, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.CheckFor <= 0 {
		cfg.CheckFor = 30 * time.Second
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = 100
	}
	cfg.Target = strings.TrimRight(cfg.Target, "/")
	switch {
	case !strings.HasPrefix(cfg.Target, "http://") && !strings.HasPrefix(cfg.Target, "https://"):
		return nil, fmt.Errorf("target %q: want the gateway's base URL, http://host:port", cfg.Target)
	case cfg.AdminToken == "":
		return nil, fmt.Errorf("no admin token: the run creates its own webhook subscription")
	case cfg.Clients <= 0:
		return nil, fmt.Errorf("clients %d: want at least 1", cfg.Clients)
	case cfg.Deliveries <= 0:
		return nil, fmt.Errorf("deliveries %d: want at least 1", cfg.Deliveries)
	}
	gen, err := NewGenerator(GeneratorConfig{Provider: cfg.Provider, Conversations: cfg.Conversations, Agents: cfg.Agents, Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	r := &Runner{
		cfg:    cfg,
		bodies: make([][]byte, cfg.Deliveries),
		gql:    &graphQL{url: cfg.Target + "/graphql", token: cfg.AdminToken, client: &http.Client{Timeout: cfg.Timeout}},
	}
	for i := range r.bodies {
		if r.bodies[i], err = gen.Body(i); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Payloads returns the deliveries' bodies: Baseline inserts them, so that
// its rows are the deliveries' size.
func (r *Runner) Payloads() [][]byte { return r.bodies }

// Subscribe creates the run's webhook subscription.
func (r *Runner) Subscribe(ctx context.Context) error {
	sub, err := r.gql.createSubscription(ctx, r.cfg.Provider, fmt.Sprintf("load test %s", time.Now().UTC().Format(time.RFC3339)))
	if err != nil {
		return err
	}
	r.sub = sub
	return nil
}

// Subscription returns the run's subscription, once Subscribe made it.
func (r *Runner) Subscription() *Subscription { return r.sub }

// Ingest is what posting a run's deliveries came to.
type Ingest struct {
	Provider domain.Provider
	Clients  int
	// Posted is how many deliveries were posted: all of them, unless the
	// run was stopped.
	Posted  int
	Elapsed time.Duration
	// Latency is from sending a request to its 2xx answer.
	Latency Latency
	// Accepted, Duplicate and Filtered count the 2xx answers by status.
	Accepted, Duplicate, Filtered int
	// Errors are the deliveries answered with another status or not at
	// all, by kind.
	Errors []ErrorCount
	// Stopped says the posting gave up after too many errors.
	Stopped bool
	// Stored is how many of the events named by 2xx answers Check found,
	// out of Expected; Missing lists a few that it did not. Unanswered
	// counts stored events no answer named (a request that timed out
	// after its commit, say).
	Stored, Expected, Unanswered int
	Missing                      []string

	timing    timing
	maxErrors int
	events    []string
	// answered is when the 2xx answer naming each event arrived: after
	// the event's commit.
	answered map[string]time.Time
}

// Rate returns the 2xx answers per second.
func (in *Ingest) Rate() float64 { return in.timing.rate() }

// Failed returns how many deliveries were not answered 2xx.
func (in *Ingest) Failed() int { return in.timing.failed() }

// String is the report: one line of figures, then a line for each kind of
// error and the missing events, if any.
func (in *Ingest) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ingest    %s  %d clients  %d deliveries  %s  accepted %d duplicate %d",
		in.Provider.Slug(), in.Clients, in.Posted, in.timing.summary(), in.Accepted, in.Duplicate)
	if in.Filtered > 0 {
		fmt.Fprintf(&b, " filtered %d", in.Filtered)
	}
	fmt.Fprintf(&b, "  stored %d/%d", in.Stored, in.Expected)
	if in.Unanswered > 0 {
		fmt.Fprintf(&b, " (+%d whose answer was lost)", in.Unanswered)
	}
	b.WriteString("\n")
	b.WriteString(in.timing.details(in.maxErrors))
	if len(in.Missing) > 0 {
		fmt.Fprintf(&b, "  not stored: %s\n", strings.Join(in.Missing, ", "))
	}
	return b.String()
}

// Post posts the deliveries from Clients workers and waits for every
// answer. It needs the subscription Subscribe created.
func (r *Runner) Post(ctx context.Context) (*Ingest, error) {
	if r.sub == nil {
		return nil, fmt.Errorf("post deliveries: no subscription: call Subscribe first")
	}
	in := &Ingest{Provider: r.cfg.Provider, Clients: r.cfg.Clients, maxErrors: r.cfg.MaxErrors, answered: map[string]time.Time{}}
	answers := make(chan []answer, r.cfg.Clients)
	in.timing = measure(ctx, r.cfg.Clients, len(r.bodies), r.cfg.MaxErrors, func() (operation, func()) {
		// One transport per client: each keeps its own connection alive,
		// as each of a provider's senders would.
		transport := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, IdleConnTimeout: time.Minute}
		client := &http.Client{Transport: transport, Timeout: r.cfg.Timeout}
		var mine []answer
		deliver := func(ctx context.Context, i int) outcome {
			a, out := r.deliver(ctx, client, r.bodies[i])
			if out.failure == "" {
				a.at = time.Now()
				mine = append(mine, a)
			}
			return out
		}
		return deliver, func() {
			transport.CloseIdleConnections()
			answers <- mine
		}
	})
	close(answers)
	for list := range answers {
		for _, a := range list {
			switch a.Status {
			case domain.OutcomeAccepted:
				in.Accepted++
			case domain.OutcomeDuplicate:
				in.Duplicate++
			case domain.OutcomeFiltered:
				in.Filtered++
			}
			in.events = append(in.events, a.Events...)
			for _, id := range a.Events {
				in.answered[id] = a.at
			}
		}
	}
	in.Posted = in.timing.succeeded + in.timing.failed()
	in.Elapsed, in.Latency, in.Errors, in.Stopped = in.timing.elapsed, in.timing.latency, in.timing.errors, in.timing.stopped
	in.Expected = len(in.events)
	return in, nil
}

// answer is the gateway's 2xx answer to a delivery.
type answer struct {
	Status domain.DeliveryOutcome `json:"status"`
	Events []string               `json:"events"`
	at     time.Time
}

// deliver posts one body and reads its answer.
func (r *Runner) deliver(ctx context.Context, client *http.Client, body []byte) (answer, outcome) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.sub.URL, bytes.NewReader(body))
	if err != nil {
		return answer{}, outcome{failure: "request error", detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	r.sub.Authenticate(req.Header, body, time.Now())
	res, err := client.Do(req)
	if err != nil {
		return answer{}, outcome{failure: "transport error", detail: err.Error()}
	}
	defer res.Body.Close()
	// Reading the whole answer lets the connection be reused.
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return answer{}, outcome{failure: "transport error", detail: fmt.Sprintf("read the answer: %v", err)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return answer{}, outcome{failure: fmt.Sprintf("status %d", res.StatusCode), detail: snippet(raw)}
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil || a.Status == "" {
		return answer{}, outcome{failure: fmt.Sprintf("status %d, unreadable answer", res.StatusCode), detail: snippet(raw)}
	}
	return a, outcome{}
}

// maxListedMissing bounds the missing event ids a report lists.
const maxListedMissing = 5

// Check reads the subscription's events through the GraphQL API until it
// has found every event a 2xx answer named, or CheckFor has passed, and
// records what it found in in.
func (r *Runner) Check(ctx context.Context, in *Ingest) error {
	seen := map[string]bool{}
	deadline := time.Now().Add(r.cfg.CheckFor)
	after := ""
	for {
		var err error
		if after, err = r.gql.storedEvents(ctx, r.sub.ID, after, seen); err != nil {
			return fmt.Errorf("check the stored events: %w", err)
		}
		in.Stored, in.Missing = 0, nil
		for _, id := range in.events {
			if seen[id] {
				in.Stored++
			} else if len(in.Missing) < maxListedMissing {
				in.Missing = append(in.Missing, id)
			}
		}
		if in.Stored == in.Expected || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("check the stored events: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	in.Unanswered = len(seen) - in.Stored
	return nil
}

// Run subscribes, posts the deliveries and checks that they are stored.
func (r *Runner) Run(ctx context.Context) (*Ingest, error) {
	if err := r.Subscribe(ctx); err != nil {
		return nil, err
	}
	in, err := r.Post(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Check(ctx, in); err != nil {
		return in, err
	}
	return in, nil
}
