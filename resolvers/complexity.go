package resolvers

import (
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/graph"
)

// SetComplexity makes a list field cost its children once per item it may
// return, so that a query's complexity bounds the rows it can read:
// conversations(first: 100) { messages(last: 10) { author { name } } }
// costs about 100 × 10 × 2, not 3.
func SetComplexity(c *graph.ComplexityRoot, defaultPage int) {
	size := func(first, last *int) int {
		n := defaultPage
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		return max(n, 1)
	}
	c.Query.Events = func(child int, _ *domain.EventFilter, first *int, _ *string) int { return 1 + child*size(first, nil) }
	c.Query.Conversations = func(child int, _ *domain.ConversationFilter, first *int, _ *string, last *int, _ *string) int {
		return 1 + child*size(first, last)
	}
	c.Query.Contacts = func(child int, _ *string, first *int, _ *string) int { return 1 + child*size(first, nil) }
	c.Query.Agents = func(child int, _ *string, first *int, _ *string) int { return 1 + child*size(first, nil) }
	c.Conversation.Events = func(child int, first *int, _ *string) int { return 1 + child*size(first, nil) }
	c.Conversation.Messages = func(child int, first *int, _ *string, last *int, _ *string) int {
		return 1 + child*size(first, last)
	}
	c.WebhookSubscription.EventLogs = func(child int, _ *string, first *int) int { return 1 + child*size(first, nil) }
}
