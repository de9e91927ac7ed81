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
	var conds domain.Optional[[]*domain.Condition]
	if v, set := in.Conditions.ValueOK(); set {
		conds.Set = true
		if v != nil {
			conds.Value = &v
		}
	}
	return domain.SubscriptionPatch{
		Name: optional(in.Name), Events: events, Authorization: optional(in.Authorization),
		SecretKey: optional(in.SecretKey), Enabled: optional(in.Enabled), Conditions: conds,
		Match: optional(in.Match), Expression: optional(in.Expression), DixaFilters: optional(in.DixaFilters),
	}
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
