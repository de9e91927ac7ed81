package export

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/domain"
)

// appendEvent appends e's line: the scalar fields of the GraphQL Event, in
// the schema's names, then a newline. It is written by hand into a reused
// buffer, not by encoding/json, so that a line costs no allocation but its
// cursor, and the payload goes in as it was stored instead of through a
// decode and encode.
func appendEvent(b []byte, e *domain.Event) []byte {
	b = appendEventFields(b, e)
	return append(b, "}\n"...)
}

// AppendEventJSON appends e as one JSON object, as the GraphQL Event
// returns it, with a summary of its conversation c (null when nil): the
// body of an outbound webhook.
func AppendEventJSON(b []byte, e *domain.Event, c *domain.Conversation) []byte {
	b = appendEventFields(b, e)
	b = append(b, `,"conversation":`...)
	if c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = appendString(b, c.ID)
		b = append(b, `,"provider":`...)
		b = appendString(b, string(c.Provider))
		b = append(b, `,"externalId":`...)
		b = appendString(b, c.ExternalID)
		b = append(b, `,"status":`...)
		b = appendString(b, string(c.Status))
		b = append(b, `,"providerStatus":`...)
		if c.ProviderStatus == nil {
			b = append(b, "null"...)
		} else {
			b = appendString(b, *c.ProviderStatus)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendEventFields appends e's object without its closing brace.
func appendEventFields(b []byte, e *domain.Event) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"cursor":`...)
	b = appendString(b, e.Cursor())
	b = append(b, `,"provider":`...)
	b = appendString(b, string(e.Provider))
	b = append(b, `,"type":`...)
	b = appendString(b, string(e.Type))
	b = append(b, `,"providerEventType":`...)
	b = appendString(b, e.ProviderEventType)
	b = append(b, `,"dedupeKey":`...)
	b = appendString(b, e.DedupeKey)
	b = append(b, `,"occurredAt":`...)
	b = appendTime(b, e.OccurredAt)
	b = append(b, `,"receivedAt":`...)
	b = appendTime(b, e.ReceivedAt)
	b = append(b, `,"conversationId":`...)
	b = appendNullable(b, e.ConversationID)
	b = append(b, `,"subscriptionId":`...)
	b = appendString(b, e.SubscriptionID)
	b = append(b, `,"messageId":`...)
	b = appendNullable(b, e.MessageID)
	b = append(b, `,"reason":`...)
	b = appendNullable(b, e.Reason)
	b = append(b, `,"corrects":`...)
	b = appendNullable(b, e.Corrects)
	b = append(b, `,"payloadExpired":`...)
	b = strconv.AppendBool(b, e.PayloadExpired)
	b = append(b, `,"payload":`...)
	return appendPayload(b, e.Payload)
}

// appendErrorLine appends the line that ends a stream cut short.
func appendErrorLine(b []byte, msg, resumeAfter string) []byte {
	b = append(b, `{"error":`...)
	b = appendString(b, msg)
	b = append(b, `,"resumeAfter":`...)
	b = appendString(b, resumeAfter)
	return append(b, "}\n"...)
}

// appendTime writes t as GraphQL's Time scalar does: RFC3339Nano, here
// always in UTC.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendPayload embeds the stored body as JSON. The body is kept byte for
// byte except raw line breaks, which would end the NDJSON line: in valid
// JSON they can only be whitespace between tokens, so a space in their
// place leaves the same document. Ingest stores only valid JSON; a body
// that is not is written as a string, which keeps the line valid.
func appendPayload(b []byte, p domain.RawJSON) []byte {
	if len(p) == 0 {
		return append(b, "null"...)
	}
	if !json.Valid(p) {
		return appendString(b, string(p))
	}
	start := len(b)
	b = append(b, p...)
	for i := start; i < len(b); i++ {
		if b[i] == '\n' || b[i] == '\r' {
			b[i] = ' '
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// without HTML escaping: invalid UTF-8 becomes U+FFFD, and U+2028 and
// U+2029 are escaped for JavaScript's sake.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
