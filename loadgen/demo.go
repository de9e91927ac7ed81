package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// DemoConfig configures a Demo.
type DemoConfig struct {
	// Target is the gateway's base URL, such as http://127.0.0.1:8080.
	Target string
	// AdminToken is a bearer token allowed to create subscriptions.
	AdminToken string
	// Interval is the mean pause between two deliveries; zero means 250ms
	// (about four deliveries a second).
	Interval time.Duration
	// Logger reports deliveries the gateway answered unexpectedly.
	Logger *slog.Logger
}

// Demo feeds a gateway a continuing stream of signed deliveries from all
// four providers, shaped as each adapter's testdata: whole conversation
// lifecycles (created, customer and agent messages, assignment, tags,
// status changes, closed), contacts, a CINNOX URL challenge, and now and
// then a delivery with a bad signature (refused) and one no adapter
// understands (stored untranslated). Several conversations of each
// provider run at once, so their events interleave as a real helpdesk's do.
type Demo struct {
	cfg    DemoConfig
	gql    *graphQL
	client *http.Client
	subs   map[domain.Provider]*Subscription
	rng    *rand.Rand
	// run keeps this run's ids apart from an earlier run's on the same
	// database: the store deduplicates by the providers' ids.
	run   string
	count int
	live  map[domain.Provider][]*demoConversation
}

// demoConversation is one conversation going through its lifecycle: step
// is the next of steps to deliver.
type demoConversation struct {
	n     int
	step  int
	steps []func(c *demoConversation, at time.Time) any
	// customer and agent are the conversation's people.
	customer, agent person
	agentN          int
	// opened is when the conversation began.
	opened time.Time
}

// demoProviders is the order the providers' deliveries take turns in.
var demoProviders = []domain.Provider{domain.ProviderDixa, domain.ProviderVoxsig, domain.ProviderCloudCX, domain.ProviderCINNOX}

// demoConcurrent is how many conversations of each provider are under
// way at once.
const demoConcurrent = 3

// NewDemo returns a demo feeder of cfg.Target.
func NewDemo(cfg DemoConfig) (*Demo, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Target = strings.TrimRight(cfg.Target, "/")
	if cfg.AdminToken == "" {
		return nil, fmt.Errorf("no admin token: the demo creates its own webhook subscriptions")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	seed := uint64(time.Now().UnixNano())
	return &Demo{
		cfg:    cfg,
		gql:    &graphQL{url: cfg.Target + "/graphql", token: cfg.AdminToken, client: client},
		client: client,
		subs:   map[domain.Provider]*Subscription{},
		rng:    rand.New(rand.NewPCG(seed, seed>>1|1)),
		run:    fmt.Sprintf("%08x", uint32(seed>>16)),
		live:   map[domain.Provider][]*demoConversation{},
	}, nil
}

// Subscribe creates one webhook subscription per provider and passes the
// CINNOX URL challenge, as a provider does when the URL is registered.
func (d *Demo) Subscribe(ctx context.Context) error {
	for _, p := range demoProviders {
		sub, err := d.gql.createSubscription(ctx, p, fmt.Sprintf("demo %s", strings.ToLower(string(p))))
		if err != nil {
			return err
		}
		d.subs[p] = sub
	}
	body := fmt.Appendf(nil, `{"challenge":"demo-%s"}`, d.run)
	status, answer, err := d.post(ctx, d.subs[domain.ProviderCINNOX], body)
	if err != nil {
		return fmt.Errorf("CINNOX URL challenge: %w", err)
	}
	if status != http.StatusOK || !bytes.Contains(answer, []byte("demo-"+d.run)) {
		return fmt.Errorf("CINNOX URL challenge answered %d %s", status, snippet(answer))
	}
	return nil
}

// Run delivers until ctx ends; it needs Subscribe first. An unexpected
// answer is logged and the stream goes on; Run returns nil once ctx ends.
func (d *Demo) Run(ctx context.Context) error {
	if len(d.subs) != len(demoProviders) {
		return fmt.Errorf("demo: no subscriptions: call Subscribe first")
	}
	for {
		d.deliverNext(ctx)
		// Pauses vary between half and one and a half intervals: providers
		// do not deliver in step.
		pause := time.Duration(float64(d.cfg.Interval) * (0.5 + d.rng.Float64()))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
	}
}

// deliverNext posts the stream's next delivery: the providers take turns,
// and every so often a refused or untranslatable delivery comes between.
// The first of each comes early, so that a visitor sees them at once.
func (d *Demo) deliverNext(ctx context.Context) {
	i := d.count
	d.count++
	switch {
	case i%40 == 8:
		d.deliverRefused(ctx)
		return
	case i%40 == 9:
		d.deliverUntranslatable(ctx)
		return
	}
	p := demoProviders[i%len(demoProviders)]
	c := d.conversation(p)
	body, err := json.Marshal(c.steps[c.step](c, time.Now().UTC()))
	if err != nil {
		d.cfg.Logger.Warn("demo: encode a delivery", "provider", p.Slug(), "err", err)
		return
	}
	c.step++
	status, answer, err := d.post(ctx, d.subs[p], body)
	switch {
	case err != nil && ctx.Err() == nil:
		d.cfg.Logger.Warn("demo: delivery failed", "provider", p.Slug(), "err", err)
	case err == nil && status != http.StatusOK:
		d.cfg.Logger.Warn("demo: delivery refused", "provider", p.Slug(), "status", status, "answer", snippet(answer))
	}
}

// conversation picks one of p's conversations under way, starting a new
// one in place of one whose lifecycle is over.
func (d *Demo) conversation(p domain.Provider) *demoConversation {
	live := d.live[p]
	k := d.rng.IntN(demoConcurrent)
	for len(live) <= k {
		live = append(live, nil)
	}
	if live[k] == nil || live[k].step >= len(live[k].steps) {
		live[k] = d.newConversation(p)
	}
	d.live[p] = live
	return live[k]
}

func (d *Demo) newConversation(p domain.Provider) *demoConversation {
	n := d.count*10 + d.rng.IntN(10)
	agentN := d.rng.IntN(5)
	c := &demoConversation{
		n:        n,
		customer: personOf(uint64(d.rng.Uint32()), "example.com"),
		agent:    personOf(uint64(agentN*7+3), "support.example.com"),
		agentN:   agentN,
		opened:   time.Now().UTC(),
	}
	switch p {
	case domain.ProviderDixa:
		c.steps = d.dixaLifecycle()
	case domain.ProviderVoxsig:
		c.steps = d.voxsigLifecycle()
	case domain.ProviderCloudCX:
		c.steps = d.cloudcxLifecycle()
	default:
		c.steps = d.cinnoxLifecycle()
	}
	return c
}

// deliverRefused posts a Dixa delivery signed with the wrong secret: the
// gateway refuses it with 401 and logs the refusal.
func (d *Demo) deliverRefused(ctx context.Context) {
	wrong := *d.subs[domain.ProviderDixa]
	wrong.SecretKey = domain.RandomHex(32)
	c := d.newConversation(domain.ProviderDixa)
	body, _ := json.Marshal(c.steps[0](c, time.Now().UTC())) // maps of strings always encode
	if status, answer, err := d.post(ctx, &wrong, body); err == nil && status != http.StatusUnauthorized {
		d.cfg.Logger.Warn("demo: a badly signed delivery was not refused", "status", status, "answer", snippet(answer))
	}
}

// deliverUntranslatable posts a Voxsig event no adapter knows: it is
// stored as OTHER with the reason, for reprocessEvents to retry once an
// adapter learns it.
func (d *Demo) deliverUntranslatable(ctx context.Context) {
	body := fmt.Appendf(nil, `{"event":"conversation_priority_escalated","id":%d,"account_id":%d,"updated_at":%d,"priority":"urgent"}`,
		d.count, d.voxsigAccount(), time.Now().UnixMilli())
	if status, answer, err := d.post(ctx, d.subs[domain.ProviderVoxsig], body); err == nil && status != http.StatusOK {
		d.cfg.Logger.Warn("demo: an untranslatable delivery was not stored", "status", status, "answer", snippet(answer))
	}
}

// post sends one signed delivery and returns the answer.
func (d *Demo) post(ctx context.Context, sub *Subscription, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	sub.Authenticate(req.Header, body, time.Now())
	res, err := d.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, answer, err
}

// Dixa, as adapters/dixa/testdata/conversation_*.json: each event carries
// the conversation's snapshot.

func (d *Demo) dixaLifecycle() []func(*demoConversation, time.Time) any {
	return []func(*demoConversation, time.Time) any{
		func(c *demoConversation, at time.Time) any {
			return d.dixaEvent(c, at, "CONVERSATION_CREATED", "OPEN", false, nil, map[string]any{})
		},
		func(c *demoConversation, at time.Time) any { return d.dixaMessage(c, at, true) },
		func(c *demoConversation, at time.Time) any {
			return d.dixaEvent(c, at, "CONVERSATION_ASSIGNED", "OPEN", true, nil, map[string]any{"agent": d.dixaAgent(c)})
		},
		func(c *demoConversation, at time.Time) any { return d.dixaMessage(c, at, false) },
		func(c *demoConversation, at time.Time) any {
			return d.dixaEvent(c, at, "CONVERSATION_TAG_ADDED", "OPEN", true, []string{"shipping"},
				map[string]any{"tag": "shipping", "author": d.dixaAgent(c)})
		},
		func(c *demoConversation, at time.Time) any { return d.dixaMessage(c, at, true) },
		func(c *demoConversation, at time.Time) any { return d.dixaMessage(c, at, false) },
		func(c *demoConversation, at time.Time) any {
			return d.dixaEvent(c, at, "CONVERSATION_CLOSED", "CLOSED", true, []string{"shipping"}, map[string]any{})
		},
	}
}

func (d *Demo) dixaCustomer(c *demoConversation) map[string]any {
	return map[string]any{"id": d.id("dixa-customer", c.n), "name": c.customer.name, "email": c.customer.email,
		"phone": c.customer.phone, "roles": []string{"Enduser"}, "user_type": "Contact"}
}

func (d *Demo) dixaAgent(c *demoConversation) map[string]any {
	return map[string]any{"id": d.id("dixa-agent", c.agentN), "name": c.agent.name, "email": c.agent.email,
		"phone": nil, "roles": []string{"Agent"}, "user_type": "Member"}
}

func (d *Demo) dixaEvent(c *demoConversation, at time.Time, fqn, status string, assigned bool, tags []string, data map[string]any) any {
	var assignee any
	if assigned {
		assignee = d.dixaAgent(c)
	}
	tagList := []map[string]any{}
	for _, t := range tags {
		tagList = append(tagList, map[string]any{"id": d.id("dixa-tag", len(t)), "name": t, "is_deactivated": false})
	}
	data["conversation"] = map[string]any{
		"csid": 10000 + c.n, "channel": "EMAIL", "status": status, "direction": "INBOUND",
		"queue":         map[string]any{"id": d.id("dixa-queue", 0), "name": "Support EN"},
		"contact_point": "support@example.com", "requester": d.dixaCustomer(c), "assignee": assignee,
		"subject": fmt.Sprintf("Order #%d has not arrived", 20000+c.n), "tags": tagList,
		"created_at": c.opened.Format(isoMillis),
	}
	return map[string]any{
		"event_id": d.id("dixa-event", d.count), "event_fqn": fqn, "event_version": "1",
		"event_timestamp": at.Format(isoMillis),
		"organization":    map[string]any{"id": d.id("dixa-org", 0), "name": "Demo shop"},
		"data":            data,
	}
}

func (d *Demo) dixaMessage(c *demoConversation, at time.Time, inbound bool) any {
	author, direction := d.dixaCustomer(c), "inbound"
	if !inbound {
		author, direction = d.dixaAgent(c), "outbound"
	}
	text := d.text(c, inbound)
	return d.dixaEvent(c, at, "CONVERSATION_MESSAGE_ADDED", "OPEN", c.step > 2, nil, map[string]any{
		"message_id": d.id("dixa-message", d.count), "author": author, "created_at": at.Format(isoMillis),
		"text": text, "direction": direction, "channel": "EMAIL",
		"content": map[string]any{"text": text, "content_type": "text/plain"}, "attachments": []string{},
	})
}

// Voxsig, as adapters/voxsig/testdata/{contact_created,conversation_*,
// message_created}.json: ids are unique within the account, so each run
// is an account of its own.

func (d *Demo) voxsigLifecycle() []func(*demoConversation, time.Time) any {
	return []func(*demoConversation, time.Time) any{
		func(c *demoConversation, at time.Time) any {
			return map[string]any{"event": "contact_created", "account": map[string]any{"id": d.voxsigAccount(), "name": "Demo shop"},
				"id": 1000 + c.n, "name": c.customer.name, "email": c.customer.email, "phone_number": c.customer.phone,
				"identifier": nil, "thumbnail": "", "blocked": false, "custom_attributes": map[string]any{}, "additional_attributes": map[string]any{"city": "Aarhus"}}
		},
		func(c *demoConversation, at time.Time) any {
			return d.voxsigConversation(c, at, "conversation_created", "open", false, []string{}, nil)
		},
		func(c *demoConversation, at time.Time) any { return d.voxsigMessage(c, at, true) },
		func(c *demoConversation, at time.Time) any {
			return d.voxsigConversation(c, at, "conversation_updated", "open", true, []string{},
				[]any{map[string]any{"assignee_id": map[string]any{"previous_value": nil, "current_value": 1 + c.agentN}}})
		},
		func(c *demoConversation, at time.Time) any { return d.voxsigMessage(c, at, false) },
		func(c *demoConversation, at time.Time) any {
			return d.voxsigConversation(c, at, "conversation_updated", "open", true, []string{"delivery", "vip"},
				[]any{map[string]any{"label_list": map[string]any{"previous_value": []string{}, "current_value": []string{"delivery", "vip"}}}})
		},
		func(c *demoConversation, at time.Time) any { return d.voxsigMessage(c, at, true) },
		func(c *demoConversation, at time.Time) any {
			return d.voxsigConversation(c, at, "conversation_status_changed", "resolved", true, []string{"delivery", "vip"},
				[]any{map[string]any{"status": map[string]any{"previous_value": "open", "current_value": "resolved"}}})
		},
	}
}

func (d *Demo) voxsigAccount() int { return 100000 + int(d.key("voxsig-account")%900000000) }

func (d *Demo) voxsigContact(c *demoConversation) map[string]any {
	return map[string]any{"id": 1000 + c.n, "name": c.customer.name, "email": c.customer.email, "phone_number": c.customer.phone, "type": "contact"}
}

func (d *Demo) voxsigAgent(c *demoConversation) map[string]any {
	return map[string]any{"id": 1 + c.agentN, "name": c.agent.name, "available_name": c.agent.name, "email": c.agent.email, "role": "agent", "type": "user"}
}

func (d *Demo) voxsigConversation(c *demoConversation, at time.Time, event, status string, assigned bool, labels []string, changed []any) any {
	var assignee any
	if assigned {
		assignee = d.voxsigAgent(c)
	}
	opened := c.opened
	body := map[string]any{
		"event": event, "id": 500000 + c.n, "account_id": d.voxsigAccount(), "inbox_id": 2,
		"channel": "Channel::WebWidget", "status": status, "can_reply": true, "labels": labels,
		"contact_inbox": map[string]any{"id": 300000 + c.n, "contact_id": 1000 + c.n, "inbox_id": 2,
			"source_id": d.id("voxsig-source", c.n), "created_at": opened.Format(isoMillis), "updated_at": opened.Format(isoMillis)},
		"additional_attributes": map[string]any{"browser": map[string]any{"browser_name": "Chrome", "platform_name": "macOS"},
			"referer": "https://shop.example.com/orders"},
		"meta":         map[string]any{"sender": d.voxsigContact(c), "assignee": assignee, "team": nil},
		"messages":     []any{},
		"unread_count": 0, "created_at": opened.Unix(), "timestamp": at.Unix(),
		"updated_at": float64(at.UnixMilli()) / 1000,
	}
	if changed != nil {
		body["changed_attributes"] = changed
	}
	return body
}

func (d *Demo) voxsigMessage(c *demoConversation, at time.Time, inbound bool) any {
	sender, kind := d.voxsigContact(c), "incoming"
	if !inbound {
		sender, kind = d.voxsigAgent(c), "outgoing"
	}
	conv := d.voxsigConversation(c, at, "", "open", c.step > 3, []string{}, nil).(map[string]any)
	delete(conv, "event")
	return map[string]any{
		"event": "message_created", "id": 1 + d.count, "content": d.text(c, inbound), "content_type": "text",
		"message_type": kind, "private": false, "source_id": nil, "created_at": at.Format(isoMillis),
		"sender":  sender,
		"account": map[string]any{"id": d.voxsigAccount(), "name": "Demo shop"},
		"inbox":   map[string]any{"id": 2, "name": "Website chat"}, "conversation": conv,
	}
}

// CloudCX, as adapters/cloudcx/testdata/{contact_created,ticket_*}.json:
// notifications carry ids, not content.

func (d *Demo) cloudcxLifecycle() []func(*demoConversation, time.Time) any {
	ticket := func(event string, more ...any) func(*demoConversation, time.Time) any {
		return func(c *demoConversation, _ time.Time) any {
			b := map[string]any{"event": event, "ticketId": d.id("cloudcx-ticket", c.n)}
			for i := 0; i+1 < len(more); i += 2 {
				b[more[i].(string)] = more[i+1]
			}
			return b
		}
	}
	reply := func(event string) func(*demoConversation, time.Time) any {
		return func(c *demoConversation, _ time.Time) any {
			return map[string]any{"event": event, "ticketId": d.id("cloudcx-ticket", c.n), "messageId": d.id("cloudcx-message", d.count)}
		}
	}
	return []func(*demoConversation, time.Time) any{
		func(c *demoConversation, at time.Time) any {
			return map[string]any{"event": "ContactCreated", "contacts": []any{map[string]any{
				"id": d.id("cloudcx-contact", c.n), "name": c.customer.name, "email": c.customer.email,
				"phone": c.customer.phone, "createdTime": fmt.Sprint(at.UnixMilli())}}}
		},
		ticket("TicketCreated"),
		reply("TicketFromUserReply"),
		func(c *demoConversation, at time.Time) any {
			return map[string]any{"event": "TicketAssigneeChanged", "ticketId": d.id("cloudcx-ticket", c.n),
				"fromAgentId": nil, "toAgentId": d.id("cloudcx-agent", c.agentN)}
		},
		reply("TicketAgentReply"),
		ticket("TicketStatusChanged", "beforeTicketStatus", "Open", "afterTicketStatus", "PendingExternal"),
		reply("TicketFromUserReply"),
		ticket("TicketStatusChanged", "beforeTicketStatus", "PendingExternal", "afterTicketStatus", "Resolved"),
		ticket("TicketStatusChanged", "beforeTicketStatus", "Resolved", "afterTicketStatus", "Closed"),
	}
}

// CINNOX, as adapters/cinnox/testdata/{contact_create,enquiry_*}.json.

func (d *Demo) cinnoxLifecycle() []func(*demoConversation, time.Time) any {
	enquiry := func(status string) func(*demoConversation, time.Time) any {
		return func(c *demoConversation, at time.Time) any {
			return map[string]any{"status": status, "serviceId": "demo.cx.cinnox.com",
				"displayCaseNumber": fmt.Sprintf("E%06d", c.n), "eid": fmt.Sprintf("%s%016x", d.run, d.key(fmt.Sprint("cinnox-eid", c.n))),
				"type": "inquiry", "channel": "WHATSAPP", "channelOri": "Channel", "socialId": strings.TrimPrefix(c.customer.phone, "+"),
				"date": at.Format(isoMillis), "destination": fmt.Sprintf("%024x", d.key("cinnox-group")), "destinationTypes": "serviceGroup"}
		}
	}
	return []func(*demoConversation, time.Time) any{
		func(c *demoConversation, _ time.Time) any {
			return map[string]any{"type": "message", "message": map[string]any{"type": "contact", "status": "create",
				"serviceId": "demo.cx.cinnox.com", "fullName": c.customer.name, "id": fmt.Sprintf("%s%016x", d.run, d.key(fmt.Sprint("cinnox-contact", c.n)))}}
		},
		enquiry("Opened"),
		enquiry("Handling"),
		enquiry("Closed"),
	}
}

// key is this run's stable 64-bit key of name.
func (d *Demo) key(name string) uint64 {
	var h uint64 = 14695981039346656037
	for _, b := range []byte(d.run + name) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return splitmix(h)
}

// id is this run's UUID of the i-th thing of a kind.
func (d *Demo) id(kind string, i int) string {
	return uuidOf(d.key(fmt.Sprint(kind, i)))
}

// text is a customer's or an agent's message about the conversation's order.
func (d *Demo) text(c *demoConversation, inbound bool) string {
	pool := agentTexts
	if inbound {
		pool = customerTexts
	}
	return fmt.Sprintf(pool[(c.n+c.step)%len(pool)], 20000+c.n)
}
