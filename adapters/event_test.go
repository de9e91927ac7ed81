package adapters_test

import (
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/cinnox"
	"github.com/helpdesk-gateway/gateway/adapters/cloudcx"
	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/adapters/voxsig"
	"github.com/helpdesk-gateway/gateway/domain"
)

// Every adapter keeps a given receive time in UTC, whatever zone the
// caller's clock reading is in.
func TestEveryAdapterKeepsReceiveTimesInUTC(t *testing.T) {
	zone := time.FixedZone("UTC+5", 5*3600)
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, zone)
	for _, a := range []adapters.Adapter{&cinnox.Adapter{}, &cloudcx.Adapter{}, &dixa.Adapter{}, &voxsig.Adapter{}} {
		res, err := a.Parse(&adapters.Request{Body: []byte(`[1]`), ReceivedAt: at})
		if err != nil {
			t.Fatalf("%s: %v", a.Provider(), err)
		}
		ev := res.Events[0]
		if ev.ReceivedAt.Location() != time.UTC || !ev.ReceivedAt.Equal(at) || ev.OccurredAt.Location() != time.UTC {
			t.Errorf("%s: received %v, occurred %v, want %v in UTC", a.Provider(), ev.ReceivedAt, ev.OccurredAt, at)
		}
	}
}

// The form of a body's dedupe key is stored with events: it never changes.
func TestBodyKeysKeepTheirForm(t *testing.T) {
	const hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" // SHA-256 of "{}"
	for p, want := range map[domain.Provider]string{
		domain.ProviderCINNOX: "cinnox:sha256:" + hash, domain.ProviderCloudCX: "cloudcx:sha256:" + hash,
		domain.ProviderDixa: "dixa:sha256:" + hash, domain.ProviderVoxsig: "voxsig:sha256:" + hash,
	} {
		if got := adapters.BodyKey(p, []byte(`{}`)); got != want {
			t.Errorf("BodyKey(%s) = %q, want %q", p, got, want)
		}
	}
}
