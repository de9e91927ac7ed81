// Package payload reads provider payloads leniently: ids that come as
// strings or numbers, timestamps in every format the providers use, text
// that must be storable. Every adapter reads through it, so that the same
// value means the same thing whichever provider sent it.
package payload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen bounds ids used in keys: longer ones (or ones that are not
// storable text) are replaced by their hash, which is just as stable.
const MaxKeyLen = 128

// String decodes raw when it is a JSON string.
func String(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Text returns raw as storable text when it is a JSON string, else "".
func Text(raw json.RawMessage) string {
	s, _ := String(raw)
	return Clean(s)
}

// IsNull reports whether raw is absent or null.
func IsNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// ID reads an id sent as a string or a number and returns it in one
// canonical form: integers (1234, "1234", 1234.0) in decimal, other strings
// trimmed. Ids that are too long or not storable text are hashed.
func ID(raw json.RawMessage) (string, bool) {
	var lit string
	if s, ok := String(raw); ok {
		lit = strings.TrimSpace(s)
	} else if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		lit = string(raw)
	}
	if lit == "" {
		return "", false
	}
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	// Integral floats within the exact range of a float64 only: beyond
	// 2^53 two different ids could round to one.
	if f, err := strconv.ParseFloat(lit, 64); err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return strconv.FormatInt(int64(f), 10), true
	}
	return Key(lit), true
}

// Key makes s usable in a key column: unchanged when short storable text,
// else "sha256:" and its hash.
func Key(s string) string {
	if len(s) > MaxKeyLen || Clean(s) != s {
		return "sha256:" + SHA256(s)
	}
	return s
}

// SHA256 returns the hex SHA-256 of s.
func SHA256[T string | []byte](s T) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Clean makes s storable as text: PostgreSQL refuses NUL bytes and invalid
// UTF-8, and a JSON "\u0000" is enough to produce one.
func Clean(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Quote shows a provider value inside a Reason: escaped, and cut short so
// that a garbled field cannot bloat every stored event.
func Quote(s string) string {
	const n = 64
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// Kind names the type of a valid JSON document by its first byte.
func Kind(body []byte) string {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// Object decodes raw when it is a JSON object, else returns nil.
func Object(raw json.RawMessage) map[string]json.RawMessage {
	if len(raw) == 0 || bytes.TrimLeft(raw, " \t\r\n")[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// Array decodes raw when it is a JSON array, else returns nil.
func Array(raw json.RawMessage) []json.RawMessage {
	if len(raw) == 0 || bytes.TrimLeft(raw, " \t\r\n")[0] != '[' {
		return nil
	}
	var a []json.RawMessage
	if json.Unmarshal(raw, &a) != nil {
		return nil
	}
	return a
}

// Bool reads a JSON boolean, or "true"/"false" as a string.
func Bool(raw json.RawMessage) (bool, bool) {
	switch strings.Trim(string(raw), `" `) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
