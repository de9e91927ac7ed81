package server

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/httperror"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// codegenDirectives are gqlgen's directives: they tell its code generator
// how to map the schema to Go, and mean nothing to a client.
var codegenDirectives = map[string]bool{
	"goModel": true, "goField": true, "goTag": true, "goExtraField": true, "goEnum": true,
}

// publicSDL is the schema the gateway executes, as SDL, without gqlgen's
// directives. It is built from the executable schema, so it is always the
// one served.
func publicSDL(schema *ast.Schema) ([]byte, error) {
	var full bytes.Buffer
	formatter.NewFormatter(&full).FormatSchema(schema)
	// The executable schema is shared with the executor: strip a parsed
	// copy of it, never the schema itself.
	doc, err := parser.ParseSchema(&ast.Source{Name: "schema.graphql", Input: full.String()})
	if err != nil {
		return nil, fmt.Errorf("reparse the schema: %w", err)
	}
	kept := doc.Directives[:0]
	for _, d := range doc.Directives {
		if !codegenDirectives[d.Name] {
			kept = append(kept, d)
		}
	}
	doc.Directives = kept
	for _, defs := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, def := range defs {
			def.Directives = withoutCodegen(def.Directives)
			for _, f := range def.Fields {
				f.Directives = withoutCodegen(f.Directives)
				for _, a := range f.Arguments {
					a.Directives = withoutCodegen(a.Directives)
				}
			}
			for _, v := range def.EnumValues {
				v.Directives = withoutCodegen(v.Directives)
			}
		}
	}
	var out bytes.Buffer
	formatter.NewFormatter(&out).FormatSchemaDocument(doc)
	return out.Bytes(), nil
}

func withoutCodegen(list ast.DirectiveList) ast.DirectiveList {
	var kept ast.DirectiveList
	for _, d := range list {
		if !codegenDirectives[d.Name] {
			kept = append(kept, d)
		}
	}
	return kept
}

// schemaHandler serves GET /schema.graphql: the SDL, behind the same
// token and the same introspection switch as /graphql (with introspection
// off, the schema is not told here either).
func (cfg Config) schemaHandler() http.Handler {
	sdl, err := publicSDL(cfg.Schema.Schema())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !cfg.Introspection:
			httperror.Write(w, domain.Errorf(domain.ENOTFOUND, "the schema is not published: introspection is disabled on this gateway"))
		case err != nil:
			cfg.Logger.Error("schema SDL", "err", err)
			httperror.Write(w, domain.Errorf(domain.EINTERNAL, "the schema could not be printed"))
		default:
			w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
			_, _ = w.Write(sdl)
		}
	})
}
