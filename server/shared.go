package server

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
)

// sharedResponses lets the live subscriptions that ask the same of an event
// share its response: one of them executes the event's selection set and
// encodes the response, and the others write the same bytes. Subscriptions
// ask the same when they have the same key: the same document, operation
// name and variables, from the same caller (key, scope) at the same base
// URL, so whatever a response may depend on is in it. Which events reach
// a subscription (its filter, conditions, cursor) is its stream's own
// business: sharing only spares the executions of an event that reaches
// several.
//
// It is safe for concurrent use. The zero value is not ready: use
// newSharedResponses.
type sharedResponses struct {
	mu     sync.Mutex
	groups map[string]*responseGroup
}

func newSharedResponses() *sharedResponses {
	return &sharedResponses{groups: map[string]*responseGroup{}}
}

// recentResponses is how many of its newest events' responses a group
// keeps: subscriptions a little behind the others still find theirs, and
// one further behind executes its events itself.
const recentResponses = 64

// responseGroup is the subscriptions of one key, and the responses of
// their newest events.
type responseGroup struct {
	key  string
	refs int // subscriptions in the group; guarded by sharedResponses.mu

	mu     sync.Mutex
	recent [recentResponses]*sharedResponse // a ring, by arrival
	next   int
}

// sharedResponse is one event's response, made once for its group.
type sharedResponse struct {
	event   *domain.Event
	done    chan struct{} // closed when payload is set
	payload []byte        // the response's JSON; nil when its execution failed
}

// finish publishes the response's payload (nil: execution failed, each
// subscription executes the event itself). A nil response takes nothing.
func (r *sharedResponse) finish(payload []byte) {
	if r == nil {
		return
	}
	r.payload = payload
	close(r.done)
}

// key is what an operation's responses depend on besides its events.
// base is the base URL the request came to.
func (s *sharedResponses) key(ctx context.Context, rc *graphql.OperationContext, base string) string {
	vars, _ := json.Marshal(rc.Variables) // maps marshal in key order
	var b strings.Builder
	b.WriteString(rc.RawQuery)
	b.WriteByte(0)
	b.WriteString(rc.OperationName)
	b.WriteByte(0)
	b.Write(vars)
	b.WriteByte(0)
	if id := domain.IdentityFrom(ctx); id != nil {
		b.WriteString(strconv.FormatBool(id.Admin))
		b.WriteByte(0)
		b.WriteString(id.KeyID)
		b.WriteByte(0)
		b.WriteString(string(id.Scope))
	}
	b.WriteByte(0)
	b.WriteString(base)
	return b.String()
}

// join adds a subscription to its key's group; leave takes it out.
func (s *sharedResponses) join(key string) *responseGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[key]
	if g == nil {
		g = &responseGroup{key: key}
		s.groups[key] = g
	}
	g.refs++
	return g
}

func (s *sharedResponses) leave(g *responseGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.refs--; g.refs == 0 {
		delete(s.groups, g.key)
	}
}

// take returns the response to e. When encode is true the caller makes
// it, and must call finish on it whatever happens; otherwise another
// subscription makes (or made) it, and the caller waits for done.
func (g *responseGroup) take(e *domain.Event) (r *sharedResponse, encode bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.recent {
		// Newest first: a subscription takes the events in order.
		r := g.recent[(g.next-1-i+2*recentResponses)%recentResponses]
		if r == nil {
			break
		}
		if r.event == e {
			return r, false
		}
	}
	r = &sharedResponse{event: e, done: make(chan struct{})}
	g.recent[g.next] = r
	g.next = (g.next + 1) % recentResponses
	return r, true
}

// groups is how many groups are open, for tests.
func (s *sharedResponses) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.groups)
}
