package ingest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/ingest"
	"github.com/helpdesk-gateway/gateway/stream"
)

// fixableAdapter translates nothing until fixed, like an adapter that met
// a payload shape it did not know yet.
type fixableAdapter struct{ fixed atomic.Bool }

func (*fixableAdapter) Provider() domain.Provider              { return domain.ProviderCloudCX }
func (*fixableAdapter) SignsDeliveries() bool                  { return false }
func (*fixableAdapter) Verify(*adapters.Request, string) error { return nil }
func (a *fixableAdapter) Parse(req *adapters.Request) (*adapters.Result, error) {
	e := &domain.Event{
		ID: domain.NewID(), Provider: domain.ProviderCloudCX, Type: domain.EventOther, ProviderEventType: "TicketSplit",
		OccurredAt: req.ReceivedAt, ReceivedAt: req.ReceivedAt, DedupeKey: "cloudcx:sha256:body", Payload: append(domain.RawJSON{}, req.Body...),
		Reason: "unknown event TicketSplit",
	}
	if !a.fixed.Load() {
		return &adapters.Result{Events: []*domain.Event{e}}, nil
	}
	e.Type, e.Reason, e.DedupeKey = domain.EventConversationCreated, "", "cloudcx:TicketSplit:t-2"
	e.Conversation = &domain.ConversationUpdate{ExternalID: "t-2", Kind: domain.KindTicket}
	second := *e
	second.ID, second.Type, second.DedupeKey, second.ProviderEventType = domain.NewID(), domain.EventConversationUpdated, "cloudcx:TicketSplit:t-1", "TicketSplit"
	second.Conversation = &domain.ConversationUpdate{ExternalID: "t-1", Kind: domain.KindTicket}
	return &adapters.Result{Events: []*domain.Event{e, &second}}, nil
}

func TestReprocessTranslatesStoredBodiesOnceTheAdapterIsFixed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		adapter := &fixableAdapter{}
		registry := adapters.NewRegistry(adapter)
		res, err := adapter.Parse(&adapters.Request{Header: http.Header{}, Body: []byte(`{"event":"TicketSplit"}`), ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		res.Events[0].SubscriptionID = "sub"
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{{Events: res.Events, Log: domain.DeliveryLog{SubscriptionID: "sub", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}}}); err != nil {
			t.Fatal(err)
		}
		b := broker.New()
		wake := b.Subscribe()
		r := &ingest.Reprocessor{Store: store, Adapters: registry, Publisher: b}
		untranslated := true
		onlyUntranslated := &domain.EventFilter{Untranslated: &untranslated}

		got, err := r.Reprocess(ctx, onlyUntranslated)
		if err != nil || got != (domain.ReprocessResult{Examined: 1, StillUntranslated: 1}) {
			t.Fatalf("before the fix: %+v %v", got, err)
		}
		adapter.fixed.Store(true)
		got, err = r.Reprocess(ctx, onlyUntranslated)
		if err != nil || got != (domain.ReprocessResult{Examined: 1, Retranslated: 1, Appended: 1}) {
			t.Fatalf("after the fix: %+v %v", got, err)
		}
		select {
		case <-wake.C():
		default:
			t.Fatal("the appended event was not published")
		}
		// Again, over every event: the corrected original is not examined,
		// the two new events translate as they did, nothing new is stored.
		got, err = r.Reprocess(ctx, &domain.EventFilter{})
		if err != nil || got != (domain.ReprocessResult{Examined: 2}) {
			t.Fatalf("second run over all events: %+v %v", got, err)
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil || len(events) != 3 {
			t.Fatalf("events: %d %v", len(events), err)
		}
		if events[0].Type != domain.EventOther || events[0].Reason == "" {
			t.Fatalf("the original changed: %+v", events[0])
		}
		if c := events[1]; c.Corrects != events[0].ID || c.Type != domain.EventConversationCreated || c.Reason != "" || c.ConversationID == "" {
			t.Fatalf("the correction: %+v", c)
		}
		events = events[1:]
		if events[1].Type != domain.EventConversationUpdated || events[1].DedupeKey != "cloudcx:TicketSplit:t-1" ||
			events[1].ConversationID != domain.ConversationID(domain.ProviderCloudCX, "", "t-1") {
			t.Fatalf("the appended event took another event's translation: %+v", events[1])
		}
		if _, err := store.FindConversation(ctx, domain.ConversationID(domain.ProviderCloudCX, "", "t-1")); err != nil {
			t.Fatalf("the appended event's conversation: %v", err)
		}
	})
}

// A re-translation reaches a live stream, and a job paging from the head
// it had read, after that head; the original stays readable.
func TestReprocessedEventsArriveAtTheHead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b := broker.New()
		hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		defer hub.Close()
		live := hub.Subscribe(ctx, nil, domain.Position(0))
		adapter := &fixableAdapter{}
		res, err := adapter.Parse(&adapters.Request{Header: http.Header{}, Body: []byte(`{"event":"TicketSplit"}`), ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		log := domain.DeliveryLog{SubscriptionID: "sub", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}
		appended, err := store.AppendDeliveries(ctx, []*domain.Delivery{{Events: res.Events, Log: log}})
		if err != nil {
			t.Fatal(err)
		}
		b.Publish(appended[0].Appended)
		original := next(t, live)
		if original.Type != domain.EventOther {
			t.Fatalf("before the fix: %s", original.Type)
		}
		// A job pages to the end of the history and keeps its cursor.
		page, err := store.Events(ctx, nil, 0, 100)
		if err != nil || len(page) != 1 {
			t.Fatalf("job's first page: %v %v", page, err)
		}
		cursor := page[len(page)-1].Position

		adapter.fixed.Store(true)
		r := &ingest.Reprocessor{Store: store, Adapters: adapters.NewRegistry(adapter), Publisher: b}
		if got, err := r.Reprocess(ctx, &domain.EventFilter{Providers: []domain.Provider{domain.ProviderCloudCX}}); err != nil || got.Retranslated != 1 || got.Appended != 1 {
			t.Fatalf("reprocess: %+v %v", got, err)
		}
		if e := next(t, live); e.Corrects != original.ID || e.Type != domain.EventConversationCreated || !cursor.Less(e.Position) {
			t.Fatalf("live stream: %+v, want the correction of %s after %d", e, original.ID, cursor)
		}
		page, err = store.Events(ctx, nil, cursor, 100)
		if err != nil || len(page) != 2 || page[0].Corrects != original.ID || page[0].Type != domain.EventConversationCreated {
			t.Fatalf("job's next page: %+v %v, want the correction first", page, err)
		}
		if e, err := store.FindEvent(ctx, original.ID); err != nil || e.Type != domain.EventOther || e.Position != original.Position {
			t.Fatalf("the original: %+v %v", e, err)
		}
	})
}

func next(t *testing.T, c <-chan *domain.Event) *domain.Event {
	t.Helper()
	select {
	case e := <-c:
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
		return nil
	}
}
