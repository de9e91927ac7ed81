package voxsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/adapters/adapterstest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// sampleSecret signed testdata/signed_message_created.json at
// adapterstest.ReceivedAt (see its .headers.json).
const sampleSecret = "whsec_voxsig_3f9a1c7e5b2d4068"

var sigBody = []byte(`{"event":"message_created","id":913,"account":{"id":3}}`)

// reference computes the signature straight from the documented scheme, so
// Sign and Verify are checked against code they do not share.
func reference(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func request(headers map[string]string, body []byte) *adapters.Request {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	return &adapters.Request{Header: h, Body: body, ReceivedAt: adapterstest.ReceivedAt}
}

func signedAt(secret string, at time.Time, body []byte) *adapters.Request {
	sig, ts := Sign(secret, at, body)
	return request(map[string]string{SignatureHeader: sig, TimestampHeader: ts}, body)
}

func TestSignFollowsTheDocumentedScheme(t *testing.T) {
	sig, ts := Sign(sampleSecret, adapterstest.ReceivedAt, sigBody)
	if want := strconv.FormatInt(adapterstest.ReceivedAt.Unix(), 10); ts != want {
		t.Fatalf("timestamp = %q, want Unix seconds %q", ts, want)
	}
	if want := reference(sampleSecret, ts, sigBody); sig != want {
		t.Fatalf("signature = %q, want %q", sig, want)
	}
}

func TestVerifyTheSignedSample(t *testing.T) {
	s := adapterstest.Samples(t, "testdata")
	for _, sample := range s {
		if sample.Name != "signed_message_created" {
			continue
		}
		req := &adapters.Request{Header: sample.Header, Body: sample.Body, ReceivedAt: adapterstest.ReceivedAt}
		if err := New().Verify(req, sampleSecret); err != nil {
			t.Fatalf("Verify of the signed sample = %v", err)
		}
		if err := New().Verify(req, "whsec_other"); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Fatalf("Verify with another secret = %v, want %q", err, domain.EUNAUTHORIZED)
		}
		return
	}
	t.Fatal("testdata/signed_message_created.json is missing")
}

func TestVerify(t *testing.T) {
	at := adapterstest.ReceivedAt
	sig, ts := Sign(sampleSecret, at, sigBody)
	hexMAC := strings.TrimPrefix(sig, "sha256=")
	tests := []struct {
		name    string
		secret  string
		req     *adapters.Request
		wantErr string // "" means accepted
	}{
		{name: "valid signature", secret: sampleSecret, req: signedAt(sampleSecret, at, sigBody)},
		{name: "no secret skips the check", secret: "", req: request(nil, sigBody)},
		{name: "signed 4 minutes before receipt", secret: sampleSecret, req: signedAt(sampleSecret, at.Add(-4*time.Minute), sigBody)},
		{name: "signed exactly at the tolerance", secret: sampleSecret, req: signedAt(sampleSecret, at.Add(-5*time.Minute), sigBody)},
		{name: "signed 4 minutes ahead of our clock", secret: sampleSecret, req: signedAt(sampleSecret, at.Add(4*time.Minute), sigBody)},
		{name: "alias headers", secret: sampleSecret,
			req: request(map[string]string{SignatureHeaderAlias: sig, TimestampHeaderAlias: ts}, sigBody)},
		{name: "alias signature with the Chatwoot timestamp", secret: sampleSecret,
			req: request(map[string]string{SignatureHeaderAlias: sig, TimestampHeader: ts}, sigBody)},
		{name: "spaces around the values", secret: sampleSecret,
			req: request(map[string]string{SignatureHeader: " " + sig + " ", TimestampHeader: " " + ts + " "}, sigBody)},
		{name: "upper-case hex", secret: sampleSecret,
			req: request(map[string]string{SignatureHeader: "sha256=" + strings.ToUpper(hexMAC), TimestampHeader: ts}, sigBody)},

		{name: "wrong secret", secret: "whsec_other", req: signedAt(sampleSecret, at, sigBody), wantErr: "does not match"},
		{name: "tampered body", secret: sampleSecret, wantErr: "does not match",
			req: request(map[string]string{SignatureHeader: sig, TimestampHeader: ts}, []byte(`{"event":"message_created","id":914,"account":{"id":3}}`))},
		{name: "timestamp changed after signing", secret: sampleSecret, wantErr: "does not match",
			req: request(map[string]string{SignatureHeader: sig, TimestampHeader: strconv.FormatInt(at.Unix()-1, 10)}, sigBody)},
		{name: "signed 10 minutes before receipt", secret: sampleSecret, wantErr: "outside the allowed window",
			req: signedAt(sampleSecret, at.Add(-10*time.Minute), sigBody)},
		{name: "signed just past the tolerance", secret: sampleSecret, wantErr: "outside the allowed window",
			req: signedAt(sampleSecret, at.Add(-5*time.Minute-time.Second), sigBody)},
		{name: "signed in the future beyond the tolerance", secret: sampleSecret, wantErr: "outside the allowed window",
			req: signedAt(sampleSecret, at.Add(6*time.Minute), sigBody)},
		{name: "missing headers", secret: sampleSecret, req: request(nil, sigBody), wantErr: "missing " + SignatureHeader},
		{name: "nil request", secret: sampleSecret, req: nil, wantErr: "missing"},
		{name: "missing timestamp", secret: sampleSecret, req: request(map[string]string{SignatureHeader: sig}, sigBody),
			wantErr: "missing " + TimestampHeader},
		{name: "missing signature", secret: sampleSecret, req: request(map[string]string{TimestampHeader: ts}, sigBody),
			wantErr: "missing " + SignatureHeader},
		{name: "signature without the sha256= prefix", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: hexMAC, TimestampHeader: ts}, sigBody)},
		{name: "signature of another algorithm", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: "sha1=" + hexMAC, TimestampHeader: ts}, sigBody)},
		{name: "signature not hex", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: "sha256=zz", TimestampHeader: ts}, sigBody)},
		{name: "signature truncated", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: sig[:len(sig)-2], TimestampHeader: ts}, sigBody)},
		{name: "bare prefix", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: "sha256=", TimestampHeader: ts}, sigBody)},
		{name: "Dixa-style header", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: "t=" + ts + ",v1=" + hexMAC, TimestampHeader: ts}, sigBody)},
		{name: "timestamp not a number", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: sig, TimestampHeader: "soon"}, sigBody)},
		{name: "timestamp in milliseconds", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: sig, TimestampHeader: ts + "000"}, sigBody)},
		{name: "negative timestamp", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: sig, TimestampHeader: "-" + ts}, sigBody)},
		{name: "huge timestamp", secret: sampleSecret, wantErr: "malformed",
			req: request(map[string]string{SignatureHeader: sig, TimestampHeader: strings.Repeat("9", 40)}, sigBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Verify(tt.req, tt.secret)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Verify = %v, want nil", err)
			case tt.wantErr != "" && domain.ErrorCode(err) != domain.EUNAUTHORIZED:
				t.Fatalf("Verify = %v, want an %q error", err, domain.EUNAUTHORIZED)
			case tt.wantErr != "" && !strings.Contains(domain.ErrorMessage(err), tt.wantErr):
				t.Fatalf("Verify = %v, want a message containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestToleranceIsConfigurable(t *testing.T) {
	at := adapterstest.ReceivedAt
	a := New()
	if a.Tolerance != 5*time.Minute {
		t.Fatalf("New().Tolerance = %s, want 5m", a.Tolerance)
	}
	a.Tolerance = 15 * time.Minute
	if err := a.Verify(signedAt(sampleSecret, at.Add(-10*time.Minute), sigBody), sampleSecret); err != nil {
		t.Fatalf("with a 15m tolerance, a 10 minute old signature: %v", err)
	}
	a.Tolerance = 30 * time.Second
	if err := a.Verify(signedAt(sampleSecret, at.Add(-time.Minute), sigBody), sampleSecret); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("with a 30s tolerance, a 1 minute old signature = %v, want refused", err)
	}
	var zero Adapter // a zero Tolerance means the default, not "no window"
	if err := zero.Verify(signedAt(sampleSecret, at.Add(-4*time.Minute), sigBody), sampleSecret); err != nil {
		t.Fatalf("zero Adapter, 4 minute old signature: %v", err)
	}
	if err := zero.Verify(signedAt(sampleSecret, at.Add(-10*time.Minute), sigBody), sampleSecret); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("zero Adapter, 10 minute old signature = %v, want refused", err)
	}
}

func TestVerifyWithoutReceiveTimeUsesTheClock(t *testing.T) {
	req := signedAt(sampleSecret, time.Now(), sigBody)
	req.ReceivedAt = time.Time{}
	if err := New().Verify(req, sampleSecret); err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
}

func TestSignedSampleHeadersAreCurrent(t *testing.T) {
	// The headers file was written by hand-run tooling: if the body is
	// edited without re-signing, the test above fails for the wrong reason.
	body, err := os.ReadFile(filepath.Join("testdata", "signed_message_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	sig, ts := Sign(sampleSecret, adapterstest.ReceivedAt, body)
	headers := sampleBody(t, "signed_message_created.headers")
	if !strings.Contains(headers, sig) || !strings.Contains(headers, `"`+ts+`"`) {
		t.Fatalf("signed_message_created.headers.json does not hold %s / %s: re-sign the sample", sig, ts)
	}
}
