package domain

// Node is anything with a global id that GraphQL's node(id) can fetch.
type Node interface {
	isNode()
}

func (*Event) isNode()               {}
func (*Conversation) isNode()        {}
func (*Person) isNode()              {}
func (*Message) isNode()             {}
func (*WebhookSubscription) isNode() {}
