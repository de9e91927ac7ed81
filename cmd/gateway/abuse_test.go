package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/adapters/dixa"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// clientFrom returns an HTTP client whose connections come from the given
// loopback address, as a second machine's would.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}}
}

// legitimateRate posts n distinct signed deliveries from 8 clients and
// returns deliveries per second.
func legitimateRate(t *testing.T, m *Main, sub subscription, phase string, n int) float64 {
	t.Helper()
	seed := string(readSeed(t, "conversation_message_added.json"))
	client := clientFrom("127.0.0.1")
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				body := []byte(strings.Replace(seed, `"1f0c8a52-6a8e-4f0e-9d7c-0c3c5a1b2d05"`, fmt.Sprintf(`"%s-%d"`, phase, i), 1))
				req, _ := http.NewRequest("POST", sub.URL, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-DIXA-SIGNATURE", dixa.Sign(sub.SecretKey, time.Now(), body))
				res, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("legitimate delivery answered %d", res.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// TestBadSignatureFloodCostsLegitimateIngestLittle: a client sending bad
// signatures as fast as it can, from an address of its own, leaves
// legitimate ingest at half its rate or more, writes a handful of log
// entries instead of one per request, and the newest accepted delivery is
// still in the subscription's eventLogs.
func TestBadSignatureFloodCostsLegitimateIngestLittle(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		sub := createDixaSubscription(t, m)
		const n = 200
		var sent, limited atomic.Int64
		attacker := clientFrom("127.0.0.2")
		// flood runs four connections at full speed until the returned
		// func is called; the attacker's own CPU is this machine's too,
		// which a real attacker's would not be.
		flood := func() func() {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := []byte(`{"event_id":"x","event_fqn":"CONVERSATION_MESSAGE_ADDED","data":{}}`)
					for {
						select {
						case <-stop:
							return
						default:
						}
						req, _ := http.NewRequest("POST", sub.URL, bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("X-DIXA-SIGNATURE", "t=1,v1=00")
						res, err := attacker.Do(req)
						if err != nil {
							continue
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						sent.Add(1)
						if res.StatusCode == http.StatusTooManyRequests {
							if res.Header.Get("Retry-After") == "" {
								t.Error("a 429 without Retry-After")
							}
							limited.Add(1)
						}
					}
				}()
			}
			time.Sleep(200 * time.Millisecond) // the flood is at full speed
			return func() { close(stop); wg.Wait() }
		}
		// Rounds alternate, so that the machine's other load weighs on
		// both sides alike.
		var alone, during float64
		for round := range 2 {
			alone += legitimateRate(t, m, sub, fmt.Sprint("alone-", round), n)
			stop := flood()
			during += legitimateRate(t, m, sub, fmt.Sprint("flood-", round), n)
			stop()
		}
		t.Logf("legitimate ingest alone %.0f/s, during a flood of %d bad deliveries (%d answered 429) %.0f/s: %.2f",
			alone/2, sent.Load(), limited.Load(), during/2, during/alone)
		if during < alone/2 {
			t.Errorf("during the flood legitimate ingest ran at %.0f/s, under half of %.0f/s alone", during/2, alone/2)
		}

		var out struct {
			S struct {
				EventLogs []struct {
					DeliveryDetail struct {
						ResponseCode int
						ResponseText string
					}
				}
			} `json:"webhookSubscription"`
		}
		graphQL(t, m, `query($id: ID!) { webhookSubscription(id: $id) { eventLogs(first: 1000) { deliveryDetail { responseCode responseText } } } }`,
			map[string]any{"id": sub.ID}, &out)
		refusedEntries := 0
		for _, l := range out.S.EventLogs {
			if l.DeliveryDetail.ResponseCode != 200 {
				refusedEntries++
			}
		}
		if len(out.S.EventLogs) == 0 || out.S.EventLogs[0].DeliveryDetail.ResponseCode != 200 {
			t.Errorf("the newest eventLogs entry is not the last accepted delivery: %+v", out.S.EventLogs[:min(3, len(out.S.EventLogs))])
		}
		if refusedEntries > 10 {
			t.Errorf("%d refused entries logged for %d refused deliveries: want a sample", refusedEntries, sent.Load())
		}
	})
}

// TestSlowBodyIsCutOffAtTheDeadline: a client that declares a body and
// sends it slowly is cut off when WEBHOOK_BODY_TIMEOUT has passed.
func TestSlowBodyIsCutOffAtTheDeadline(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), "-webhook-body-timeout", "1s")
	sub := createDixaSubscription(t, m)
	conn, err := net.Dial("tcp", strings.TrimPrefix(m.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	path := strings.TrimPrefix(sub.URL, m.URL())
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"a\":", path)
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	answer, _ := io.ReadAll(conn) // ends when the gateway closes the connection
	took := time.Since(start)
	t.Logf("cut off after %v: %.120q", took.Round(time.Millisecond), answer)
	if took > 5*time.Second {
		t.Fatalf("the slow body was held for %v, want about 1s", took)
	}
	if !bytes.Contains(answer, []byte("400")) {
		t.Fatalf("answer %q, want a 400 saying the body did not arrive in time", answer)
	}
}

// TestLiveSubscriptionsAreBoundedPerConnection: past the limit, a
// subscription is answered an error and the connection stays usable.
func TestLiveSubscriptionsAreBoundedPerConnection(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), "-max-subscriptions-per-connection", "2")
	const query = `subscription { eventStream { id } }`
	s := openSubscription(t, m, "graphql-transport-ws", query, nil)
	s.send(map[string]any{"id": "2", "type": "subscribe", "payload": map[string]any{"query": query}})
	s.send(map[string]any{"id": "3", "type": "subscribe", "payload": map[string]any{"query": query}})
	// The three start concurrently: whichever comes last is refused.
	var refusedID any
	for refusedID == nil {
		msg := s.read()
		b, _ := json.Marshal(msg)
		switch {
		case strings.Contains(string(b), "RATE_LIMITED"):
			refusedID = msg["id"]
		case msg["type"] == "complete":
		default:
			t.Fatalf("unexpected %s", b)
		}
	}
	live := map[any]string{"1": "2", "2": "3", "3": "1"}[refusedID]
	// Ending a live one frees its place, on the same connection.
	s.send(map[string]any{"id": live, "type": "complete"})
	time.Sleep(200 * time.Millisecond)
	s.send(map[string]any{"id": "4", "type": "subscribe", "payload": map[string]any{"query": query}})
	deadline := time.After(500 * time.Millisecond)
	for {
		select {
		case msg, ok := <-s.messages:
			if !ok {
				t.Fatal("the connection closed")
			}
			if b, _ := json.Marshal(msg); msg["id"] == "4" || strings.Contains(string(b), "RATE_LIMITED") {
				t.Fatalf("after a place was freed, got %s", b)
			}
		case <-deadline:
			return
		}
	}
}

// TestRateLimitsAnswer429WithRetryAfter: past its API key's GraphQL rate,
// and past a subscription's delivery rate, a client is answered 429 with
// Retry-After and a JSON error that says so.
func TestRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), "-graphql-rate", "1", "-subscription-rate", "1")
	sub := createDixaSubscription(t, m)
	_, token := createKey(t, m, "busy", "READ")
	statuses := []int{}
	var last *http.Response
	var lastBody []byte
	for range 4 {
		req, _ := http.NewRequest("POST", m.URL()+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		lastBody, _ = io.ReadAll(res.Body)
		res.Body.Close()
		statuses = append(statuses, res.StatusCode)
		last = res
	}
	if statuses[0] != http.StatusOK || last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(string(lastBody), "RATE_LIMITED") {
		t.Fatalf("GraphQL at twice the key's burst: statuses %v, last %s (Retry-After %q)", statuses, lastBody, last.Header.Get("Retry-After"))
	}

	seed := string(readSeed(t, "conversation_message_added.json"))
	statuses = statuses[:0]
	for i := range 4 {
		body := []byte(strings.Replace(seed, `"1f0c8a52-6a8e-4f0e-9d7c-0c3c5a1b2d05"`, fmt.Sprintf(`"rate-%d"`, i), 1))
		status, answer := postDixa(t, sub.URL, sub.SecretKey, body)
		statuses = append(statuses, status)
		if i == 3 && (status != http.StatusTooManyRequests || !strings.Contains(answer, "limit")) {
			t.Fatalf("deliveries at twice the subscription's burst: statuses %v, last %s", statuses, answer)
		}
	}
	if statuses[0] != http.StatusOK {
		t.Fatalf("the first delivery answered %d", statuses[0])
	}
}
