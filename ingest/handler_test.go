package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/ingest"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

var ctx = context.Background()

// maxBody is the handler's body limit in these tests.
const maxBody = 1 << 20

// seedEventID is the event_id of the Dixa seed note; bodies that must not
// be deduplicated against each other replace it with a fresh one.
const seedEventID = "8967e0c6-fe64-4105-bf71-14ae0c256gg4"

func seedNote(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "adapters", "dixa", "testdata", "conversation_note_added_seed1.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uniqueNote is the seed note with a fresh event_id.
func uniqueNote(t *testing.T) []byte {
	t.Helper()
	seed := seedNote(t)
	b := bytes.Replace(seed, []byte(seedEventID), []byte(domain.NewID()), 1)
	if bytes.Equal(b, seed) {
		t.Fatalf("the seed note no longer contains event_id %s", seedEventID)
	}
	return b
}

// fakeCINNOX answers {"challenge": ...} bodies with fakeReply and turns
// anything else into one OTHER event.
type fakeCINNOX struct{}

var fakeReply = []byte(`{"challenge":"c-123","answeredBy":"fake-cinnox"}`)

func (fakeCINNOX) Provider() domain.Provider              { return domain.ProviderCINNOX }
func (fakeCINNOX) SignsDeliveries() bool                  { return false }
func (fakeCINNOX) Verify(*adapters.Request, string) error { return nil }
func (fakeCINNOX) Parse(req *adapters.Request) (*adapters.Result, error) {
	var probe struct {
		Challenge *string `json:"challenge"`
	}
	if err := json.Unmarshal(req.Body, &probe); err == nil && probe.Challenge != nil {
		return &adapters.Result{Reply: fakeReply}, nil
	}
	sum := sha256.Sum256(req.Body)
	return &adapters.Result{Events: []*domain.Event{{
		ID: domain.NewID(), Provider: domain.ProviderCINNOX, Type: domain.EventOther, ProviderEventType: "unknown",
		OccurredAt: req.ReceivedAt, ReceivedAt: req.ReceivedAt, DedupeKey: "cinnox:" + hex.EncodeToString(sum[:]),
		Payload: domain.RawJSON(bytes.Clone(req.Body)),
	}}}, nil
}

// env is a handler served over real HTTP in front of a real store.
type env struct {
	t      *testing.T
	store  *db.DB
	url    string
	client *http.Client
	// served receives once each time the handler has returned, so that a
	// test reads the store only after the handler is done with a request.
	served chan struct{}
}

func newEnv(t *testing.T, store *db.DB, edit ...func(h *ingest.Handler)) *env {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	workers := 4
	if store.Dialect() == db.SQLite {
		workers = 1
	}
	batcher := ingest.NewBatcher(ingest.BatcherConfig{Store: store, Publisher: broker.New(), Workers: workers, MaxBatch: 16, Logger: logger})
	t.Cleanup(batcher.Close)
	h := &ingest.Handler{
		Subscriptions: subscriptions.New(subscriptions.Config{Store: store}), Log: store, Committer: batcher,
		Adapters:     adapters.NewRegistry(dixa.New(), fakeCINNOX{}),
		MaxBodyBytes: maxBody, Logger: logger, Now: time.Now,
	}
	for _, f := range edit {
		f(h)
	}
	e := &env{t: t, store: store, served: make(chan struct{}, 64)}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{provider}/{subscriptionId}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { e.served <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.client = &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

// subscription creates an enabled Dixa subscription with a hex secret and
// no authorization, after edit.
func (e *env) subscription(edit func(t *testing.T, s *domain.WebhookSubscription)) *domain.WebhookSubscription {
	e.t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := &domain.WebhookSubscription{
		ID: domain.NewID(), Provider: domain.ProviderDixa, Name: "ingest test",
		SecretKey: domain.RandomHex(32), Authorization: domain.Authorization{Type: domain.AuthNone},
		Enabled: true, CreatedAt: now, UpdatedAt: now, CreatedBy: "test", UpdatedBy: "test",
	}
	if edit != nil {
		edit(e.t, s)
	}
	if err := e.store.CreateSubscription(ctx, s); err != nil {
		e.t.Fatalf("create subscription: %v", err)
	}
	return s
}

func authorization(t *testing.T, typ domain.AuthorizationType, user, pass, token string) domain.Authorization {
	t.Helper()
	a, err := domain.NewAuthorization(typ, user, pass, token)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// delivery is one webhook request before it is sent.
type delivery struct {
	path   string
	header http.Header
	body   []byte
}

type signing int

const (
	signed   signing = iota // signed with the subscription's secret
	unsigned                // no signature header
	wrongKey                // signed with another secret
)

// newDelivery is a JSON POST of body to sub's URL.
func newDelivery(sub *domain.WebhookSubscription, body []byte) *delivery {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &delivery{path: "/webhooks/" + sub.Provider.Slug() + "/" + sub.ID, header: h, body: body}
}

func (d *delivery) sign(sub *domain.WebhookSubscription, how signing) {
	switch how {
	case signed:
		d.header.Set(dixa.SignatureHeader, dixa.Sign(sub.SecretKey, time.Now(), d.body))
	case wrongKey:
		d.header.Set(dixa.SignatureHeader, dixa.Sign(domain.RandomHex(32), time.Now(), d.body))
	}
}

// reply is an answer as received.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// post sends d and waits until the handler has returned.
func (e *env) post(d *delivery) reply {
	e.t.Helper()
	r := e.send(d)
	e.waitServed(1)
	return r
}

// send sends d; safe for concurrent use.
func (e *env) send(d *delivery) reply {
	req, err := http.NewRequest(http.MethodPost, e.url+d.path, bytes.NewReader(d.body))
	if err != nil {
		panic(err)
	}
	req.Header = d.header.Clone()
	resp, err := e.client.Do(req)
	if err != nil {
		return reply{status: -1, body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{status: -1, body: []byte(err.Error())}
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) waitServed(n int) {
	e.t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-e.served:
		case <-timeout:
			e.t.Fatal("the handler did not return")
		}
	}
}

// errorMessage checks that r is a JSON {"error": "..."} answer and returns
// the message.
func errorMessage(t *testing.T, r reply) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	msg, ok := body["error"].(string)
	if len(body) != 1 || !ok || msg == "" {
		t.Fatalf("body = %s, want exactly {\"error\": \"<what is wrong>\"}", r.body)
	}
	return msg
}

// answer checks that r is a 200 JSON ingest.Answer and returns it.
func answer(t *testing.T, r reply) ingest.Answer {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var a ingest.Answer
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("body %q is not an answer: %v", r.body, err)
	}
	return a
}

// allEvents reads every event in the store.
func allEvents(t *testing.T, store *db.DB) []*domain.Event {
	t.Helper()
	evs, err := store.Events(ctx, nil, domain.Position(0), 1000)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	return evs
}

// eventsOf waits until at least want events of sub are stored, and
// returns them all: deliveries answered asynchronously may still be
// committing.
func eventsOf(t *testing.T, store *db.DB, sub *domain.WebhookSubscription, want int) []*domain.Event {
	t.Helper()
	f := &domain.EventFilter{SubscriptionID: &sub.ID}
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := store.Events(ctx, f, domain.Position(0), 1000)
		if err != nil {
			t.Fatalf("read events: %v", err)
		}
		if len(evs) >= want || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func logsOf(t *testing.T, store *db.DB, sub *domain.WebhookSubscription) []*domain.DeliveryLog {
	t.Helper()
	logs, err := store.DeliveryLogs(ctx, sub.ID, nil, 100)
	if err != nil {
		t.Fatalf("read delivery log: %v", err)
	}
	return logs
}

func TestHandlerAnswers(t *testing.T) {
	type sub = domain.WebhookSubscription
	tests := []struct {
		name string
		// sub edits the subscription before it is created.
		sub func(t *testing.T, s *sub)
		// body is the delivery's body; the default is a unique seed note.
		body func(t *testing.T) []byte
		// edit edits the request before it is signed.
		edit func(d *delivery, s *sub)
		sign signing

		status int
		// errorHas is part of the error message of a refusal.
		errorHas string
		// answer is the status of a 200 ingest.Answer.
		answer domain.DeliveryOutcome
		// reply is the exact body of a challenge answer.
		reply []byte
		// stored is how many events the delivery stores.
		stored int
		// logged is the outcome logged for the subscription; "" means the
		// delivery must not be in its log.
		logged domain.DeliveryOutcome
	}{
		{
			name:   "unknown provider is not found",
			edit:   func(d *delivery, s *sub) { d.path = "/webhooks/zendesk/" + s.ID },
			status: http.StatusNotFound, errorHas: `unknown provider "zendesk"`,
			// The subscription is never looked up for a provider that does not exist.
			logged: "",
		},
		{
			name:   "unknown subscription is not found",
			edit:   func(d *delivery, s *sub) { d.path = "/webhooks/dixa/" + domain.NewID() },
			status: http.StatusNotFound, errorHas: "not found",
		},
		{
			name:   "subscription of another provider is not found",
			edit:   func(d *delivery, s *sub) { d.path = "/webhooks/cinnox/" + s.ID },
			status: http.StatusNotFound, errorHas: "not found for provider cinnox",
			// Answered exactly like an unknown subscription, so nothing is
			// logged against a subscription the caller does not address.
			logged: "",
		},
		{
			name:   "disabled subscription is forbidden",
			sub:    func(t *testing.T, s *sub) { s.Enabled = false },
			status: http.StatusForbidden, errorHas: "disabled", logged: domain.OutcomeRefused,
		},
		{
			name:   "text/plain is unsupported",
			edit:   func(d *delivery, s *sub) { d.header.Set("Content-Type", "text/plain") },
			status: http.StatusUnsupportedMediaType, errorHas: `Content-Type "text/plain" is not JSON`, logged: domain.OutcomeRefused,
		},
		{
			name: "body over the limit is too large",
			body: func(t *testing.T) []byte {
				return []byte(`{"pad":"` + strings.Repeat("a", 2*maxBody) + `"}`)
			},
			status: http.StatusRequestEntityTooLarge, errorHas: "exceeds the limit of " + strconv.Itoa(maxBody) + " bytes", logged: domain.OutcomeRefused,
		},
		{
			name:   "missing Basic credentials are unauthorized",
			sub:    func(t *testing.T, s *sub) { s.Authorization = authorization(t, domain.AuthBasic, "dixa", "pa55", "") },
			status: http.StatusUnauthorized, errorHas: "missing Authorization header", logged: domain.OutcomeRefused,
		},
		{
			name:   "wrong Basic password is unauthorized",
			sub:    func(t *testing.T, s *sub) { s.Authorization = authorization(t, domain.AuthBasic, "dixa", "pa55", "") },
			edit:   func(d *delivery, s *sub) { d.header.Set("Authorization", basic("dixa", "guess")) },
			status: http.StatusUnauthorized, errorHas: "invalid credentials", logged: domain.OutcomeRefused,
		},
		{
			name:   "Basic credentials where a token is wanted are unauthorized",
			sub:    func(t *testing.T, s *sub) { s.Authorization = authorization(t, domain.AuthToken, "", "", "x") },
			edit:   func(d *delivery, s *sub) { d.header.Set("Authorization", basic("dixa", "x")) },
			status: http.StatusUnauthorized, errorHas: "Bearer", logged: domain.OutcomeRefused,
		},
		{
			name:   "valid Basic credentials are accepted",
			sub:    func(t *testing.T, s *sub) { s.Authorization = authorization(t, domain.AuthBasic, "dixa", "pa55", "") },
			edit:   func(d *delivery, s *sub) { d.header.Set("Authorization", basic("dixa", "pa55")) },
			status: http.StatusOK, answer: domain.OutcomeAccepted, stored: 1, logged: domain.OutcomeAccepted,
		},
		{
			name:   "Bearer token is accepted",
			sub:    func(t *testing.T, s *sub) { s.Authorization = authorization(t, domain.AuthToken, "", "", "x") },
			edit:   func(d *delivery, s *sub) { d.header.Set("Authorization", "Bearer x") },
			status: http.StatusOK, answer: domain.OutcomeAccepted, stored: 1, logged: domain.OutcomeAccepted,
		},
		{
			name: "bad Dixa signature is unauthorized", sign: wrongKey,
			status: http.StatusUnauthorized, errorHas: "does not match the body", logged: domain.OutcomeRefused,
		},
		{
			name: "missing signature is unauthorized when the subscription has a secret", sign: unsigned,
			status: http.StatusUnauthorized, errorHas: "missing " + dixa.SignatureHeader, logged: domain.OutcomeRefused,
		},
		{
			name:   "unsigned delivery is accepted when the subscription has no secret",
			sub:    func(t *testing.T, s *sub) { s.SecretKey = "" },
			sign:   unsigned,
			status: http.StatusOK, answer: domain.OutcomeAccepted, stored: 1, logged: domain.OutcomeAccepted,
		},
		{
			name:   "invalid JSON is a bad request",
			body:   func(t *testing.T) []byte { return []byte(`{"event_id": "x", "event_fqn": `) },
			status: http.StatusBadRequest, errorHas: "not valid JSON", logged: domain.OutcomeRefused,
		},
		{
			name:   "missing Content-Type is accepted",
			edit:   func(d *delivery, s *sub) { d.header.Del("Content-Type") },
			status: http.StatusOK, answer: domain.OutcomeAccepted, stored: 1, logged: domain.OutcomeAccepted,
		},
		{
			name:   "event not subscribed is filtered",
			sub:    func(t *testing.T, s *sub) { s.SubscribedEvents = []string{"ConversationClosed"} },
			status: http.StatusOK, answer: domain.OutcomeFiltered, logged: domain.OutcomeFiltered,
		},
		{
			name: "conditions not met are filtered",
			sub: func(t *testing.T, s *sub) {
				s.Conditions = domain.Conditions{List: []domain.Condition{{ID: 1, Field: domain.FieldProviderEventType, Operator: domain.OpEquals, Values: []string{"ConversationClosed"}}}}
			},
			status: http.StatusOK, answer: domain.OutcomeFiltered, logged: domain.OutcomeFiltered,
		},
		{
			// Saved conditions are validated; a set that no longer compiles
			// (after a change of the language) must not drop deliveries.
			name: "conditions that do not compile keep every event",
			sub: func(t *testing.T, s *sub) {
				s.Conditions = domain.Conditions{Match: domain.MatchExpression, Expression: "1 and", List: []domain.Condition{
					{ID: 1, Field: domain.FieldProviderEventType, Operator: domain.OpEquals, Values: []string{"ConversationClosed"}}}}
			},
			status: http.StatusOK, answer: domain.OutcomeAccepted, stored: 1, logged: domain.OutcomeAccepted,
		},
		{
			name:   "CINNOX challenge is answered",
			sub:    func(t *testing.T, s *sub) { s.Provider, s.SecretKey = domain.ProviderCINNOX, "" },
			body:   func(t *testing.T) []byte { return []byte(`{"challenge":"c-123"}`) },
			sign:   unsigned,
			status: http.StatusOK, reply: fakeReply, logged: domain.OutcomeChallenge,
		},
	}
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEnv(t, store)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e.t = t
				s := e.subscription(tc.sub)
				body := uniqueNote(t)
				if tc.body != nil {
					body = tc.body(t)
				}
				d := newDelivery(s, body)
				if tc.edit != nil {
					tc.edit(d, s)
				}
				d.sign(s, tc.sign)
				before := len(allEvents(t, store))

				r := e.post(d)

				if r.status != tc.status {
					t.Fatalf("status = %d (%s), want %d", r.status, r.body, tc.status)
				}
				var ids []string
				switch {
				case tc.reply != nil:
					if !bytes.Equal(r.body, tc.reply) {
						t.Errorf("body = %s, want the adapter's reply %s", r.body, tc.reply)
					}
					if ct := r.header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type = %q, want application/json", ct)
					}
				case tc.answer != "":
					a := answer(t, r)
					if a.Status != tc.answer || len(a.Events) != tc.stored {
						t.Fatalf("answer = %+v, want status %q with %d event ids", a, tc.answer, tc.stored)
					}
					ids = a.Events
				default:
					msg := errorMessage(t, r)
					if !strings.Contains(msg, tc.errorHas) {
						t.Errorf("error = %q, want it to say %q", msg, tc.errorHas)
					}
					if r.header.Get("Retry-After") != "" {
						t.Errorf("Retry-After = %q on a %d, want none", r.header.Get("Retry-After"), r.status)
					}
				}

				evs := eventsOf(t, store, s, tc.stored)
				if len(evs) != tc.stored {
					t.Fatalf("the subscription has %d stored events, want %d", len(evs), tc.stored)
				}
				for i, ev := range evs {
					if ev.ID != ids[i] {
						t.Errorf("stored event %s, answered %v", ev.ID, ids)
					}
					if !bytes.Equal(ev.Payload, body) {
						t.Errorf("stored payload differs from the body")
					}
				}
				if after := len(allEvents(t, store)); after != before+tc.stored {
					t.Errorf("the store went from %d to %d events, want %d new", before, after, tc.stored)
				}

				logs := logsOf(t, store, s)
				if tc.logged == "" {
					if len(logs) != 0 {
						t.Errorf("delivery log = %+v, want nothing logged for this subscription", logs)
					}
					return
				}
				if len(logs) != 1 {
					t.Fatalf("delivery log has %d entries, want 1", len(logs))
				}
				l := logs[0]
				if l.Outcome != tc.logged || l.DeliveryDetail.ResponseCode != tc.status || l.DeliveryDetail.Success != (tc.status < 300) {
					t.Errorf("logged outcome %q, code %d, success %v; want %q, %d, %v",
						l.Outcome, l.DeliveryDetail.ResponseCode, l.DeliveryDetail.Success, tc.logged, tc.status, tc.status < 300)
				}
				if tc.logged == domain.OutcomeRefused {
					if msg := errorMessage(t, r); l.DeliveryDetail.ResponseText != msg {
						t.Errorf("logged response text %q, want the answered error %q", l.DeliveryDetail.ResponseText, msg)
					}
				}
				if tc.logged == domain.OutcomeFiltered && l.Event != "ConversationNoteAdded" {
					t.Errorf("logged event %q, want ConversationNoteAdded", l.Event)
				}
			})
		}
	})
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestSeedNoteIsStoredByteForByte(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEnv(t, store)
		s := e.subscription(nil)
		seed := seedNote(t)
		d := newDelivery(s, seed)
		d.sign(s, signed)

		r := e.post(d)

		a := answer(t, r)
		if a.Status != domain.OutcomeAccepted || len(a.Events) != 1 {
			t.Fatalf("answer = %s, want {\"status\":\"accepted\",\"events\":[id]}", r.body)
		}
		evs := eventsOf(t, store, s, 1)
		if len(evs) != 1 {
			t.Fatalf("stored %d events, want 1", len(evs))
		}
		ev := evs[0]
		if ev.ID != a.Events[0] {
			t.Errorf("stored event %s, answered %s", ev.ID, a.Events[0])
		}
		if !bytes.Equal(ev.Payload, seed) {
			t.Errorf("stored payload is not the body as received:\n got %s\nwant %s", ev.Payload, seed)
		}
		if ev.Provider != domain.ProviderDixa || ev.Type != domain.EventNoteAdded || ev.ProviderEventType != "ConversationNoteAdded" || ev.SubscriptionID != s.ID {
			t.Errorf("stored %s/%s/%s for subscription %s, want DIXA/NOTE_ADDED/ConversationNoteAdded for %s",
				ev.Provider, ev.Type, ev.ProviderEventType, ev.SubscriptionID, s.ID)
		}
		logs := logsOf(t, store, s)
		if len(logs) != 1 || logs[0].Outcome != domain.OutcomeAccepted || logs[0].Event != "ConversationNoteAdded" {
			t.Errorf("delivery log = %+v, want one accepted ConversationNoteAdded", logs)
		}
	})
}

func TestRedeliveryIsADuplicateAndStoresNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEnv(t, store)
		s := e.subscription(nil)
		d := newDelivery(s, seedNote(t))
		d.sign(s, signed)

		first := answer(t, e.post(d))
		if first.Status != domain.OutcomeAccepted || len(first.Events) != 1 {
			t.Fatalf("first answer = %+v, want accepted with one event", first)
		}
		eventsOf(t, store, s, 1)

		r := e.post(d)

		if again := answer(t, r); again.Status != domain.OutcomeDuplicate || len(again.Events) != 0 {
			t.Errorf("second answer = %s, want {\"status\":\"duplicate\"}", r.body)
		}
		if n := len(allEvents(t, store)); n != 1 {
			t.Errorf("the store holds %d events, want 1", n)
		}
		logs := logsOf(t, store, s)
		if len(logs) != 2 || logs[0].Outcome != domain.OutcomeDuplicate || logs[1].Outcome != domain.OutcomeAccepted {
			t.Errorf("delivery log (newest first) = %+v, want duplicate then accepted", logs)
		}
	})
}

func TestConcurrentRedeliveriesStoreOneEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		e := newEnv(t, store)
		s := e.subscription(nil)
		d := newDelivery(s, uniqueNote(t))
		d.sign(s, signed)

		const n = 3
		replies := make([]reply, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				replies[i] = e.send(d)
			})
		}
		close(start)
		wg.Wait()
		e.waitServed(n)

		accepted := 0
		var id string
		for i, r := range replies {
			if r.status < 200 || r.status > 299 {
				t.Fatalf("reply %d: status %d (%s), want 2xx", i, r.status, r.body)
			}
			switch a := answer(t, r); a.Status {
			case domain.OutcomeAccepted:
				accepted++
				if len(a.Events) == 1 {
					id = a.Events[0]
				}
			case domain.OutcomeDuplicate:
			default:
				t.Errorf("reply %d: %s, want accepted or duplicate", i, r.body)
			}
		}
		if accepted != 1 {
			t.Errorf("%d replies say accepted, want exactly 1", accepted)
		}
		evs := eventsOf(t, store, s, 1)
		if len(evs) != 1 || evs[0].ID != id {
			t.Errorf("stored %d events, want exactly the accepted one (%s)", len(evs), id)
		}
		if n := len(allEvents(t, store)); n != 1 {
			t.Errorf("the store holds %d events, want 1", n)
		}
	})
}

// failingCommitter is a store that is down.
type failingCommitter struct{}

func (failingCommitter) Submit(context.Context, *domain.Delivery) (domain.DeliveryResult, error) {
	return domain.DeliveryResult{}, domain.Unavailable("the store is unavailable; retry later", errors.New("connection refused"))
}

func checkUnavailable(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status = %d (%s), want 503", r.status, r.body)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs <= 0 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", r.header.Get("Retry-After"))
	}
	msg := errorMessage(t, r)
	if !strings.Contains(msg, "unavailable") {
		t.Errorf("error = %q, want it to say the store is unavailable", msg)
	}
	if strings.Contains(msg, "connection refused") || strings.Contains(strings.ToLower(msg), "sql") {
		t.Errorf("error = %q leaks the cause", msg)
	}
}

func TestStoreDownIsUnavailable(t *testing.T) {
	t.Run("commit fails", func(t *testing.T) {
		store := dbtest.Open(t, dbtest.SQLiteURL(t))
		e := newEnv(t, store, func(h *ingest.Handler) { h.Committer = failingCommitter{} })
		s := e.subscription(nil)
		d := newDelivery(s, uniqueNote(t))
		d.sign(s, signed)

		r := e.post(d)

		checkUnavailable(t, r)
		if n := len(allEvents(t, store)); n != 0 {
			t.Errorf("the store holds %d events, want none", n)
		}
		logs := logsOf(t, store, s)
		if len(logs) != 1 || logs[0].Outcome != domain.OutcomeRefused || logs[0].DeliveryDetail.ResponseCode != http.StatusServiceUnavailable {
			t.Errorf("delivery log = %+v, want one refusal with 503", logs)
		}
	})
	t.Run("database closed", func(t *testing.T) {
		store := dbtest.Open(t, dbtest.SQLiteURL(t))
		e := newEnv(t, store)
		s := e.subscription(nil)
		d := newDelivery(s, uniqueNote(t))
		d.sign(s, signed)
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}

		checkUnavailable(t, e.post(d))
	})
}
