package pgnotify_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/pgnotify"
)

func TestListenerHearsNotificationsOfOtherConnections(t *testing.T) {
	url := dbtest.PostgresURL(t)
	heard := make(chan struct{}, 100)
	l := &pgnotify.Listener{URL: url, Channel: "gateway_test_" + t.Name()[:4], Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Notify: func() { heard <- struct{}{} }}
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
