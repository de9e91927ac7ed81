// Package ingest receives providers' webhooks: it finds the subscription,
// authenticates and verifies the delivery, translates it with the
// provider's adapter, and answers 2xx only once its events are durable.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
	"github.com/helpdesk-gateway/gateway/ratelimit"
	"github.com/helpdesk-gateway/gateway/subscriptions"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Subscriptions finds webhook subscriptions with their conditions
// compiled, or a domain ENOTFOUND error for an unknown id.
type Subscriptions interface {
	Find(ctx context.Context, id string) (*subscriptions.Compiled, error)
}

// DeliveryLog records deliveries that store no event.
type DeliveryLog interface {
	AddDeliveryLog(ctx context.Context, l *domain.DeliveryLog) error
}

// Committer stores a delivery durably.
type Committer interface {
	Submit(ctx context.Context, d *domain.Delivery) (domain.DeliveryResult, error)
}

// Handler serves POST /webhooks/{provider}/{subscriptionId}.
type Handler struct {
	Subscriptions Subscriptions
	Log           DeliveryLog
	Committer     Committer
	Adapters      *adapters.Registry
	// MaxBodyBytes bounds a delivery's body; a larger one is refused with 413.
	MaxBodyBytes int64
	// Refusals logs refused deliveries by sample; nil logs each one.
	Refusals *Refusals
	// Limits bound what deliveries, and a client that sends bad ones, may
	// cost; zero fields impose nothing.
	Limits Limits
	Logger *slog.Logger
	Now    func() time.Time
	// Metrics counts deliveries by outcome; nil counts nothing.
	Metrics Metrics
	// Tracer makes a span of each delivery; nil makes none.
	Tracer oteltrace.Tracer

	initOnce  sync.Once
	inflight  chan struct{}
	tarpitted chan struct{}
}

// Metrics counts webhook deliveries.
type Metrics interface {
	// Delivered counts a delivery to provider (empty when the URL names
	// none) answered with outcome, took after it arrived.
	Delivered(provider domain.Provider, outcome domain.DeliveryOutcome, took time.Duration)
}

// maxTarpitted bounds the requests held back at once by tarpit.
const maxTarpitted = 256

// Limits bound what webhook deliveries may cost.
type Limits struct {
	// BodyTimeout bounds the reading of a delivery's body: a client that
	// sends it slowly is cut off.
	BodyTimeout time.Duration
	// MaxInFlight bounds the deliveries whose bodies are read or held at
	// once; past it, deliveries are answered 429.
	MaxInFlight int
	// PerSubscription limits each subscription's deliveries.
	PerSubscription *ratelimit.Limiter
	// RefusedPerAddress limits the refused deliveries of each source
	// address: once it is spent, every request from that address is
	// answered 429, before any work, until it refills.
	RefusedPerAddress *ratelimit.Limiter
}

// maxIDLength bounds a subscription id in a path; a longer one names no
// subscription and is not echoed back.
const maxIDLength = 128

// Answer is the JSON body of a successful delivery.
type Answer struct {
	Status domain.DeliveryOutcome `json:"status"`
	Events []string               `json:"events,omitempty"`
}

// delivery is what the answer to one delivery is observed by: it starts
// refused, and the paths that answer 2xx say otherwise.
type delivery struct {
	provider     domain.Provider
	subscription string
	outcome      domain.DeliveryOutcome
	stored       int
}

// ServeHTTP handles one delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	d := delivery{outcome: domain.OutcomeRefused}
	var span oteltrace.Span
	if h.Tracer != nil {
		// The span is a child of the caller's traceparent, when it sent
		// one: the telemetry middleware put it in the context.
		var ctx context.Context
		ctx, span = h.Tracer.Start(r.Context(), "webhook delivery", oteltrace.WithSpanKind(oteltrace.SpanKindServer))
		r = r.WithContext(ctx)
	}
	h.serve(w, r, &d)
	if h.Metrics != nil {
		h.Metrics.Delivered(d.provider, d.outcome, time.Since(start))
	}
	if span != nil {
		if span.IsRecording() {
			span.SetAttributes(
				attribute.String("gateway.outcome", string(d.outcome)),
				attribute.Int("gateway.events_stored", d.stored),
			)
			if d.provider != "" { // the URL named a provider
				span.SetAttributes(attribute.String("gateway.provider", d.provider.Slug()))
			}
			if d.subscription != "" { // and a subscription that exists
				span.SetAttributes(attribute.String("gateway.subscription_id", d.subscription))
			}
			if d.outcome == domain.OutcomeRefused {
				span.SetStatus(codes.Error, "refused")
			}
		}
		span.End()
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, d *delivery) {
	receivedAt := h.Now().UTC()
	if spent, wait := h.Limits.RefusedPerAddress.Exhausted(sourceAddress(r)); spent {
		h.tarpit(r.Context(), wait)
		w.Header().Set("Connection", "close")
		httperror.Write(w, domain.RateLimited(wait, "too many refused deliveries from this address; retry later"))
		return
	}
	provider, err := domain.ParseProviderSlug(r.PathValue("provider"))
	if err != nil {
		h.refuse(w, r, nil, nil, err)
		return
	}
	d.provider = provider
	subID := r.PathValue("subscriptionId")
	if len(subID) > maxIDLength {
		h.refuse(w, r, nil, nil, domain.Errorf(domain.ENOTFOUND, "webhook subscription not found"))
		return
	}
	found, err := h.Subscriptions.Find(r.Context(), subID)
	if err != nil {
		h.refuse(w, r, nil, nil, err)
		return
	}
	sub := found.Subscription
	d.subscription = sub.ID
	if sub.Provider != provider {
		h.refuse(w, r, nil, nil, domain.Errorf(domain.ENOTFOUND, "webhook subscription %q not found for provider %s", subID, provider.Slug()))
		return
	}
	if ok, wait := h.Limits.PerSubscription.Allow(sub.ID); !ok {
		httperror.Write(w, domain.RateLimited(wait, "webhook subscription %q receives more deliveries than its limit; retry later", subID))
		return
	}
	if !sub.Enabled {
		h.refuse(w, r, sub, nil, domain.Errorf(domain.EFORBIDDEN, "webhook subscription %q is disabled", subID))
		return
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		h.refuse(w, r, sub, nil, err)
		return
	}
	// Credentials in a header are checked before the body is read: a
	// client without them never gets to hold a body in memory. Signatures
	// need the body, so they are checked after it.
	if err := sub.Authorization.Check(r.Header.Get("Authorization")); err != nil {
		h.refuse(w, r, sub, nil, err)
		return
	}
	release, err := h.acquire()
	if err != nil {
		httperror.Write(w, err)
		return
	}
	defer release()
	body, err := h.readBody(w, r)
	if err != nil {
		h.refuse(w, r, sub, nil, err)
		return
	}
	adapter, err := h.Adapters.Lookup(provider)
	if err != nil {
		h.refuse(w, r, sub, body, err)
		return
	}
	req := &adapters.Request{Header: r.Header, Body: body, ReceivedAt: receivedAt}
	if err := verify(adapter, req, sub.VerifyingSecrets(receivedAt)); err != nil {
		h.refuse(w, r, sub, body, err)
		return
	}
	if !json.Valid(body) {
		h.refuse(w, r, sub, body, domain.Errorf(domain.EINVALID, "body is not valid JSON"))
		return
	}
	result, err := adapter.Parse(req)
	if err != nil {
		h.refuse(w, r, sub, body, err)
		return
	}
	if result.Reply != nil {
		h.logOnly(r.Context(), sub, "", domain.OutcomeChallenge, http.StatusOK, "challenge answered", body, receivedAt)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(result.Reply)
		d.outcome = domain.OutcomeChallenge
		return
	}
	h.store(w, r, d, found, result.Events, body, receivedAt)
}

// tarpit holds a request from an address that spent its refusals until
// its bucket refills (a second at most) before it is answered, and its
// connection is then closed: a client that floods bad deliveries gets a
// few answers a second per connection, and must connect again for each.
// At most maxTarpitted requests are held at once; the rest are answered at
// once.
func (h *Handler) tarpit(ctx context.Context, wait time.Duration) {
	h.initOnce.Do(h.init)
	select {
	case h.tarpitted <- struct{}{}:
		defer func() { <-h.tarpitted }()
	default:
		return
	}
	t := time.NewTimer(min(max(wait, 100*time.Millisecond), time.Second))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (h *Handler) init() {
	h.tarpitted = make(chan struct{}, maxTarpitted)
	if h.Limits.MaxInFlight > 0 {
		h.inflight = make(chan struct{}, h.Limits.MaxInFlight)
	}
}

// acquire takes one of the MaxInFlight places of deliveries being read or
// held, or answers that there is none.
func (h *Handler) acquire() (release func(), err error) {
	if h.Limits.MaxInFlight <= 0 {
		return func() {}, nil
	}
	h.initOnce.Do(h.init)
	select {
	case h.inflight <- struct{}{}:
		return func() { <-h.inflight }, nil
	default:
		return nil, domain.RateLimited(time.Second, "too many deliveries in flight; retry later")
	}
}

// readBody reads the delivery's body within MaxBodyBytes and BodyTimeout.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if h.Limits.BodyTimeout > 0 {
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(h.Limits.BodyTimeout)); err == nil {
			// The next request on this keep-alive connection has its own.
			defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, domain.Errorf(domain.ETOOLARGE, "body exceeds the limit of %d bytes", h.MaxBodyBytes)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, domain.Errorf(domain.EINVALID, "the body was not received within %v", h.Limits.BodyTimeout)
	case err != nil:
		return nil, domain.Errorf(domain.EINVALID, "could not read the body: %v", err)
	}
	return body, nil
}

// sourceAddress is the client's IP address, without its port.
func sourceAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// verify accepts a delivery signed with any of the subscription's secrets;
// with none, the delivery is not signed. The current secret's error is the
// one reported.
func verify(a adapters.Adapter, req *adapters.Request, secrets []string) error {
	if len(secrets) == 0 {
		return a.Verify(req, "")
	}
	var first error
	for _, s := range secrets {
		err := a.Verify(req, s)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// store keeps the events the subscription subscribes to and answers.
func (h *Handler) store(w http.ResponseWriter, r *http.Request, d *delivery, found *subscriptions.Compiled, events []*domain.Event, body []byte, receivedAt time.Time) {
	sub := found.Subscription
	name := ""
	if len(events) > 0 {
		name = events[0].ProviderEventType
	}
	if found.ConditionsErr != nil {
		// Conditions are validated when they are saved; a stored set that no
		// longer compiles must not drop deliveries, so it filters nothing.
		h.Logger.ErrorContext(r.Context(), "subscription conditions do not compile; keeping every event", "subscription", sub.ID, "err", found.ConditionsErr)
	}
	kept := events[:0:0]
	why := "filtered: event not subscribed"
	for _, e := range events {
		if !sub.Subscribes(e.ProviderEventType) {
			continue
		}
		if !found.Matcher.Match(condition.Facts(e, nil, nil)) { // nothing is stored before the event
			why = "filtered: conditions not met"
			continue
		}
		e.SubscriptionID = sub.ID
		kept = append(kept, e)
	}
	if len(kept) == 0 {
		h.logOnly(r.Context(), sub, name, domain.OutcomeFiltered, http.StatusOK, why, body, receivedAt)
		httperror.WriteJSON(w, http.StatusOK, Answer{Status: domain.OutcomeFiltered})
		d.outcome = domain.OutcomeFiltered
		return
	}
	submitted := &domain.Delivery{Events: kept, Log: domain.DeliveryLog{
		SubscriptionID: sub.ID, Event: name, Outcome: domain.OutcomeAccepted, Payload: string(body),
		DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: receivedAt, Success: true, ResponseCode: http.StatusOK, ResponseText: "OK"},
	}}
	res, err := h.Committer.Submit(r.Context(), submitted)
	if err != nil {
		h.refuse(w, r, sub, body, err)
		return
	}
	answer := Answer{Status: domain.OutcomeAccepted}
	if len(res.Appended) == 0 {
		answer.Status = domain.OutcomeDuplicate
	}
	for _, e := range res.Appended {
		answer.Events = append(answer.Events, e.ID)
	}
	httperror.WriteJSON(w, http.StatusOK, answer)
	d.outcome, d.stored = answer.Status, len(res.Appended)
}

// refuse answers err and, when the subscription is known, logs the
// refusal (by sample). A refusal that is the client's fault spends one of
// its address's refusals.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, sub *domain.WebhookSubscription, body []byte, err error) {
	if domain.ErrorCode(err) == domain.EUNAUTHORIZED && sub != nil {
		if c := sub.Authorization.Challenge(); c != "" {
			w.Header().Set("WWW-Authenticate", c)
		}
	}
	status := httperror.Write(w, err)
	if status >= 500 {
		h.Logger.WarnContext(r.Context(), "delivery refused", "status", status, "err", err)
	} else {
		h.Limits.RefusedPerAddress.Allow(sourceAddress(r))
	}
	l := &domain.DeliveryLog{
		Outcome: domain.OutcomeRefused, Payload: string(body),
		DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: h.Now().UTC(), ResponseCode: status, ResponseText: domain.ErrorMessage(err)},
	}
	if sub != nil {
		l.SubscriptionID = sub.ID
	}
	if h.Refusals != nil {
		h.Refusals.Record(r.Context(), l)
		return
	}
	logRefusal(r.Context(), h.Logger, l)
	if sub != nil {
		h.write(r.Context(), l)
	}
}

// logOnly records a delivery that stores no event. A failure to log is
// logged and does not change the answer.
func (h *Handler) logOnly(ctx context.Context, sub *domain.WebhookSubscription, event string, outcome domain.DeliveryOutcome, status int, text string, body []byte, at time.Time) {
	h.write(ctx, &domain.DeliveryLog{
		SubscriptionID: sub.ID, Event: event, Outcome: outcome, Payload: string(body),
		DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: at, Success: status < 300, ResponseCode: status, ResponseText: text},
	})
}

func (h *Handler) write(ctx context.Context, l *domain.DeliveryLog) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.Log.AddDeliveryLog(ctx, l); err != nil {
		h.Logger.WarnContext(ctx, "log delivery", "subscription", l.SubscriptionID, "err", err)
	}
}

// checkContentType accepts JSON media types, and a missing header: some
// providers send none, and the body is checked as JSON anyway.
func checkContentType(header string) error {
	if header == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return domain.Errorf(domain.EUNSUPPORTED, "malformed Content-Type %q", header)
	}
	if mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json" {
		return nil
	}
	return domain.Errorf(domain.EUNSUPPORTED, "Content-Type %q is not JSON: send application/json", mt)
}
