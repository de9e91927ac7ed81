package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/loadgen"
)

// examplesGateway is a gateway for the client examples, with a Dixa
// subscription to post deliveries to.
type examplesGateway struct {
	m      *Main
	sub    subscription
	gen    *loadgen.Generator
	posted []string // ids of the events stored so far, in order
}

func newExamplesGateway(t *testing.T) *examplesGateway {
	t.Helper()
	m := startGateway(t, dbtest.SQLiteURL(t))
	gen, err := loadgen.NewGenerator(loadgen.GeneratorConfig{Provider: domain.ProviderDixa, Conversations: 3, Agents: 2})
	if err != nil {
		t.Fatal(err)
	}
	return &examplesGateway{m: m, sub: createDixaSubscription(t, m), gen: gen}
}

// deliver posts n new deliveries and returns the ids of their events.
func (g *examplesGateway) deliver(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		body, err := g.gen.Body(len(g.posted))
		if err != nil {
			t.Fatal(err)
		}
		status, answer := postDixa(t, g.sub.URL, g.sub.SecretKey, body)
		var a struct {
			Events []string `json:"events"`
		}
		if err := json.Unmarshal([]byte(answer), &a); status != 200 || err != nil || len(a.Events) != 1 {
			t.Fatalf("delivery: %d %s", status, answer)
		}
		g.posted = append(g.posted, a.Events[0])
		ids = append(ids, a.Events[0])
	}
	return ids
}

// env is the examples' environment: the gateway, its token, and a cursor
// file of the test's own.
func (g *examplesGateway) env(cursorFile string, more ...string) []string {
	// No bytecode: the examples' folder stays as checked out.
	return append(append(os.Environ(), "GATEWAY_URL="+g.m.URL(), "GATEWAY_TOKEN="+adminToken, "CURSOR_FILE="+cursorFile,
		"PYTHONDONTWRITEBYTECODE=1"), more...)
}

// toolFor returns the path of a program the examples run with; a test that
// needs it is skipped where it is missing, and fails in CI.
func toolFor(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// runExample runs an example to its end and returns what it printed.
func runExample(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s\n%s", filepath.Base(name), args, err, out, stderr.String())
	}
	return string(out)
}

// printedEvents returns the ids and cursors of the "event <cursor>
// <provider> <type> <id> ..." lines an example printed.
func printedEvents(out string) (ids, cursors []string) {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "event" {
			cursors, ids = append(cursors, f[1]), append(ids, f[4])
		}
	}
	return ids, cursors
}

// checkRun checks one run of a resuming example: it printed exactly the
// events want, in order, and saved the last one's cursor.
func checkRun(t *testing.T, run, out, cursorFile string, want []string) {
	t.Helper()
	ids, cursors := printedEvents(out)
	if !slices.Equal(ids, want) {
		t.Fatalf("%s printed events %v, want %v\n%s", run, ids, want, out)
	}
	saved, err := os.ReadFile(cursorFile)
	if err != nil || string(saved) != cursors[len(cursors)-1] {
		t.Fatalf("%s saved cursor %q (%v), want %q", run, saved, err, cursors[len(cursors)-1])
	}
}

func TestPythonAnalyticsExamplePagesTheHistoryAndResumes(t *testing.T) {
	python := toolFor(t, "python3")
	g := newExamplesGateway(t)
	dir := filepath.Join("..", "..", "examples", "python")
	cursor := filepath.Join(t.TempDir(), "cursor")

	first := g.deliver(t, 5)
	out := runExample(t, dir, g.env(cursor, "PAGE_SIZE=2"), python, "analytics.py")
	checkRun(t, "first run", out, cursor, first)
	if !strings.Contains(out, "read 5 events in 3 pages") || !strings.Contains(out, "count DIXA MESSAGE_CREATED 5") {
		t.Fatalf("first run's summary:\n%s", out)
	}

	second := g.deliver(t, 2)
	out = runExample(t, dir, g.env(cursor, "PAGE_SIZE=2"), python, "analytics.py")
	checkRun(t, "second run", out, cursor, second)
	if !strings.Contains(out, "read 2 events") {
		t.Fatalf("second run's summary:\n%s", out)
	}
}

func TestPythonExportExampleStreamsNDJSONAndResumes(t *testing.T) {
	python := toolFor(t, "python3")
	g := newExamplesGateway(t)
	dir := filepath.Join("..", "..", "examples", "python")
	tmp := t.TempDir()
	cursor, output := filepath.Join(tmp, "cursor"), filepath.Join(tmp, "events.ndjson")

	first := g.deliver(t, 4)
	out := runExample(t, dir, g.env(cursor, "OUTPUT="+output), python, "export.py")
	checkRun(t, "first run", out, cursor, first)

	second := g.deliver(t, 3)
	out = runExample(t, dir, g.env(cursor, "OUTPUT="+output), python, "export.py")
	checkRun(t, "second run", out, cursor, second)
	if !strings.Contains(out, "exported 3 events") {
		t.Fatalf("second run's summary:\n%s", out)
	}

	// The file holds each event once, in order, as the export served it.
	raw, err := os.ReadFile(output)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for line := range strings.Lines(string(raw)) {
		var e struct {
			ID      string          `json:"id"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil || len(e.Payload) == 0 {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, g.posted) {
		t.Fatalf("the export file holds %v, want %v", ids, g.posted)
	}
}

func TestTypeScriptTypedQueryExample(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "typescript")
	nodeWith(t, dir, "tsx")
	g := newExamplesGateway(t)
	g.deliver(t, 6)
	var want struct {
		Conversations struct {
			TotalCount int `json:"totalCount"`
		} `json:"conversations"`
	}
	graphQL(t, g.m, `{ conversations { totalCount } }`, nil, &want)

	out := runExample(t, dir, g.env("unused"), filepath.Join("node_modules", ".bin", "tsx"), "src/query.ts")
	lines := 0
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "conversation DIXA ") && strings.Contains(line, " messages=") {
			lines++
		}
	}
	if want.Conversations.TotalCount == 0 || lines != want.Conversations.TotalCount ||
		!strings.Contains(out, "\nconversations "+strconv.Itoa(want.Conversations.TotalCount)+"\n") {
		t.Fatalf("query example printed %d conversations, want %d:\n%s", lines, want.Conversations.TotalCount, out)
	}
}

// TestTypeScriptSubscriptionExampleResumesFromItsCursor runs the
// subscription example twice: the first run starts at the head and
// receives the events posted while it listens; the second resumes from
// the saved cursor, receiving the event posted while no client ran and
// then one posted live, with no gap and no duplicate.
func TestTypeScriptSubscriptionExampleResumesFromItsCursor(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "typescript")
	nodeWith(t, dir, "tsx")
	g := newExamplesGateway(t)
	cursor := filepath.Join(t.TempDir(), "cursor")
	g.deliver(t, 3) // history before the first run, which starts after it

	first := runSubscriber(t, dir, g.env(cursor, "MAX_EVENTS=2"), func() []string { return g.deliver(t, 2) })
	checkRun(t, "first run", first.out, cursor, first.posted)

	missed := g.deliver(t, 1)
	second := runSubscriber(t, dir, g.env(cursor, "MAX_EVENTS=2"), func() []string { return g.deliver(t, 1) })
	checkRun(t, "second run", second.out, cursor, append(missed, second.posted...))
}

type subscriberRun struct {
	out    string
	posted []string
}

// runSubscriber runs the subscription example, calls post once it has
// subscribed, and returns what it printed once it ended.
func runSubscriber(t *testing.T, dir string, env []string, post func() []string) subscriberRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join("node_modules", ".bin", "tsx"), "src/subscribe.ts")
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var run subscriberRun
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "subscribed after ") && run.posted == nil {
			run.posted = post()
		}
	}
	_, _ = io.Copy(&out, stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("subscription example: %v\n%s\n%s", err, out.String(), stderr.String())
	}
	run.out = out.String()
	return run
}
