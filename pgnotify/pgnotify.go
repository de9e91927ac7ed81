// Package pgnotify listens for PostgreSQL notifications, so that a gateway
// process learns at once of what another process committed: new events,
// changed webhook subscriptions. Nothing but a hint is carried in a
// notification: listeners read the store, and a notification lost while
// reconnecting only delays what it announced until the listener's own
// fallback (the streams' periodic catch-up read, a cache's expiry).
package pgnotify

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listener holds one connection that LISTENs on every channel of Channels.
// Run blocks until its context ends; the callbacks are called from Run's
// goroutine, one at a time, so a slow callback delays the others.
type Listener struct {
	URL string
	// Channels maps each channel to listen on to its callback. A callback
	// is called with the payload of every notification on its channel, and
	// with "" after every (re)connection, since notifications may have
	// been missed meanwhile. Channels must not change once Run has started.
	Channels map[string]func(payload string)
	Logger   *slog.Logger
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
	for channel := range l.Channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return err
		}
	}
	// Only once every LISTEN holds: what was announced before is read
	// again by whoever hears "", what is announced after is heard.
	for _, notify := range l.Channels {
		notify("")
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if notify := l.Channels[n.Channel]; notify != nil {
			notify(n.Payload)
		}
	}
}
