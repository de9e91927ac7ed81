// Package console serves the gateway's browser pages from the binary:
// GraphiQL at / and the web console at /console, with their assets under
// /console/assets/. Both talk only to the gateway's own /graphql, and the
// pages ask for nothing from any other origin.
//
// dist/ is built from this folder's web sources by `npm ci && npm run
// build`; CI checks that the build reproduces the committed files.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed dist
var dist embed.FS

// policy keeps the pages to their own origin: scripts, styles, fonts and
// connections (the websocket of the live tail too) come from the gateway
// itself. Inline styles are allowed because GraphiQL's editor positions
// its widgets with them; fonts and icons it inlines are data: URIs.
const policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; img-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler serves GET / (GraphiQL), /console (the console) and
// /console/assets/. The pages need no token: every piece of data they
// show comes from /graphql, which does.
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	assets := http.FileServerFS(root)
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", page(root, "graphiql.html"))
	mux.Handle("GET /console", page(root, "index.html"))
	mux.Handle("GET /console/{$}", page(root, "index.html"))
	mux.Handle("GET /console/assets/", http.StripPrefix("/console", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // assets are files: no listings
			return
		}
		// Asset names carry a hash of their content.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		assets.ServeHTTP(w, r)
	})))
	return mux
}

func page(root fs.FS, name string) http.Handler {
	body, err := fs.ReadFile(root, name)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// A page names the assets of its build: a new binary must not be
		// paired with an old cached page.
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	})
}

func secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
