package resolvers

import (
	"context"
	"fmt"
	"sync"

	"github.com/helpdesk-gateway/gateway/condition"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

// eventStream opens a live stream. Without conditions the hub's channel is
// handed to gqlgen as it is; with them, a goroutine owned by the stream
// passes on the events that meet them, testing each event with its
// conversation's current state. When that state cannot be read, the stream
// ends with the cursor to resume from, as a slow reader's does: passing the
// event over would leave a gap the reader could not see.
func (r *Resolver) eventStream(ctx context.Context, filter *domain.EventFilter, after *string, fromBeginning *bool, list []*domain.Condition, match *domain.ConditionMatch, expr *string) (<-chan *domain.Event, error) {
	pos, err := r.streamStart(ctx, after, fromBeginning)
	if err != nil {
		return nil, err
	}
	conds, err := subscriptions.Conditions(list, match, expr, nil)
	if err != nil {
		return nil, err
	}
	if conds.IsZero() {
		return r.Streams.Subscribe(ctx, filter, pos), nil
	}
	matcher, err := condition.Compile(conds)
	if err != nil {
		return nil, err
	}
	// The stream's reader is woken (see stream.WithWake) by this
	// goroutine's sends, not by the hub's.
	wake := stream.WakeFrom(ctx)
	sub, cancel := context.WithCancel(stream.WithWake(ctx, nil))
	in := r.Streams.Subscribe(sub, filter, pos)
	out := make(chan *domain.Event, 1) // a woken reader finds the event in it
	go func() {
		defer func() {
			cancel()
			for range in { // let the hub's goroutine end
			}
		}()
		defer func() {
			close(out)
			if wake != nil {
				wake()
			}
		}()
		for e := range in {
			probe, err := r.facts(ctx, e)
			if err != nil {
				resume := (e.Position - 1).String()
				r.Logger.Warn("stream conditions: conversation unavailable; ending the stream", "event", e.ID, "resume_after", resume, "err", err)
				if closer := stream.CloserFrom(ctx); closer != nil {
					closer(stream.CloseTryAgain, "conversation state unavailable: resume after "+resume)
				}
				return
			}
			if !matcher.Match(probe) {
				continue
			}
			select {
			case out <- e:
				if wake != nil {
					wake()
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// streamStart is the position a stream starts after: the cursor `after`,
// the beginning of the history with fromBeginning, and otherwise the head
// read now, so that the stream carries exactly the events that commit once
// it is established (positions are handed out in commit order). `after`
// wins over fromBeginning: a reader that resumes (SSE's Last-Event-ID
// sets it) keeps its query as it was.
func (r *Resolver) streamStart(ctx context.Context, after *string, fromBeginning *bool) (domain.Position, error) {
	if after != nil {
		pos, err := domain.ParseCursor(ctx, *after, r.Store)
		if err != nil {
			return 0, err
		}
		// The hub may serve a recent cursor from memory without reading
		// the store: an expired one is refused here, as a query's would be.
		return pos, r.Store.CheckCursor(ctx, pos)
	}
	if fromBeginning != nil && *fromBeginning {
		return 0, nil
	}
	head, err := r.Store.Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the head of the history: %w", err)
	}
	return head, nil
}

// facts returns the event as conditions see it, with its conversation's
// state (see condition.Facts).
func (r *Resolver) facts(ctx context.Context, e *domain.Event) (*domain.Event, error) {
	if e.ConversationID == "" {
		return condition.Facts(e, nil, nil), nil
	}
	s, err := r.states.get(e, func() (conversationState, error) {
		c, err := r.Store.FindConversation(ctx, e.ConversationID)
		if err != nil {
			return conversationState{}, err
		}
		assignee, err := r.personByID(ctx, c.AssigneeID)
		if err != nil {
			return conversationState{}, err
		}
		return conversationState{c, assignee}, nil
	})
	if err != nil {
		return nil, err
	}
	return condition.Facts(e, s.conversation, s.assignee), nil
}

// conversationState is what conditions test of a conversation.
type conversationState struct {
	conversation *domain.Conversation
	assignee     *domain.Person
}

// stateCache shares the conversation reads of the streams of a process:
// every stream with conditions that an event reaches tests it against the
// same read, the first one made after the event. The zero value is ready.
type stateCache struct {
	mu sync.Mutex
	m  map[domain.Position]conversationState
}

// maxStates bounds the cache; it is emptied when full, as the streams that
// share a read take it within moments of each other.
const maxStates = 4096

func (c *stateCache) get(e *domain.Event, read func() (conversationState, error)) (conversationState, error) {
	c.mu.Lock()
	s, ok := c.m[e.Position]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := read()
	if err != nil {
		return s, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxStates {
		c.m = map[domain.Position]conversationState{}
	}
	c.m[e.Position] = s
	c.mu.Unlock()
	return s, nil
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
