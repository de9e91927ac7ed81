package loadgen

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// GeneratorConfig configures a Generator.
type GeneratorConfig struct {
	// Provider is whose deliveries to make.
	Provider domain.Provider
	// Conversations is how many conversations the deliveries are drawn
	// from; each has a requester of its own.
	Conversations int
	// Agents is how many agents the conversations share. CloudCX and CINNOX
	// payloads name no agent, so it changes nothing for them.
	Agents int
	// Seed makes the run's ids its own: the store deduplicates by provider
	// event id, so two runs against one database must not share one.
	// Zero picks a random seed.
	Seed uint64
	// Start is when the first delivery's event happened; zero means now.
	// Each later delivery happens a millisecond after the one before.
	Start time.Time
}

// Generator makes the deliveries of one run in the shape each provider
// documents (see each adapter's testdata): Dixa and Voxsig messages of
// about 1.2 KB with their conversation snapshot, requester, assignee and
// author; CloudCX reply notifications and CINNOX enquiry notifications,
// which are thin by design. Every delivery has an event id of its own, so
// none is a redelivery. It is safe for concurrent use.
type Generator struct {
	cfg   GeneratorConfig
	build func(g *Generator, i int) any
}

// NewGenerator returns a generator of cfg's deliveries.
func NewGenerator(cfg GeneratorConfig) (*Generator, error) {
	builders := map[domain.Provider]func(*Generator, int) any{
		domain.ProviderDixa:    (*Generator).dixa,
		domain.ProviderVoxsig:  (*Generator).voxsig,
		domain.ProviderCloudCX: (*Generator).cloudcx,
		domain.ProviderCINNOX:  (*Generator).cinnox,
	}
	build, ok := builders[cfg.Provider]
	switch {
	case !ok:
		return nil, fmt.Errorf("provider %q: want one of dixa, voxsig, cloudcx, cinnox", cfg.Provider)
	case cfg.Conversations <= 0:
		return nil, fmt.Errorf("conversations %d: want at least 1", cfg.Conversations)
	case cfg.Agents <= 0:
		return nil, fmt.Errorf("agents %d: want at least 1", cfg.Agents)
	}
	if cfg.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
		cfg.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	cfg.Start = cfg.Start.UTC().Truncate(time.Millisecond)
	return &Generator{cfg: cfg, build: build}, nil
}

// Provider returns the provider whose deliveries the generator makes.
func (g *Generator) Provider() domain.Provider { return g.cfg.Provider }

// Body returns the body of delivery i (from 0). The same i gives the same
// body.
func (g *Generator) Body(i int) ([]byte, error) {
	b, err := json.Marshal(g.build(g, i))
	if err != nil {
		return nil, fmt.Errorf("make %s delivery %d: %w", g.cfg.Provider.Slug(), i, err)
	}
	return b, nil
}

// Tags keep the ids of different kinds of things apart.
const (
	tagEvent uint64 = iota + 1
	tagMessage
	tagConversation
	tagRequester
	tagAgent
	tagAccount
	tagDirection
	tagText
	tagStatus
	tagPickConversation
	tagPickAgent
)

// key returns the tag's i-th 64-bit key. For one seed and tag it is a
// bijection of i (splitmix64 is one), so ids made from the whole key never
// repeat within a run.
func (g *Generator) key(tag uint64, i int) uint64 {
	return splitmix(splitmix(g.cfg.Seed^tag<<56) + uint64(i))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// uuid formats the tag's i-th key as a version 4 UUID; all 64 bits of the
// key are in it, so distinct keys give distinct UUIDs.
func (g *Generator) uuid(tag uint64, i int) string { return uuidOf(g.key(tag, i)) }

// uuidOf formats a 64-bit key as a version 4 UUID.
func uuidOf(a uint64) string {
	b := splitmix(a)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		a>>32, a>>16&0xffff, a>>4&0xfff, 0x8000|(a&0xf)<<10|b&0x3ff, b>>16)
}

// conversation draws delivery i's conversation.
func (g *Generator) conversation(i int) int {
	return int(g.key(tagPickConversation, i) % uint64(g.cfg.Conversations))
}

// agent is conversation c's assignee: agents are shared across
// conversations, as in a real team.
func (g *Generator) agent(c int) int {
	return int(g.key(tagPickAgent, c) % uint64(g.cfg.Agents))
}

// inbound tells a customer's message from an agent's answer.
func (g *Generator) inbound(i int) bool { return g.key(tagDirection, i)%2 == 0 }

// at is when delivery i's event happened.
func (g *Generator) at(i int) time.Time { return g.cfg.Start.Add(time.Duration(i) * time.Millisecond) }

// openedAt is when conversation c started, before the run's events.
func (g *Generator) openedAt(c int) time.Time {
	return g.cfg.Start.Add(-time.Duration(c+1) * time.Minute)
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// person is a made-up person: a stable name and address for a key.
type person struct{ name, email, phone string }

var (
	firstNames = []string{"Maria", "Jonas", "Priya", "Kenji", "Amara", "Lucas", "Sofia", "Mateo", "Aisha", "Noah", "Elena", "Tomasz"}
	lastNames  = []string{"Jensen", "Schmidt", "Sharma", "Tanaka", "Okafor", "Silva", "Rossi", "Garcia", "Khan", "Meyer", "Novak", "Kowalski"}
)

func personOf(k uint64, domainName string) person {
	first, last := firstNames[k%uint64(len(firstNames))], lastNames[k/16%uint64(len(lastNames))]
	return person{
		name:  first + " " + last,
		email: strings.ToLower(first+"."+last) + "@" + domainName,
		phone: fmt.Sprintf("+45%08d", k%100000000),
	}
}

// Message texts, a customer's and an agent's, as long as the messages in
// the providers' examples.
var (
	customerTexts = []string{
		"Hi, my order #%d was due last week and has not arrived. Where is it?",
		"Hello, I was charged twice for order #%d. Please refund one payment.",
		"The returns page gives me an error for order #%d. How do I return it?",
		"The newsletter discount did not apply to order #%d. Can you fix that?",
	}
	agentTexts = []string{
		"Sorry about that! Order #%d is at the carrier's hub and arrives tomorrow.",
		"I have refunded the second payment for order #%d; allow 3 to 5 days.",
		"I have emailed you a prepaid return label for order #%d. Sorry again!",
		"I have credited the discount for order #%d to your card. Anything else?",
	}
)

// text is delivery i's message.
func (g *Generator) text(i int, inbound bool) string {
	pool := agentTexts
	if inbound {
		pool = customerTexts
	}
	k := g.key(tagText, i)
	return fmt.Sprintf(pool[k%uint64(len(pool))], 10000+k/8%90000)
}

// Dixa: CONVERSATION_MESSAGE_ADDED, as in
// adapters/dixa/testdata/conversation_message_added*.json.

type dixaEvent struct {
	EventID        string          `json:"event_id"`
	EventFQN       string          `json:"event_fqn"`
	EventVersion   string          `json:"event_version"`
	EventTimestamp string          `json:"event_timestamp"`
	Organization   dixaRef         `json:"organization"`
	Data           dixaMessageData `json:"data"`
}

type dixaRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type dixaUser struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Phone    *string  `json:"phone"`
	Roles    []string `json:"roles"`
	UserType string   `json:"user_type"`
}

type dixaConversation struct {
	Csid         int       `json:"csid"`
	Channel      string    `json:"channel"`
	Status       string    `json:"status"`
	Direction    string    `json:"direction"`
	Queue        dixaRef   `json:"queue"`
	ContactPoint string    `json:"contact_point"`
	Requester    dixaUser  `json:"requester"`
	Assignee     dixaUser  `json:"assignee"`
	Subject      string    `json:"subject"`
	Tags         []dixaRef `json:"tags"`
	CreatedAt    string    `json:"created_at"`
}

type dixaContent struct {
	Text        string `json:"text"`
	ContentType string `json:"content_type"`
}

type dixaMessageData struct {
	Conversation dixaConversation `json:"conversation"`
	MessageID    string           `json:"message_id"`
	Author       dixaUser         `json:"author"`
	CreatedAt    string           `json:"created_at"`
	Text         string           `json:"text"`
	Direction    string           `json:"direction"`
	Channel      string           `json:"channel"`
	Content      dixaContent      `json:"content"`
	Attachments  []string         `json:"attachments"`
}

func (g *Generator) dixa(i int) any {
	c := g.conversation(i)
	a := g.agent(c)
	customer := personOf(g.key(tagRequester, c), "example.com")
	agent := personOf(g.key(tagAgent, a), "support.example.com")
	requester := dixaUser{ID: g.uuid(tagRequester, c), Name: customer.name, Email: customer.email, Roles: []string{"Enduser"}, UserType: "Contact"}
	assignee := dixaUser{ID: g.uuid(tagAgent, a), Name: agent.name, Email: agent.email, Roles: []string{"Agent"}, UserType: "Member"}
	author, direction := requester, "inbound"
	if !g.inbound(i) {
		author, direction = assignee, "outbound"
	}
	text := g.text(i, direction == "inbound")
	at := g.at(i)
	return dixaEvent{
		EventID:        g.uuid(tagEvent, i),
		EventFQN:       "CONVERSATION_MESSAGE_ADDED",
		EventVersion:   "1",
		EventTimestamp: at.Add(250 * time.Millisecond).Format(isoMillis),
		Organization:   dixaRef{ID: g.uuid(tagAccount, 0), Name: "Load test"},
		Data: dixaMessageData{
			Conversation: dixaConversation{
				Csid: 1000 + c, Channel: "EMAIL", Status: "OPEN", Direction: "INBOUND",
				Queue:        dixaRef{ID: g.uuid(tagAccount, 1), Name: "Support EN"},
				ContactPoint: "support@example.com",
				Requester:    requester,
				Assignee:     assignee,
				Subject:      fmt.Sprintf("Order question %d", 1000+c),
				Tags:         []dixaRef{},
				CreatedAt:    g.openedAt(c).Format(isoMillis),
			},
			MessageID:   g.uuid(tagMessage, i),
			Author:      author,
			CreatedAt:   at.Format(isoMillis),
			Text:        text,
			Direction:   direction,
			Channel:     "EMAIL",
			Content:     dixaContent{Text: text, ContentType: "text/plain"},
			Attachments: []string{},
		},
	}
}

// Voxsig: message_created, as in adapters/voxsig/testdata/message_created.json.

type voxsigEvent struct {
	Event        string             `json:"event"`
	ID           int                `json:"id"`
	Content      string             `json:"content"`
	ContentType  string             `json:"content_type"`
	MessageType  string             `json:"message_type"`
	Private      bool               `json:"private"`
	SourceID     *string            `json:"source_id"`
	CreatedAt    string             `json:"created_at"`
	Sender       voxsigPerson       `json:"sender"`
	Account      voxsigRef          `json:"account"`
	Inbox        voxsigRef          `json:"inbox"`
	Conversation voxsigConversation `json:"conversation"`
}

type voxsigRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type voxsigPerson struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phone_number,omitempty"`
	Type        string `json:"type"`
}

type voxsigBrowser struct {
	BrowserName  string `json:"browser_name"`
	PlatformName string `json:"platform_name"`
}

type voxsigAttributes struct {
	Browser voxsigBrowser `json:"browser"`
	Referer string        `json:"referer"`
}

type voxsigMeta struct {
	Sender   voxsigPerson `json:"sender"`
	Assignee voxsigPerson `json:"assignee"`
}

type voxsigContactInbox struct {
	ID           int    `json:"id"`
	ContactID    int    `json:"contact_id"`
	InboxID      int    `json:"inbox_id"`
	SourceID     string `json:"source_id"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	HMACVerified bool   `json:"hmac_verified"`
}

type voxsigConversation struct {
	ID                   int                `json:"id"`
	DisplayID            int                `json:"display_id"`
	InboxID              int                `json:"inbox_id"`
	Channel              string             `json:"channel"`
	Status               string             `json:"status"`
	CanReply             bool               `json:"can_reply"`
	Labels               []string           `json:"labels"`
	ContactInbox         voxsigContactInbox `json:"contact_inbox"`
	AdditionalAttributes voxsigAttributes   `json:"additional_attributes"`
	Meta                 voxsigMeta         `json:"meta"`
	UnreadCount          int                `json:"unread_count"`
	CreatedAt            int64              `json:"created_at"`
	Timestamp            int64              `json:"timestamp"`
}

func (g *Generator) voxsig(i int) any {
	c := g.conversation(i)
	a := g.agent(c)
	customer := personOf(g.key(tagRequester, c), "example.com")
	agent := personOf(g.key(tagAgent, a), "support.example.com")
	contact := voxsigPerson{ID: 1000 + c, Name: customer.name, Email: customer.email, PhoneNumber: customer.phone, Type: "contact"}
	user := voxsigPerson{ID: 1 + a, Name: agent.name, Email: agent.email, Type: "user"}
	sender, kind := contact, "incoming"
	if !g.inbound(i) {
		sender, kind = user, "outgoing"
	}
	at := g.at(i)
	inbox := voxsigRef{ID: 2, Name: "Website chat"}
	return voxsigEvent{
		Event:       "message_created",
		ID:          1 + i,
		Content:     g.text(i, kind == "incoming"),
		ContentType: "text",
		MessageType: kind,
		CreatedAt:   at.Format(isoMillis),
		Sender:      sender,
		// Voxsig ids are unique within an account only: each run is an
		// account of its own.
		Account: voxsigRef{ID: 100000 + int(g.key(tagAccount, 0)%900000000), Name: "Load test"},
		Inbox:   inbox,
		Conversation: voxsigConversation{
			ID: 500000 + c, DisplayID: 1 + c, InboxID: inbox.ID,
			Channel: "Channel::WebWidget", Status: "open", CanReply: true, Labels: []string{},
			ContactInbox: voxsigContactInbox{
				ID: 300000 + c, ContactID: contact.ID, InboxID: inbox.ID, SourceID: g.uuid(tagConversation, c),
				CreatedAt: g.openedAt(c).Format(isoMillis), UpdatedAt: g.openedAt(c).Format(isoMillis),
			},
			AdditionalAttributes: voxsigAttributes{
				Browser: voxsigBrowser{BrowserName: "Chrome", PlatformName: "macOS"},
				Referer: "https://shop.example.com/orders",
			},
			Meta:      voxsigMeta{Sender: contact, Assignee: user},
			CreatedAt: g.openedAt(c).Unix(),
			Timestamp: at.Unix(),
		},
	}
}

// CloudCX: TicketFromUserReply and TicketAgentReply, as in
// adapters/cloudcx/testdata/ticket_*_reply.json. CloudCX sends the ids
// only: the message and its author are fetched from its API.

type cloudcxReply struct {
	Event     string `json:"event"`
	TicketID  string `json:"ticketId"`
	MessageID string `json:"messageId"`
}

func (g *Generator) cloudcx(i int) any {
	event := "TicketAgentReply"
	if g.inbound(i) {
		event = "TicketFromUserReply"
	}
	return cloudcxReply{Event: event, TicketID: g.uuid(tagConversation, g.conversation(i)), MessageID: g.uuid(tagMessage, i)}
}

// CINNOX: enquiry notifications, as in
// adapters/cinnox/testdata/enquiry_*.json. An enquiry names its customer
// (socialId) but no agent and no message.

type cinnoxEnquiry struct {
	Status            string `json:"status"`
	ServiceID         string `json:"serviceId"`
	DisplayCaseNumber string `json:"displayCaseNumber"`
	EID               string `json:"eid"`
	Type              string `json:"type"`
	Channel           string `json:"channel"`
	ChannelOri        string `json:"channelOri"`
	SocialID          string `json:"socialId"`
	Date              string `json:"date"`
	Destination       string `json:"destination"`
	DestinationTypes  string `json:"destinationTypes"`
}

// cinnoxStatuses weighs an enquiry's statuses: mostly handled, some
// opened and closed.
var cinnoxStatuses = []string{"Opened", "Handling", "Handling", "Closed"}

func (g *Generator) cinnox(i int) any {
	c := g.conversation(i)
	return cinnoxEnquiry{
		Status:            cinnoxStatuses[g.key(tagStatus, i)%uint64(len(cinnoxStatuses))],
		ServiceID:         "loadtest.cx.cinnox.com",
		DisplayCaseNumber: fmt.Sprintf("E%06d", 1+c),
		EID:               fmt.Sprintf("%08x%016x", g.cfg.Start.Unix(), g.key(tagConversation, c)),
		Type:              "inquiry",
		Channel:           "WHATSAPP",
		ChannelOri:        "Channel",
		// A run's numbers follow each other, so each enquiry's customer
		// is someone else.
		SocialID: fmt.Sprintf("8529%07d", (g.key(tagRequester, 0)+uint64(c))%1e7),
		// eid + status + date is an enquiry event's key: the date, a
		// millisecond apart for each delivery, keeps the keys apart.
		Date:             g.at(i).Format(isoMillis),
		Destination:      fmt.Sprintf("%024x", g.key(tagAccount, 0)),
		DestinationTypes: "serviceGroup",
	}
}
