package outbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// secretPrefix starts every Standard Webhooks secret; the rest is the
// base64 of the key.
const secretPrefix = "whsec_"

// Sign returns the webhook-signature header of a message per the Standard
// Webhooks specification: for each secret, "v1," and the base64 of the
// HMAC-SHA256 of id.timestamp.body under the secret's key; several are
// separated by spaces, so that a receiver that knows either secret of a
// rotation verifies.
func Sign(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	var b strings.Builder
	for i, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, secretPrefix))
		if err != nil {
			return "", fmt.Errorf("signing secret %d: not whsec_ and base64: %w", i, err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write(strconv.AppendInt(nil, timestamp, 10))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String(), nil
}
