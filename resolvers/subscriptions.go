package resolvers

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// patchOf reads updateWebhookSubscription's input: a field the caller
// left out is not set, one given as null is set to nil.
func patchOf(in graph.UpdateWebhookSubscriptionInput) domain.SubscriptionPatch {
	var events domain.Optional[[]string]
	if v, set := in.Events.ValueOK(); set {
		events = domain.Optional[[]string]{Set: true, Value: &v}
	}
	return domain.SubscriptionPatch{
		Name: optional(in.Name), Events: events, Authorization: optional(in.Authorization),
		SecretKey: optional(in.SecretKey), Enabled: optional(in.Enabled), Conditions: optionalConditions(in.Conditions),
		Match: optional(in.Match), Expression: optional(in.Expression), DixaFilters: optional(in.DixaFilters),
	}
}

// optionalConditions reads a patch's conditions: absent is not set, null
// is set to nil.
func optionalConditions(o graphql.Omittable[[]*domain.Condition]) domain.Optional[[]*domain.Condition] {
	var out domain.Optional[[]*domain.Condition]
	if v, set := o.ValueOK(); set {
		out.Set = true
		if v != nil {
			out.Value = &v
		}
	}
	return out
}

// conditionList lists the conditions as GraphQL answers them.
func conditionList(c domain.Conditions) []*domain.Condition {
	out := make([]*domain.Condition, len(c.List))
	for i := range c.List {
		out[i] = &c.List[i]
	}
	return out
}

// conditionMatch is how the conditions combine; nil when there are none.
func conditionMatch(c domain.Conditions) *domain.ConditionMatch {
	if c.IsZero() {
		return nil
	}
	m := c.Match
	if m == "" {
		m = domain.MatchAll
	}
	return &m
}

func optional[T any](o graphql.Omittable[*T]) domain.Optional[T] {
	v, set := o.ValueOK()
	return domain.Optional[T]{Value: v, Set: set}
}

// gracePeriod reads rotateWebhookSecret's gracePeriodSeconds.
func gracePeriod(seconds *int) *time.Duration {
	if seconds == nil {
		return nil
	}
	d := time.Duration(*seconds) * time.Second
	return &d
}
