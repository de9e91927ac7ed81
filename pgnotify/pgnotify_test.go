package pgnotify_test

import (
	"context"
	"database/sql"
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

func TestListenerHearsNotificationsOfOtherConnections(t *testing.T) {
	url := dbtest.PostgresURL(t)
	heard := make(chan struct{}, 100)
	l := &pgnotify.Listener{URL: url, Channel: "gateway_test_" + t.Name()[:4], Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notify: func(string) { heard <- struct{}{} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	wait := func(what string) {
		t.Helper()
		select {
		case <-heard:
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification: %s", what)
		}
	}
	wait("the first connection")
	conn, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("SELECT pg_notify($1, '')", l.Channel); err != nil {
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
	wait("a committed notification")
}

// A commit of new events is announced with the newest position it stored,
// so a listener knows how far the history has grown.
func TestCommitAnnouncesItsNewestPosition(t *testing.T) {
	url := dbtest.PostgresURL(t)
	store := dbtest.Open(t, url)
	payloads := make(chan string, 100)
	l := &pgnotify.Listener{URL: url, Channel: db.NotifyChannel, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notify: func(p string) { payloads <- p }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if p := <-payloads; p != "" {
		t.Fatalf("first call %q, want \"\" for the connection", p)
	}

	e := &domain.Event{ID: domain.NewID(), Provider: domain.ProviderDixa, Type: domain.EventOther, ProviderEventType: "X",
		OccurredAt: time.Now(), ReceivedAt: time.Now(), SubscriptionID: "s", DedupeKey: "k", Payload: domain.RawJSON(`{}`)}
	if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{{Events: []*domain.Event{e},
		Log: domain.EventLog{SubscriptionID: "s", Outcome: domain.OutcomeAccepted, DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: time.Now()}}}}); err != nil {
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
