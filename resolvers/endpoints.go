package resolvers

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

// defaultEndpointTimeout bounds an attempt when the endpoint names no
// timeout.
const defaultEndpointTimeout = 10 * time.Second

// newEndpoint validates the input of createWebhookEndpoint. A new
// endpoint starts at the head: it receives the events committed after it.
func (r *Resolver) newEndpoint(ctx context.Context, in graph.CreateWebhookEndpointInput) (*domain.WebhookEndpoint, error) {
	e := &domain.WebhookEndpoint{ID: domain.NewID(), Ordering: domain.OrderEndpoint, Enabled: true, Secret: domain.NewEndpointSecret(), Timeout: defaultEndpointTimeout}
	if err := r.setEndpointName(e, &in.Name); err != nil {
		return nil, err
	}
	if err := r.setEndpointURL(ctx, e, &in.URL); err != nil {
		return nil, err
	}
	e.Filter = in.Filter
	conds, err := subscriptions.Conditions(in.Conditions, in.Match, in.Expression, nil)
	if err != nil {
		return nil, err
	}
	e.Conditions = conds
	if in.Ordering != nil {
		e.Ordering = *in.Ordering
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	if err := setEndpointTimeout(e, in.TimeoutSeconds); err != nil {
		return nil, err
	}
	if err := setEndpointRate(e, in.RateLimit); err != nil {
		return nil, err
	}
	head, err := r.Store.Head(ctx)
	if err != nil {
		return nil, err
	}
	e.Cursor = head
	now, caller := r.Now().UTC(), domain.CallerName(ctx)
	e.CreatedAt, e.UpdatedAt, e.CreatedBy, e.UpdatedBy = now, now, caller, caller
	return e, nil
}

// patchEndpoint applies updateWebhookEndpoint's input: an absent field is
// unchanged, an explicit null clears it.
func (r *Resolver) patchEndpoint(ctx context.Context, e *domain.WebhookEndpoint, in graph.UpdateWebhookEndpointInput) error {
	if v, set := in.Name.ValueOK(); set {
		if err := r.setEndpointName(e, v); err != nil {
			return err
		}
	}
	if v, set := in.URL.ValueOK(); set {
		if err := r.setEndpointURL(ctx, e, v); err != nil {
			return err
		}
	}
	if v, set := in.Filter.ValueOK(); set {
		e.Filter = v
	}
	conds, err := subscriptions.PatchConditions(e.Conditions, optionalConditions(in.Conditions), optional(in.Match), optional(in.Expression), domain.Optional[domain.DixaFilters]{})
	if err != nil {
		return err
	}
	e.Conditions = conds
	if v, set := in.Ordering.ValueOK(); set {
		if v == nil {
			return domain.Errorf(domain.EINVALID, "input.ordering cannot be null")
		}
		e.Ordering = *v
	}
	if v, set := in.Enabled.ValueOK(); set {
		if v == nil {
			return domain.Errorf(domain.EINVALID, "input.enabled cannot be null")
		}
		setEndpointEnabled(e, *v)
	}
	if v, set := in.TimeoutSeconds.ValueOK(); set {
		if err := setEndpointTimeout(e, v); err != nil {
			return err
		}
	}
	if v, set := in.RateLimit.ValueOK(); set {
		if err := setEndpointRate(e, v); err != nil {
			return err
		}
	}
	e.UpdatedAt, e.UpdatedBy = r.Now().UTC(), domain.CallerName(ctx)
	return nil
}

func (r *Resolver) setEndpointName(e *domain.WebhookEndpoint, name *string) error {
	if name == nil || strings.TrimSpace(*name) == "" {
		return domain.Errorf(domain.EINVALID, "input.name must not be empty")
	}
	e.Name = strings.TrimSpace(*name)
	return nil
}

func (r *Resolver) setEndpointURL(ctx context.Context, e *domain.WebhookEndpoint, url *string) error {
	if url == nil {
		return domain.Errorf(domain.EINVALID, "input.url cannot be null")
	}
	if err := r.EndpointURLs.CheckURL(ctx, strings.TrimSpace(*url)); err != nil {
		return err
	}
	e.URL = strings.TrimSpace(*url)
	return nil
}

// setEndpointTimeout sets the attempts' time limit; nil: the default.
func setEndpointTimeout(e *domain.WebhookEndpoint, seconds *float64) error {
	if seconds == nil {
		e.Timeout = defaultEndpointTimeout
		return nil
	}
	if !(*seconds > 0 && *seconds <= 300) {
		return domain.Errorf(domain.EINVALID, "input.timeoutSeconds must be above 0 and at most 300, got %v", *seconds)
	}
	e.Timeout = time.Duration(*seconds * float64(time.Second))
	return nil
}

// setEndpointRate sets the most attempts per second; nil: no limit.
func setEndpointRate(e *domain.WebhookEndpoint, perSecond *float64) error {
	if perSecond == nil {
		e.RateLimit = 0
		return nil
	}
	if !(*perSecond > 0) || math.IsInf(*perSecond, 0) {
		return domain.Errorf(domain.EINVALID, "input.rateLimit must be above 0, got %v: null for no limit", *perSecond)
	}
	e.RateLimit = *perSecond
	return nil
}

// setEndpointEnabled enables or disables an endpoint; enabling it starts
// afresh: not failing, and no reason for a disabling.
func setEndpointEnabled(e *domain.WebhookEndpoint, enabled bool) {
	if enabled && !e.Enabled {
		e.Failing, e.FailingSince, e.DisabledReason = false, nil, ""
	}
	if !enabled {
		e.DisabledReason = ""
	}
	e.Enabled = enabled
}

// createEndpoint stores a new endpoint and answers it with its secret.
func (r *Resolver) createEndpoint(ctx context.Context, in graph.CreateWebhookEndpointInput) (*domain.WebhookEndpoint, error) {
	e, err := r.newEndpoint(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := r.Store.CreateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	e.RevealSecret = true
	return e, nil
}

// changeEndpoint reads endpoint id, applies change and writes it.
func (r *Resolver) changeEndpoint(ctx context.Context, id string, change func(e *domain.WebhookEndpoint) error) (*domain.WebhookEndpoint, error) {
	e, err := r.Store.FindEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := change(e); err != nil {
		return nil, err
	}
	if err := r.Store.UpdateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

func (r *Resolver) updateEndpoint(ctx context.Context, id string, in graph.UpdateWebhookEndpointInput) (*domain.WebhookEndpoint, error) {
	return r.changeEndpoint(ctx, id, func(e *domain.WebhookEndpoint) error { return r.patchEndpoint(ctx, e, in) })
}

func (r *Resolver) setEndpointEnabled(ctx context.Context, id string, enabled bool) (*domain.WebhookEndpoint, error) {
	return r.changeEndpoint(ctx, id, func(e *domain.WebhookEndpoint) error {
		setEndpointEnabled(e, enabled)
		e.UpdatedAt, e.UpdatedBy = r.Now().UTC(), domain.CallerName(ctx)
		return nil
	})
}

// rotateEndpointSecret gives an endpoint a new secret; the old one keeps
// signing beside it for the grace period.
func (r *Resolver) rotateEndpointSecret(ctx context.Context, id string, graceSeconds *int) (*domain.WebhookEndpoint, error) {
	grace := domain.DefaultGracePeriod
	if graceSeconds != nil {
		if *graceSeconds < 0 {
			return nil, domain.Errorf(domain.EINVALID, "gracePeriodSeconds must not be negative, got %d", *graceSeconds)
		}
		grace = time.Duration(*graceSeconds) * time.Second
	}
	e, err := r.changeEndpoint(ctx, id, func(e *domain.WebhookEndpoint) error {
		now := r.Now().UTC()
		e.Rotate(domain.NewEndpointSecret(), grace, now)
		e.UpdatedAt, e.UpdatedBy = now, domain.CallerName(ctx)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.RevealSecret = true
	return e, nil
}

// replayEndpoint moves an endpoint's cursor back (or forward): to after,
// or to before the first event received at or after since.
func (r *Resolver) replayEndpoint(ctx context.Context, id string, after *string, since *time.Time) (*domain.WebhookEndpoint, error) {
	if after != nil && since != nil {
		return nil, domain.Errorf(domain.EINVALID, "give after or since, not both")
	}
	var pos domain.Position
	var err error
	switch {
	case after != nil:
		pos, err = domain.ParseCursor(ctx, *after, r.Store)
		if err == nil {
			err = r.Store.CheckCursor(ctx, pos) // replaying from a gap would skip it
		}
	case since != nil:
		pos, err = r.Store.PositionBefore(ctx, *since)
	}
	if err != nil {
		return nil, err
	}
	if err := r.Store.ReplayEndpoint(ctx, id, pos); err != nil {
		return nil, err
	}
	return r.Store.FindEndpoint(ctx, id)
}

func (r *Resolver) deleteEndpoint(ctx context.Context, id string) (bool, error) {
	if err := r.Store.DeleteEndpoint(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

func endpointSecret(e *domain.WebhookEndpoint) *string {
	s := e.Secret
	if !e.RevealSecret {
		s = maskSecret(s)
	}
	return &s
}

func endpointSecretsExpireAt(e *domain.WebhookEndpoint, now time.Time) []*time.Time {
	out := []*time.Time{}
	for _, p := range e.PreviousSecrets {
		if now.Before(p.ExpiresAt) {
			at := p.ExpiresAt
			out = append(out, &at)
		}
	}
	return out
}

func endpointCursor(e *domain.WebhookEndpoint) *string {
	if e.Cursor.IsZero() {
		return nil
	}
	c := e.Cursor.String()
	return &c
}

func (r *Resolver) endpointLagSeconds(ctx context.Context, e *domain.WebhookEndpoint) (float64, error) {
	lag, err := r.Store.EndpointLag(ctx, e)
	if err != nil || lag.Oldest.IsZero() {
		return 0, err
	}
	return max(0, r.Now().Sub(lag.Oldest).Seconds()), nil
}

func (r *Resolver) endpointLagEvents(ctx context.Context, e *domain.WebhookEndpoint) (int, error) {
	lag, err := r.Store.EndpointLag(ctx, e)
	return int(lag.Events), err
}

func (r *Resolver) endpointLeaseHolder(e *domain.WebhookEndpoint) *string {
	if e.LeaseOwner == "" || e.LeaseUntil == nil || !r.Now().Before(*e.LeaseUntil) {
		return nil
	}
	return &e.LeaseOwner
}

// attemptConnection pages an endpoint's attempts, newest first; the
// cursor is the attempt's id.
func (r *Resolver) attemptConnection(ctx context.Context, e *domain.WebhookEndpoint, first *int, after *string) (*graph.WebhookAttemptConnection, error) {
	n, err := r.pageSize(first)
	if err != nil {
		return nil, err
	}
	var before int64
	if after != nil && *after != "" {
		if before, err = strconv.ParseInt(*after, 10, 64); err != nil || before <= 0 {
			return nil, domain.Errorf(domain.EINVALID, "invalid cursor %q: use the cursor of an attempt", *after)
		}
	}
	list, err := r.Store.EndpointAttempts(ctx, e.ID, before, n+1)
	if err != nil {
		return nil, err
	}
	conn := &graph.WebhookAttemptConnection{Edges: []*graph.WebhookAttemptEdge{}, PageInfo: &graph.PageInfo{HasPreviousPage: before > 0}}
	if len(list) > n {
		list = list[:n]
		conn.PageInfo.HasNextPage = true
	}
	for _, a := range list {
		conn.Edges = append(conn.Edges, &graph.WebhookAttemptEdge{Cursor: strconv.FormatInt(a.ID, 10), Node: a})
	}
	if len(conn.Edges) > 0 {
		start, end := conn.Edges[0].Cursor, conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &start, &end
	}
	return conn, nil
}

func (r *Resolver) attemptEvent(ctx context.Context, a *domain.WebhookAttempt) (*domain.Event, error) {
	e, err := r.Store.FindEvent(ctx, a.EventID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil // deleted by retention since
	}
	return e, err
}

func optionalInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func optionalFloat(f float64) *float64 {
	if f == 0 {
		return nil
	}
	return &f
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
