// Package gateway is a GraphQL gateway for helpdesk webhooks: see README.md.
// The packages beside this file hold its parts; cmd/gateway runs it.
package gateway

//go:generate go tool gqlgen generate --config gqlgen.yml
