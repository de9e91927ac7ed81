package dixa

import (
	"net/http"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// FuzzParse runs the shared contract fuzz target over Dixa's shapes.
func FuzzParse(f *testing.F) {
	adapterstest.FuzzParse(f, New(), nil, `{"event_fqn":"SLA_EVALUATION_VOIDED","data":{"conversation":{"csid":"1"}}}`)
}

// FuzzVerify checks that no signature header makes Verify panic or accept
// a body it was not signed for, and that what Sign produces always passes.
func FuzzVerify(f *testing.F) {
	f.Add("t=1694779200123,v1=00", testSecret, []byte(`{}`))
	f.Add(" t = 1 , v1 = ab, v1=", hexSecret, []byte(`[]`))
	f.Add(",,=,t==,v1==", "", []byte(``))
	a := New()
	f.Fuzz(func(t *testing.T, header, secret string, body []byte) {
		req := &adapters.Request{Header: http.Header{SignatureHeader: {header}}, Body: body}
		if err := a.Verify(req, secret); err != nil && domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Fatalf("Verify(%q) = %v, want nil or %q", header, err, domain.EUNAUTHORIZED)
		}
		if secret == "" {
			return
		}
		signed := &adapters.Request{Header: http.Header{SignatureHeader: {Sign(secret, time.UnixMilli(1), body)}}, Body: body}
		if err := a.Verify(signed, secret); err != nil {
			t.Fatalf("Verify of Sign(%q) = %v", secret, err)
		}
		signed.Body = append(append([]byte(nil), body...), ' ')
		if err := a.Verify(signed, secret); err == nil {
			t.Fatal("Verify accepted a body changed after signing")
		}
	})
}
