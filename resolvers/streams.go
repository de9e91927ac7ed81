package resolvers

import (
	"context"

	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

// eventStream opens a live stream. Without conditions the hub's channel is
// handed to gqlgen as it is; with them, a goroutine owned by the stream
// passes on the events that meet them, testing each event with its
// conversation's current state.
func (r *Resolver) eventStream(ctx context.Context, filter *domain.EventFilter, after *string, list []*domain.Condition, match *domain.ConditionMatch, expr *string) (<-chan *domain.Event, error) {
	pos, err := r.parseAfter(ctx, after)
	if err != nil {
		return nil, err
	}
	conds, err := subscriptions.Conditions(list, match, expr, nil)
	if err != nil {
		return nil, err
	}
	in := r.Streams.Subscribe(ctx, filter, pos)
	if conds.IsZero() {
		return in, nil
	}
	matcher, err := condition.Compile(conds)
	if err != nil {
		return nil, err
	}
	out := make(chan *domain.Event)
	go func() {
		defer close(out)
		for e := range in {
			ok, err := r.matches(ctx, matcher, e)
			if err != nil {
				r.Logger.Warn("stream conditions: conversation unavailable", "event", e.ID, "err", err)
			}
			if !ok {
				continue
			}
			select {
			case out <- e:
			case <-ctx.Done():
				for range in { // let the hub's goroutine end
				}
				return
			}
		}
	}()
	return out, nil
}

// matches tests an event and its conversation's current state.
func (r *Resolver) matches(ctx context.Context, m *condition.Matcher, e *domain.Event) (bool, error) {
	probe := *e
	if e.ConversationID != "" {
		c, err := r.Store.FindConversation(ctx, e.ConversationID)
		if err != nil {
			return false, err
		}
		u := &domain.ConversationUpdate{ExternalID: c.ExternalID, Status: c.Status, Tags: c.Tags, TagsKnown: true}
		if c.Channel != nil {
			u.Channel = *c.Channel
		}
		if c.AssigneeID != nil {
			if p, err := r.personByID(ctx, c.AssigneeID); err == nil && p != nil {
				u.Assignee = p
			}
		}
		probe.Conversation = u
	}
	return m.Match(&probe), nil
}

// conversationUpdated streams a conversation's state after each of its
// events, from now on.
func (r *Resolver) conversationUpdated(ctx context.Context, id string) (<-chan *domain.Conversation, error) {
	c, err := r.Store.FindConversation(ctx, id)
	if err != nil {
		return nil, err
	}
	// Start at the head of the history: only changes from now on are
	// streamed.
	start, err := r.Store.Head(ctx)
	if err != nil {
		return nil, err
	}
	in := r.Streams.Subscribe(ctx, &domain.EventFilter{ConversationID: &c.ID}, start)
	out := make(chan *domain.Conversation)
	go func() {
		defer close(out)
		for range in {
			state, err := r.Store.FindConversation(ctx, id)
			if err != nil {
				r.Logger.Warn("conversationUpdated: read conversation", "id", id, "err", err)
				continue
			}
			select {
			case out <- state:
			case <-ctx.Done():
				for range in {
				}
				return
			}
		}
	}()
	return out, nil
}
