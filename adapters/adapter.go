// Package adapters declares the interface every provider adapter satisfies,
// the registry that finds an adapter by provider, and (in adapterstest) the
// contract suite every adapter passes.
package adapters

import (
	"net/http"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Request is one webhook delivery as received, after the body was read
// within its size limit.
type Request struct {
	Header     http.Header
	Body       []byte
	ReceivedAt time.Time
}

// Result is what an adapter makes of one delivery.
type Result struct {
	// Reply, when set, is a handshake answer (a URL challenge): the gateway
	// sends it as the response body and stores no event.
	Reply []byte
	// Events are the delivery's events in the unified model, with Payload,
	// Provider, ProviderEventType, OccurredAt, ReceivedAt and DedupeKey set.
	Events []*domain.Event
}

// Adapter verifies and translates one provider's deliveries.
//
// Implementations are stateless and safe for concurrent use. They never
// panic on input: a body that is valid JSON but not understood becomes an
// OTHER event with its Reason, so nothing a provider sends is lost.
type Adapter interface {
	// Provider names the provider the adapter speaks for.
	Provider() domain.Provider

	// SignsDeliveries reports whether the provider always signs deliveries
	// with a shared secret, so a new subscription needs one generated.
	SignsDeliveries() bool

	// Verify checks the delivery's signature against the subscription's
	// secret. It returns a domain EUNAUTHORIZED error when the signature is
	// missing or wrong, and nil when the provider does not sign or secret
	// is "".
	Verify(req *Request, secret string) error

	// Parse translates a body that is valid JSON. An error (EINVALID) means
	// the body cannot be a delivery of this provider at all.
	Parse(req *Request) (*Result, error)
}

// Registry finds the adapter of a provider. It is read-only after
// construction and safe for concurrent use.
type Registry struct {
	byProvider map[domain.Provider]Adapter
}

// NewRegistry returns a registry of the given adapters.
func NewRegistry(list ...Adapter) *Registry {
	r := &Registry{byProvider: make(map[domain.Provider]Adapter, len(list))}
	for _, a := range list {
		r.byProvider[a.Provider()] = a
	}
	return r
}

// Lookup returns the adapter of p, or a domain ENOTFOUND error.
func (r *Registry) Lookup(p domain.Provider) (Adapter, error) {
	a, ok := r.byProvider[p]
	if !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "no adapter for provider %s", p)
	}
	return a, nil
}

// SignsDeliveries reports whether p's adapter says the provider always signs.
func (r *Registry) SignsDeliveries(p domain.Provider) bool {
	a, ok := r.byProvider[p]
	return ok && a.SignsDeliveries()
}
