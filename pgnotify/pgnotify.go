// Package pgnotify listens for PostgreSQL notifications, so that a gateway
// process learns at once of events another process committed. Events are
// never carried in a notification: listeners read the store by cursor, and
// a notification lost while reconnecting only delays events until the
// streams' periodic catch-up read.
package pgnotify

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listener holds one connection that LISTENs on a channel. Run blocks
// until its context ends; Notify is called from Run's goroutine.
type Listener struct {
	URL     string
	Channel string
	// Notify is called with the payload of every notification, and with
	// "" after every (re)connection, since notifications may have been
	// missed meanwhile.
	Notify func(payload string)
	Logger *slog.Logger
	// Backoff is the wait before reconnecting after an error.
	Backoff time.Duration
}

// Run listens until ctx ends, reconnecting after errors.
func (l *Listener) Run(ctx context.Context) {
	backoff := l.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	for ctx.Err() == nil {
		err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		l.Logger.Warn("notification listener failed; reconnecting", "err", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
	}
}

func (l *Listener) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.Channel}.Sanitize()); err != nil {
		return err
	}
	l.Notify("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.Notify(n.Payload)
	}
}
