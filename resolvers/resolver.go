// Package resolvers answers the GraphQL schema from the store and the live
// streams. resolver.go holds the dependencies only; helpers live beside it,
// outside the generated *.resolvers.go files.
package resolvers

import (
	"context"
	"log/slog"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Store is what the resolvers read and write.
type Store interface {
	domain.LegacyCursors
	Events(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error)
	EventsWithoutPayload(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit int) ([]*domain.Event, error)
	EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error)
	Head(ctx context.Context) (domain.Position, error)
	// CheckCursor refuses, with ECURSOREXPIRED, a position older than the
	// retention horizon.
	CheckCursor(ctx context.Context, after domain.Position) error
	FindEvent(ctx context.Context, id string) (*domain.Event, error)
	// CorrectionOf returns the event that corrects event id, or nil.
	CorrectionOf(ctx context.Context, id string) (*domain.Event, error)
	FindConversation(ctx context.Context, id string) (*domain.Conversation, error)
	FindConversations(ctx context.Context, ids []string) ([]*domain.Conversation, error)
	ListConversations(ctx context.Context, f *domain.ConversationFilter, p domain.SeqPage) ([]*domain.Conversation, error)
	CountConversations(ctx context.Context, f *domain.ConversationFilter) (int, error)
	FindPeople(ctx context.Context, ids []string) ([]*domain.Person, error)
	ListPeople(ctx context.Context, role domain.PersonRole, search *string, p domain.SeqPage) ([]*domain.Person, error)
	CountPeople(ctx context.Context, role domain.PersonRole, search *string) (int, error)
	FindMessages(ctx context.Context, ids []string) ([]*domain.Message, error)
	ListMessages(ctx context.Context, conversationID string, p domain.SeqPage) ([]*domain.Message, error)
	LastMessages(ctx context.Context, conversationIDs []string, n int) (map[string][]*domain.Message, error)
	FindSubscription(ctx context.Context, id string) (*domain.WebhookSubscription, error)
	FindSubscriptions(ctx context.Context, ids []string) ([]*domain.WebhookSubscription, error)
	ListSubscriptions(ctx context.Context) ([]*domain.WebhookSubscription, error)
	DeliveryLogs(ctx context.Context, subscriptionID string, event *string, limit int) ([]*domain.DeliveryLog, error)
	PositionBefore(ctx context.Context, t time.Time) (domain.Position, error)
	CreateEndpoint(ctx context.Context, e *domain.WebhookEndpoint) error
	UpdateEndpoint(ctx context.Context, e *domain.WebhookEndpoint) error
	DeleteEndpoint(ctx context.Context, id string) error
	ReplayEndpoint(ctx context.Context, id string, after domain.Position) error
	FindEndpoint(ctx context.Context, id string) (*domain.WebhookEndpoint, error)
	ListEndpoints(ctx context.Context) ([]*domain.WebhookEndpoint, error)
	EndpointAttempts(ctx context.Context, id string, before int64, limit int) ([]*domain.WebhookAttempt, error)
	EndpointLag(ctx context.Context, e *domain.WebhookEndpoint) (domain.EndpointLag, error)
}

// EndpointURLs validates the URL of an outbound webhook endpoint.
type EndpointURLs interface {
	CheckURL(ctx context.Context, url string) error
}

// APIKeys manages API keys.
type APIKeys interface {
	Create(ctx context.Context, name string, scope domain.APIKeyScope, by string) (*domain.APIKey, string, error)
	List(ctx context.Context) ([]*domain.APIKey, error)
	Revoke(ctx context.Context, id string) error
}

// Reprocessor re-translates stored events.
type Reprocessor interface {
	Reprocess(ctx context.Context, filter *domain.EventFilter) (domain.ReprocessResult, error)
}

// Streams opens live event streams.
type Streams interface {
	Subscribe(ctx context.Context, filter *domain.EventFilter, after domain.Position) <-chan *domain.Event
}

// Resolver is the root resolver: the dependencies every resolver shares.
type Resolver struct {
	Store Store
	// Subscriptions writes webhook subscriptions.
	Subscriptions domain.Subscriptions
	Streams       Streams
	// Reprocessor re-runs translation over stored bodies.
	Reprocessor Reprocessor
	Keys        APIKeys
	// EndpointURLs checks outbound endpoints' URLs.
	EndpointURLs EndpointURLs
	// PublicURL is the gateway's external base URL, used for ingest URLs;
	// when empty the URL the request came in on is used.
	PublicURL string
	// MaxPageSize bounds `first` on every connection; MaxEventPageSize on
	// the listings of events (when larger).
	MaxPageSize      int
	MaxEventPageSize int
	Logger           *slog.Logger
	Now              func() time.Time

	states stateCache
}
