package main

import (
	"bytes"
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// TestBenchIngestAgainstARunningGateway runs `gateway bench ingest` with
// its baseline against a gateway on each store, and checks that the report
// says every delivery was answered and stored.
func TestBenchIngestAgainstARunningGateway(t *testing.T) {
	eachStore(t, func(t *testing.T, databaseURL string) {
		m := startGateway(t, databaseURL)
		var out bytes.Buffer
		err := run([]string{"bench", "ingest", "-target", m.URL(), "-token", adminToken, "-n", "200", "-clients", "8",
			"-conversations", "20", "-agents", "5", "-baseline", "-database-url", databaseURL}, &out)
		if err != nil {
			t.Fatalf("bench ingest: %v\n%s", err, out.String())
		}
		report := out.String()
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^baseline  one row per commit \((sqlite|postgres)\)  8 clients  200 rows  \d+/s  p50 \S+ p99 \S+ max \S+  errors 0$`),
			regexp.MustCompile(`(?m)^ingest    dixa  8 clients  200 deliveries  \d+/s  p50 \S+ p99 \S+ max \S+  errors 0  accepted 200 duplicate 0  stored 200/200$`),
			regexp.MustCompile(`(?m)^ratio     \d+\.\d\d  `),
		} {
			if !want.MatchString(report) {
				t.Errorf("report does not match %s:\n%s", want, report)
			}
		}
		t.Logf("\n%s", report)
	})
}

// TestBenchIngestEveryProvider posts each provider's deliveries, signed or
// with the token its subscription requires, and checks all are stored.
func TestBenchIngestEveryProvider(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	for _, provider := range []string{"voxsig", "cloudcx", "cinnox"} {
		t.Run(provider, func(t *testing.T) {
			var out bytes.Buffer
			err := run([]string{"bench", "ingest", "-target", m.URL(), "-token", adminToken, "-provider", provider,
				"-n", "60", "-clients", "4", "-conversations", "10", "-agents", "3"}, &out)
			if err != nil {
				t.Fatalf("bench ingest: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "errors 0  accepted 60 duplicate 0  stored 60/60\n") {
				t.Errorf("report:\n%s", out.String())
			}
		})
	}
}

// TestBenchIngestFailsWhenDeliveriesAreRefused checks that a run whose
// deliveries are refused says why and exits non-zero.
func TestBenchIngestFailsWhenDeliveriesAreRefused(t *testing.T) {
	cfg, _, err := ParseConfig("test", []string{"-addr", "127.0.0.1:0", "-database-url", dbtest.SQLiteURL(t), "-admin-token", adminToken, "-max-body-bytes", "500"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, newLogger("error", &bytes.Buffer{}))
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	var out bytes.Buffer
	err = run([]string{"bench", "ingest", "-target", m.URL(), "-token", adminToken, "-n", "20", "-clients", "2"}, &out)
	if err == nil || !strings.Contains(err.Error(), "20 deliveries failed") {
		t.Fatalf("bench ingest with every delivery refused: %v, want 20 deliveries failed", err)
	}
	if !strings.Contains(out.String(), "errors 20") || !strings.Contains(out.String(), `20 × status 413, e.g. {"error":"body exceeds the limit of 500 bytes"}`) {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestBenchIngestHelp(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"bench", "ingest", "-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v, want flag.ErrHelp (which exits 0)", err)
	}
	for _, want := range []string{"-clients int", "-n int", "-baseline", "-database-url string", "-provider string", "-token string"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchOutboundAgainstARunningGateway runs `gateway bench outbound`
// against a gateway that allows private targets and checks the report
// says every event reached every endpoint once.
func TestBenchOutboundAgainstARunningGateway(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), outboundFlags...)
	var out bytes.Buffer
	err := run([]string{"bench", "outbound", "-target", m.URL(), "-token", adminToken, "-endpoints", "3", "-n", "40", "-live", "10", "-clients", "4"}, &out)
	if err != nil {
		t.Fatalf("bench outbound: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^receiver  baseline: 3 clients one request at a time each, no gateway: \d+/s  p50 \S+ p99 \S+ max \S+  errors 0$`),
		regexp.MustCompile(`(?m)^drain     3 endpoints  120/120 deliveries in \S+  \d+/s \(\d+% of the receiver's baseline\)  duplicates 0$`),
		regexp.MustCompile(`(?m)^live      3 endpoints  30/30 deliveries  \d+/s  commit→receipt p50 \S+ p99 \S+ max \S+ \(from receipt at the gateway\), p50 \S+ p99 \S+ max \S+ \(from the 2xx answer\)  duplicates 0$`),
	} {
		if !want.MatchString(report) {
			t.Errorf("report does not match %s:\n%s", want, report)
		}
	}
	var left struct{ WebhookEndpoints []struct{ ID string } }
	graphQL(t, m, `{ webhookEndpoints { id } }`, nil, &left)
	if len(left.WebhookEndpoints) != 0 {
		t.Errorf("%d endpoints left after the run, want none", len(left.WebhookEndpoints))
	}
}
