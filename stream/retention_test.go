package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
)

// A stream reading the history from a cursor that retention has overtaken
// ends, closed with the oldest cursor still available, instead of going
// on past the gap; one at the horizon replays what is kept and follows.
func TestStreamOvertakenByRetentionEndsWithTheOldestCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		b := broker.New()
		hub := stream.NewHub(stream.Config{Store: store, Broker: b, Poll: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		defer hub.Close()
		appendEvents(t, store, b, 0, 10)
		n, horizon, err := store.PruneEvents(context.Background(), time.Now().Add(time.Second), 5)
		if err != nil || n != 5 {
			t.Fatalf("prune: %d %v", n, err)
		}

		closed := make(chan string, 1)
		ctx := stream.WithCloser(context.Background(), func(code int, reason string) { closed <- fmt.Sprint(code, " ", reason) })
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for e := range hub.Subscribe(ctx, nil, domain.Position(1)) {
			t.Fatalf("an expired stream delivered %s", e.DedupeKey)
		}
		select {
		case got := <-closed:
			if want := fmt.Sprint(stream.CloseCursorExpired); !strings.HasPrefix(got, want+" ") || !strings.HasSuffix(got, horizon.String()) {
				t.Fatalf("closed with %q, want %s naming %s", got, want, horizon.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the expired stream was not closed")
		}

		kept := hub.Subscribe(ctx, nil, horizon)
		if got := receive(t, kept, 5); got[0] != "5" || got[4] != "9" {
			t.Fatalf("stream at the horizon got %v, want 5..9", got)
		}
		appendEvents(t, store, b, 10, 11)
		if got := receive(t, kept, 1); got[0] != "10" {
			t.Fatalf("stream at the horizon then got %v, want the new event", got)
		}
	})
}
