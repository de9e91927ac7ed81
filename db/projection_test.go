package db_test

import (
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

func factEvent(sub *domain.WebhookSubscription, key string, at time.Time, u *domain.ConversationUpdate) *domain.Event {
	u.Account, u.ExternalID = "org-1", "77"
	return &domain.Event{
		ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventConversationUpdated, ProviderEventType: "X",
		OccurredAt: at, ReceivedAt: time.Now(), SubscriptionID: sub.ID, DedupeKey: key, Payload: domain.RawJSON(`{}`),
		Conversation: u,
	}
}

func agent(id, name string) *domain.Person {
	return &domain.Person{Account: "org-1", ExternalID: id, Role: domain.RoleAgent, Name: name}
}

func TestProjectionsIgnoreEventsThatArriveLate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		// Delivered in this order; occurred in another.
		events := []*domain.Event{
			factEvent(sub, "k5", at(5), &domain.ConversationUpdate{Assignee: agent("a2", "Bea"), TagsAdded: []string{"vip"}}),
			factEvent(sub, "k3", at(3), &domain.ConversationUpdate{Assignee: agent("a1", "Al"), TagsRemoved: []string{"vip"}, Tags: []string{"old"}, TagsKnown: true}),
			factEvent(sub, "k7", at(7), &domain.ConversationUpdate{Unassigned: true, TagsAdded: []string{"billing"}}),
			factEvent(sub, "k1", at(1), &domain.ConversationUpdate{
				Requester: &domain.Person{Account: "org-1", ExternalID: "c1", Role: domain.RoleContact, Name: "Cy", Email: "cy@example.com"},
				Channel:   "EMAIL", Subject: "first subject", Status: domain.StatusOpen, ProviderStatus: "OPEN",
			}),
			factEvent(sub, "k6", at(6), &domain.ConversationUpdate{Status: domain.StatusClosed, ProviderStatus: "CLOSED", Subject: "newest subject"}),
			factEvent(sub, "k4", at(4), &domain.ConversationUpdate{Status: domain.StatusPending, ProviderStatus: "PENDING", Subject: "older subject"}),
		}
		for _, e := range events {
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := store.FindConversation(ctx, domain.ConversationID(domain.ProviderDixa, "org-1", "77"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != domain.StatusClosed || *c.ProviderStatus != "CLOSED" {
			t.Errorf("status %s/%s, want CLOSED from the newest status event", c.Status, *c.ProviderStatus)
		}
		if c.AssigneeID != nil {
			t.Errorf("assignee %v, want none: the newest assignment event unassigned", *c.AssigneeID)
		}
		// old: present since 3; vip: added at 5 after the removal at 3; billing: added at 7.
		if got := c.Tags; len(got) != 3 || got[0] != "billing" || got[1] != "old" || got[2] != "vip" {
			t.Errorf("tags %v, want [billing old vip]", got)
		}
		if c.Subject == nil || *c.Subject != "newest subject" || c.Channel == nil || *c.Channel != "EMAIL" {
			t.Errorf("subject %v channel %v", c.Subject, c.Channel)
		}
		if !c.CreatedAt.Equal(at(1)) || !c.UpdatedAt.Equal(at(7)) || c.Account != "org-1" {
			t.Errorf("created %v updated %v account %q", c.CreatedAt, c.UpdatedAt, c.Account)
		}
		if c.RequesterID == nil {
			t.Fatal("no requester")
		}
		people, err := store.FindPeople(ctx, []string{*c.RequesterID, domain.PersonID(domain.ProviderDixa, domain.RoleAgent, "org-1", "a2")})
		if err != nil || len(people) != 2 {
			t.Fatalf("people: %v %v", people, err)
		}
		for _, p := range people {
			if p.Role == domain.RoleContact && (p.Name != "Cy" || p.Email != "cy@example.com") {
				t.Errorf("requester %+v", p)
			}
			if p.Role == domain.RoleAgent && p.Name != "Bea" {
				t.Errorf("agent %+v", p)
			}
		}
	})
}

func TestMessagesKeepTheirFactsAcrossEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		created := factEvent(sub, "m1", t0, &domain.ConversationUpdate{})
		created.Type = domain.EventMessageCreated
		created.Message = &domain.Message{ExternalID: "msg-1", Direction: domain.DirectionInbound, Content: "hello",
			ContentType: "text/plain", Author: &domain.Person{Account: "org-1", ExternalID: "c1", Role: domain.RoleContact}}
		// A thin later event (a delivery receipt) knows only the id.
		receipt := factEvent(sub, "m2", t0.Add(time.Minute), &domain.ConversationUpdate{})
		receipt.Type = domain.EventMessageUpdated
		receipt.Message = &domain.Message{ExternalID: "msg-1"}
		for _, e := range []*domain.Event{receipt, created} {
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		conv := domain.ConversationID(domain.ProviderDixa, "org-1", "77")
		msgs, err := store.ListMessages(ctx, conv, domain.SeqPage{Limit: 10})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("messages: %v %v", msgs, err)
		}
		m := msgs[0]
		if m.Content != "hello" || m.Direction != domain.DirectionInbound || m.AuthorID == "" || !m.CreatedAt.Equal(t0) || !m.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("message %+v", m)
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil || len(events) != 2 || events[0].MessageID != m.ID || events[1].MessageID != m.ID {
			t.Fatalf("events do not point at their message: %+v %v", events, err)
		}
	})
}

func TestCorrectingTwiceAppendsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		stored := &domain.Event{
			ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "unknown",
			OccurredAt: time.Now(), ReceivedAt: time.Now(), SubscriptionID: sub.ID, DedupeKey: "dixa:sha256:abc",
			Payload: domain.RawJSON(`{"x":1}`), Reason: "no event_fqn",
		}
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, stored)}); err != nil {
			t.Fatal(err)
		}
		untranslated := true
		list, err := store.Events(ctx, &domain.EventFilter{Untranslated: &untranslated}, domain.Position(0), 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("untranslated: %v %v", list, err)
		}
		fresh := func() []*domain.Event {
			a := factEvent(sub, "dixa:evt-1", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), &domain.ConversationUpdate{Status: domain.StatusOpen})
			a.Type, a.ProviderEventType = domain.EventConversationStatusChanged, "ConversationOpen"
			b := factEvent(sub, "dixa:evt-2", time.Date(2024, 2, 1, 0, 0, 1, 0, time.UTC), &domain.ConversationUpdate{})
			return []*domain.Event{a, b}
		}
		for round := range 2 {
			appended, err := store.Correct(ctx, list[0], fresh())
			if err != nil {
				t.Fatal(err)
			}
			if want := 2 * (1 - round); len(appended) != want {
				t.Fatalf("round %d appended %d, want %d", round, len(appended), want)
			}
		}
		all, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil || len(all) != 3 {
			t.Fatalf("events after the correction: %d %v", len(all), err)
		}
		if all[0].ID != stored.ID || all[0].Type != domain.EventOther {
			t.Fatalf("the original changed: %+v", all[0])
		}
		c := all[1]
		if c.Corrects != stored.ID || c.Type != domain.EventConversationStatusChanged || c.Reason != "" || c.DedupeKey != "dixa:evt-1" ||
			c.ConversationID == "" || string(c.Payload) != `{"x":1}` {
			t.Fatalf("correction %+v", c)
		}
		no := false
		if list, _ = store.Events(ctx, &domain.EventFilter{Untranslated: &untranslated, Corrected: &no}, domain.Position(0), 10); len(list) != 0 {
			t.Fatalf("still listed as untranslated and uncorrected: %d", len(list))
		}
	})
}

// TestMessagesAreOrderedByCreationTime: a conversation's messages page
// oldest first by creation time, whatever order they arrived in, ties by
// arrival; cursors, `last` pages and the newest n of many conversations
// follow the same order.
func TestMessagesAreOrderedByCreationTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		// Arrival order a, b, c, d; creation order b, c, d (c and d at
		// the same moment, c arrived first), a.
		for _, m := range []struct {
			id      string
			minutes int
		}{{"a", 5}, {"b", 1}, {"c", 3}, {"d", 3}} {
			e := factEvent(sub, "msg-"+m.id, t0.Add(time.Duration(m.minutes)*time.Minute), &domain.ConversationUpdate{})
			e.Type = domain.EventMessageCreated
			e.Message = &domain.Message{ExternalID: m.id, Content: m.id}
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		conv := domain.ConversationID(domain.ProviderDixa, "org-1", "77")
		contents := func(ms []*domain.Message) string {
			var s string
			for _, m := range ms {
				s += m.Content
			}
			return s
		}
		list := func(p domain.SeqPage) []*domain.Message {
			t.Helper()
			ms, err := store.ListMessages(ctx, conv, p)
			if err != nil {
				t.Fatal(err)
			}
			return ms
		}
		all := list(domain.SeqPage{Limit: 10})
		if got := contents(all); got != "bcda" {
			t.Fatalf("first 10: %s, want bcda", got)
		}
		if got := contents(list(domain.SeqPage{Limit: 2, After: all[1].Seq})); got != "da" {
			t.Errorf("first 2 after c: %s, want da", got)
		}
		if got := contents(list(domain.SeqPage{Limit: 2, Backward: true})); got != "da" {
			t.Errorf("last 2: %s, want da", got)
		}
		if got := contents(list(domain.SeqPage{Limit: 2, Backward: true, Before: all[2].Seq})); got != "bc" {
			t.Errorf("last 2 before d: %s, want bc", got)
		}
		// A second conversation, with messages arriving between: the
		// newest n of each come in one read, each conversation's own, once
		// however often its id is asked for.
		for _, m := range []struct {
			id      string
			minutes int
		}{{"x", 2}, {"y", 9}, {"z", 4}} {
			u := &domain.ConversationUpdate{}
			e := factEvent(sub, "other-"+m.id, t0.Add(time.Duration(m.minutes)*time.Minute), u)
			u.ExternalID = "78"
			e.Type = domain.EventMessageCreated
			e.Message = &domain.Message{ExternalID: m.id, Content: m.id}
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		other := domain.ConversationID(domain.ProviderDixa, "org-1", "78")
		last, err := store.LastMessages(ctx, []string{conv, other, conv, "no-such-conversation"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := contents(last[conv]); got != "cda" {
			t.Errorf("newest 3: %s, want cda", got)
		}
		if got := contents(last[other]); got != "xzy" {
			t.Errorf("newest 3 of the other conversation: %s, want xzy", got)
		}
		if len(last) != 2 {
			t.Errorf("newest messages of %d conversations, want 2", len(last))
		}
		if last, err := store.LastMessages(ctx, []string{conv, other}, 2); err != nil {
			t.Fatal(err)
		} else if got := contents(last[conv]) + "|" + contents(last[other]); got != "da|zy" {
			t.Errorf("newest 2 of each: %s, want da|zy", got)
		}
		if last, err := store.LastMessages(ctx, nil, 2); err != nil || len(last) != 0 {
			t.Errorf("newest of no conversation: %v, %v", last, err)
		}
	})
}
