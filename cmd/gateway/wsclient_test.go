package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// TestReferenceGraphQLWSClient subscribes with graphql-ws, the protocol's
// reference client, run by Node.js. It is skipped only where Node.js or the
// client's packages are missing, and never in CI.
func TestReferenceGraphQLWSClient(t *testing.T) {
	dir := filepath.Join("testdata", "wsclient")
	node := nodeWith(t, dir, "graphql-ws")
	m := startGateway(t, dbtest.SQLiteURL(t))
	sub := createDixaSubscription(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs", "ws"+strings.TrimPrefix(m.URL(), "http")+"/graphql", adminToken, "3")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Post once the client has subscribed: one event is replayed history,
	// the others arrive live.
	if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, "conversation_created.json")); status != 200 {
		t.Fatalf("delivery: %d %s", status, body)
	}
	lines := bufio.NewScanner(stdout)
	var got []map[string]string
	posted := false
	for lines.Scan() {
		var e map[string]string
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			t.Fatalf("client printed %q: %v", lines.Text(), err)
		}
		got = append(got, e)
		if !posted {
			posted = true
			for _, name := range []string{"conversation_open.json", "conversation_closed.json"} {
				if status, body := postDixa(t, sub.URL, sub.SecretKey, readSeed(t, name)); status != 200 {
					t.Fatalf("delivery: %d %s", status, body)
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graphql-ws client: %v\n%s", err, stderr.String())
	}
	want := []string{"ConversationCreated", "ConversationOpen", "ConversationClosed"}
	if len(got) != 3 {
		t.Fatalf("client received %v", got)
	}
	for i, e := range got {
		if e["providerEventType"] != want[i] || e["cursor"] == "" {
			t.Fatalf("event %d: %v, want %s", i, e, want[i])
		}
	}
}

// nodeWith returns the path of Node.js once the package pkg is installed
// in dir. A test that needs them is skipped where either is missing, and
// fails in CI.
func nodeWith(t *testing.T, dir, pkg string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	if err != nil {
		missing = "Node.js is not installed"
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil {
		missing = "the packages in " + dir + " are not installed: run npm ci --prefix cmd/gateway/" + filepath.ToSlash(dir)
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	return node
}
