package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// QueryLimits refuses an operation deeper or costlier than its limits
// before it is executed, so before it touches the database. Cost is
// gqlgen's complexity with list fields weighted by their page size
// (resolvers.SetComplexity).
type QueryLimits struct {
	MaxDepth      int
	MaxComplexity int
	schema        graphql.ExecutableSchema
}

var (
	_ graphql.HandlerExtension        = &QueryLimits{}
	_ graphql.OperationContextMutator = &QueryLimits{}
)

// ExtensionName implements graphql.HandlerExtension.
func (*QueryLimits) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (l *QueryLimits) Validate(schema graphql.ExecutableSchema) error {
	l.schema = schema
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (l *QueryLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if l.MaxDepth > 0 {
		if d := depth(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}); d > l.MaxDepth {
			return tooComplex(fmt.Sprintf("query depth %d exceeds the limit of %d", d, l.MaxDepth), d, l.MaxDepth)
		}
	}
	if l.MaxComplexity > 0 {
		if c := complexity.Calculate(ctx, l.schema, oc.Operation, oc.Variables); c > l.MaxComplexity {
			return tooComplex(fmt.Sprintf("query complexity %d exceeds the limit of %d: ask for smaller pages or fewer nested lists", c, l.MaxComplexity), c, l.MaxComplexity)
		}
	}
	return nil
}

func tooComplex(msg string, cost, limit int) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": limit}}
}

// depth is the longest chain of nested fields, fragments followed, the
// introspection fields (__schema, __type) not counted: GraphiQL's own
// introspection query must pass any sensible limit.
func depth(set ast.SelectionSet, fragments ast.FragmentDefinitionList, visiting map[string]bool) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + depth(s.SelectionSet, fragments, visiting)
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, fragments, visiting)
		case *ast.FragmentSpread:
			if visiting[s.Name] {
				continue // validation refuses cycles; never loop on one
			}
			if f := fragments.ForName(s.Name); f != nil {
				visiting[s.Name] = true
				d = depth(f.SelectionSet, fragments, visiting)
				delete(visiting, s.Name)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
