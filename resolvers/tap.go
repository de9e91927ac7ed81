package resolvers

import (
	"context"

	"github.com/helpdesk-gateway/gateway/domain"
)

// EventTap lets the transport of a subscription take its eventStream's
// events before gqlgen executes them, so that subscriptions which ask the
// same of the same event can share one execution of it: the transport
// reads Events, and for each event either writes a response it already
// has for that event or hands the event to Execute, after which the
// operation's next response is that event's. An EventTap belongs to one
// operation, and is used by one goroutine at a time; the transport calls
// Close when it stops reading Events.
type EventTap struct {
	events <-chan *domain.Event
	exec   chan *domain.Event
}

type eventTapKey struct{}

// WithEventTap returns a context whose eventStream hands its events to the
// returned tap.
func WithEventTap(ctx context.Context) (context.Context, *EventTap) {
	t := &EventTap{}
	return context.WithValue(ctx, eventTapKey{}, t), t
}

// Events is the stream's events, closed when the stream ends; nil when the
// operation opened no eventStream (it failed, or is no eventStream).
func (t *EventTap) Events() <-chan *domain.Event { return t.events }

// Execute hands e to gqlgen's execution of the operation: its next
// response is e's. Call it once before each such response.
func (t *EventTap) Execute(e *domain.Event) { t.exec <- e }

// Close ends the operation's stream of responses: the next one is none.
func (t *EventTap) Close() {
	if t.exec != nil {
		close(t.exec)
	}
}

// TapEvents takes a stream's events into the tap in ctx, if there is one
// that holds none yet, and returns what gqlgen should read instead: the
// stream itself when there is no tap.
func TapEvents(ctx context.Context, events <-chan *domain.Event) <-chan *domain.Event {
	t, _ := ctx.Value(eventTapKey{}).(*EventTap)
	if t == nil || t.events != nil {
		return events
	}
	t.events, t.exec = events, make(chan *domain.Event, 1)
	return t.exec
}
