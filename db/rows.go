package db

import (
	"encoding/json"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
)

// subscriptionRow is a webhook_subscriptions row.
type subscriptionRow struct {
	ID               string `gorm:"primaryKey"`
	Provider         string
	Name             string
	SubscribedEvents string
	SecretKey        string
	PreviousSecrets  string
	Conditions       string
	AuthType         string
	AuthUsername     string
	AuthSalt         string
	AuthHash         string
	Enabled          bool
	CreatedAt        time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt        time.Time `gorm:"autoUpdateTime:false"`
	CreatedBy        string
	UpdatedBy        string
	Version          int64
}

func (subscriptionRow) TableName() string { return "webhook_subscriptions" }

func toSubscriptionRow(s *domain.WebhookSubscription) (*subscriptionRow, error) {
	events := s.SubscribedEvents
	if events == nil {
		events = []string{}
	}
	b, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}
	previous := s.PreviousSecrets
	if previous == nil {
		previous = []domain.PreviousSecret{}
	}
	prev, err := json.Marshal(previous)
	if err != nil {
		return nil, err
	}
	conds, err := json.Marshal(s.Conditions)
	if err != nil {
		return nil, err
	}
	return &subscriptionRow{
		ID: s.ID, Provider: string(s.Provider), Name: s.Name, SubscribedEvents: string(b),
		SecretKey: s.SecretKey, PreviousSecrets: string(prev), Conditions: string(conds), AuthType: string(s.Authorization.Type), AuthUsername: s.Authorization.Username,
		AuthSalt: s.Authorization.Salt, AuthHash: s.Authorization.Hash, Enabled: s.Enabled,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), CreatedBy: s.CreatedBy, UpdatedBy: s.UpdatedBy,
		Version: s.Version,
	}, nil
}

func (r *subscriptionRow) toDomain() (*domain.WebhookSubscription, error) {
	var events []string
	if err := json.Unmarshal([]byte(r.SubscribedEvents), &events); err != nil {
		return nil, err
	}
	var previous []domain.PreviousSecret
	if err := json.Unmarshal([]byte(r.PreviousSecrets), &previous); err != nil {
		return nil, err
	}
	var conds domain.Conditions
	if err := json.Unmarshal([]byte(r.Conditions), &conds); err != nil {
		return nil, err
	}
	return &domain.WebhookSubscription{
		ID: r.ID, Provider: domain.Provider(r.Provider), Name: r.Name, SubscribedEvents: events,
		SecretKey: r.SecretKey, PreviousSecrets: previous, Conditions: conds,
		Authorization: domain.Authorization{
			Type: domain.AuthorizationType(r.AuthType), Username: r.AuthUsername, Salt: r.AuthSalt, Hash: r.AuthHash,
		},
		Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy, Version: r.Version,
	}, nil
}

// eventRow is an events row.
type eventRow struct {
	Position          int64
	ID                string
	Provider          string
	Type              string
	ProviderEventType string
	DedupeKey         string
	FactKey           *string
	SubscriptionID    string
	ConversationID    *string
	OccurredAt        time.Time
	ReceivedAt        time.Time
	Reason            string
	Payload           []byte
	MessageID         *string
	Corrects          *string
	// PayloadExpired is read, not stored: an empty payload is one that
	// payload retention removed.
	PayloadExpired bool `gorm:"->"`
}

func (r *eventRow) toDomain() *domain.Event {
	e := &domain.Event{
		ID: r.ID, Position: domain.Position(r.Position), Provider: domain.Provider(r.Provider),
		Type: domain.EventType(r.Type), ProviderEventType: r.ProviderEventType, DedupeKey: r.DedupeKey,
		SubscriptionID: r.SubscriptionID, OccurredAt: r.OccurredAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(),
		Reason: r.Reason, Payload: r.Payload, PayloadExpired: r.PayloadExpired,
	}
	if r.PayloadExpired {
		e.Payload = domain.RawJSON(domain.ExpiredPayload)
	}
	if r.ConversationID != nil {
		e.ConversationID = *r.ConversationID
	}
	if r.MessageID != nil {
		e.MessageID = *r.MessageID
	}
	if r.Corrects != nil {
		e.Corrects = *r.Corrects
	}
	if r.FactKey != nil {
		e.FactKey = *r.FactKey
	}
	return e
}

// conversationRow is a conversations row.
type conversationRow struct {
	Seq            int64 `gorm:"->"`
	ID             string
	Provider       string
	Account        string
	ExternalID     string
	Kind           string
	Status         string
	ProviderStatus *string
	Channel        *string
	Subject        *string
	CreatedAt      time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
	StateAt        time.Time
	RequesterID    *string
	AssigneeID     *string
	AssigneeAt     time.Time
	MergeState     string
	Tags           string
	Queue          *string
	Inbox          *string
	Origin         *string
}

func (conversationRow) TableName() string { return "conversations" }

func (r *conversationRow) toDomain() *domain.Conversation {
	c := &domain.Conversation{
		ID: r.ID, Provider: domain.Provider(r.Provider), Account: r.Account, ExternalID: r.ExternalID,
		Kind: domain.ConversationKind(r.Kind), Status: domain.ConversationStatus(r.Status),
		ProviderStatus: r.ProviderStatus, Channel: r.Channel, Subject: r.Subject,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), StateAt: r.StateAt.UTC(), Seq: r.Seq,
		RequesterID: r.RequesterID, AssigneeID: r.AssigneeID, AssigneeAt: r.AssigneeAt.UTC(),
		Queue: r.Queue, Inbox: r.Inbox, Origin: r.Origin, Tags: []string{},
	}
	// Both columns are written only by this package from valid JSON. Most
	// conversations have no tags: their "[]" needs no decoding.
	if r.Tags != "[]" {
		_ = json.Unmarshal([]byte(r.Tags), &c.Tags)
	}
	if r.MergeState != "{}" {
		_ = json.Unmarshal([]byte(r.MergeState), &c.Merge)
	}
	return c
}

func toConversationRow(c *domain.Conversation) *conversationRow {
	tags, _ := json.Marshal(nonNil(c.Tags))
	state, _ := json.Marshal(c.Merge)
	return &conversationRow{
		ID: c.ID, Provider: string(c.Provider), Account: c.Account, ExternalID: c.ExternalID,
		Kind: string(c.Kind), Status: string(c.Status), ProviderStatus: c.ProviderStatus,
		Channel: c.Channel, Subject: c.Subject, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		StateAt: c.StateAt.UTC(), RequesterID: c.RequesterID, AssigneeID: c.AssigneeID,
		AssigneeAt: c.AssigneeAt.UTC(), MergeState: string(state), Tags: string(tags),
		Queue: c.Queue, Inbox: c.Inbox, Origin: c.Origin,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// personRow is a people row.
type personRow struct {
	Seq        int64 `gorm:"->"`
	ID         string
	Provider   string
	Account    string
	ExternalID string
	Role       string
	Name       string
	FirstName  string
	LastName   string
	Email      string
	Phone      string
	Company    string
	AvatarURL  string `gorm:"column:avatar_url"`
	// Emails is a JSON array; Phones a JSON object of numbers by kind.
	Emails    string
	Phones    string
	Deleted   bool
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (personRow) TableName() string { return "people" }

// personReadColumns are the columns scanPerson reads.
var personReadColumns = "seq, " + storedPersonColumns

// scanPerson reads a row of personReadColumns.
func scanPerson(row interface{ Scan(...any) error }) (*domain.Person, error) {
	var r personRow
	if err := row.Scan(&r.Seq, &r.ID, &r.Provider, &r.Account, &r.ExternalID, &r.Role, &r.Name, &r.FirstName, &r.LastName,
		&r.Email, &r.Phone, &r.Company, &r.AvatarURL, &r.Emails, &r.Phones, &r.Deleted, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	return r.toDomain(), nil
}

// toDomain reads the row. Email and Phone are the first of their lists
// even where no delivery listed them (a row from before the lists were
// kept, or a provider with one phone field), so a reader of Emails and
// Phones misses nothing.
func (r *personRow) toDomain() *domain.Person {
	p := &domain.Person{
		ID: r.ID, Provider: domain.Provider(r.Provider), Account: r.Account, ExternalID: r.ExternalID,
		Role: domain.PersonRole(r.Role), Name: r.Name, FirstName: r.FirstName, LastName: r.LastName,
		Email: r.Email, Phone: r.Phone, Company: r.Company, AvatarURL: r.AvatarURL, Deleted: r.Deleted,
		UpdatedAt: r.UpdatedAt.UTC(), Seq: r.Seq, Emails: []string{}, Phones: []domain.Phone{},
	}
	// Both columns are written only by this package from valid JSON.
	var emails []string
	_ = json.Unmarshal([]byte(r.Emails), &emails)
	var byKind map[domain.PhoneKind][]string
	_ = json.Unmarshal([]byte(r.Phones), &byKind)
	p.AddEmail(r.Email)
	for _, e := range emails {
		p.AddEmail(e)
	}
	primary := false
	for _, kind := range domain.PhoneKinds {
		for _, n := range byKind[kind] {
			primary = primary || n == r.Phone
		}
	}
	if !primary {
		p.AddPhone(domain.PhoneUnspecified, r.Phone)
	}
	for _, kind := range domain.PhoneKinds {
		for _, n := range byKind[kind] {
			p.AddPhone(kind, n)
		}
	}
	return p
}

// jsonText is v as JSON, for the columns that hold lists.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// messageRow is a messages row.
type messageRow struct {
	Seq            int64 `gorm:"->"`
	ID             string
	ConversationID *string
	Provider       string
	ExternalID     string
	Direction      string
	Private        bool
	Content        string
	ContentType    string
	AuthorID       *string
	CreatedAt      time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt      time.Time `gorm:"autoUpdateTime:false"`
}

func (messageRow) TableName() string { return "messages" }

// messageColumns are the columns scanMessage reads.
const messageColumns = "seq, id, conversation_id, provider, external_id, direction, private, content, content_type, author_id, created_at, updated_at"

// scanMessage reads a row of messageColumns.
func scanMessage(row interface{ Scan(...any) error }) (*domain.Message, error) {
	var r messageRow
	if err := row.Scan(&r.Seq, &r.ID, &r.ConversationID, &r.Provider, &r.ExternalID, &r.Direction, &r.Private, &r.Content,
		&r.ContentType, &r.AuthorID, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	return r.toDomain(), nil
}

func (r *messageRow) toDomain() *domain.Message {
	m := &domain.Message{
		ID: r.ID, ExternalID: r.ExternalID, Direction: domain.MessageDirection(r.Direction), Private: r.Private,
		Content: r.Content, ContentType: r.ContentType, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Seq: r.Seq,
	}
	if r.ConversationID != nil {
		m.ConversationID = *r.ConversationID
	}
	if r.AuthorID != nil {
		m.AuthorID = *r.AuthorID
	}
	return m
}

// deliveryLogRow is a delivery_logs row.
type deliveryLogRow struct {
	ID             int64 `gorm:"primaryKey;autoIncrement"`
	SubscriptionID string
	Event          string
	Outcome        string
	DeliveredAt    time.Time
	Success        bool
	ResponseCode   int
	ResponseText   string
	Payload        []byte
}

func (deliveryLogRow) TableName() string { return "delivery_logs" }

// maxLoggedPayload bounds what the delivery log keeps of one body: the
// event itself keeps the whole body.
const maxLoggedPayload = 64 << 10

func toDeliveryLogRow(l *domain.DeliveryLog) *deliveryLogRow {
	payload := []byte(l.Payload)
	if len(payload) > maxLoggedPayload {
		payload = payload[:maxLoggedPayload]
	}
	return &deliveryLogRow{
		SubscriptionID: l.SubscriptionID, Event: l.Event, Outcome: string(l.Outcome),
		DeliveredAt: l.DeliveryDetail.DeliveryTimestamp.UTC(), Success: l.DeliveryDetail.Success,
		ResponseCode: l.DeliveryDetail.ResponseCode, ResponseText: l.DeliveryDetail.ResponseText,
		Payload: payload,
	}
}

func (r *deliveryLogRow) toDomain() *domain.DeliveryLog {
	return &domain.DeliveryLog{
		ID: r.ID, SubscriptionID: r.SubscriptionID, Event: r.Event, Outcome: domain.DeliveryOutcome(r.Outcome),
		DeliveryDetail: domain.DeliveryDetail{
			DeliveryTimestamp: r.DeliveredAt.UTC(), Success: r.Success,
			ResponseCode: r.ResponseCode, ResponseText: r.ResponseText,
		},
		Payload: string(r.Payload),
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
