package resolvers

import (
	"context"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// defaultGracePeriod is how long a rotated-out secret keeps verifying.
const defaultGracePeriod = 24 * time.Hour

// newSubscription validates the input of createWebhookSubscription.
func (r *Resolver) newSubscription(ctx context.Context, in graph.CreateWebhookSubscriptionInput) (*domain.WebhookSubscription, error) {
	s := &domain.WebhookSubscription{ID: domain.NewID(), Provider: in.Provider, Enabled: true, Authorization: domain.Authorization{Type: domain.AuthNone}}
	if err := setName(s, &in.Name); err != nil {
		return nil, err
	}
	if err := setEvents(s, in.Events); err != nil {
		return nil, err
	}
	if in.Authorization != nil {
		if err := setAuthorization(s, in.Authorization); err != nil {
			return nil, err
		}
	}
	if in.SecretKey != nil {
		if err := setSecret(s, in.SecretKey); err != nil {
			return nil, err
		}
	} else if r.Signers != nil && r.Signers.SignsDeliveries(in.Provider) {
		s.SecretKey = domain.RandomHex(32)
	}
	if in.Enabled != nil {
		s.Enabled = *in.Enabled
	}
	conds, err := conditionsOf(in.Conditions, in.Match, in.Expression, in.DixaFilters)
	if err != nil {
		return nil, err
	}
	s.Conditions = conds
	now, caller := r.Now().UTC(), callerName(ctx)
	s.CreatedAt, s.UpdatedAt, s.CreatedBy, s.UpdatedBy = now, now, caller, caller
	return s, nil
}

// patchSubscription applies updateWebhookSubscription's input: an absent
// field is unchanged, an explicit null clears it.
func (r *Resolver) patchSubscription(ctx context.Context, s *domain.WebhookSubscription, in graph.UpdateWebhookSubscriptionInput) error {
	if v, set := in.Name.ValueOK(); set {
		if err := setName(s, v); err != nil {
			return err
		}
	}
	if v, set := in.Events.ValueOK(); set {
		if err := setEvents(s, v); err != nil {
			return err
		}
	}
	if v, set := in.Authorization.ValueOK(); set {
		if v == nil {
			s.Authorization = domain.Authorization{Type: domain.AuthNone}
		} else if err := setAuthorization(s, v); err != nil {
			return err
		}
	}
	if v, set := in.SecretKey.ValueOK(); set {
		if err := setSecret(s, v); err != nil {
			return err
		}
	}
	if v, set := in.Enabled.ValueOK(); set {
		if v == nil {
			return domain.Errorf(domain.EINVALID, "input.enabled cannot be null")
		}
		s.Enabled = *v
	}
	if err := patchConditions(s, in); err != nil {
		return err
	}
	s.UpdatedAt, s.UpdatedBy = r.Now().UTC(), callerName(ctx)
	return nil
}

func patchConditions(s *domain.WebhookSubscription, in graph.UpdateWebhookSubscriptionInput) error {
	list, listSet := in.Conditions.ValueOK()
	match, matchSet := in.Match.ValueOK()
	expr, exprSet := in.Expression.ValueOK()
	dixa, dixaSet := in.DixaFilters.ValueOK()
	if !listSet && !matchSet && !exprSet && !dixaSet {
		return nil
	}
	// Start from what is stored, then apply what the patch names.
	cur := s.Conditions
	var conds []*domain.Condition
	for i := range cur.List {
		conds = append(conds, &cur.List[i])
	}
	m, e := &cur.Match, &cur.Expression
	if cur.Match == "" {
		m = nil
	}
	if cur.Expression == "" {
		e = nil
	}
	if listSet {
		conds = list
		if list == nil && !matchSet && !exprSet {
			m, e = nil, nil // clearing the conditions clears how they combine
		}
	}
	if matchSet {
		m = match
	}
	if exprSet {
		e = expr
	}
	var d *graph.DixaFiltersInput
	if dixaSet && dixa != nil {
		d, conds = dixa, nil
	}
	out, err := conditionsOf(conds, m, e, d)
	if err != nil {
		return err
	}
	s.Conditions = out
	return nil
}

// conditionsOf validates conditions (or Dixa filters) by compiling them.
func conditionsOf(list []*domain.Condition, match *domain.ConditionMatch, expr *string, dixa *graph.DixaFiltersInput) (domain.Conditions, error) {
	var c domain.Conditions
	if dixa != nil {
		if len(list) > 0 || expr != nil {
			return c, domain.Errorf(domain.EINVALID, "input.dixaFilters: give conditions or dixaFilters, not both")
		}
		var dc []condition.DixaCondition
		for _, x := range dixa.Conditions {
			dc = append(dc, condition.DixaCondition{Type: x.Type, Field: x.Field, Values: x.Values})
		}
		out, err := condition.FromDixaFilters(dixa.Strategy, dc)
		if err != nil {
			return c, err
		}
		c = out
	} else {
		for _, x := range list {
			c.List = append(c.List, *x)
		}
		if match != nil {
			c.Match = *match
		}
		if expr != nil {
			c.Expression = *expr
		}
	}
	if _, err := condition.Compile(c); err != nil {
		return c, prefixInput(err)
	}
	return c, nil
}

// prefixInput names the input object in a validation message.
func prefixInput(err error) error {
	if domain.ErrorCode(err) != domain.EINVALID {
		return err
	}
	return domain.Errorf(domain.EINVALID, "input.%s", domain.ErrorMessage(err))
}

func setName(s *domain.WebhookSubscription, name *string) error {
	if name == nil || strings.TrimSpace(*name) == "" {
		return domain.Errorf(domain.EINVALID, "input.name must not be empty")
	}
	s.Name = strings.TrimSpace(*name)
	return nil
}

func setEvents(s *domain.WebhookSubscription, events []string) error {
	out := []string{}
	for i, e := range events {
		if strings.TrimSpace(e) == "" {
			return domain.Errorf(domain.EINVALID, "input.events[%d] must not be empty", i)
		}
		out = append(out, strings.TrimSpace(e))
	}
	s.SubscribedEvents = out
	return nil
}

func setAuthorization(s *domain.WebhookSubscription, a *graph.AuthorizationInput) error {
	auth, err := domain.NewAuthorization(a.Type, deref(a.Username), deref(a.Password), deref(a.Token))
	if err != nil {
		return prefixInput(err)
	}
	s.Authorization = auth
	return nil
}

func setSecret(s *domain.WebhookSubscription, secret *string) error {
	if secret == nil {
		s.SecretKey, s.PreviousSecrets = "", nil
		return nil
	}
	if strings.TrimSpace(*secret) == "" {
		return domain.Errorf(domain.EINVALID, "input.secretKey must not be empty: use null to turn signature checks off")
	}
	s.SecretKey = *secret
	return nil
}

// rotate gives a subscription a new secret, keeping the old one verifying
// for the grace period.
func (r *Resolver) rotate(ctx context.Context, id string, secret *string, graceSeconds *int) (*domain.WebhookSubscription, error) {
	grace := defaultGracePeriod
	if graceSeconds != nil {
		if *graceSeconds < 0 {
			return nil, domain.Errorf(domain.EINVALID, "gracePeriodSeconds must not be negative, got %d", *graceSeconds)
		}
		grace = time.Duration(*graceSeconds) * time.Second
	}
	key := domain.RandomHex(32)
	if secret != nil {
		if strings.TrimSpace(*secret) == "" {
			return nil, domain.Errorf(domain.EINVALID, "secretKey must not be empty: omit it to have one generated")
		}
		key = *secret
	}
	s, err := r.Store.FindSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	now := r.Now().UTC()
	s.Rotate(key, grace, now)
	s.UpdatedAt, s.UpdatedBy = now, callerName(ctx)
	if err := r.Store.UpdateSubscription(ctx, s); err != nil {
		return nil, err
	}
	s.RevealSecret = true
	return s, nil
}

// setEnabled turns deliveries to a subscription on or off.
func (r *Resolver) setEnabled(ctx context.Context, id string, enabled bool) (*domain.WebhookSubscription, error) {
	s, err := r.Store.FindSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	s.Enabled = enabled
	s.UpdatedAt, s.UpdatedBy = r.Now().UTC(), callerName(ctx)
	if err := r.Store.UpdateSubscription(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}
