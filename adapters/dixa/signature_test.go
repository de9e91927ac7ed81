package dixa

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

const hexSecret = "8f1c2a7b9d0e4f6a5b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"

var sigBody = []byte(`{"event_id":"8967e0c6","event_fqn":"CONVERSATION_NOTE_ADDED"}`)

func signedRequest(values ...string) *adapters.Request {
	h := http.Header{}
	for _, v := range values {
		h.Add(SignatureHeader, v)
	}
	return &adapters.Request{Header: h, Body: sigBody}
}

// reference computes the signature straight from Dixa's description, so
// Sign and Verify are checked against something they do not share code with.
func reference(key []byte, t string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(t + "." + string(body)))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignFollowsDixasScheme(t *testing.T) {
	at := time.UnixMilli(1694779200123)
	key, _ := hex.DecodeString(hexSecret)
	if got, want := Sign(hexSecret, at, sigBody), "t=1694779200123,v1="+reference(key, "1694779200123", sigBody); got != want {
		t.Errorf("hex secret: Sign = %s, want %s (key is the hex-decoded secret)", got, want)
	}
	if got, want := Sign(testSecret, at, sigBody), "t=1694779200123,v1="+reference([]byte(testSecret), "1694779200123", sigBody); got != want {
		t.Errorf("non-hex secret: Sign = %s, want %s (key is the secret's bytes)", got, want)
	}
}

func TestVerify(t *testing.T) {
	at := time.UnixMilli(1694779200123)
	good := Sign(hexSecret, at, sigBody)
	v1 := good[strings.Index(good, "v1=")+3:]
	other := Sign("00"+hexSecret[2:], at, sigBody)
	otherV1 := other[strings.Index(other, "v1=")+3:]
	tests := []struct {
		name    string
		secret  string
		req     *adapters.Request
		wantErr string // "" means accepted
	}{
		{name: "valid signature", secret: hexSecret, req: signedRequest(good)},
		{name: "seed's non-hex secret", secret: testSecret, req: signedRequest(Sign(testSecret, at, sigBody))},
		{name: "no secret skips the check", secret: "", req: signedRequest()},
		{name: "spaces and upper-case hex", secret: hexSecret,
			req: signedRequest(" t = 1694779200123 ,  v1 = " + strings.ToUpper(v1) + " ")},
		{name: "pairs in any order with unknown keys", secret: hexSecret,
			req: signedRequest("v0=abc,v1=" + v1 + ",t=1694779200123,,extra")},
		{name: "several v1 values, the second matching", secret: hexSecret,
			req: signedRequest("t=1694779200123,v1=" + otherV1 + ",v1=" + v1)},
		{name: "second header matching", secret: hexSecret, req: signedRequest(other, good)},
		{name: "header in any case", secret: hexSecret,
			req: &adapters.Request{Header: http.Header{"X-DIXA-SIGNATURE": {good}}, Body: sigBody}},
		{name: "old timestamp still verifies", secret: hexSecret,
			req: signedRequest(Sign(hexSecret, time.UnixMilli(1), sigBody))},

		{name: "wrong secret", secret: "00" + hexSecret[2:], req: signedRequest(good), wantErr: "does not match"},
		{name: "hex secret is not used as raw bytes", secret: "abcd", wantErr: "does not match",
			req: signedRequest("t=1694779200123,v1=" + reference([]byte("abcd"), "1694779200123", sigBody))},
		{name: "tampered body", secret: hexSecret, wantErr: "does not match",
			req: &adapters.Request{Header: signedRequest(good).Header, Body: append([]byte(`{"x":1,`), sigBody[1:]...)}},
		{name: "changed timestamp", secret: hexSecret, req: signedRequest("t=1694779200124,v1=" + v1), wantErr: "does not match"},
		{name: "missing header", secret: hexSecret, req: signedRequest(), wantErr: "missing"},
		{name: "nil request", secret: hexSecret, req: nil, wantErr: "missing"},
		{name: "empty header", secret: hexSecret, req: signedRequest(""), wantErr: "malformed"},
		{name: "no t", secret: hexSecret, req: signedRequest("v1=" + v1), wantErr: "malformed"},
		{name: "no v1", secret: hexSecret, req: signedRequest("t=1694779200123"), wantErr: "malformed"},
		{name: "t not a number", secret: hexSecret, req: signedRequest("t=soon,v1=" + v1), wantErr: "malformed"},
		{name: "two different t", secret: hexSecret, req: signedRequest("t=1,t=1694779200123,v1=" + v1), wantErr: "malformed"},
		{name: "v1 not hex", secret: hexSecret, req: signedRequest("t=1694779200123,v1=zz"), wantErr: "malformed"},
		{name: "v1 truncated", secret: hexSecret, req: signedRequest("t=1694779200123,v1=" + v1[:62]), wantErr: "malformed"},
		{name: "bare separators", secret: hexSecret, req: signedRequest(",=,==,t=,v1="), wantErr: "malformed"},
		{name: "signature of another scheme", secret: hexSecret, req: signedRequest("sha256=" + v1), wantErr: "malformed"},
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

func TestVerifyBoundsTheWorkOfManyTimestamps(t *testing.T) {
	at := time.UnixMilli(1694779200123)
	var values []string
	for i := range 1000 {
		values = append(values, Sign(hexSecret, at.Add(time.Duration(i+1)*time.Millisecond), []byte("other")))
	}
	// The genuine signature comes last: past the bound it is not even
	// hashed, which is the price of not hashing the body a thousand times.
	err := New().Verify(signedRequest(append(values, Sign(hexSecret, at, sigBody))...), hexSecret)
	if domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("Verify = %v, want refusal once %d timestamps were tried", err, maxTimestamps)
	}
}
