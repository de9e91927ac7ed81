package voxsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// The headers a signing Voxsig install sends. Voxsig keeps Chatwoot's
// names; the X-Voxsig- spellings are accepted as aliases because some
// installs rebrand them.
const (
	// SignatureHeader carries "sha256=<hex HMAC-SHA256>".
	SignatureHeader = "X-Chatwoot-Signature"
	// TimestampHeader carries the Unix seconds the signature covers.
	TimestampHeader = "X-Chatwoot-Timestamp"
	// SignatureHeaderAlias is the rebranded SignatureHeader.
	SignatureHeaderAlias = "X-Voxsig-Signature"
	// TimestampHeaderAlias is the rebranded TimestampHeader.
	TimestampHeaderAlias = "X-Voxsig-Timestamp"
)

// signaturePrefix names the MAC in the signature header.
const signaturePrefix = "sha256="

// maxTimestampDigits bounds the timestamp header: Unix seconds need 10
// digits for centuries, and strconv must not be handed a megabyte.
const maxTimestampDigits = 12

// Verify checks the delivery's signature when the subscription has a
// secret: the HMAC-SHA256 of "<timestamp>.<raw body>" keyed by the secret,
// with a timestamp within Tolerance of the receive time so that a captured
// delivery cannot be replayed later. Voxsig's old installs do not sign, so
// a subscription without a secret accepts everything.
func (a *Adapter) Verify(req *adapters.Request, secret string) error {
	if secret == "" {
		return nil
	}
	if req == nil {
		return domain.Errorf(domain.EUNAUTHORIZED, "missing %s header: the subscription has a secret, so deliveries must be signed", SignatureHeader)
	}
	sigValue := header(req, SignatureHeader, SignatureHeaderAlias)
	tsValue := header(req, TimestampHeader, TimestampHeaderAlias)
	switch {
	case sigValue == "":
		return domain.Errorf(domain.EUNAUTHORIZED, "missing %s header: the subscription has a secret, so deliveries must be signed", SignatureHeader)
	case tsValue == "":
		return domain.Errorf(domain.EUNAUTHORIZED, "missing %s header: the signature cannot be checked without it", TimestampHeader)
	}
	hexMAC, ok := strings.CutPrefix(sigValue, signaturePrefix)
	if !ok {
		return domain.Errorf(domain.EUNAUTHORIZED, "malformed %s header: want sha256=<hex HMAC-SHA256>", SignatureHeader)
	}
	got, err := hex.DecodeString(strings.TrimSpace(hexMAC))
	if err != nil || len(got) != sha256.Size {
		return domain.Errorf(domain.EUNAUTHORIZED, "malformed %s header: want sha256=<hex HMAC-SHA256>", SignatureHeader)
	}
	if !isDigits(tsValue) {
		return domain.Errorf(domain.EUNAUTHORIZED, "malformed %s header: want Unix seconds", TimestampHeader)
	}
	secs, err := strconv.ParseInt(tsValue, 10, 64)
	if err != nil {
		return domain.Errorf(domain.EUNAUTHORIZED, "malformed %s header: want Unix seconds", TimestampHeader)
	}
	received := req.ReceivedAt
	if received.IsZero() {
		received = time.Now()
	}
	tolerance := a.tolerance()
	signedAt := time.Unix(secs, 0)
	if signedAt.Before(received.Add(-tolerance)) || signedAt.After(received.Add(tolerance)) {
		return domain.Errorf(domain.EUNAUTHORIZED, "the signature timestamp is outside the allowed window of %s around the receive time: a delayed or replayed delivery, or a clock off by more than that", tolerance)
	}
	if !hmac.Equal(got, computeMAC(secret, tsValue, req.Body)) {
		return domain.Errorf(domain.EUNAUTHORIZED, "%s does not match the body: check the subscription's secret", SignatureHeader)
	}
	return nil
}

// Sign returns the signature and timestamp header values a signing Voxsig
// install sends for body at t, so tests and local tools can produce
// deliveries the gateway accepts.
func Sign(secret string, t time.Time, body []byte) (signatureHeader, timestampHeader string) {
	ts := strconv.FormatInt(t.Unix(), 10)
	return signaturePrefix + hex.EncodeToString(computeMAC(secret, ts, body)), ts
}

func (a *Adapter) tolerance() time.Duration {
	if a == nil || a.Tolerance <= 0 {
		return DefaultTolerance
	}
	return a.Tolerance
}

func computeMAC(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// header returns the first non-empty value among names, trimmed.
func header(req *adapters.Request, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(req.Header.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" || len(s) > maxTimestampDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
