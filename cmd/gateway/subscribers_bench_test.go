package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// benchStreamQuery is what each subscriber of BenchmarkStreamSubscribers
// asks for: the payload carries the probe number the receipt is matched by.
const benchStreamQuery = `{"query":"subscription { eventStream { payload } }"}`

// warmProbe numbers the probes posted until every subscriber is
// established; the timed probes are numbered from 0.
const warmProbe = 1_000_000_000

// BenchmarkStreamSubscribers measures live fan-out on a gateway built with
// go build and run as a process of its own, so that its memory is not the
// clients'. On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set, it
// opens SUB_BENCH_SUBSCRIBERS (1000) eventStream subscriptions, one a
// websocket (graphql-transport-ws), waits until each has received a probe
// (a stream starts at the head, so only a received event proves it is
// established), then posts SUB_BENCH_RATE (20) signed Dixa deliveries a
// second for SUB_BENCH_SECONDS (10) and reports p50/p99/max of the time
// from each delivery's 2xx answer to each subscriber's receipt of it,
// beside the CPU time the gateway and the clients (this process) used
// meanwhile: clients near one core a second would be the bottleneck. Then,
// on a fresh gateway, the process's VmRSS before and after
// SUB_BENCH_IDLE (1000) established idle subscribers, and the difference
// per subscriber.
//
//	go test ./cmd/gateway -run '^$' -bench StreamSubscribers -benchtime 1x
func BenchmarkStreamSubscribers(b *testing.B) {
	subscribers := envInt(b, "SUB_BENCH_SUBSCRIBERS", 1000)
	rate := envInt(b, "SUB_BENCH_RATE", 20)
	seconds := envInt(b, "SUB_BENCH_SECONDS", 10)
	idle := envInt(b, "SUB_BENCH_IDLE", 1000)
	bin := buildGateway(b)
	urls := map[string]func() string{"sqlite": func() string { return dbtest.SQLiteURL(b) }}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		urls["postgres"] = func() string { return dbtest.PostgresURL(b) }
	}
	b.ResetTimer()
	for range b.N {
		for _, store := range []string{"sqlite", "postgres"} {
			url, ok := urls[store]
			if !ok {
				fmt.Printf("%-8s skipped: TEST_DATABASE_URL is not set\n", store)
				continue
			}
			g := startGatewayProcess(b, bin, url(), subscribers)
			subs := g.subscribe(b, subscribers, seconds*rate)
			clientCPU, gatewayCPU := selfCPU(b), g.cpu(b)
			took := g.fanOut(b, subs, rate, seconds)
			clientCPU, gatewayCPU = selfCPU(b)-clientCPU, g.cpu(b)-gatewayCPU
			p50, p99, pmax := quantile(took, 0.5), quantile(took, 0.99), quantile(took, 1)
			b.ReportMetric(ms(p50), store+"-p50-ms")
			b.ReportMetric(ms(p99), store+"-p99-ms")
			b.ReportMetric(ms(pmax), store+"-max-ms")
			fmt.Printf("%-8s %d subscribers  %d deliveries/s for %d s  %d receipts  answer→receipt p50 %.1f ms  p99 %.1f ms  max %.1f ms  CPU: gateway %.1f s, clients %.1f s\n",
				store, subscribers, rate, seconds, len(took), ms(p50), ms(p99), ms(pmax), gatewayCPU.Seconds(), clientCPU.Seconds())
			g.stop()

			g = startGatewayProcess(b, bin, url(), idle)
			time.Sleep(time.Second) // startup allocations settle
			before := g.rss(b)
			g.subscribe(b, idle, 0)
			time.Sleep(2 * time.Second)
			after := g.rss(b)
			per := float64(after-before) / float64(idle)
			b.ReportMetric(per/1024, store+"-KiB/idle-subscriber")
			fmt.Printf("%-8s %d idle subscribers  gateway RSS %d → %d KiB  %.1f KiB a subscriber\n",
				store, idle, before/1024, after/1024, per/1024)
			g.stop()
		}
	}
}

// gatewayProcess is a gateway binary run by a benchmark, with one Dixa
// webhook subscription to post to.
type gatewayProcess struct {
	cmd             *exec.Cmd
	base            string
	webhook, secret string
	conns           []*websocket.Conn
	cancel          context.CancelFunc
	probes          atomic.Int64
}

// buildGateway builds the gateway binary for a benchmark that runs it as a
// process of its own.
func buildGateway(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "gateway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startGatewayProcess runs bin on a free port against databaseURL,
// admitting subscribers live subscriptions, with flags besides, and waits
// until it answers.
func startGatewayProcess(b *testing.B, bin, databaseURL string, subscribers int, flags ...string) *gatewayProcess {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, append([]string{"-addr", addr, "-database-url", databaseURL, "-admin-token", adminToken, "-log-level", "error",
		"-graphql-rate", "1000000", "-max-subscriptions-per-key", strconv.Itoa(subscribers + 1)}, flags...)...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	g := &gatewayProcess{cmd: cmd, base: "http://" + addr, cancel: func() {}}
	b.Cleanup(g.stop)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		answer, err := postGraphQL(http.DefaultClient, g.base+"/graphql", adminToken,
			`mutation { createWebhookSubscription(input: {provider: DIXA, name: "bench"}) { id secretKey } }`, nil)
		if err == nil {
			var out struct {
				Data struct {
					Create struct{ ID, SecretKey string } `json:"createWebhookSubscription"`
				}
			}
			if err := json.Unmarshal(answer, &out); err != nil || out.Data.Create.ID == "" {
				b.Fatalf("create webhook subscription: %v %s", err, answer)
			}
			g.webhook, g.secret = g.base+"/webhooks/dixa/"+out.Data.Create.ID, out.Data.Create.SecretKey
			break
		} else if time.Now().After(deadline) {
			b.Fatalf("gateway did not answer within a minute: %v\n%s", err, logs.String())
		}
	}
	return g
}

// stop closes the subscribers' connections and ends the process.
func (g *gatewayProcess) stop() {
	g.cancel()
	for _, c := range g.conns {
		c.CloseNow()
	}
	g.conns = nil
	if g.cmd.ProcessState == nil {
		g.cmd.Process.Kill()
		g.cmd.Wait()
	}
}

// rss is the process's resident set size in bytes.
func (g *gatewayProcess) rss(b *testing.B) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kib * 1024
		}
	}
	b.Fatal("no VmRSS in /proc status")
	return 0
}

// cpu is the user and system CPU time the process has used.
func (g *gatewayProcess) cpu(b *testing.B) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", g.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; the
	// command name (field 2) ends with the last ')'.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// selfCPU is the user and system CPU time this process (the clients) has
// used.
func selfCPU(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// benchSubscriber is one eventStream subscription: when it received each
// timed probe, by probe number.
type benchSubscriber struct {
	mu       sync.Mutex
	received []time.Time
}

// subscribe opens n subscriptions, one a websocket, and posts warm-up
// probes until every one has received one; each records the receipt time
// of timed probes 0 to timed-1.
func (g *gatewayProcess) subscribe(b *testing.B, n, timed int) []*benchSubscriber {
	ctx, cancel := context.WithCancel(context.Background())
	prev := g.cancel
	g.cancel = func() { prev(); cancel() }
	ws := "ws" + strings.TrimPrefix(g.base, "http") + "/graphql"
	var established sync.WaitGroup
	subs := make([]*benchSubscriber, n)
	for i := range subs {
		dialCtx, dialCancel := context.WithTimeout(ctx, 30*time.Second)
		conn, _, err := websocket.Dial(dialCtx, ws, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		dialCancel()
		if err != nil {
			b.Fatalf("dial %s (subscriber %d): %v", ws, i, err)
		}
		g.conns = append(g.conns, conn)
		for _, msg := range []string{`{"type":"connection_init","payload":{"Authorization":"Bearer ` + adminToken + `"}}`,
			`{"id":"1","type":"subscribe","payload":` + benchStreamQuery + `}`} {
			if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				b.Fatal(err)
			}
		}
		s := &benchSubscriber{received: make([]time.Time, timed)}
		subs[i] = s
		established.Add(1)
		go func() {
			warm := false
			for {
				_, data, err := conn.Read(ctx)
				at := time.Now()
				if err != nil {
					if !warm {
						established.Done()
					}
					return
				}
				if bytes.Contains(data, []byte(`"type":"ping"`)) {
					_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
					continue
				}
				n, ok := probeNumber(data)
				switch {
				case !ok:
					if bytes.Contains(data, []byte(`"type":"error"`)) || bytes.Contains(data, []byte(`"type":"complete"`)) {
						b.Errorf("subscriber: %s", data)
					}
				case n >= warmProbe:
					if !warm {
						warm = true
						established.Done()
					}
				case n < int64(len(s.received)):
					s.mu.Lock()
					s.received[n] = at
					s.mu.Unlock()
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { established.Wait(); close(done) }()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		g.post(b, warmProbe+int(g.probes.Add(1)))
		select {
		case <-done:
			return subs
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatal("subscribers were not all established within two minutes")
		}
	}
}

// post delivers probe note n and returns when the gateway answered 2xx.
func (g *gatewayProcess) post(b *testing.B, n int) {
	if status, body := postDixa(b, g.webhook, g.secret, probeNote(n)); status != http.StatusOK {
		b.Fatalf("delivery: %d %s", status, body)
	}
}

// fanOut posts rate probes a second for seconds, one after another, and
// returns the time from each probe's 2xx answer to each subscriber's
// receipt of it (zero when the receipt came first). A receipt missing a
// second after the last answer fails the benchmark.
func (g *gatewayProcess) fanOut(b *testing.B, subs []*benchSubscriber, rate, seconds int) []time.Duration {
	answered := make([]time.Time, rate*seconds)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	late := 0
	for i := range answered {
		<-tick.C
		if len(tick.C) > 0 {
			late++ // the poster fell behind the rate
		}
		g.post(b, i)
		answered[i] = time.Now()
	}
	if late > 0 {
		fmt.Printf("the poster fell behind the rate %d times\n", late)
	}
	time.Sleep(time.Second)
	var took []time.Duration
	for _, s := range subs {
		s.mu.Lock()
		for i, at := range s.received {
			if at.IsZero() {
				b.Fatalf("a subscriber did not receive probe %d within a second of its answer", i)
			}
			took = append(took, max(0, at.Sub(answered[i])))
		}
		s.mu.Unlock()
	}
	return took
}

// probeNumber finds the number of the probe note (see probeNote) in an
// eventStream message.
func probeNumber(data []byte) (int64, bool) {
	_, rest, ok := bytes.Cut(data, []byte("probe-"))
	if !ok {
		return 0, false
	}
	end := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end <= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n, err == nil
}
