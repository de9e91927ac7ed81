// Package domain holds the gateway's unified model: providers, events,
// conversations, webhook subscriptions and the error codes every other
// package speaks. It depends on the standard library only.
package domain
