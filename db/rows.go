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
	AuthType         string
	AuthUsername     string
	AuthSalt         string
	AuthHash         string
	Enabled          bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
	CreatedBy        string
	UpdatedBy        string
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
	return &subscriptionRow{
		ID: s.ID, Provider: string(s.Provider), Name: s.Name, SubscribedEvents: string(b),
		SecretKey: s.SecretKey, AuthType: string(s.Authorization.Type), AuthUsername: s.Authorization.Username,
		AuthSalt: s.Authorization.Salt, AuthHash: s.Authorization.Hash, Enabled: s.Enabled,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), CreatedBy: s.CreatedBy, UpdatedBy: s.UpdatedBy,
	}, nil
}

func (r *subscriptionRow) toDomain() (*domain.WebhookSubscription, error) {
	var events []string
	if err := json.Unmarshal([]byte(r.SubscribedEvents), &events); err != nil {
		return nil, err
	}
	return &domain.WebhookSubscription{
		ID: r.ID, Provider: domain.Provider(r.Provider), Name: r.Name, SubscribedEvents: events,
		SecretKey: r.SecretKey,
		Authorization: domain.Authorization{
			Type: domain.AuthorizationType(r.AuthType), Username: r.AuthUsername, Salt: r.AuthSalt, Hash: r.AuthHash,
		},
		Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy,
	}, nil
}

// eventRow is an events row.
type eventRow struct {
	Seq               int64
	Tx                int64
	ID                string
	Provider          string
	Type              string
	ProviderEventType string
	DedupeKey         string
	SubscriptionID    string
	ConversationID    *string
	OccurredAt        time.Time
	ReceivedAt        time.Time
	Reason            string
	Payload           []byte
}

func (r *eventRow) toDomain() *domain.Event {
	e := &domain.Event{
		ID: r.ID, Position: domain.Position{Tx: r.Tx, Seq: r.Seq}, Provider: domain.Provider(r.Provider),
		Type: domain.EventType(r.Type), ProviderEventType: r.ProviderEventType, DedupeKey: r.DedupeKey,
		SubscriptionID: r.SubscriptionID, OccurredAt: r.OccurredAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(),
		Reason: r.Reason, Payload: r.Payload,
	}
	if r.ConversationID != nil {
		e.ConversationID = *r.ConversationID
	}
	return e
}

// conversationRow is a conversations row.
type conversationRow struct {
	Seq            int64
	ID             string
	Provider       string
	ExternalID     string
	Kind           string
	Status         string
	ProviderStatus *string
	Channel        *string
	Subject        *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	StateAt        time.Time
}

func (r *conversationRow) toDomain() *domain.Conversation {
	return &domain.Conversation{
		ID: r.ID, Provider: domain.Provider(r.Provider), ExternalID: r.ExternalID,
		Kind: domain.ConversationKind(r.Kind), Status: domain.ConversationStatus(r.Status),
		ProviderStatus: r.ProviderStatus, Channel: r.Channel, Subject: r.Subject,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), StateAt: r.StateAt.UTC(), Seq: r.Seq,
	}
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

func toDeliveryLogRow(l *domain.EventLog) *deliveryLogRow {
	payload := []byte(l.Payload)
	if len(payload) > maxLoggedPayload {
		payload = payload[:maxLoggedPayload]
	}
	return &deliveryLogRow{
		SubscriptionID: l.SubscriptionID, Event: l.Event, Outcome: l.Outcome,
		DeliveredAt: l.DeliveryDetail.DeliveryTimestamp.UTC(), Success: l.DeliveryDetail.Success,
		ResponseCode: l.DeliveryDetail.ResponseCode, ResponseText: l.DeliveryDetail.ResponseText,
		Payload: payload,
	}
}

func (r *deliveryLogRow) toDomain() *domain.EventLog {
	return &domain.EventLog{
		ID: r.ID, SubscriptionID: r.SubscriptionID, Event: r.Event, Outcome: r.Outcome,
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
