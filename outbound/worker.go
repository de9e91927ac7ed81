package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/export"
)

// worker delivers to one endpoint while this process holds its lease.
type worker struct {
	d      *Dispatcher
	id     string
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}
	// leaseUntil is when the lease ends as far as this process knows, in
	// Unix nanoseconds.
	leaseUntil atomic.Int64

	lag lagMark

	paceMu sync.Mutex
	next   time.Time // the rate limit's next free slot
}

func (w *worker) renewed(until time.Time) { w.leaseUntil.Store(until.UnixNano()) }

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// stop ends the deliveries, waits for them and gives the lease up.
func (w *worker) stop() {
	w.cancel()
	<-w.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.d.cfg.Store.ReleaseEndpointLease(ctx, w.id, w.d.cfg.Owner); err != nil {
		w.d.cfg.Logger.Warn("release webhook endpoint lease", "endpoint", w.id, "err", err)
	}
}

// leaseMargin is kept between an attempt's end and the lease's: clocks
// and the renewal's round trip take some of it.
const leaseMargin = 500 * time.Millisecond

// batchBytes bounds the payloads of one batch an endpoint reads, so an
// endpoint's memory stays the same whatever the payloads' sizes.
const batchBytes = 8 << 20

// remaining is how long an attempt started now may last within the lease.
func (w *worker) remaining() time.Duration {
	return time.Until(time.Unix(0, w.leaseUntil.Load())) - leaseMargin
}

// errReread says the endpoint changed: the pass stops and reads it again.
var errReread = errors.New("endpoint changed")

// errStopped says the endpoint was disabled by its own deliveries.
var errStopped = errors.New("endpoint disabled")

func (w *worker) run(ctx context.Context) {
	sub := w.d.cfg.Broker.Subscribe()
	defer sub.Close()
	committed := sub.C()
	poll := time.NewTicker(w.d.cfg.Poll)
	defer poll.Stop()
	for ctx.Err() == nil {
		more, err := w.pass(ctx)
		switch {
		case err == nil && more:
			continue
		case errors.Is(err, errReread):
			continue
		case err != nil && ctx.Err() == nil && !errors.Is(err, errLeaseExpiring) && !errors.Is(err, errStopped):
			w.d.cfg.Logger.Warn("webhook endpoint deliveries", "endpoint", w.id, "err", err)
		}
		select {
		case <-ctx.Done():
		case _, ok := <-committed:
			if !ok {
				committed = nil // the broker closed: polls carry on
			}
		case <-poll.C:
		case <-w.wake:
		}
	}
}

// eventState is an event's retry state, from its recorded attempts.
type eventState struct {
	attempts int
	firstAt  time.Time
	retryAt  time.Time
	final    bool
}

// pass delivers one batch of events after the cursor and reports whether
// more may be waiting.
func (w *worker) pass(ctx context.Context) (bool, error) {
	store := w.d.cfg.Store
	ep, err := store.FindEndpoint(ctx, w.id)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return false, nil // deleted: the dispatcher stops this worker
		}
		return false, err
	}
	if !ep.Enabled || w.remaining() <= 0 {
		return false, nil
	}
	// The head is read before the events: every event at or below it is
	// visible to the read that follows (docs/event-positions.md), so when
	// that read is not full the cursor may skip to the head past events
	// the filter leaves out.
	head, err := store.Head(ctx)
	if err != nil {
		return false, err
	}
	events, cut, err := store.EventsWithin(ctx, ep.Filter, ep.Cursor, w.d.cfg.Batch, batchBytes)
	if domain.ErrorCode(err) == domain.ECURSOREXPIRED {
		return true, w.skipToHorizon(ctx, ep, err)
	}
	if err != nil {
		return false, err
	}
	full := len(events) == w.d.cfg.Batch || cut
	if len(events) == 0 {
		w.lag.behind(nil)
		if head > ep.Cursor {
			return false, store.AdvanceEndpoint(ctx, ep.ID, w.d.cfg.Owner, ep.Generation, head)
		}
		return false, nil
	}
	attempts, err := store.PendingAttempts(ctx, ep.ID, ep.Generation, ep.Cursor)
	if err != nil {
		return false, err
	}
	states := map[string]*eventState{}
	for _, a := range attempts {
		s := states[a.EventID]
		if s == nil {
			s = &eventState{firstAt: a.At}
			states[a.EventID] = s
		}
		s.attempts = max(s.attempts, a.Attempt)
		s.final = s.final || a.Final()
		if a.RetryAt != nil {
			s.retryAt = *a.RetryAt
		}
	}
	convs, err := w.conversations(ctx, events)
	if err != nil {
		return false, err
	}
	last := events[len(events)-1].Position
	if events, err = w.selected(ctx, ep, events, convs); err != nil {
		return false, err
	}
	state := func(e *domain.Event) *eventState {
		if s := states[e.ID]; s != nil {
			return s
		}
		return &eventState{}
	}
	if len(events) > 0 {
		w.lag.behind(events[0])
	}
	if ep.Ordering == domain.OrderConversation {
		if err := w.byConversation(ctx, ep, events, convs, state); err != nil {
			return false, err
		}
	} else {
		for _, e := range events {
			w.lag.behind(e)
			if err := w.settle(ctx, ep, e, convs[e.ConversationID], state(e), e.Position); err != nil {
				return false, err
			}
		}
	}
	to := last
	if !full {
		to = max(to, head)
		w.lag.behind(nil)
	}
	if to > ep.Cursor {
		if err := store.AdvanceEndpoint(ctx, ep.ID, w.d.cfg.Owner, ep.Generation, to); err != nil {
			return false, err
		}
	}
	return full, nil
}

// skipToHorizon moves the cursor of an endpoint that retention overtook
// (it was disabled, or failing, for longer than EVENT_RETENTION) to the
// retention horizon: the events between are gone and cannot be delivered.
// The jump is logged with the range skipped, for the endpoint's owner.
func (w *worker) skipToHorizon(ctx context.Context, ep *domain.WebhookEndpoint, expired error) error {
	var de *domain.Error
	errors.As(expired, &de)
	w.d.cfg.Logger.Warn("webhook endpoint cursor older than the retention horizon: events after it were removed undelivered; moving it to the horizon",
		"endpoint", ep.ID, "cursor", ep.Cursor.String(), "horizon", de.Horizon.String())
	return w.d.cfg.Store.AdvanceEndpoint(ctx, ep.ID, w.d.cfg.Owner, ep.Generation, de.Horizon)
}

// byConversation settles the events in history order within each
// conversation, up to Width conversations at once. The cursor moves only
// once the whole batch is settled; the attempts recorded tell a restarted
// pass which events are settled already.
func (w *worker) byConversation(ctx context.Context, ep *domain.WebhookEndpoint, events []*domain.Event,
	convs map[string]*domain.Conversation, state func(*domain.Event) *eventState) error {
	var order []string
	groups := map[string][]*domain.Event{}
	for _, e := range events {
		key := e.ConversationID
		if key == "" {
			key = "event:" + e.ID // no conversation: an order of its own
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], e)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, w.d.cfg.Width)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for _, key := range order {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(list []*domain.Event) {
			defer wg.Done()
			defer func() { <-sem }()
			for _, e := range list {
				if err := w.settle(ctx, ep, e, convs[e.ConversationID], state(e), 0); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}(groups[key])
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// selected returns the events that meet the endpoint's conditions,
// tested as the streams test them: each event with its conversation's
// state as stored when it is pushed (condition.Facts).
func (w *worker) selected(ctx context.Context, ep *domain.WebhookEndpoint, events []*domain.Event, convs map[string]*domain.Conversation) ([]*domain.Event, error) {
	if ep.Conditions.IsZero() {
		return events, nil
	}
	matcher, err := condition.Compile(ep.Conditions)
	if err != nil {
		// Conditions are validated when they are saved; a stored set that
		// no longer compiles pushes every event rather than none.
		w.d.cfg.Logger.Error("webhook endpoint conditions do not compile; pushing every event", "endpoint", ep.ID, "err", err)
		return events, nil
	}
	var ids []string
	for _, c := range convs {
		if c.AssigneeID != nil {
			ids = append(ids, *c.AssigneeID)
		}
	}
	people := map[string]*domain.Person{}
	if len(ids) > 0 {
		list, err := w.d.cfg.Store.FindPeople(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			people[p.ID] = p
		}
	}
	out := events[:0:0]
	for _, e := range events {
		var assignee *domain.Person
		c := convs[e.ConversationID]
		if c != nil && c.AssigneeID != nil {
			assignee = people[*c.AssigneeID]
		}
		if matcher.Match(condition.Facts(e, c, assignee)) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (w *worker) conversations(ctx context.Context, events []*domain.Event) (map[string]*domain.Conversation, error) {
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		if e.ConversationID != "" && !seen[e.ConversationID] {
			seen[e.ConversationID] = true
			ids = append(ids, e.ConversationID)
		}
	}
	out := map[string]*domain.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := w.d.cfg.Store.FindConversations(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		out[c.ID] = c
	}
	return out, nil
}

// settle tries an event until the endpoint takes it, refuses it for good
// or it is older than MaxAge, recording every attempt; a final attempt
// moves the cursor to advance, when set, in the same transaction.
func (w *worker) settle(ctx context.Context, ep *domain.WebhookEndpoint, e *domain.Event, conv *domain.Conversation, st *eventState, advance domain.Position) error {
	if st.final {
		return nil
	}
	cfg := &w.d.cfg
	body := export.AppendEventJSON(nil, e, conv)
	for {
		if wait := time.Until(st.retryAt); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-w.wake:
				t.Stop()
				return errReread
			case <-t.C:
			}
		}
		if err := w.pace(ctx, ep.RateLimit); err != nil {
			return err
		}
		timeout := min(ep.Timeout, w.remaining())
		if timeout < 100*time.Millisecond {
			return errLeaseExpiring
		}
		start := cfg.Now()
		res := w.send(ctx, ep, e.ID, start, body, timeout)
		if ctx.Err() != nil {
			// Shutting down: the attempt is not recorded, so the next
			// holder of the lease makes it again.
			return ctx.Err()
		}
		st.attempts++
		if st.firstAt.IsZero() {
			st.firstAt = start
		}
		a := &domain.WebhookAttempt{
			EndpointID: ep.ID, Generation: ep.Generation, EventID: e.ID, EventPosition: e.Position, Attempt: st.attempts,
			At: start, Status: res.status, Latency: res.latency, Response: res.excerpt, Error: res.err,
		}
		disable := ""
		switch {
		case res.status >= 200 && res.status < 300:
			a.Outcome = domain.AttemptDelivered
		case res.status == http.StatusGone:
			a.Outcome = domain.AttemptFailed
			disable = "the endpoint answered 410 Gone"
		case res.retryable():
			delay := backoff(cfg.RetryBase, st.attempts)
			if res.retryAfter > delay {
				delay = res.retryAfter
			}
			retryAt := start.Add(res.latency + delay)
			if retryAt.Sub(st.firstAt) > cfg.MaxAge {
				a.Outcome = domain.AttemptFailed
				a.Error = strings.TrimPrefix(a.Error+"; ", "; ") + fmt.Sprintf("given up after %d attempts: the next would be more than %s after the first", st.attempts, cfg.MaxAge)
			} else {
				a.Outcome, a.RetryAt = domain.AttemptRetry, &retryAt
			}
		default:
			a.Outcome = domain.AttemptFailed
		}
		adv := domain.Position(0)
		if a.Final() {
			adv = advance
		}
		failingSince, err := cfg.Store.RecordAttempt(ctx, cfg.Owner, a, adv)
		if err != nil {
			return err
		}
		w.d.metrics.recorded(a, e, cfg.Now())
		if disable == "" && failingSince != nil && cfg.Now().Sub(*failingSince) >= cfg.DisableAfter {
			disable = fmt.Sprintf("failing without a success since %s", failingSince.Format(time.RFC3339))
		}
		if disable != "" {
			cfg.Logger.Warn("webhook endpoint disabled", "endpoint", ep.ID, "reason", disable)
			// The disabling stops this worker (its notification comes back
			// to the dispatcher), so the announcement after it must not
			// end with the worker's context.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
			defer cancel()
			if err := cfg.Store.DisableEndpoint(wctx, ep.ID, disable); err != nil {
				return err
			}
			w.announceDisabled(wctx, ep, disable)
			return errStopped
		}
		if a.Final() {
			return nil
		}
		st.retryAt = *a.RetryAt
	}
}

// announceTimeout bounds disabling an endpoint and announcing it.
const announceTimeout = 10 * time.Second

// announceDisabled writes an ENDPOINT_DISABLED event on the history, for
// the streams, exports and other endpoints, and publishes it. The history
// rather than the broker alone: a stream resuming from a cursor, another
// replica and an export all see it, in its place. A failure is logged:
// the endpoint is disabled all the same.
func (w *worker) announceDisabled(ctx context.Context, ep *domain.WebhookEndpoint, reason string) {
	cfg := &w.d.cfg
	now := cfg.Now().UTC()
	payload, err := json.Marshal(map[string]string{"endpointId": ep.ID, "name": ep.Name, "url": ep.URL, "reason": reason})
	if err != nil {
		cfg.Logger.Warn("announce disabled webhook endpoint", "endpoint", ep.ID, "err", err)
		return
	}
	e := &domain.Event{
		ID: domain.NewID(), Provider: domain.ProviderGateway, Type: domain.EventEndpointDisabled,
		ProviderEventType: "endpoint.disabled", OccurredAt: now, ReceivedAt: now,
		DedupeKey: "endpoint.disabled:" + ep.ID + ":" + now.Format(time.RFC3339Nano), Payload: payload,
	}
	if err := cfg.Store.AppendEvent(ctx, e); err != nil {
		cfg.Logger.Warn("announce disabled webhook endpoint", "endpoint", ep.ID, "err", err)
		return
	}
	cfg.Broker.Publish([]*domain.Event{e})
}

// backoff is the delay before retry n (from 1): base doubled n-1 times,
// at most a day, less up to a fifth at random so that endpoints that
// failed together do not retry together.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 24*time.Hour)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// pace waits for the endpoint's rate limit.
func (w *worker) pace(ctx context.Context, perSecond float64) error {
	if perSecond <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / perSecond)
	w.paceMu.Lock()
	now := time.Now()
	slot := w.next
	if slot.Before(now) {
		slot = now
	}
	w.next = slot.Add(interval)
	w.paceMu.Unlock()
	if wait := time.Until(slot); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// result is what one attempt got.
type result struct {
	status     int
	latency    time.Duration
	excerpt    string
	err        string
	retryAfter time.Duration
}

// retryable reports whether the attempt failed in a way worth retrying:
// no answer (a connection error, a timeout), 429 or a 5xx.
func (r *result) retryable() bool {
	return r.status == 0 || r.status == http.StatusTooManyRequests || r.status >= 500
}

// excerptBytes is how much of a response body an attempt keeps.
const excerptBytes = 1024

func (w *worker) send(ctx context.Context, ep *domain.WebhookEndpoint, id string, at time.Time, body []byte, timeout time.Duration) result {
	cfg := &w.d.cfg
	ts := at.Unix()
	sig, err := Sign(ep.SigningSecrets(at), id, ts, body)
	if err != nil {
		return result{err: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return result{err: fmt.Sprintf("request: %v", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "helpdesk-gateway-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := w.d.client.Do(req)
	if err != nil {
		r := result{latency: time.Since(start), err: err.Error()}
		if errors.Is(err, context.DeadlineExceeded) {
			r.err = fmt.Sprintf("no answer within %s", timeout)
		}
		return r
	}
	defer resp.Body.Close()
	// Read to the cap so that the connection can be reused, keep the start.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, cfg.MaxResponseBytes))
	r := result{status: resp.StatusCode, latency: time.Since(start)}
	if len(b) > excerptBytes {
		b = b[:excerptBytes]
	}
	r.excerpt = strings.ToValidUTF8(string(b), string(utf8.RuneError))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		r.err = "HTTP " + strconv.Itoa(resp.StatusCode)
		r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
