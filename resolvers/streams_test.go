package resolvers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
)

// flakyStore fails to read conversation "bad"; the other methods are not
// called.
type flakyStore struct {
	Store
	reads atomic.Int32
}

func (s *flakyStore) FindConversation(_ context.Context, id string) (*domain.Conversation, error) {
	s.reads.Add(1)
	if id == "bad" {
		return nil, errors.New("connection reset")
	}
	q := "q1"
	return &domain.Conversation{ID: id, Queue: &q}, nil
}

type fixedStreams []*domain.Event

func (f fixedStreams) Subscribe(ctx context.Context, _ *domain.EventFilter, _ domain.Position) <-chan *domain.Event {
	out := make(chan *domain.Event)
	go func() {
		defer close(out)
		for _, e := range f {
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return out
}

func TestStreamWhoseConversationCannotBeReadEndsWithTheResumeCursor(t *testing.T) {
	events := fixedStreams{
		{ID: "e1", Position: 5, ConversationID: "good"},
		{ID: "e2", Position: 9, ConversationID: "bad"},
		{ID: "e3", Position: 10, ConversationID: "good"},
	}
	store := &flakyStore{}
	r := &Resolver{Store: store, Streams: events, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	closed := make(chan string, 1)
	ctx := stream.WithCloser(t.Context(), func(code int, reason string) {
		if code != stream.CloseTryAgain {
			t.Errorf("close code %d", code)
		}
		closed <- reason
	})
	replayAll := true
	conds := []*domain.Condition{{ID: 1, Field: domain.FieldQueueID, Operator: domain.OpEquals, Values: []string{"q1"}}}
	out, err := r.eventStream(ctx, nil, nil, &replayAll, conds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := range out {
		got = append(got, e.ID)
	}
	if strings.Join(got, ",") != "e1" {
		t.Fatalf("got %v, want e1 and then the end", got)
	}
	select {
	case reason := <-closed:
		if want := "resume after " + domain.Position(8).String(); !strings.HasSuffix(reason, want) {
			t.Fatalf("close reason %q, want it to end with %q", reason, want)
		}
	case <-time.After(time.Second):
		t.Fatal("the stream ended without closing its connection")
	}

	// A second stream reaching e1 shares the first one's read.
	r.Streams = events[:1]
	before := store.reads.Load()
	out, _ = r.eventStream(ctx, nil, nil, &replayAll, conds, nil, nil)
	<-out
	if n := store.reads.Load() - before; n != 0 {
		t.Fatalf("the second stream read the conversation %d more times", n)
	}
}
