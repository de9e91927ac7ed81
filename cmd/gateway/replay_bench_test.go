package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/loadgen"
)

// BenchmarkIngestBesideReplayingStreams measures what replaying streams
// cost ingest: the latency of single webhook deliveries (posted one after
// another) on a gateway idle of streams, and the same while 1,000 streams
// replay the whole stored history (fromBeginning) at once, in alternating
// rounds. It reports both p50s and p99s and the p99 ratio (target: at
// most 2), and the replays' progress: the events a second the streams
// receive during the timed deliveries (replaying-events/s) and in the
// second before them, with no delivery (replay-alone-events/s). At most
// STREAM_REPLAY_CONCURRENCY streams take a turn at once, each until its
// reader has taken its page, and the turns yield to the deliveries (for
// at most STREAM_REPLAY_YIELD at a time); the CPU they take is shared
// with ingest on the same machine, which is why this is a benchmark with
// a same-run baseline and not a timed test. The gateway is built with go
// build and runs as a process of its own, with the environment of this
// one (STREAM_REPLAY_YIELD, say), so that the clients' work is not
// scheduled among its goroutines.
//
//	go test ./cmd/gateway -run '^$' -bench IngestBesideReplayingStreams -benchtime 1x
//
// It runs on PostgreSQL (TEST_DATABASE_URL).
func BenchmarkIngestBesideReplayingStreams(b *testing.B) {
	const (
		history     = 20000 // events stored before the rounds
		streams     = 1000
		perConn     = 100 // subscriptions on one websocket
		perRound    = 250 // deliveries timed in each round
		roundsEach  = 4   // a p99 of 1,000 deliveries each way
		replayQuery = `{"query":"subscription { eventStream(fromBeginning: true) { cursor payload } }"}`
	)
	url := dbtest.PostgresURL(b)
	g := startGatewayProcess(b, buildGateway(b), url, streams)
	loadHistoryAt(b, g.base, loadgen.Config{Clients: 16, Deliveries: history, Conversations: 500, Agents: 20})
	ws := "ws" + strings.TrimPrefix(g.base, "http") + "/graphql"

	posted := 0
	var replayed atomic.Int64 // events the streams received
	var alone progress        // while no delivery was posted
	round := func() []time.Duration {
		var took []time.Duration
		for range perRound {
			start := time.Now()
			if status, body := postDixa(b, g.webhook, g.secret, probeNote(posted)); status != http.StatusOK {
				b.Fatalf("delivery: %d %s", status, body)
			}
			took = append(took, time.Since(start))
			posted++
		}
		return took
	}
	// replaying opens the streams; each connection reads and drops what
	// it is sent until the returned stop is called.
	replaying := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		var conns []*websocket.Conn
		for c := 0; c < streams/perConn; c++ {
			conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
			if err != nil {
				b.Fatalf("dial %s: %v", ws, err)
			}
			conn.SetReadLimit(4 << 20)
			msgs := []string{`{"type":"connection_init","payload":{"Authorization":"Bearer ` + adminToken + `"}}`}
			for i := range perConn {
				msgs = append(msgs, fmt.Sprintf(`{"id":"%d","type":"subscribe","payload":%s}`, i, replayQuery))
			}
			for _, msg := range msgs {
				if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
					b.Fatal(err)
				}
			}
			conns = append(conns, conn)
			go func() {
				for {
					_, msg, err := conn.Read(ctx)
					if err != nil {
						return
					}
					if isNext(msg) {
						replayed.Add(1)
					}
				}
			}()
		}
		// The replays are under way; the second half of the wait measures
		// them alone.
		time.Sleep(time.Second / 2)
		from, start := replayed.Load(), time.Now()
		time.Sleep(time.Second / 2)
		alone.n += replayed.Load() - from
		alone.took += time.Since(start)
		return func() {
			cancel()
			for _, c := range conns {
				c.CloseNow()
			}
			time.Sleep(time.Second) // their streams end
		}
	}
	b.ResetTimer()
	for range b.N {
		var idle, busy []time.Duration
		var during progress
		for range roundsEach {
			idle = append(idle, round()...)
			stop := replaying()
			from, start := replayed.Load(), time.Now()
			busy = append(busy, round()...)
			during.n += replayed.Load() - from
			during.took += time.Since(start)
			stop()
		}
		pIdle, pBusy := quantile(idle, 0.99), quantile(busy, 0.99)
		b.ReportMetric(float64(quantile(idle, 0.5).Microseconds())/1000, "idle-p50-ms")
		b.ReportMetric(float64(pIdle.Microseconds())/1000, "idle-p99-ms")
		b.ReportMetric(float64(quantile(busy, 0.5).Microseconds())/1000, "replaying-p50-ms")
		b.ReportMetric(float64(pBusy.Microseconds())/1000, "replaying-p99-ms")
		b.ReportMetric(float64(pBusy)/float64(pIdle), "p99-ratio")
		b.ReportMetric(during.rate(), "replaying-events/s")
		b.ReportMetric(alone.rate(), "replay-alone-events/s")
	}
}

// isNext reports whether a graphql-transport-ws message carries an event,
// looking only at its ends, where its type is (before or after the payload).
func isNext(msg []byte) bool {
	next := []byte(`"type":"next"`)
	return bytes.Contains(msg[:min(len(msg), 40)], next) || bytes.Contains(msg[max(0, len(msg)-40):], next)
}

// progress counts the events replaying streams received over some time.
type progress struct {
	n    int64
	took time.Duration
}

func (p progress) rate() float64 { return float64(p.n) / p.took.Seconds() }

// quantile returns the q-quantile of d.
func quantile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
