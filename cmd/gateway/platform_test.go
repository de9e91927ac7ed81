package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestFlagsAreTypedAndFallBackToTheEnvironment(t *testing.T) {
	env := map[string]string{"INGEST_BATCH": "7", "STREAM_POLL": "250ms", "GRAPHQL_RATE": "2.5", "OUTBOUND_ALLOW_PRIVATE": "true",
		"CORS_ALLOWED_ORIGINS": " https://a.example , ,https://b.example", "SSE_KEEPALIVE": "3s", "SHUTDOWN_DRAIN": "0s"}
	cfg, rest, err := ParseConfig("test", []string{"-ingest-batch", "9", "migrate", "version"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IngestBatch != 9 {
		t.Errorf("a flag given wins over its variable: ingest batch %d, want 9", cfg.IngestBatch)
	}
	if cfg.StreamPoll != 250*time.Millisecond || cfg.GraphQLRatePerKey != 2.5 || !cfg.Outbound.AllowPrivate || cfg.SSEKeepAlive != 3*time.Second || cfg.ShutdownDrain != 0 {
		t.Errorf("from the environment: %+v", cfg)
	}
	if strings.Join(cfg.CORSAllowedOrigins, "|") != "https://a.example|https://b.example" {
		t.Errorf("CORS origins %q", cfg.CORSAllowedOrigins)
	}
	if strings.Join(rest, " ") != "migrate version" {
		t.Errorf("rest %q", rest)
	}
	if cfg.MaxPageSize != 1000 || cfg.SubscriptionCacheTTL != 5*time.Second || !cfg.Introspection {
		t.Errorf("defaults: %+v", cfg)
	}

	for _, c := range []struct {
		env, value string
		args       []string
		want       string
	}{
		{"INGEST_BATCH", "many", nil, `environment variable INGEST_BATCH="many" is not a valid integer`},
		{"STREAM_POLL", "5", nil, `environment variable STREAM_POLL="5" is not a valid duration`},
		{"GRAPHQL_INTROSPECTION", "maybe", nil, `environment variable GRAPHQL_INTROSPECTION="maybe" is not a valid boolean`},
		{"SUBSCRIPTION_RATE", "fast", nil, `environment variable SUBSCRIPTION_RATE="fast" is not a valid number`},
		{"INGEST_BATCH", "0", nil, "INGEST_BATCH 0: want a positive integer"},
		{"SHUTDOWN_DRAIN", "-1s", nil, "SHUTDOWN_DRAIN -1s: want a non-negative duration"},
		{"", "", []string{"-max-page-size", "-3"}, "-max-page-size -3: want a positive integer"},
		{"", "", []string{"-stream-poll", "soon"}, `invalid value "soon" for flag -stream-poll`},
	} {
		_, _, err := ParseConfig("test", c.args, func(k string) string {
			if k == c.env {
				return c.value
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%q %v: error %v, want %q", c.env, c.value, c.args, err, c.want)
		}
	}
}

func TestABooleanFlagsValueGivenApartIsExplained(t *testing.T) {
	err := run([]string{"-introspection", "false"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-introspection=false") {
		t.Fatalf("-introspection false: %v", err)
	}
}

func TestHelpShowsEachFlagsTypeAndDefault(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v (main exits 0 on flag.ErrHelp only)", err)
	}
	for _, want := range []string{"-ingest-batch int", "-stream-poll duration", "(default 1s)", "-graphql-rate float",
		"-cors-allowed-origins list", "(env CORS_ALLOWED_ORIGINS)", "-shutdown-drain duration", "(default 5s)", "healthcheck", "version"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "-ingest-batch string") {
		t.Errorf("numbers shown as strings:\n%s", out.String())
	}
	for _, command := range [][]string{{"serve", "-h"}, {"migrate", "-h"}, {"healthcheck", "-h"}, {"version", "-h"}, {"prune", "-h"}, {"bench", "ingest", "-h"}} {
		out.Reset()
		if err := run(command, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "usage: gateway") {
			t.Errorf("%v: %v\n%s", command, err, out.String())
		}
	}
}

func TestVersionReadsTheBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0ed1686cdc7b773803cbf242c14d940921bb1d9c"},
		{Key: "vcs.time", Value: "2026-11-29T00:52:48Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	got := versionOf(info)
	for _, want := range []string{"gateway v1.4.0", "revision 0ed1686cdc7b773803cbf242c14d940921bb1d9c+modified", "committed 2026-11-29T00:52:48Z", "go1.26.8"} {
		if !strings.Contains(got, want) {
			t.Errorf("version lacks %q:\n%s", want, got)
		}
	}
}

// TestBinary builds the gateway as the container does (no cgo, trimmed
// paths, the revision and build time by ldflags) and runs its commands.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gateway")
	build := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-s -w -X main.revision=cafe0123 -X main.buildTime=2026-11-29T01:02:03Z", ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	gateway := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("help and version exit 0", func(t *testing.T) {
		if out, err := gateway(nil, "--help"); err != nil || !strings.Contains(out, "-max-page-size int") {
			t.Errorf("--help: %v\n%s", err, out)
		}
		for _, args := range [][]string{{"--version"}, {"version"}} {
			out, err := gateway(nil, args...)
			if err != nil || !strings.Contains(out, "revision cafe0123\n") || !strings.Contains(out, "built 2026-11-29T01:02:03Z") {
				t.Errorf("%v: %v\n%s", args, err, out)
			}
		}
	})

	t.Run("migrate version creates no store", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "missing", "gateway.db")
		out, err := gateway([]string{"DATABASE_URL=sqlite://" + path}, "migrate", "version")
		if err == nil || !strings.Contains(out, "no store at "+path) {
			t.Errorf("migrate version on a missing store: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("migrate version created %s: %v", filepath.Dir(path), err)
		}
		empty := filepath.Join(dir, "empty.db")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := gateway([]string{"DATABASE_URL=sqlite://" + empty}, "migrate", "version"); err != nil || !strings.Contains(out, "schema version 0 ") {
			t.Errorf("migrate version on an empty store: %v\n%s", err, out)
		}
		conn, _, err := db.OpenSQL("sqlite://" + empty)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var tables int
		if err := conn.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil || tables != 0 {
			t.Errorf("migrate version left %d tables in an empty store (%v)", tables, err)
		}
		url := dbtest.SQLiteURL(t)
		if out, err := gateway([]string{"DATABASE_URL=" + url}, "migrate", "up"); err != nil {
			t.Fatalf("migrate up: %v\n%s", err, out)
		}
		if out, err := gateway([]string{"DATABASE_URL=" + url}, "migrate", "version"); err != nil || !strings.Contains(out, "schema version") {
			t.Errorf("migrate version on a migrated store: %v\n%s", err, out)
		}
	})

	t.Run("healthcheck", func(t *testing.T) {
		m := startGateway(t, dbtest.SQLiteURL(t))
		_, port, _ := net.SplitHostPort(m.listener.Addr().String())
		for _, args := range [][]string{{"healthcheck"}, {"healthcheck", "-ready"}} {
			if out, err := gateway([]string{"ADDR=:" + port}, args...); err != nil {
				t.Errorf("%v against a running gateway: %v\n%s", args, err, out)
			}
		}
		free, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := free.Addr().String()
		free.Close()
		out, err := gateway([]string{"ADDR=" + addr}, "healthcheck")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("healthcheck with nothing listening: %v\n%s", err, out)
		}
	})
}

func TestCORS(t *testing.T) {
	const allowed, other = "https://app.example.com", "https://evil.example.net"
	m := startGateway(t, dbtest.SQLiteURL(t), "-cors-allowed-origins", allowed+",https://other.example.com")
	closed := startGateway(t, dbtest.SQLiteURL(t))
	preflight := func(m *Main, path, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, m.URL()+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, path := range []string{"/graphql", "/export/events", "/schema.graphql"} {
		res := preflight(m, path, allowed)
		headers := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
		if res.StatusCode/100 != 2 || res.Header.Get("Access-Control-Allow-Origin") != allowed ||
			!strings.Contains(headers, "authorization") || !strings.Contains(headers, "content-type") {
			t.Errorf("preflight of %s from %s, no token: %d %v", path, allowed, res.StatusCode, res.Header)
		}
		if res := preflight(m, path, other); res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight of %s from an unlisted origin allowed: %v", path, res.Header)
		}
		if res := preflight(closed, path, allowed); res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight of %s with no CORS_ALLOWED_ORIGINS allowed: %v", path, res.Header)
		}
	}
	if res := preflight(m, "/webhooks/dixa/x", allowed); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("webhooks answer preflights: %v", res.Header)
	}

	post := func(origin, token string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, m.URL()+"/graphql", strings.NewReader(`{"query":"{ webhookSubscriptions { id } }"}`))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	res, body := post(allowed, adminToken)
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != allowed || !strings.Contains(body, `"webhookSubscriptions":[]`) {
		t.Errorf("cross-origin POST with a token: %d %v %s", res.StatusCode, res.Header, body)
	}
	if res, _ := post(allowed, ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("cross-origin POST without a token: %d", res.StatusCode)
	}
	if res, _ := post(other, adminToken); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("answer to an unlisted origin carries %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestIdleSSEStreamGetsKeepAlives(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), "-sse-keepalive", "100ms")
	lines := openSSE(t, m, `subscription { eventStream { id } }`)
	deadline := time.After(10 * time.Second)
	for seen := 0; seen < 2; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("SSE stream ended")
			}
			if line == ": keep-alive" {
				seen++
			}
		case <-deadline:
			t.Fatalf("an idle stream got %d keep-alive comments in 10s with SSE_KEEPALIVE=100ms", seen)
		}
	}
}

func TestSchemaDownload(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t))
	get := func(m *Main, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, m.URL()+"/schema.graphql", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	status, sdl := get(m, adminToken)
	if status != http.StatusOK {
		t.Fatalf("GET /schema.graphql: %d %s", status, sdl)
	}
	if strings.Contains(sdl, "goField") {
		t.Error("the SDL holds gqlgen's @goField")
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("the SDL does not load: %v", err)
	}
	if schema.Subscription == nil || schema.Subscription.Fields.ForName("eventStream") == nil ||
		schema.Query.Fields.ForName("events") == nil || schema.Types["UpdateWebhookSubscriptionInput"] == nil {
		t.Error("the SDL lacks the public contract's eventStream, events or UpdateWebhookSubscriptionInput")
	}
	if status, _ := get(m, ""); status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", status)
	}
	hidden := startGateway(t, dbtest.SQLiteURL(t), "-introspection=false")
	status, body := get(hidden, adminToken)
	var answer struct{ Error string }
	if status != http.StatusNotFound || json.Unmarshal([]byte(body), &answer) != nil || !strings.Contains(answer.Error, "introspection is disabled") {
		t.Errorf("with introspection off: %d %s", status, body)
	}
}

func TestShutdownDrainsBeforeTheListenerCloses(t *testing.T) {
	const drain = 2 * time.Second
	m := startGateway(t, dbtest.SQLiteURL(t), "-shutdown-drain", drain.String())
	readyz := func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL()+"/readyz", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	if status, err := readyz(); status != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d %v", status, err)
	}
	url := m.URL()
	done := make(chan error, 1)
	go func() { done <- m.Shutdown() }()

	for {
		status, err := readyz()
		if err != nil {
			t.Fatalf("readyz while draining: %v", err)
		}
		if status == http.StatusServiceUnavailable {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("shut down (%v) before readyz answered 503", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// Draining: readiness is refused but requests are still served.
	var out struct {
		Subs []struct{ ID string } `json:"webhookSubscriptions"`
	}
	graphQL(t, m, `{ webhookSubscriptions { id } }`, nil, &out)
	select {
	case err := <-done:
		t.Fatalf("shutdown ended (%v) while a request was still served in the drain", err)
	default:
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(drain + 20*time.Second):
		t.Fatal("shutdown did not finish")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}
