package adapterstest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// FuzzParse holds a's Parse to the contract on arbitrary bytes: never a
// panic, EINVALID exactly for what is not JSON, valid and stable events (or
// a JSON reply) for everything else. The corpus is seeded with every sample
// in testdata, a few wrong shapes, and seeds. check, when set, adds the
// adapter's own rules for a body that parsed.
func FuzzParse(f *testing.F, a adapters.Adapter, check func(t *testing.T, body []byte, res *adapters.Result), seeds ...string) {
	for _, s := range Samples(f, "testdata") {
		f.Add(s.Body)
	}
	for _, b := range append([]string{`{}`, `[]`, `null`, `"x"`, `{`, ``}, seeds...) {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &adapters.Request{Header: http.Header{}, Body: body, ReceivedAt: ReceivedAt}
		valid := json.Valid(body)
		if err := CheckParse(a, req, valid); err != nil {
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
		if check != nil {
			check(t, body, res)
		}
	})
}
