package pgnotify_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/pgnotify"
)

// run runs l until the test ends.
func run(t *testing.T, l *pgnotify.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// listen runs a listener on channel and returns the payloads it hears,
// once it has heard the "" of its first connection.
func listen(t *testing.T, url, channel string) <-chan string {
	t.Helper()
	payloads := make(chan string, 100)
	run(t, &pgnotify.Listener{URL: url, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Channels: map[string]func(string){channel: func(p string) { payloads <- p }}})
	select {
	case p := <-payloads:
		if p != "" {
			t.Fatalf("first call %q, want \"\" for the connection", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not connect")
	}
	return payloads
}

func TestListenerHearsNotificationsOfOtherConnections(t *testing.T) {
	url := dbtest.PostgresURL(t)
	channel := "gateway_test_" + t.Name()[:4]
	heard := listen(t, url, channel)
	conn, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("SELECT pg_notify($1, '')", channel); err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
		t.Fatal("notified before the commit")
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after the commit")
	}
}

// Each channel's notifications reach its own callback, all over one
// connection; after that connection is lost, every callback hears "" once
// the listener is back, since notifications may have been missed.
func TestListenerServesSeveralChannelsOverOneConnectionAndReconnects(t *testing.T) {
	app := "pgnotify_test_" + domain.RandomHex(4)
	url := dbtest.PostgresURL(t) + "&application_name=" + app
	channels := []string{"gateway_test_a_" + domain.RandomHex(4), "gateway_test_b_" + domain.RandomHex(4)}
	heard := map[string]chan string{}
	l := &pgnotify.Listener{URL: url, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Backoff: 10 * time.Millisecond,
		Channels: map[string]func(string){}}
	for _, c := range channels {
		heard[c] = make(chan string, 100)
		l.Channels[c] = func(p string) { heard[c] <- p }
	}
	run(t, l)

	expect := func(channel, want string) {
		t.Helper()
		select {
		case p := <-heard[channel]:
			if p != want {
				t.Fatalf("%s heard %q, want %q", channel, p, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s heard nothing, want %q", channel, want)
		}
	}
	for _, c := range channels {
		expect(c, "")
	}
	conn, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, c := range channels {
		if _, err := conn.Exec("SELECT pg_notify($1, $2)", c, fmt.Sprint("payload-", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range channels {
		expect(c, fmt.Sprint("payload-", i))
	}
	var listening int
	if err := conn.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", app).Scan(&listening); err != nil {
		t.Fatal(err)
	}
	if listening != 1 {
		t.Fatalf("the listener holds %d connections, want 1", listening)
	}

	if _, err := conn.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", app); err != nil {
		t.Fatal(err)
	}
	for _, c := range channels {
		expect(c, "")
	}
	if _, err := conn.Exec("SELECT pg_notify($1, 'after')", channels[1]); err != nil {
		t.Fatal(err)
	}
	expect(channels[1], "after")
	select {
	case p := <-heard[channels[0]]:
		t.Fatalf("%s heard %q, sent to the other channel", channels[0], p)
	default:
	}
}

// A commit of new events is announced with the newest position it stored,
// so a listener knows how far the history has grown.
func TestCommitAnnouncesItsNewestPosition(t *testing.T) {
	url := dbtest.PostgresURL(t)
	store := dbtest.Open(t, url)
	payloads := listen(t, url, db.NotifyChannel)

	e := &domain.Event{ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
		OccurredAt: time.Now(), ReceivedAt: time.Now(), SubscriptionID: "s", DedupeKey: "k", Payload: domain.RawJSON(`{}`)}
	if _, err := store.AppendDeliveries(t.Context(), []*domain.Delivery{{Events: []*domain.Event{e},
		Log: domain.DeliveryLog{SubscriptionID: "s", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}}}); err != nil {
		t.Fatal(err)
	}
	// Other tests' commits share the channel; ours must be among them.
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-payloads:
			if db.NotifiedPosition(p) == e.Position {
				return
			}
		case <-timeout:
			t.Fatalf("no notification announced position %d", e.Position)
		}
	}
}

// Every change of a webhook subscription is announced with its id once
// committed; a change that fails announces nothing.
func TestSubscriptionChangesAreAnnounced(t *testing.T) {
	url := dbtest.PostgresURL(t)
	store := dbtest.Open(t, url)
	payloads := listen(t, url, db.SubscriptionsChannel)

	now := time.Now().UTC()
	s := &domain.WebhookSubscription{ID: domain.NewID(), Provider: domain.ProviderDixa, Name: "announced",
		Authorization: domain.Authorization{Type: domain.AuthNone}, Enabled: true, CreatedAt: now, UpdatedAt: now}
	unknown := &domain.WebhookSubscription{ID: domain.NewID(), Provider: domain.ProviderDixa, Name: "never stored",
		Authorization: domain.Authorization{Type: domain.AuthNone}, CreatedAt: now, UpdatedAt: now}
	// Other tests change their own subscriptions on the same channel; only
	// ours count, in commit order.
	next := func() string {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case p := <-payloads:
				if p == s.ID || p == unknown.ID {
					return p
				}
			case <-timeout:
				t.Fatal("no announcement of the subscription")
			}
		}
	}
	heard := func(change string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", change, err)
		}
		if p := next(); p != s.ID {
			t.Fatalf("%s: heard %q, want %q", change, p, s.ID)
		}
	}
	heard("create", store.CreateSubscription(t.Context(), s))
	s.Enabled = false
	heard("update", store.UpdateSubscription(t.Context(), s))
	if err := store.UpdateSubscription(t.Context(), unknown); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("update of an unknown subscription: %v", err)
	}
	// Had the failed update been announced, its id would be heard first.
	heard("delete", store.DeleteSubscription(t.Context(), s.ID))
}

func TestNotifiedPositionOfUnreadablePayloads(t *testing.T) {
	for _, p := range []string{"", "abc", "-3", "0", "12x"} {
		if pos := db.NotifiedPosition(p); !pos.IsZero() {
			t.Errorf("payload %q read as %v, want the zero position", p, pos)
		}
	}
	if pos := db.NotifiedPosition("4711"); pos != 4711 {
		t.Errorf("payload 4711 read as %v", pos)
	}
}
