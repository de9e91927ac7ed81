package subscriptions

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
)

// writeAttempts bounds how often a change is re-read and re-applied after
// losing the race to another write before the caller sees ECONFLICT.
const writeAttempts = 5

// Signers tells which providers always sign their deliveries.
type Signers interface {
	SignsDeliveries(p domain.Provider) bool
}

// ServiceConfig is what a Service is built from.
type ServiceConfig struct {
	// Store keeps the subscriptions; it is where a write's cache
	// invalidation happens.
	Store domain.SubscriptionStore
	// Signers, when set, has a secret generated for providers that always
	// sign.
	Signers Signers
	Now     func() time.Time
}

// Service is the domain.Subscriptions that holds the rules of writing
// webhook subscriptions: defaults, secret generation, patch semantics.
type Service struct {
	cfg ServiceConfig
}

var _ domain.Subscriptions = (*Service)(nil)

// NewService returns a Service.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}
}

// Create validates in and stores the new subscription, whose secret the
// answer reveals.
func (sv *Service) Create(ctx context.Context, in domain.NewSubscription) (*domain.WebhookSubscription, error) {
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
	} else if sv.cfg.Signers != nil && sv.cfg.Signers.SignsDeliveries(in.Provider) {
		s.SecretKey = domain.RandomHex(32)
	}
	if in.Enabled != nil {
		s.Enabled = *in.Enabled
	}
	conds, err := Conditions(in.Conditions, in.Match, in.Expression, in.DixaFilters)
	if err != nil {
		return nil, err
	}
	s.Conditions = conds
	now, caller := sv.cfg.Now().UTC(), domain.CallerName(ctx)
	s.CreatedAt, s.UpdatedAt, s.CreatedBy, s.UpdatedBy = now, now, caller, caller
	if err := sv.cfg.Store.CreateSubscription(ctx, s); err != nil {
		return nil, err
	}
	s.RevealSecret = true
	return s, nil
}

// Update applies patch to subscription id: an absent field is unchanged,
// an explicit null clears it.
func (sv *Service) Update(ctx context.Context, id string, patch domain.SubscriptionPatch) (*domain.WebhookSubscription, error) {
	return sv.change(ctx, id, func(s *domain.WebhookSubscription) error { return applyPatch(s, patch) })
}

// Rotate gives subscription id a new secret, keeping the old one verifying
// for the grace period.
func (sv *Service) Rotate(ctx context.Context, id string, secret *string, grace *time.Duration) (*domain.WebhookSubscription, error) {
	g := domain.DefaultGracePeriod
	if grace != nil {
		if *grace < 0 {
			return nil, domain.Errorf(domain.EINVALID, "gracePeriodSeconds must not be negative, got %d", int64(grace.Seconds()))
		}
		g = *grace
	}
	key := domain.RandomHex(32)
	if secret != nil {
		if strings.TrimSpace(*secret) == "" {
			return nil, domain.Errorf(domain.EINVALID, "secretKey must not be empty: omit it to have one generated")
		}
		key = *secret
	}
	s, err := sv.change(ctx, id, func(s *domain.WebhookSubscription) error {
		s.Rotate(key, g, sv.cfg.Now().UTC())
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.RevealSecret = true
	return s, nil
}

// SetEnabled turns deliveries to subscription id on or off.
func (sv *Service) SetEnabled(ctx context.Context, id string, enabled bool) (*domain.WebhookSubscription, error) {
	return sv.change(ctx, id, func(s *domain.WebhookSubscription) error {
		s.Enabled = enabled
		return nil
	})
}

// Delete deletes subscription id.
func (sv *Service) Delete(ctx context.Context, id string) error {
	return sv.cfg.Store.DeleteSubscription(ctx, id)
}

// change reads subscription id, applies apply and writes it back at the
// version it read. A write that lost the race is retried from a fresh
// read: apply says what the caller changes, not what the whole
// subscription becomes, so re-applying it to the newer state is what the
// caller asked for, and nobody's change is undone.
func (sv *Service) change(ctx context.Context, id string, apply func(*domain.WebhookSubscription) error) (*domain.WebhookSubscription, error) {
	var err error
	for range writeAttempts {
		var s *domain.WebhookSubscription
		if s, err = sv.cfg.Store.FindSubscription(ctx, id); err != nil {
			return nil, err
		}
		if err = apply(s); err != nil {
			return nil, err
		}
		s.UpdatedAt, s.UpdatedBy = sv.cfg.Now().UTC(), domain.CallerName(ctx)
		if err = sv.cfg.Store.UpdateSubscription(ctx, s); err == nil {
			return s, nil
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.ECONFLICT {
			return nil, err
		}
	}
	return nil, err
}

func applyPatch(s *domain.WebhookSubscription, in domain.SubscriptionPatch) error {
	if in.Name.Set {
		if err := setName(s, in.Name.Value); err != nil {
			return err
		}
	}
	if in.Events.Set {
		var events []string
		if in.Events.Value != nil {
			events = *in.Events.Value
		}
		if err := setEvents(s, events); err != nil {
			return err
		}
	}
	if in.Authorization.Set {
		if in.Authorization.Value == nil {
			s.Authorization = domain.Authorization{Type: domain.AuthNone}
		} else if err := setAuthorization(s, in.Authorization.Value); err != nil {
			return err
		}
	}
	if in.SecretKey.Set {
		if err := setSecret(s, in.SecretKey.Value); err != nil {
			return err
		}
	}
	if in.Enabled.Set {
		if in.Enabled.Value == nil {
			return domain.Errorf(domain.EINVALID, "input.enabled cannot be null")
		}
		s.Enabled = *in.Enabled.Value
	}
	return patchConditions(s, in)
}

func patchConditions(s *domain.WebhookSubscription, in domain.SubscriptionPatch) error {
	out, err := PatchConditions(s.Conditions, in.Conditions, in.Match, in.Expression, in.DixaFilters)
	if err != nil {
		return err
	}
	s.Conditions = out
	return nil
}

// PatchConditions applies the conditions, match, expression and Dixa
// filters a patch names to cur, the stored conditions, and validates the
// result; with none named, cur is unchanged. Endpoints and subscriptions
// share it, so that a patch means the same on both.
func PatchConditions(cur domain.Conditions, list domain.Optional[[]*domain.Condition], match domain.Optional[domain.ConditionMatch],
	expr domain.Optional[string], dixa domain.Optional[domain.DixaFilters]) (domain.Conditions, error) {
	if !list.Set && !match.Set && !expr.Set && !dixa.Set {
		return cur, nil
	}
	// Start from what is stored, then apply what the patch names.
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
	if list.Set {
		conds = nil
		if list.Value != nil {
			conds = *list.Value
		} else if !match.Set && !expr.Set {
			m, e = nil, nil // clearing the conditions clears how they combine
		}
	}
	if match.Set {
		m = match.Value
	}
	if expr.Set {
		e = expr.Value
	}
	var d *domain.DixaFilters
	if dixa.Set && dixa.Value != nil {
		d, conds = dixa.Value, nil
	}
	return Conditions(conds, m, e, d)
}

// conditionsOf validates conditions (or Dixa filters) by compiling them.
func Conditions(list []*domain.Condition, match *domain.ConditionMatch, expr *string, dixa *domain.DixaFilters) (domain.Conditions, error) {
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

func setAuthorization(s *domain.WebhookSubscription, a *domain.AuthorizationInput) error {
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
