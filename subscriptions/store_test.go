package subscriptions_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/pgnotify"
	"github.com/helpdesk-gateway/gateway/subscriptions"
)

// process is one gateway process's view of the subscriptions: its own
// store handle and its own cache.
type process struct {
	store *db.DB
	cache *subscriptions.Cache
}

// listen keeps p's cache told of announced changes, as the gateway does,
// and returns once the listener is connected.
func (p process) listen(t *testing.T, url string) {
	t.Helper()
	connected := make(chan struct{})
	var once sync.Once
	l := &pgnotify.Listener{URL: url, Logger: slog.New(slog.DiscardHandler), Channels: map[string]func(string){
		db.SubscriptionsChannel: func(id string) {
			p.cache.Notify(id)
			if id == "" {
				once.Do(func() { close(connected) })
			}
		},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not connect")
	}
}

// change writes s through p as the gateway's resolvers do: the store, then
// p's own cache forgets it.
func (p process) change(t *testing.T, s *domain.WebhookSubscription, write func(ctx context.Context, s *domain.WebhookSubscription) error) {
	t.Helper()
	if err := write(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	p.cache.Forget(s.ID)
}

// eventually looks id up in c until ok holds, for up to a second.
func eventually(t *testing.T, c *subscriptions.Cache, id, what string, ok func(*subscriptions.Compiled, error) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		found, err := c.Find(context.Background(), id)
		if ok(found, err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("within a second the other process did not see %s: found %+v, %v", what, found, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newStoredSubscription() *domain.WebhookSubscription {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &domain.WebhookSubscription{ID: domain.NewID(), Provider: domain.ProviderDixa, Name: "v1", SecretKey: domain.RandomHex(32),
		Authorization: domain.Authorization{Type: domain.AuthNone}, Enabled: true, CreatedAt: now, UpdatedAt: now}
}

// Two processes on one PostgreSQL database: a change through one is seen
// by the other within a second, although its entries would live an hour.
func TestChangesThroughAnotherProcessAreSeenWithinASecond(t *testing.T) {
	url := dbtest.PostgresURL(t)
	var a, b process
	for _, p := range []*process{&a, &b} {
		p.store = dbtest.Open(t, url)
		p.cache = subscriptions.New(subscriptions.Config{Store: p.store, TTL: time.Hour, MissTTL: time.Hour})
		p.listen(t, url)
	}
	s := newStoredSubscription()
	if _, err := b.cache.Find(context.Background(), s.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("before its creation: %v, want ENOTFOUND", err)
	}
	a.change(t, s, a.store.CreateSubscription)
	eventually(t, b.cache, s.ID, "the creation", func(c *subscriptions.Compiled, err error) bool { return err == nil })

	steps := []struct {
		name string
		edit func(s *domain.WebhookSubscription)
		seen func(c *subscriptions.Compiled) bool
	}{
		{"an update of name and conditions", func(s *domain.WebhookSubscription) {
			s.Name = "v2"
			s.Conditions = domain.Conditions{List: []domain.Condition{{ID: 1, Field: domain.FieldChannel, Operator: domain.OpEquals, Values: []string{"EMAIL"}}}}
		}, func(c *subscriptions.Compiled) bool { return c.Subscription.Name == "v2" && c.Matcher.String() == "1" }},
		{"a disable", func(s *domain.WebhookSubscription) { s.Enabled = false },
			func(c *subscriptions.Compiled) bool { return !c.Subscription.Enabled }},
		{"an enable", func(s *domain.WebhookSubscription) { s.Enabled = true },
			func(c *subscriptions.Compiled) bool { return c.Subscription.Enabled }},
		{"a rotation without grace", func(s *domain.WebhookSubscription) { s.Rotate("rotated-secret", 0, time.Now()) },
			func(c *subscriptions.Compiled) bool {
				secrets := c.Subscription.VerifyingSecrets(time.Now())
				return len(secrets) == 1 && secrets[0] == "rotated-secret"
			}},
	}
	for _, step := range steps {
		// b serves its cached copy until the announcement arrives.
		before, err := b.cache.Find(context.Background(), s.ID)
		if err != nil || step.seen(before) {
			t.Fatalf("%s: before it, b found %+v, %v", step.name, before, err)
		}
		next := *s
		step.edit(&next)
		a.change(t, &next, a.store.UpdateSubscription)
		s = &next
		if now, err := a.cache.Find(context.Background(), s.ID); err != nil || !step.seen(now) {
			t.Fatalf("%s: the writing process found %+v, %v right after it", step.name, now, err)
		}
		eventually(t, b.cache, s.ID, step.name, func(c *subscriptions.Compiled, err error) bool { return err == nil && step.seen(c) })
	}
	a.change(t, s, func(ctx context.Context, s *domain.WebhookSubscription) error {
		return a.store.DeleteSubscription(ctx, s.ID)
	})
	eventually(t, b.cache, s.ID, "the deletion", func(_ *subscriptions.Compiled, err error) bool { return domain.ErrorCode(err) == domain.ENOTFOUND })
}

// A change whose announcement never arrives (a process that heard nothing,
// SQLite's single process bypassed) is seen once the entry is older than
// the TTL.
func TestLostAnnouncementIsHealedByTheTTL(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		// Only this goroutine looks up, so the clock needs no lock.
		var elapsed time.Duration
		c := subscriptions.New(subscriptions.Config{Store: store, TTL: 5 * time.Second, Now: func() time.Time { return time.Now().Add(elapsed) }})
		s := newStoredSubscription()
		if err := store.CreateSubscription(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if found := find(t, c, s.ID); !found.Subscription.Enabled {
			t.Fatal("created enabled, found disabled")
		}
		s.Enabled = false
		if err := store.UpdateSubscription(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		elapsed = 4 * time.Second
		if found := find(t, c, s.ID); !found.Subscription.Enabled {
			t.Fatal("within the TTL the cache read the store again; the test proves nothing")
		}
		elapsed = 5*time.Second + time.Millisecond
		if found := find(t, c, s.ID); found.Subscription.Enabled {
			t.Fatal("after the TTL the cache still serves the subscription as enabled")
		}
	})
}
