package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/helpdesk-gateway/gateway/stream"
)

// sseResume makes GraphQL's SSE streams resumable the way SSE intends:
// every event frame of an eventStream carries `id: <cursor>`, and a request
// that comes back with Last-Event-ID has it as its `$after` variable (the
// query declares `$after: String` and passes it to eventStream).
func sseResume(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		if last := r.Header.Get("Last-Event-ID"); last != "" {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
			if err != nil {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			var req map[string]any
			if json.Unmarshal(body, &req) == nil {
				vars, _ := req["variables"].(map[string]any)
				if vars == nil {
					vars = map[string]any{}
				}
				vars["after"] = last
				req["variables"] = vars
				body, _ = json.Marshal(req)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(&sseIDWriter{ResponseWriter: w}, r.WithContext(stream.WithTransport(r.Context(), stream.TransportSSE)))
	})
}

// sseIDWriter adds an `id:` line with the event's cursor to each SSE event
// frame of an eventStream. gqlgen writes a frame in one Write call.
type sseIDWriter struct {
	http.ResponseWriter
}

var nextFrame = []byte("event: next\ndata: ")

func (w *sseIDWriter) Write(p []byte) (int, error) {
	if data, ok := bytes.CutPrefix(p, nextFrame); ok {
		var frame struct {
			Data struct {
				EventStream struct {
					Cursor string `json:"cursor"`
				} `json:"eventStream"`
			} `json:"data"`
		}
		if json.Unmarshal(bytes.TrimSpace(data), &frame) == nil && frame.Data.EventStream.Cursor != "" {
			if _, err := io.WriteString(w.ResponseWriter, "id: "+frame.Data.EventStream.Cursor+"\n"); err != nil {
				return 0, err
			}
		}
	}
	return w.ResponseWriter.Write(p)
}

// Flush passes flushes on: SSE frames must leave at once.
func (w *sseIDWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
