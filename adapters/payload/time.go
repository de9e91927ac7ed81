package payload

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// textLayouts are the string timestamps the providers send: RFC3339 with
// or without a fraction (CINNOX, Dixa, Voxsig), the same without a zone or
// with a space, and the JavaScript Date.toString() form Voxsig sends
// ("Fri Jul 23 2021 23:32:48 GMT+0530 (India Standard Time)").
var textLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	"Mon Jan 02 2006 15:04:05 GMT-0700",
	"Mon Jan 2 2006 15:04:05 GMT-0700",
	time.RFC1123Z,
	time.RFC1123,
}

// zoneName is the "(India Standard Time)" a browser appends to a date.
var zoneName = regexp.MustCompile(`\s*\([^)]*\)\s*$`)

// Time reads a timestamp in any of the providers' formats: RFC3339 (with
// milliseconds or none), Unix seconds as an integer or a float, Unix
// milliseconds as a number or a string, and the browser date string.
// Numbers of 10^11 or more are milliseconds: as seconds they would be past
// the year 5000. It refuses what the gateway cannot hold: the zero time and
// years outside 1..9999.
func Time(raw json.RawMessage) (time.Time, bool) {
	if s, ok := String(raw); ok {
		return parseText(strings.TrimSpace(s))
	}
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return parseNumber(string(raw))
	}
	return time.Time{}, false
}

func parseText(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T ") {
		return parseNumber(s)
	}
	s = zoneName.ReplaceAllString(s, "")
	for _, layout := range textLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return valid(t)
		}
	}
	return time.Time{}, false
}

func parseNumber(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	if f >= 1e11 {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return valid(time.UnixMilli(n))
		}
		return valid(time.UnixMicro(int64(f * 1000)))
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return valid(time.Unix(n, 0))
	}
	sec, frac := math.Modf(f)
	// Rounded to the microsecond: a float cannot carry more, and the stores
	// keep microseconds.
	return valid(time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000))
}

func valid(t time.Time) (time.Time, bool) {
	t = t.UTC()
	if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}
