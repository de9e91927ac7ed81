package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/helpdesk-gateway/gateway/resolvers"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// rawDataPOST is gqlgen's POST transport, except that a response's data
// goes out as the executor wrote it. gqlgen encodes the response with
// encoding/json, which re-validates and compacts a json.RawMessage byte by
// byte: for a page of stored payloads that is a second pass over every
// byte of the response, and stored payloads would not leave exactly as
// they were received.
type rawDataPOST struct{ transport.POST }

// Do runs the POST transport with the data held back, then splices it in
// where the encoded response has its placeholder.
func (t rawDataPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rw := &rawDataWriter{ResponseWriter: w}
	t.POST.Do(rw, r, rawDataExecutor{GraphExecutor: exec, w: rw})
}

// dataPlaceholder stands for the data while the response is encoded: one
// byte of valid JSON.
var dataPlaceholder = json.RawMessage("0")

// rawDataExecutor hands the data of each response to the writer and the
// placeholder to the transport's encoder.
type rawDataExecutor struct {
	graphql.GraphExecutor
	w *rawDataWriter
}

func (e rawDataExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	// Listings may leave their values to be written as the data goes out.
	ctx, e.w.splices = resolvers.WithSplices(ctx)
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, rc)
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		if resp == nil || len(resp.Data) == 0 {
			return resp
		}
		held := *resp
		e.w.data, e.w.errors = resp.Data, resp.Errors
		held.Data = dataPlaceholder
		return &held
	}, ctx
}

// rawDataWriter writes the one encoded response of a POST (gqlgen writes it
// in one call) with the held data in place of the placeholder. The
// placeholder's place is known exactly: encoding/json writes the errors
// first, then the data.
type rawDataWriter struct {
	http.ResponseWriter
	data    json.RawMessage
	errors  gqlerror.List
	splices *resolvers.Splices // the values the data holds tokens for
}

func (w *rawDataWriter) Write(p []byte) (int, error) {
	if w.data == nil {
		return w.ResponseWriter.Write(p)
	}
	prefix := []byte(`{`)
	if len(w.errors) > 0 {
		b, err := json.Marshal(w.errors)
		if err != nil {
			return 0, err
		}
		prefix = append(append(append(prefix, `"errors":`...), b...), ',')
	}
	prefix = append(prefix, `"data":`...)
	data := w.data
	w.data = nil
	rest, ok := bytes.CutPrefix(p, append(prefix, dataPlaceholder...))
	if !ok {
		// Not the shape expected: nothing is lost by writing the
		// response as encoding/json would have.
		var spliced bytes.Buffer
		if err := w.splices.Write(&spliced, data); err != nil {
			return 0, err
		}
		data = spliced.Bytes()
		var resp map[string]json.RawMessage
		if err := json.Unmarshal(p, &resp); err != nil {
			return 0, err
		}
		resp["data"] = data
		b, err := json.Marshal(resp)
		if err != nil {
			return 0, err
		}
		return w.ResponseWriter.Write(b)
	}
	// No copy of the data, which may be megabytes; listings left to be
	// written now are written straight to the response.
	if _, err := w.ResponseWriter.Write(prefix); err != nil {
		return 0, err
	}
	if err := w.splices.Write(w.ResponseWriter, data); err != nil {
		return 0, err
	}
	if _, err := w.ResponseWriter.Write(rest); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush passes flushes on.
func (w *rawDataWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
