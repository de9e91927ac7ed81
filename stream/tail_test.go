package stream_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/helpdesk-gateway/gateway/broker"
	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/stream"
)

// counting counts the hub's reads of the history.
type counting struct {
	*db.DB
	reads atomic.Int64
}

func (c *counting) EventsWithin(ctx context.Context, f *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	c.reads.Add(1)
	return c.DB.EventsWithin(ctx, f, after, limit, maxBytes)
}

// collect reads n events' dedupe keys, or says why it could not; unlike
// receive it may run on goroutines other than the test's.
func collect(c <-chan *domain.Event, n int) ([]string, error) {
	var keys []string
	for len(keys) < n {
		select {
		case e, ok := <-c:
			if !ok {
				return keys, fmt.Errorf("stream closed after %d events", len(keys))
			}
			keys = append(keys, e.DedupeKey)
		case <-time.After(30 * time.Second): // on PostgreSQL, a long transaction elsewhere holds new events back
			return keys, fmt.Errorf("received %d events, want %d", len(keys), n)
		}
	}
	return keys, nil
}

// quietHub is a hub that never polls: only wake-ups make it read. With a
// config, its fields set Buffer, SlowTimeout and the window.
func quietHub(store stream.EventReader, b *broker.Broker, cfg ...stream.Config) *stream.Hub {
	c := stream.Config{}
	if len(cfg) > 0 {
		c = cfg[0]
	}
	c.Store, c.Broker, c.Poll, c.Logger = store, b, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil))
	return stream.NewHub(c)
}

// Streams at the head of the history share the tail's reads: a commit
// costs one read of the store, not one per stream.
func TestStreamsAtTheHeadShareOneReadPerCommit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		b := broker.New()
		reader := &counting{DB: store}
		hub := quietHub(reader, b)
		defer hub.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const streams, commits = 50, 20
		var cs []<-chan *domain.Event
		for range streams {
			cs = append(cs, hub.Subscribe(ctx, nil, domain.Position(0)))
		}
		appendEvents(t, store, b, 0, 1)
		for _, c := range cs {
			receive(t, c, 1)
		}
		before := reader.reads.Load()
		for i := 1; i <= commits; i++ {
			appendEvents(t, store, b, i, i+1)
			for _, c := range cs {
				if got := receive(t, c, 1); got[0] != fmt.Sprint(i) {
					t.Fatalf("commit %d: received %s", i, got[0])
				}
			}
		}
		reads := reader.reads.Load() - before
		t.Logf("%d streams, %d commits: %d reads of the store", streams, commits, reads)
		// One read per commit, plus a few for wake-ups left over from the
		// streams' start (a read they trigger can take a commit that a
		// later wake-up announces again). On PostgreSQL the commits of
		// other tests on the same database wake the tail too. Were reads
		// not shared, it would be one per stream per commit.
		limit := int64(commits + 5)
		if store.Dialect() == db.Postgres {
			limit = 5 * commits
		}
		if reads > limit {
			t.Fatalf("%d reads for %d commits to %d streams: want at most %d", reads, commits, streams, limit)
		}
	})
}

// A stream whose cursor is older than the tail's window reads the store
// until it reaches the window, while commits go on, and misses nothing.
func TestStreamsBehindTheWindowCatchUpWithoutGapOrDuplicate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		b := broker.New()
		// The streams are read one after another: the others wait meanwhile.
		hub := quietHub(store, b, stream.Config{WindowEvents: 40, WindowBytes: 1 << 20, SlowTimeout: time.Hour})
		defer hub.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		live := hub.Subscribe(ctx, nil, domain.Position(0)) // keeps the tail running
		appendEvents(t, store, b, 0, 700)
		receive(t, live, 700)
		history, err := store.Events(ctx, nil, domain.Position(0), 300)
		if err != nil {
			t.Fatal(err)
		}

		// One stream from the start, one from the middle, and one that
		// reads slowly, so the window moves past it while it reads.
		fromStart := hub.Subscribe(ctx, nil, domain.Position(0))
		fromMiddle := hub.Subscribe(ctx, nil, history[299].Position)
		slow := hub.Subscribe(ctx, nil, domain.Position(0))
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 700; i < 1000; i += 10 {
				appendEvents(t, store, b, i, i+10)
			}
		}()
		var slowKeys []string
		var slowErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(slowKeys) < 1000 && slowErr == nil {
				var k []string
				k, slowErr = collect(slow, 1)
				slowKeys = append(slowKeys, k...)
				if len(slowKeys)%50 == 0 {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
		check := func(name string, keys []string, first int) {
			for i, k := range keys {
				if k != fmt.Sprint(first+i) {
					t.Fatalf("%s: event %d is %s: out of order, missing or duplicated", name, first+i, k)
				}
			}
		}
		check("from the start", receive(t, fromStart, 1000), 0)
		check("from the middle", receive(t, fromMiddle, 700), 300)
		check("live", receive(t, live, 300), 700)
		wg.Wait()
		<-done
		if slowErr != nil {
			t.Fatalf("slow: %v", slowErr)
		}
		check("slow", slowKeys, 0)
		for name, c := range map[string]<-chan *domain.Event{"from the start": fromStart, "from the middle": fromMiddle, "slow": slow, "live": live} {
			select {
			case e := <-c:
				t.Fatalf("%s: unexpected extra event %s", name, e.DedupeKey)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// A reader that stops reading holds up nobody: the others receive every
// event while its buffer stays full.
func TestStuckReaderHoldsUpNobody(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	b := broker.New()
	hub := quietHub(store, b, stream.Config{Buffer: 5, SlowTimeout: time.Hour})
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stuck := hub.Subscribe(ctx, nil, domain.Position(0))
	var others []<-chan *domain.Event
	for range 20 {
		others = append(others, hub.Subscribe(ctx, nil, domain.Position(0)))
	}
	var wg sync.WaitGroup
	for i, c := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys, err := collect(c, 200)
			if err != nil {
				t.Errorf("reader %d: %v", i, err)
			}
			for j, k := range keys {
				if k != fmt.Sprint(j) {
					t.Errorf("reader %d: event %d is %s", i, j, k)
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i += 10 {
		appendEvents(t, store, b, i, i+10)
	}
	wg.Wait()
	if n := len(stuck); n != 5 {
		t.Fatalf("the stuck reader's buffer holds %d events, want 5", n)
	}
}

// A transaction left open elsewhere in the cluster does not hold back the
// events that commit after it began: they reach a live stream at once,
// without waiting for the (here: hour-long) poll.
func TestEventCommittedBesideALongTransactionArrivesAtOnce(t *testing.T) {
	store := dbtest.Open(t, dbtest.PostgresURL(t))
	b := broker.New()
	hub := quietHub(store, b)
	defer hub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := hub.Subscribe(ctx, nil, domain.Position(0))
	appendEvents(t, store, b, 0, 1)
	receive(t, c, 1)

	conn, err := sql.Open("pgx", os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	holder, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, store, b, 1, 2) // commits after the holder began
	if got := receive(t, c, 1); got[0] != "1" {
		t.Fatalf("received %s", got[0])
	}
}
