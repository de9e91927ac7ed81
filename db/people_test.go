package db_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// contactEvent is a contact event at `at` about the contact p.
func contactEvent(sub *domain.WebhookSubscription, key string, at time.Time, p *domain.Person) *domain.Event {
	p.Account, p.ExternalID, p.Role = "org-1", "c-1", domain.RoleContact
	return &domain.Event{
		ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventContactUpdated, ProviderEventType: "X",
		OccurredAt: at, ReceivedAt: time.Now(), SubscriptionID: sub.ID, DedupeKey: key, Payload: domain.RawJSON(`{}`),
		Contacts: []*domain.Person{p},
	}
}

func findContact(t *testing.T, store *db.DB) *domain.Person {
	t.Helper()
	people, err := store.FindPeople(ctx, []string{domain.PersonID(domain.ProviderDixa, domain.RoleContact, "org-1", "c-1")})
	if err != nil || len(people) != 1 {
		t.Fatalf("people: %v %v", people, err)
	}
	return people[0]
}

func phones(list ...string) []domain.Phone {
	var out []domain.Phone
	for i := 0; i+1 < len(list); i += 2 {
		out = append(out, domain.Phone{Kind: domain.PhoneKind(list[i]), Number: list[i+1]})
	}
	return out
}

// Every detail follows the field rule (a non-empty value said at or after
// the row's last update wins, any value fills an empty one); phones do so
// kind by kind, and an empty value never erases one.
func TestPeopleKeepEveryDetailAndMergePhonesByKind(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		append1 := func(events ...*domain.Event) {
			t.Helper()
			var ds []*domain.Delivery
			for _, e := range events {
				ds = append(ds, delivery(sub, e))
			}
			if _, err := store.AppendDeliveries(ctx, ds); err != nil {
				t.Fatal(err)
			}
		}
		append1(contactEvent(sub, "k1", at(1), &domain.Person{
			Name: "Wang Kai", FirstName: "Kai", LastName: "Wang", Email: "kai@example.com",
			Emails: []string{"kai@example.com", "kai@home.example"}, Phone: "+1 1011",
			Phones:  phones("MOBILE", "+1 1011", "OFFICE", "+1 2000", "WHATSAPP", "+1 3000"),
			Company: "Cloudfon", AvatarURL: "https://example.com/kai.png",
		}))
		// Newer: the office number changed; nothing else is said.
		append1(contactEvent(sub, "k2", at(5), &domain.Person{Phones: phones("OFFICE", "+1 2222")}))
		// Older, arriving late: a kind the row lacks fills in, the rest is stale.
		append1(contactEvent(sub, "k3", at(0), &domain.Person{
			Name: "Old Name", Email: "old@example.com", Emails: []string{"old@example.com"}, Company: "Old Co",
			Phones: phones("OFFICE", "+1 9999", "HOME", "+1 4000"),
		}))
		p := findContact(t, store)
		if p.Name != "Wang Kai" || p.FirstName != "Kai" || p.LastName != "Wang" || p.Company != "Cloudfon" ||
			p.AvatarURL != "https://example.com/kai.png" || p.Email != "kai@example.com" || p.Phone != "+1 1011" {
			t.Errorf("person %+v", p)
		}
		if want := []string{"kai@example.com", "kai@home.example"}; !reflect.DeepEqual(p.Emails, want) {
			t.Errorf("emails %v, want %v", p.Emails, want)
		}
		if want := phones("MOBILE", "+1 1011", "OFFICE", "+1 2222", "HOME", "+1 4000", "WHATSAPP", "+1 3000"); !reflect.DeepEqual(p.Phones, want) {
			t.Errorf("phones %v, want %v", p.Phones, want)
		}
		if !p.UpdatedAt.Equal(at(5)) {
			t.Errorf("updated at %v, want %v", p.UpdatedAt, at(5))
		}

		// A newer list of addresses replaces the list; the primary address
		// stays first where no newer one was said.
		append1(contactEvent(sub, "k4", at(6), &domain.Person{Emails: []string{"kai@work.example"}}))
		if p := findContact(t, store); !reflect.DeepEqual(p.Emails, []string{"kai@example.com", "kai@work.example"}) {
			t.Errorf("emails after a newer list: %v", p.Emails)
		}
	})
}

// One batch folds its sayings about a person the same way, newest first
// per kind, before anything is written.
func TestPeopleFoldWithinOneBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		newer := contactEvent(sub, "n", t0.Add(time.Hour), &domain.Person{FirstName: "New", Phones: phones("MOBILE", "+2 5555")})
		older := contactEvent(sub, "o", t0, &domain.Person{FirstName: "Old", LastName: "Only", Phones: phones("MOBILE", "+2 6666", "FAX", "+2 7777")})
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, newer), delivery(sub, older)}); err != nil {
			t.Fatal(err)
		}
		p := findContact(t, store)
		if p.FirstName != "New" || p.LastName != "Only" || p.Phone != "+2 5555" {
			t.Errorf("person %+v", p)
		}
		if want := phones("MOBILE", "+2 5555", "FAX", "+2 7777"); !reflect.DeepEqual(p.Phones, want) {
			t.Errorf("phones %v, want %v", p.Phones, want)
		}
	})
}

// A person dated by its provider (a CloudCX contact's update time) dates
// its facts by that time, not by the delivery: an older record delivered
// later leaves newer facts alone.
func TestPeopleDatedByTheProviderKeepTheirNewestFacts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		t0 := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
		fresh := contactEvent(sub, "fresh", t0, &domain.Person{Email: "new@example.com", UpdatedAt: t0.Add(-time.Hour)})
		stale := contactEvent(sub, "stale", t0.Add(time.Hour), &domain.Person{Email: "old@example.com", UpdatedAt: t0.Add(-2 * time.Hour)})
		for _, e := range []*domain.Event{fresh, stale} {
			if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
				t.Fatal(err)
			}
		}
		if p := findContact(t, store); p.Email != "new@example.com" || !p.UpdatedAt.Equal(t0.Add(-time.Hour)) {
			t.Errorf("person %+v, want the newer record's e-mail and time", p)
		}
	})
}

// Events with one fact key are one event, whichever arrives first, in
// one batch or in two; events without a fact key are not affected, and a
// redelivery is still recognised by its dedupe key.
func TestFactKeyKeepsOneEventPerFact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		now := time.Now()
		withFact := func(key, fact string) *domain.Event {
			e := newEvent(sub, key, "1", domain.StatusOpen, now)
			e.FactKey = fact
			return e
		}
		res, err := store.AppendDeliveries(ctx, []*domain.Delivery{
			delivery(sub, withFact("account:1", "message:1")),
			delivery(sub, withFact("automation:1", "message:1")), // the same fact, the other way, same batch
			delivery(sub, withFact("plain", "")),
			delivery(sub, withFact("also-plain", "")),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res[0].Appended) != 1 || res[1].Duplicates != 1 || len(res[2].Appended) != 1 || len(res[3].Appended) != 1 {
			t.Fatalf("first batch: %+v", res)
		}
		res, err = store.AppendDeliveries(ctx, []*domain.Delivery{
			delivery(sub, withFact("automation:2", "message:2")),
			delivery(sub, withFact("account:1", "message:1")), // a redelivery
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res[0].Appended) != 1 || res[1].Duplicates != 1 {
			t.Fatalf("second batch: %+v", res)
		}
		res, err = store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, withFact("account:2", "message:2"))})
		if err != nil || res[0].Duplicates != 1 {
			t.Fatalf("the account delivery after the automation one: %+v %v", res, err)
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range events {
			keys = append(keys, e.DedupeKey+"/"+e.FactKey)
		}
		if want := []string{"account:1/message:1", "plain/", "also-plain/", "automation:2/message:2"}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("stored %v, want %v", keys, want)
		}
	})
}

// A body kept as OTHER that re-translates into a fact another event
// already reports is a redelivery of that fact: its correction is dropped
// as a duplicate, and later deliveries of the fact are still duplicates.
func TestCorrectionOfAFactAlreadyStoredIsDropped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		sub := newSubscription(t, store)
		now := time.Now()
		stored := newEvent(sub, "dixa:sha256:body", "", "", now)
		stored.Type, stored.Reason = domain.EventOther, "not understood yet"
		account := newEvent(sub, "account:1", "1", domain.StatusOpen, now)
		account.FactKey = "message:1"
		if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, stored), delivery(sub, account)}); err != nil {
			t.Fatal(err)
		}
		fresh := newEvent(sub, "automation:1", "1", domain.StatusOpen, now)
		fresh.FactKey = "message:1"
		if appended, err := store.Correct(ctx, stored, []*domain.Event{fresh}); err != nil || len(appended) != 0 {
			t.Fatalf("correction appended %v, %v; want it dropped", appended, err)
		}
		events, err := store.Events(ctx, nil, domain.Position(0), 10)
		if err != nil || len(events) != 2 {
			t.Fatalf("events %+v %v", events, err)
		}
		if e := events[0]; e.ID != stored.ID || e.Type != domain.EventOther {
			t.Errorf("the stored event changed: %+v", e)
		}
		if e := events[1]; e.FactKey != "message:1" {
			t.Errorf("the fact's own event lost its key: %+v", e)
		}
		again := newEvent(sub, "automation:2", "1", domain.StatusOpen, now)
		again.FactKey = "message:1"
		if res, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, again)}); err != nil || res[0].Duplicates != 1 {
			t.Errorf("a later delivery of the fact: %+v %v, want a duplicate", res, err)
		}
	})
}
