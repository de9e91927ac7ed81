package domain

import (
	"io"
	"strconv"
	"strings"
)

// Provider names a helpdesk that sends webhooks.
type Provider string

// The providers the gateway speaks to.
const (
	ProviderCINNOX  Provider = "CINNOX"
	ProviderCloudCX Provider = "CLOUDCX"
	ProviderDixa    Provider = "DIXA"
	ProviderVoxsig  Provider = "VOXSIG"
)

// ProviderGateway is the gateway itself, for the events it writes on the
// history of its own accord (EventEndpointDisabled). It is not among
// Providers: no helpdesk sends its webhooks, so it has no adapter and no
// ingest URL.
const ProviderGateway Provider = "GATEWAY"

// Providers lists every provider.
var Providers = []Provider{ProviderCINNOX, ProviderCloudCX, ProviderDixa, ProviderVoxsig}

// IsValid reports whether p is a known provider or the gateway.
func (p Provider) IsValid() bool {
	if p == ProviderGateway {
		return true
	}
	for _, q := range Providers {
		if p == q {
			return true
		}
	}
	return false
}

// Slug is the provider's name as it appears in ingest URLs: lower case.
func (p Provider) Slug() string { return strings.ToLower(string(p)) }

// ParseProviderSlug returns the provider whose Slug is s.
func ParseProviderSlug(s string) (Provider, error) {
	for _, p := range Providers {
		if p.Slug() == s {
			return p, nil
		}
	}
	return "", Errorf(ENOTFOUND, "unknown provider %q: expected one of cinnox, cloudcx, dixa, voxsig", s)
}

// MarshalGQL writes the provider as a GraphQL enum value.
func (p Provider) MarshalGQL(w io.Writer) { writeQuoted(w, string(p)) }

// UnmarshalGQL reads a GraphQL enum value.
func (p *Provider) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "Provider", func(s string) bool { *p = Provider(s); return p.IsValid() })
}

func writeQuoted(w io.Writer, s string) {
	_, _ = io.WriteString(w, strconv.Quote(s))
}

func unmarshalEnum(v any, name string, set func(string) bool) error {
	s, ok := v.(string)
	if !ok {
		return Errorf(EINVALID, "%s must be a string, got %T", name, v)
	}
	if !set(s) {
		return Errorf(EINVALID, "%q is not a valid %s", s, name)
	}
	return nil
}
