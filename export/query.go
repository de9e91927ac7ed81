package export

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// query is a parsed export request.
type query struct {
	filter domain.EventFilter
	after  domain.Position
	// limit is the most events to write; 0 means all.
	limit int
}

// parameters are the query parameters an export understands. Any other is
// refused: a misspelt filter silently ignored would export everything.
var parameters = []string{"format", "after", "provider", "type", "since", "until", "conversationId", "subscriptionId", "limit"}

// parseQuery reads the query string of an export. Its errors are EINVALID
// and name the parameter at fault.
func parseQuery(ctx context.Context, raw string, legacy domain.LegacyCursors) (*query, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "malformed query string: %v", err)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(parameters, name) {
			return nil, domain.Errorf(domain.EINVALID, "unknown parameter %q: expected one of %s", name, strings.Join(parameters, ", "))
		}
	}

	q := &query{}
	if format, err := single(values, "format"); err != nil {
		return nil, err
	} else if format != "" && !strings.EqualFold(format, "ndjson") {
		return nil, domain.Errorf(domain.EINVALID, "parameter format: unsupported format %q: only ndjson is supported", format)
	}
	if after, err := single(values, "after"); err != nil {
		return nil, err
	} else if q.after, err = domain.ParseCursor(ctx, after, legacy); err != nil {
		if domain.ErrorCode(err) != domain.EINVALID {
			return nil, err
		}
		return nil, domain.Errorf(domain.EINVALID, "parameter after: %s", domain.ErrorMessage(err))
	}
	if q.filter.Providers, err = list(values, "provider", func(s string) (domain.Provider, bool) {
		p := domain.Provider(strings.ToUpper(s))
		return p, p.IsValid()
	}, slugs()); err != nil {
		return nil, err
	}
	if q.filter.Types, err = list(values, "type", func(s string) (domain.EventType, bool) {
		t := domain.EventType(strings.ToUpper(s))
		return t, t.IsValid()
	}, join(domain.EventTypes)); err != nil {
		return nil, err
	}
	if q.filter.Since, err = timeParam(values, "since"); err != nil {
		return nil, err
	}
	if q.filter.Until, err = timeParam(values, "until"); err != nil {
		return nil, err
	}
	if q.filter.ConversationID, err = idParam(values, "conversationId"); err != nil {
		return nil, err
	}
	if q.filter.SubscriptionID, err = idParam(values, "subscriptionId"); err != nil {
		return nil, err
	}
	if limit, err := single(values, "limit"); err != nil {
		return nil, err
	} else if _, given := values["limit"]; given {
		n, err := strconv.Atoi(limit)
		if err != nil || n <= 0 {
			return nil, domain.Errorf(domain.EINVALID, "parameter limit: %q is not a positive integer", limit)
		}
		q.limit = n
	}
	return q, nil
}

// single returns the one value of a parameter, "" when it is absent.
func single(values url.Values, name string) (string, error) {
	switch v := values[name]; len(v) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(v[0]), nil
	default:
		return "", domain.Errorf(domain.EINVALID, "parameter %s is given %d times: give it once", name, len(v))
	}
}

// list reads a parameter that may be repeated, each value a comma-separated
// list, into the distinct items in the order given.
func list[T comparable](values url.Values, name string, parse func(string) (T, bool), expected string) ([]T, error) {
	var out []T
	for _, v := range values[name] {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return nil, domain.Errorf(domain.EINVALID, "parameter %s: empty value: expected one of %s", name, expected)
			}
			x, ok := parse(item)
			if !ok {
				return nil, domain.Errorf(domain.EINVALID, "parameter %s: unknown value %q: expected one of %s", name, item, expected)
			}
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

func timeParam(values url.Values, name string) (*time.Time, error) {
	v, err := single(values, name)
	if err != nil || values[name] == nil {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		hint := ""
		if strings.Contains(v, " ") {
			// A '+' in a query string decodes as a space.
			hint = " (send a '+' in an offset as %2B)"
		}
		return nil, domain.Errorf(domain.EINVALID, "parameter %s: %q is not an RFC3339 time such as 2024-01-31T09:30:00Z%s", name, v, hint)
	}
	return &t, nil
}

func idParam(values url.Values, name string) (*string, error) {
	v, err := single(values, name)
	if err != nil || values[name] == nil {
		return nil, err
	}
	if v == "" {
		return nil, domain.Errorf(domain.EINVALID, "parameter %s: empty value", name)
	}
	return &v, nil
}

func slugs() string {
	s := make([]string, len(domain.Providers))
	for i, p := range domain.Providers {
		s[i] = p.Slug()
	}
	return strings.Join(s, ", ")
}

func join[T ~string](list []T) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
