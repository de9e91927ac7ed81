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
	"net/http"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

// Subscriptions finds webhook subscriptions with their conditions
// compiled, or a domain ENOTFOUND error for an unknown id.
type Subscriptions interface {
	Find(ctx context.Context, id string) (*subscriptions.Compiled, error)
}

// DeliveryLog records deliveries that store no event.
type DeliveryLog interface {
	LogDelivery(ctx context.Context, l *domain.EventLog) error
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
	Logger       *slog.Logger
	Now          func() time.Time
}

// Answer is the JSON body of a successful delivery.
type Answer struct {
	Status string   `json:"status"`
	Events []string `json:"events,omitempty"`
}

// ServeHTTP handles one delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	receivedAt := h.Now().UTC()
	provider, err := domain.ParseProviderSlug(r.PathValue("provider"))
	if err != nil {
		httperror.Write(w, err)
		return
	}
	subID := r.PathValue("subscriptionId")
	found, err := h.Subscriptions.Find(r.Context(), subID)
	if err != nil {
		h.refuse(w, r, nil, nil, err)
		return
	}
	sub := found.Subscription
	if sub.Provider != provider {
		h.refuse(w, r, nil, nil, domain.Errorf(domain.ENOTFOUND, "webhook subscription %q not found for provider %s", subID, provider.Slug()))
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.refuse(w, r, sub, nil, domain.Errorf(domain.ETOOLARGE, "body exceeds the limit of %d bytes", h.MaxBodyBytes))
		return
	} else if err != nil {
		h.refuse(w, r, sub, nil, domain.Errorf(domain.EINVALID, "could not read the body: %v", err))
		return
	}
	if err := sub.Authorization.Check(r.Header.Get("Authorization")); err != nil {
		h.refuse(w, r, sub, body, err)
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
		return
	}
	h.store(w, r, found, result.Events, body, receivedAt)
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
func (h *Handler) store(w http.ResponseWriter, r *http.Request, found *subscriptions.Compiled, events []*domain.Event, body []byte, receivedAt time.Time) {
	sub := found.Subscription
	name := ""
	if len(events) > 0 {
		name = events[0].ProviderEventType
	}
	if found.ConditionsErr != nil {
		// Conditions are validated when they are saved; a stored set that no
		// longer compiles must not drop deliveries, so it filters nothing.
		h.Logger.Error("subscription conditions do not compile; keeping every event", "subscription", sub.ID, "err", found.ConditionsErr)
	}
	kept := events[:0:0]
	why := "filtered: event not subscribed"
	for _, e := range events {
		if !sub.Subscribes(e.ProviderEventType) {
			continue
		}
		if !found.Matcher.Match(e) {
			why = "filtered: conditions not met"
			continue
		}
		e.SubscriptionID = sub.ID
		kept = append(kept, e)
	}
	if len(kept) == 0 {
		h.logOnly(r.Context(), sub, name, domain.OutcomeFiltered, http.StatusOK, why, body, receivedAt)
		httperror.WriteJSON(w, http.StatusOK, Answer{Status: domain.OutcomeFiltered})
		return
	}
	d := &domain.Delivery{Events: kept, Log: domain.EventLog{
		SubscriptionID: sub.ID, Event: name, Outcome: domain.OutcomeAccepted, Payload: string(body),
		DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: receivedAt, Success: true, ResponseCode: http.StatusOK, ResponseText: "OK"},
	}}
	res, err := h.Committer.Submit(r.Context(), d)
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
}

// refuse answers err and, when the subscription is known, logs the refusal.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, sub *domain.WebhookSubscription, body []byte, err error) {
	status := httperror.Write(w, err)
	if status >= 500 {
		h.Logger.Warn("delivery refused", "path", r.URL.Path, "status", status, "err", err)
	}
	if sub != nil {
		h.logOnly(r.Context(), sub, "", domain.OutcomeRefused, status, domain.ErrorMessage(err), body, h.Now().UTC())
	}
}

// logOnly records a delivery that stores no event. A failure to log is
// logged and does not change the answer.
func (h *Handler) logOnly(ctx context.Context, sub *domain.WebhookSubscription, event, outcome string, status int, text string, body []byte, at time.Time) {
	l := &domain.EventLog{
		SubscriptionID: sub.ID, Event: event, Outcome: outcome, Payload: string(body),
		DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: at, Success: status < 300, ResponseCode: status, ResponseText: text},
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.Log.LogDelivery(ctx, l); err != nil {
		h.Logger.Warn("log delivery", "subscription", sub.ID, "err", err)
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
