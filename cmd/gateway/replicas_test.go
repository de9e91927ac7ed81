package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
)

// remote is a gateway running as its own OS process; only its address is
// known to the test.
type remote struct{ addr net.Addr }

func (r remote) Accept() (net.Conn, error) { return nil, errors.New("not a real listener") }
func (r remote) Close() error              { return nil }
func (r remote) Addr() net.Addr            { return r.addr }

// gatewayBinary builds the gateway once per test run.
var gatewayBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gateway-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gateway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
})

// startProcess builds the gateway and runs it as a separate OS process on
// databaseURL, with env added to its environment, stopped with SIGTERM when
// the test ends. The returned Main only carries its address, for the HTTP
// and websocket helpers.
func startProcess(t *testing.T, databaseURL string, env ...string) *Main {
	m, _ := startKillableProcess(t, databaseURL, env...)
	return m
}

// startKillableProcess is startProcess that also returns a func that ends
// the process with SIGKILL at once, as a crash or an OOM kill would.
func startKillableProcess(t *testing.T, databaseURL string, env ...string) (*Main, func()) {
	t.Helper()
	bin, err := gatewayBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr()
	l.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr.String(), "DATABASE_URL="+databaseURL, "GATEWAY_ADMIN_TOKEN="+adminToken, "STREAM_POLL=200ms")
	cmd.Env = append(cmd.Env, env...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killed := false
	kill := func() {
		killed = true
		_ = cmd.Process.Kill()
		<-done
	}
	t.Cleanup(func() {
		if killed {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("gateway process did not stop on SIGTERM; logs:\n%s", logs.String())
		}
	})
	m := &Main{listener: remote{addr}}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if res, err := http.Get(m.URL() + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return m, kill
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway process not ready; logs:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReplicasStreamEveryEventExactlyOnceInOrder runs two gateway processes
// on one PostgreSQL database, posts 10,000 events across both, and checks
// that a subscriber on each receives all of them, exactly once, in cursor
// order: a webhook received by one replica reaches streams on the other.
func TestReplicasStreamEveryEventExactlyOnceInOrder(t *testing.T) {
	const total = 10000
	url := dbtest.PostgresURL(t)
	a, b := startProcess(t, url), startProcess(t, url)
	sub := createDixaSubscription(t, a)
	streams := []*wsStream{openStream(t, a, "graphql-transport-ws", nil), openStream(t, b, "graphql-transport-ws", nil)}

	var wg sync.WaitGroup
	var posted atomic.Int64
	next := make(chan int)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := []*Main{a, b}[w%2]
			for i := range next {
				body := []byte(fmt.Sprintf(`{"event_id":"replica-%d","event_fqn":"CONVERSATION_NOTE_ADDED","event_version":"1",`+
					`"event_timestamp":"2024-05-01T10:00:00.000Z","organization":{"id":"org"},"data":{"conversation":{"csid":%d,"status":"OPEN"},`+
					`"note_id":"n-%d","text":"note %d","created_at":"2024-05-01T10:00:00.000Z"}}`, i, i%50, i, i))
				status, answer := postDixa(t, strings.Replace(sub.URL, a.URL(), target.URL(), 1), sub.SecretKey, body)
				if status != http.StatusOK {
					t.Errorf("delivery %d: %d %s", i, status, answer)
					return
				}
				posted.Add(1)
			}
		}()
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()
	if posted.Load() != total {
		t.Fatalf("posted %d of %d", posted.Load(), total)
	}
	for si, s := range streams {
		seen := map[string]bool{}
		var last domain.Position
		deadline := time.Now().Add(2 * time.Minute)
		for len(seen) < total {
			if time.Now().After(deadline) {
				t.Fatalf("subscriber %d received %d of %d events", si, len(seen), total)
			}
			e := s.next()
			if seen[e.ID] {
				t.Fatalf("subscriber %d received %s twice", si, e.ID)
			}
			seen[e.ID] = true
			pos, err := domain.ParseCursor(context.Background(), e.Cursor, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !last.Less(pos) {
				t.Fatalf("subscriber %d: cursor %v after %v, not in order", si, pos, last)
			}
			last = pos
		}
		s.expectSilence(300 * time.Millisecond)
	}
}
