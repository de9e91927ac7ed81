package cinnox

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// FuzzParse holds Parse to the adapter contract on arbitrary bytes: never
// a panic, EINVALID exactly for what is not JSON, valid and stable events
// (or a challenge reply) for everything else.
func FuzzParse(f *testing.F) {
	for _, s := range adapterstest.Samples(f, "testdata") {
		f.Add(s.Body)
	}
	for _, b := range []string{`{}`, `[]`, `null`, `"x"`, `{"challenge":""}`, `{"challenge":"\u0000"}`,
		`{"eid":1,"status":"x y"}`, `{"message":{"type":"contact","status":"staffEdit","id":1}}`, `{`, ""} {
		f.Add([]byte(b))
	}
	a := New()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &adapters.Request{Header: http.Header{}, Body: body, ReceivedAt: adapterstest.ReceivedAt}
		valid := json.Valid(body)
		if err := adapterstest.CheckParse(a, req, valid); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		res, err := a.Parse(req)
		if !valid {
			if domain.ErrorCode(err) != domain.EINVALID {
				t.Fatalf("body %q is not JSON: Parse error = %v, want %q", body, err, domain.EINVALID)
			}
			return
		}
		if res.Reply != nil && !json.Valid(res.Reply) {
			t.Fatalf("body %q: Reply %q is not JSON", body, res.Reply)
		}
		if err := adapterstest.CheckEvents(a.Provider(), req, res.Events); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
	})
}
