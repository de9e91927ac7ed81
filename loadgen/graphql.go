package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/adapters/voxsig"
	"github.com/helpdesk-gateway/gateway/domain"
)

// graphQL is a client of the gateway's GraphQL API with the admin token.
type graphQL struct {
	url    string
	token  string
	client *http.Client
}

// do runs query with vars and decodes its data into out. A GraphQL error
// is an error: the run cannot go on without its answer.
func (g *graphQL) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encode GraphQL request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("GraphQL request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.token)
	res, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", g.url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read the GraphQL answer: %w", err)
	}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("POST %s answered %d %s", g.url, res.StatusCode, snippet(raw))
	}
	if len(answer.Errors) > 0 {
		msgs := make([]string, len(answer.Errors))
		for i, e := range answer.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("GraphQL: %s", strings.Join(msgs, "; "))
	}
	if err := json.Unmarshal(answer.Data, out); err != nil {
		return fmt.Errorf("decode GraphQL data: %w", err)
	}
	return nil
}

// Subscription is the webhook subscription a run posts to, with the
// credentials its deliveries carry.
type Subscription struct {
	ID  string
	URL string
	// SecretKey signs Dixa and Voxsig deliveries.
	SecretKey string
	// Token is the Authorization token of CINNOX and CloudCX deliveries,
	// which those providers authenticate with instead of a signature.
	Token    string
	provider domain.Provider
}

// createSubscription creates a subscription for p with the credentials
// its provider authenticates deliveries with: Dixa's generated secret, a
// Voxsig secret, or a token for CINNOX and CloudCX.
func (g *graphQL) createSubscription(ctx context.Context, p domain.Provider, name string) (*Subscription, error) {
	sub := &Subscription{provider: p}
	in := map[string]any{"provider": string(p), "name": name}
	switch p {
	case domain.ProviderVoxsig:
		sub.SecretKey = domain.RandomHex(32)
		in["secretKey"] = sub.SecretKey
	case domain.ProviderCINNOX, domain.ProviderCloudCX:
		sub.Token = domain.RandomHex(24)
		in["authorization"] = map[string]any{"type": "TOKEN", "token": sub.Token}
	}
	var out struct {
		Create struct {
			ID        string  `json:"id"`
			URL       string  `json:"url"`
			SecretKey *string `json:"secretKey"`
		} `json:"createWebhookSubscription"`
	}
	err := g.do(ctx, `mutation($in: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $in) { id url secretKey } }`,
		map[string]any{"in": in}, &out)
	if err != nil {
		return nil, fmt.Errorf("create a %s webhook subscription: %w", p.Slug(), err)
	}
	sub.ID, sub.URL = out.Create.ID, out.Create.URL
	if out.Create.SecretKey != nil {
		sub.SecretKey = *out.Create.SecretKey
	}
	if sub.ID == "" || sub.URL == "" || (p == domain.ProviderDixa && sub.SecretKey == "") {
		return nil, fmt.Errorf("create a %s webhook subscription: the answer lacks its id, url or secretKey", p.Slug())
	}
	return sub, nil
}

// Authenticate sets the headers with which the provider authenticates
// body, sent at now: Dixa's and Voxsig's signatures, or the token.
func (s *Subscription) Authenticate(h http.Header, body []byte, now time.Time) {
	switch {
	case s.provider == domain.ProviderDixa && s.SecretKey != "":
		h.Set(dixa.SignatureHeader, dixa.Sign(s.SecretKey, now, body))
	case s.provider == domain.ProviderVoxsig && s.SecretKey != "":
		sig, ts := voxsig.Sign(s.SecretKey, now, body)
		h.Set(voxsig.SignatureHeader, sig)
		h.Set(voxsig.TimestampHeader, ts)
	}
	if s.Token != "" {
		h.Set("Authorization", "Bearer "+s.Token)
	}
}

// storedEvents pages through the subscription's events from after and
// adds their ids to seen. It returns the cursor to go on from.
func (g *graphQL) storedEvents(ctx context.Context, subscriptionID, after string, seen map[string]bool) (string, error) {
	for {
		var out struct {
			Events struct {
				Edges []struct {
					Node struct {
						ID string `json:"id"`
					} `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"events"`
		}
		var cursor any
		if after != "" {
			cursor = after
		}
		err := g.do(ctx, `query($id: ID!, $after: String) { events(filter: {subscriptionId: $id}, first: 1000, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"id": subscriptionID, "after": cursor}, &out)
		if err != nil {
			return after, fmt.Errorf("read the subscription's events: %w", err)
		}
		for _, e := range out.Events.Edges {
			seen[e.Node.ID] = true
		}
		if out.Events.PageInfo.EndCursor != "" {
			after = out.Events.PageInfo.EndCursor
		}
		if !out.Events.PageInfo.HasNextPage {
			return after, nil
		}
	}
}

// snippet shortens an answer for a report line.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
