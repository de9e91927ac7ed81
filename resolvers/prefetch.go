package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/helpdesk-gateway/gateway/domain"
)

// prefetchConversations loads, before gqlgen fans out over a page of
// conversations, what the page's nodes are about to ask their loaders for
// (requester, assignee, the latest messages and their authors), and primes
// the loaders with it. A loader's batch window alone splits a batch when
// the machine is busy and the nodes' resolvers start late; reading ahead
// makes a page cost the same few statements however they are scheduled.
// It reads nothing that the query does not select. Errors are left to the
// nodes' own resolvers, which load again and report them.
func (r *Resolver) prefetchConversations(ctx context.Context, rows []*domain.Conversation) {
	if len(rows) == 0 || !graphql.HasOperationContext(ctx) {
		return
	}
	opCtx := graphql.GetOperationContext(ctx)
	l := r.load(ctx)
	var people []string
	addPerson := func(id *string) {
		if id != nil && *id != "" {
			people = append(people, *id)
		}
	}
	for _, f := range nodeFields(opCtx, graphql.CollectFieldsCtx(ctx, nil)) {
		switch f.Name {
		case "requester":
			for _, c := range rows {
				addPerson(c.RequesterID)
			}
		case "assignee":
			for _, c := range rows {
				addPerson(c.AssigneeID)
			}
		case "messages":
			args := f.ArgumentMap(opCtx.Variables)
			p, _, err := r.seqPage(messageCursor, intArg(args["first"]), stringArg(args["after"]), intArg(args["last"]), stringArg(args["before"]))
			if err != nil || !p.Backward || p.Before != 0 || p.After != 0 {
				continue // not the loader's "last n" page
			}
			ids := make([]string, len(rows))
			for i, c := range rows {
				ids[i] = c.ID
			}
			found, err := r.Store.LastMessages(ctx, ids, p.Limit)
			if err != nil {
				continue
			}
			authors := selects(opCtx, f, "author")
			for _, id := range ids {
				l.lastMessages.Prime(lastKey{id, p.Limit}, found[id])
				if authors {
					for _, m := range found[id] {
						addPerson(&m.AuthorID)
					}
				}
			}
		}
	}
	if len(people) == 0 {
		return
	}
	found, err := r.Store.FindPeople(ctx, people)
	if err != nil {
		return
	}
	byID := make(map[string]*domain.Person, len(found))
	for _, p := range found {
		byID[p.ID] = p
	}
	for _, id := range people {
		l.person.Prime(id, byID[id]) // nil: not found, answered as null
	}
}

// nodeFields returns the fields a connection's selection asks of its nodes,
// through edges { node } and fragments.
func nodeFields(opCtx *graphql.OperationContext, conn []graphql.CollectedField) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, edges := range conn {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(opCtx, edges.Selections, nil) {
			if node.Name == "node" {
				out = append(out, graphql.CollectFields(opCtx, node.Selections, nil)...)
			}
		}
	}
	return out
}

// selects reports whether a connection field selects name on its nodes.
func selects(opCtx *graphql.OperationContext, conn graphql.CollectedField, name string) bool {
	for _, f := range nodeFields(opCtx, graphql.CollectFields(opCtx, conn.Selections, nil)) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// intArg and stringArg read an argument as gqlgen's argument map holds it:
// absent or null is nil; a literal or a variable may come as any number type.
func intArg(v any) *int {
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int32:
		n = int(x)
	case int64:
		n = int(x)
	case float64:
		n = int(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return nil
		}
		n = int(i)
	default:
		return nil
	}
	return &n
}

func stringArg(v any) *string {
	if s, ok := v.(string); ok {
		return &s
	}
	return nil
}
