package resolvers

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/vikstrous/dataloadgen"
)

// loaders batch the nested reads of one GraphQL response: a page of 100
// conversations asks for its requesters in one statement, not 100. They
// live for one response (one query, or one event of a subscription), so a
// long-lived stream never shows cached, stale state.
type loaders struct {
	conversation *dataloadgen.Loader[string, *domain.Conversation]
	person       *dataloadgen.Loader[string, *domain.Person]
	message      *dataloadgen.Loader[string, *domain.Message]
	subscription *dataloadgen.Loader[string, *domain.WebhookSubscription]
	lastMessages *dataloadgen.Loader[lastKey, []*domain.Message]
}

type lastKey struct {
	conversationID string
	n              int
}

type loadersKey struct{}

func newLoaders(store Store) *loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(5 * time.Millisecond), dataloadgen.WithBatchCapacity(1000)}
	return &loaders{
		conversation: dataloadgen.NewMappedLoader(byID(store.FindConversations, func(c *domain.Conversation) string { return c.ID }), opts...),
		person:       dataloadgen.NewMappedLoader(byID(store.FindPeople, func(p *domain.Person) string { return p.ID }), opts...),
		message:      dataloadgen.NewMappedLoader(byID(store.FindMessages, func(m *domain.Message) string { return m.ID }), opts...),
		subscription: dataloadgen.NewMappedLoader(byID(store.FindSubscriptions, func(s *domain.WebhookSubscription) string { return s.ID }), opts...),
		lastMessages: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []lastKey) (map[lastKey][]*domain.Message, error) {
			byN := map[int][]string{}
			for _, k := range keys {
				byN[k.n] = append(byN[k.n], k.conversationID)
			}
			out := make(map[lastKey][]*domain.Message, len(keys))
			for n, ids := range byN {
				found, err := store.LastMessages(ctx, ids, n)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					out[lastKey{id, n}] = found[id]
				}
			}
			return out, nil
		}, opts...),
	}
}

// byID adapts a batch lookup to a mapped loader. Ids that are not found
// load as nil, not as an error: GraphQL answers null.
func byID[T any](find func(context.Context, []string) ([]*T, error), id func(*T) string) func(context.Context, []string) (map[string]*T, error) {
	return func(ctx context.Context, ids []string) (map[string]*T, error) {
		list, err := find(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]*T, len(ids))
		for _, id := range ids {
			out[id] = nil
		}
		for _, v := range list {
			out[id(v)] = v
		}
		return out, nil
	}
}

// Loaders is a gqlgen handler extension that gives every response its own
// loaders.
type Loaders struct {
	Store Store
}

var (
	_ graphql.HandlerExtension    = Loaders{}
	_ graphql.ResponseInterceptor = Loaders{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Loaders) ExtensionName() string { return "Loaders" }

// Validate implements graphql.HandlerExtension.
func (Loaders) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (l Loaders) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, loadersKey{}, newLoaders(l.Store)))
}

// load returns the response's loaders, or fresh ones where none were set
// (direct resolver calls in tests).
func (r *Resolver) load(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r.Store)
}
