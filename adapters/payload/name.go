package payload

import "strings"

// MaxNameLen bounds an event name: ProviderEventType is indexed and shown
// to users, and no real provider's name comes close.
const MaxNameLen = 100

// IsName reports whether s can be kept as an event name: at most max
// letters, digits and the separators _ . - (and a space inside when
// spaces is true). Anything else (a garbled field, a NUL byte, a whole
// document) is not a name: it must not become one that subscriptions and
// filters match against.
func IsName(s string, max int, spaces bool) bool {
	if s == "" || len(s) > max || (spaces && s != strings.TrimSpace(s)) {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
		case r == ' ' && spaces:
		default:
			return false
		}
	}
	return true
}
