package server

import (
	"net/http"

	"github.com/rs/cors"
)

// corsPaths are the API paths a browser page on an allowed origin may
// call. Webhooks are not among them: providers post from servers.
var corsPaths = map[string]bool{"/graphql": true, "/export/events": true, "/schema.graphql": true}

// corsMaxAge is how long, in seconds, a browser may reuse a preflight's
// answer.
const corsMaxAge = 600

// withCORS answers the preflights of the API paths, before any token is
// asked for, and adds Access-Control-Allow-Origin to the answers to the
// allowed origins. With no origin allowed it adds nothing: no page on
// another origin can call the API.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	api := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		// Last-Event-ID resumes an SSE stream.
		AllowedHeaders: []string{"Authorization", "Content-Type", "Last-Event-ID"},
		ExposedHeaders: []string{"Retry-After", "WWW-Authenticate"},
		MaxAge:         corsMaxAge,
	}).Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if corsPaths[r.URL.Path] {
			api.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
