package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// QueryLimits refuses an operation deeper or costlier than its limits
// before it is executed, so before it touches the database. Cost is
// gqlgen's complexity with list fields weighted by their page size
// (resolvers.SetComplexity). Both walks visit each fragment once, whatever
// the number of spreads of it, so they take time linear in the document's
// size. The bytes of payloads a response may hold are bounded while it
// runs (resolvers.WithResponseBudget).
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
		if d := (&depthWalker{memo: map[string]int{}, fragments: oc.Doc.Fragments}).set(oc.Operation.SelectionSet); d > l.MaxDepth {
			return tooComplex(fmt.Sprintf("query depth %d exceeds the limit of %d", d, l.MaxDepth), d, l.MaxDepth)
		}
	}
	if l.MaxComplexity > 0 {
		w := &costWalker{ctx: ctx, es: l.schema, schema: l.schema.Schema(), vars: oc.Variables, memo: map[string]int{}}
		if c := w.set(oc.Operation.SelectionSet); c > l.MaxComplexity {
			return tooComplex(fmt.Sprintf("query complexity %d exceeds the limit of %d: ask for smaller pages or fewer nested lists", c, l.MaxComplexity), c, l.MaxComplexity)
		}
	}
	return nil
}

func tooComplex(msg string, cost, limit int) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": limit}}
}

// depthWalker finds the longest chain of nested fields, fragments followed,
// the introspection fields (__schema, __type) not counted: GraphiQL's own
// introspection query must pass any sensible limit. Each fragment's depth
// is computed once.
type depthWalker struct {
	fragments ast.FragmentDefinitionList
	memo      map[string]int
	visiting  map[string]bool
}

func (w *depthWalker) set(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + w.set(s.SelectionSet)
		case *ast.InlineFragment:
			d = w.set(s.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w *depthWalker) fragment(name string) int {
	if d, ok := w.memo[name]; ok {
		return d
	}
	if w.visiting == nil {
		w.visiting = map[string]bool{}
	}
	f := w.fragments.ForName(name)
	if f == nil || w.visiting[name] {
		return 0 // validation refuses unknown and cyclic fragments; never loop on one
	}
	w.visiting[name] = true
	d := w.set(f.SelectionSet)
	delete(w.visiting, name)
	w.memo[name] = d
	return d
}

// costWalker computes gqlgen's complexity of a selection set (see
// complexity.Calculate, whose rules it follows), each fragment once.
type costWalker struct {
	ctx      context.Context
	es       graphql.ExecutableSchema
	schema   *ast.Schema
	vars     map[string]any
	memo     map[string]int
	visiting map[string]bool
}

func (w *costWalker) set(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = saturatingAdd(total, w.field(s))
		case *ast.InlineFragment:
			total = saturatingAdd(total, w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			total = saturatingAdd(total, w.fragment(s.Name, s.Definition))
		}
	}
	return total
}

func (w *costWalker) fragment(name string, def *ast.FragmentDefinition) int {
	if c, ok := w.memo[name]; ok {
		return c
	}
	if w.visiting == nil {
		w.visiting = map[string]bool{}
	}
	if def == nil || w.visiting[name] {
		return 0
	}
	w.visiting[name] = true
	c := w.set(def.SelectionSet)
	delete(w.visiting, name)
	w.memo[name] = c
	return c
}

func (w *costWalker) field(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 0
	}
	typ := w.schema.Types[f.Definition.Type.Name()]
	if typ == nil || typ.Name == "__Schema" {
		return 0
	}
	child := 0
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.set(f.SelectionSet)
	}
	args := f.ArgumentMap(w.vars)
	owners := []*ast.Definition{f.ObjectDefinition}
	if f.ObjectDefinition.Kind == ast.Interface || f.ObjectDefinition.Kind == ast.Union {
		owners = w.schema.GetPossibleTypes(f.ObjectDefinition)
	}
	// An interface's field costs as much as its costliest implementation.
	cost := 0
	for _, owner := range owners {
		c := saturatingAdd(1, child)
		if custom, ok := w.es.Complexity(w.ctx, owner.Name, f.Name, child, args); ok && custom >= 1 {
			c = custom
		}
		cost = max(cost, c)
	}
	return cost
}

// saturatingAdd adds non-negative costs without overflowing, so a crafted
// query cannot wrap its cost around to a small number.
func saturatingAdd(a, b int) int {
	a, b = max(a, 0), max(b, 0)
	if c := a + b; c >= a {
		return c
	}
	return int(^uint(0) >> 1)
}
