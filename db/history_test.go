package db_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the naive readers

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// The shape of the history test's load: historyWriters writers, each
// appending a fixed number of events in batches of 1 to historyMaxBatch
// deliveries, while one reader pages historyPageSize events at a time, and
// rests up to historyPoll when it has caught up.
const (
	historyWriters      = 8
	historyMaxBatch     = 20
	historyPageSize     = 50
	historyPoll         = time.Millisecond
	historyDrainTimeout = 15 * time.Second
)

// TestPagingReaderNeverMissesAConcurrentlyCommittedEvent proves the history
// guarantee of Events: a reader that pages by cursor from where it stopped,
// while several processes append concurrently, sees every committed event
// exactly once, in strictly increasing position order, and nothing else.
//
// On PostgreSQL a "blocker" holds the row lock of a hot conversation for a
// few milliseconds at a time, and some batches touch that conversation
// after appending other events, so they wait inside their transaction after
// their events have positions: the moments where a reader could overtake a
// late commit if positions were not handed out in commit order.
func TestPagingReaderNeverMissesAConcurrentlyCommittedEvent(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		url := dbtest.PostgresURL(t)
		runHistoryTest(t, url, dbtest.Open(t, url), 200)
	})
	t.Run("sqlite", func(t *testing.T) {
		// Every commit is a synchronous write to disk: fewer events.
		url := dbtest.SQLiteURL(t)
		runHistoryTest(t, url, dbtest.Open(t, url), 30)
	})
}

// historySeen is what a reader saw: each event's position by id, and the
// problems it noticed on the way.
type historySeen struct {
	pos      map[string]domain.Position
	problems []string
}

func (s *historySeen) problemf(format string, args ...any) {
	if len(s.problems) < 20 {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
}

// runHistoryTest runs the history test on the store at url, whose first
// handle, reader, is migrated; each writer appends perWriter events.
func runHistoryTest(t *testing.T, url string, reader *db.DB, perWriter int) {
	start := time.Now()
	postgres := reader.Dialect() == db.Postgres

	// On PostgreSQL each writer has its own handle on the same schema:
	// several gateway processes. SQLite has one writer, so there the writers
	// share one handle (one process), and the reader has its own. Each writer
	// has its own subscription.
	writers := make([]*db.DB, historyWriters)
	subs := make([]*domain.WebhookSubscription, historyWriters)
	for i := range writers {
		if i == 0 || postgres {
			w, err := db.Open(ctx, url)
			if err != nil {
				t.Fatalf("open writer %d: %v", i, err)
			}
			t.Cleanup(func() { w.Close() })
			writers[i] = w
		} else {
			writers[i] = writers[0]
		}
		subs[i] = newSubscription(t, reader)
	}

	// committed holds every event an AppendDeliveries call reported as
	// appended, by id: the writers' tallies.
	committed := map[string]domain.Position{}

	// The hot conversation exists before the writers start, so the blocker
	// can lock its row.
	hot := newEvent(subs[0], "hot-0", "hot", domain.StatusOpen, time.Now())
	res, err := reader.AppendDeliveries(ctx, []*domain.Delivery{delivery(subs[0], hot)})
	if err != nil || len(res[0].Appended) != 1 {
		t.Fatalf("append the hot conversation: %v %v", res, err)
	}
	committed[hot.ID] = hot.Position

	done := make(chan struct{})
	var background sync.WaitGroup // the blocker

	var raw *sql.DB
	if postgres {
		raw, err = sql.Open("pgx", url)
		if err != nil {
			t.Fatalf("open raw connection: %v", err)
		}
		defer raw.Close()
		background.Add(1)
		go func() {
			defer background.Done()
			historyHoldHotConversation(t, raw, hot.ConversationID, done)
		}()
	}
	// The writers. Each records what it appended; writeErrs counts failed
	// calls, whose events must never be seen.
	appended := make([]map[string]domain.Position, historyWriters)
	var batches, hotBatches [historyWriters]int
	var writing sync.WaitGroup
	for w := range writers {
		appended[w] = map[string]domain.Position{}
		writing.Add(1)
		go func() {
			defer writing.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			n := 0
			for n < perWriter {
				size := min(1+rng.IntN(historyMaxBatch), perWriter-n)
				// A third of the batches of two or more touch the hot
				// conversation after appending at least one other event.
				hotAt := -1
				if size > 1 && rng.IntN(3) == 0 {
					hotAt = 1 + rng.IntN(size-1)
					hotBatches[w]++
				}
				ds := make([]*domain.Delivery, size)
				for i := range ds {
					csid := fmt.Sprintf("w%d-c%d", w, rng.IntN(8))
					if i == hotAt {
						csid = "hot"
					}
					key := fmt.Sprintf("w%d-e%d", w, n+i)
					ds[i] = delivery(subs[w], newEvent(subs[w], key, csid, domain.StatusOpen, time.Now()))
				}
				res, err := writers[w].AppendDeliveries(ctx, ds)
				if err != nil {
					t.Errorf("writer %d: append %d deliveries: %v", w, size, err)
					return
				}
				batches[w]++
				for _, r := range res {
					for _, e := range r.Appended {
						appended[w][e.ID] = e.Position
					}
				}
				n += size
				if rng.IntN(4) == 0 {
					time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
				}
			}
		}()
	}
	go func() {
		writing.Wait()
		close(done)
	}()
	// However the reader ends, nothing may run on after the test.
	defer func() {
		<-done
		background.Wait()
	}()

	// The reader: page on from the last position, again and again, until
	// the writers are done.
	seen := &historySeen{pos: map[string]domain.Position{}}
	var after domain.Position
	pages, calls := 0, 0
	page := func() int {
		events, err := reader.Events(ctx, nil, after, historyPageSize)
		if err != nil {
			t.Errorf("read events after %v: %v", after, err)
			return -1
		}
		calls++
		if len(events) > 0 {
			pages++
		}
		for _, e := range events {
			if !after.Less(e.Position) {
				seen.problemf("event %s at %v read after %v: positions not strictly increasing", e.ID, e.Position, after)
			}
			if p, dup := seen.pos[e.ID]; dup {
				seen.problemf("event %s seen twice, at %v and at %v", e.ID, p, e.Position)
			}
			seen.pos[e.ID] = e.Position
			after = e.Position
		}
		return len(events)
	}
	for writersDone := false; !writersDone && !t.Failed(); {
		select {
		case <-done:
			writersDone = true
		default:
		}
		n := page()
		for n == historyPageSize {
			n = page()
		}
		if n >= 0 {
			time.Sleep(rand.N(historyPoll))
		}
	}
	if t.Failed() {
		return
	}
	writeTime := time.Since(start)

	// The drain: every event is committed now; keep paging until all of
	// them became visible, then check that nothing more comes.
	total, err := reader.CountEvents(ctx)
	if err != nil {
		t.Errorf("count events: %v", err)
		return
	}
	deadline := time.Now().Add(historyDrainTimeout)
	for int64(len(seen.pos)) < total && time.Now().Before(deadline) && !t.Failed() {
		if page() < historyPageSize {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if n := page(); n > 0 {
		t.Errorf("after the drain a read returned %d more events", n)
	}
	<-done
	background.Wait()

	for w := range appended {
		for id, p := range appended[w] {
			committed[id] = p
		}
	}
	t.Logf("%d writers appended %d events in %d batches (%d touching the hot conversation) in %v; the reader saw %d events in %d non-empty pages (%d reads); %d events stored",
		historyWriters, len(committed), historySum(batches[:]), historySum(hotBatches[:]), writeTime.Round(time.Millisecond),
		len(seen.pos), pages, calls, total)

	if t.Failed() {
		return
	}
	if want := 1 + historyWriters*perWriter; len(committed) != want {
		t.Errorf("the writers appended %d events, want %d", len(committed), want)
	}
	if total != int64(len(committed)) {
		t.Errorf("CountEvents = %d, but the writers appended %d events", total, len(committed))
	}
	for _, p := range seen.problems {
		t.Error(p)
	}
	missed := 0
	for id, p := range committed {
		got, ok := seen.pos[id]
		switch {
		case !ok:
			if missed++; missed <= 10 {
				t.Errorf("committed event %s at %v never seen by the reader", id, p)
			}
		case got != p:
			t.Errorf("event %s seen at %v, appended at %v", id, got, p)
		}
	}
	if missed > 0 {
		t.Errorf("the reader missed %d of %d committed events", missed, len(committed))
	}
	for id, p := range seen.pos {
		if _, ok := committed[id]; !ok {
			t.Errorf("the reader saw event %s at %v, which no writer appended", id, p)
		}
	}

	t.Logf("total run time %v", time.Since(start).Round(time.Millisecond))
}

// historyHoldHotConversation locks the conversation's row for a few milliseconds
// at a time until done is closed: writers that touch it wait inside their
// transaction, and commit after writers that started later.
func historyHoldHotConversation(t *testing.T, raw *sql.DB, conversationID string, done <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 99))
	for {
		select {
		case <-done:
			return
		default:
		}
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Errorf("blocker: begin: %v", err)
			return
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE`, conversationID); err != nil {
			tx.Rollback()
			t.Errorf("blocker: lock the hot conversation: %v", err)
			return
		}
		time.Sleep(time.Duration(1000+rng.IntN(4000)) * time.Microsecond)
		if err := tx.Commit(); err != nil {
			t.Errorf("blocker: commit: %v", err)
			return
		}
		time.Sleep(time.Duration(5000+rng.IntN(10000)) * time.Microsecond)
	}
}

func historySum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestOpenTransactionElsewhereDoesNotHoldBackEvents: a transaction left
// open by another client of the database server does not delay the events
// that commit after it began.
func TestOpenTransactionElsewhereDoesNotHoldBackEvents(t *testing.T) {
	url := dbtest.PostgresURL(t)
	store := dbtest.Open(t, url)
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	idle, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Rollback()
	if _, err := idle.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	sub := newSubscription(t, store)
	e := newEvent(sub, "after-idle", "c1", domain.StatusOpen, time.Now())
	if _, err := store.AppendDeliveries(ctx, []*domain.Delivery{delivery(sub, e)}); err != nil {
		t.Fatal(err)
	}
	events, err := store.Events(ctx, nil, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ID != e.ID {
		t.Fatalf("with a transaction open elsewhere, Events returned %d events, want the one just committed", len(events))
	}
}
