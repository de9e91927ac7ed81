// Package pgcluster runs private, throwaway PostgreSQL clusters for tests
// and moves a schema into one with pg_dump and pg_restore. A restored
// database keeps its rows but not the history of the server that wrote
// them (transaction ids, snapshots, OIDs), which is what a test of "the
// data survives a move to another server" has to exercise.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bounds on every external command, so that a wedged server fails the test
// instead of hanging it until the go test timeout, which skips the cleanups
// and would leave the server running.
const (
	initTimeout    = 2 * time.Minute
	startTimeout   = 60 * time.Second
	stopTimeout    = 30 * time.Second
	dumpTimeout    = 2 * time.Minute
	connectTimeout = 30 * time.Second
)

// Database is the name of the database StartCluster creates in a cluster.
const Database = "gateway"

// Cluster is a PostgreSQL server of the test's own, with trust
// authentication for the superuser postgres on 127.0.0.1.
type Cluster struct {
	dir   string // owned by the server's OS user; holds data/, the socket and the log
	bin   string // the folder of initdb, pg_ctl, pg_restore
	major int
	port  int
	owner *syscall.Credential // nil: the server runs as the test's own user
}

// StartCluster creates a cluster with initdb in a new temporary folder,
// starts it with pg_ctl on a free port of 127.0.0.1 and creates the
// database Database in it. It uses the newest PostgreSQL installed. The
// server is stopped and the folder removed when the test ends, whether it
// passed or not. Where the PostgreSQL server binaries are missing the test
// is skipped, or fails when CI is set.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, major := findBin(t, 0, "initdb", "pg_ctl", "pg_restore", "postgres")
	c := &Cluster{bin: bin, major: major}
	// initdb refuses to run as root, and the server must own its data
	// folder, so as root both run as the postgres OS user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, "running as root and there is no postgres OS user to run initdb as: "+err.Error())
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			t.Fatalf("postgres OS user has ids %q:%q", u.Uid, u.Gid)
		}
		c.owner = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	}
	// Not t.TempDir: its parents are private to the test's user, and the
	// server's user must reach this folder. A short path also keeps the
	// socket under the 107-byte limit of a unix socket name.
	dir, err := os.MkdirTemp("", "pgcluster-")
	if err != nil {
		t.Fatalf("create the cluster folder: %v", err)
	}
	c.dir = dir
	t.Cleanup(c.remove)
	if c.owner != nil {
		if err := os.Chown(dir, int(c.owner.Uid), int(c.owner.Gid)); err != nil {
			t.Fatalf("hand the cluster folder to postgres: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	if out, err := c.command(ctx, "initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// The free port is found by binding and releasing it, so another
	// process may take it before the server binds; a few attempts make
	// that race harmless.
	var startErr error
	for attempt := 0; attempt < 3; attempt++ {
		if startErr = c.start(t); startErr == nil {
			break
		}
		if !strings.Contains(startErr.Error(), "already in use") {
			break
		}
	}
	if startErr != nil {
		t.Fatal(startErr)
	}
	t.Cleanup(c.stop(t))

	conn := connect(t, c.url("postgres"))
	defer conn.Close(context.Background())
	qctx, qcancel := context.WithTimeout(context.Background(), connectTimeout)
	defer qcancel()
	if _, err := conn.Exec(qctx, "CREATE DATABASE "+Database); err != nil {
		t.Fatalf("create database %s: %v", Database, err)
	}
	return c
}

// URL returns the connection URL of the cluster's database Database, with
// no search_path.
func (c *Cluster) URL() string { return c.url(Database) }

// Dir returns the cluster's folder, removed when the test ends.
func (c *Cluster) Dir() string { return c.dir }

// Major returns the cluster's PostgreSQL major version.
func (c *Cluster) Major() int { return c.major }

func (c *Cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) log() string { return filepath.Join(c.dir, "server.log") }

// start runs the server on a newly chosen port and returns once it
// accepts connections.
func (c *Cluster) start(t testing.TB) error {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("find a free port: %w", err)
	}
	c.port = port
	_ = os.Remove(c.log()) // a fresh log per attempt, for the error message
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout+10*time.Second)
	defer cancel()
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", c.dir, port)
	out, err := c.command(ctx, "pg_ctl", "start", "-D", c.data(), "-l", c.log(), "-w",
		"-t", strconv.Itoa(int(startTimeout/time.Second)), "-o", opts).CombinedOutput()
	if err != nil {
		logs, _ := os.ReadFile(c.log())
		// A server that started but was not ready in time is still
		// running: stop it before the next attempt or the test fails.
		c.kill()
		return fmt.Errorf("pg_ctl start: %v\n%s\nserver log:\n%s", err, out, logs)
	}
	return waitForConnections(c.url("postgres"))
}

// stop returns the cleanup that stops the server. Immediate mode: the
// cluster is thrown away, so there is nothing to flush.
func (c *Cluster) stop(t testing.TB) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w",
			"-t", strconv.Itoa(int(stopTimeout/time.Second)-5)).CombinedOutput()
		if err != nil {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
			c.kill()
		}
	}
}

// kill ends the cluster's postmaster, found by the pid it wrote, when
// pg_ctl could not stop it: a server left behind would hold its port and
// memory after the test.
func (c *Cluster) kill() {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (c *Cluster) remove() {
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

// command prepares one of the cluster's server binaries, run as the
// server's OS user.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir // initdb needs a current folder its user can read
	cmd.Env = clusterEnv()
	if c.owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner}
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// clusterEnv is the environment of the tools run against a cluster: the
// caller's, less its PG* variables, which would redirect the tools to
// another server or data folder, and in the C locale, which initdb can
// always use.
func clusterEnv() []string {
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") {
			env = append(env, kv)
		}
	}
	return env
}

// Dump is a custom-format (pg_dump -Fc) archive of one schema.
type Dump struct {
	// Path is the archive's file, in the test's temporary folder.
	Path string
	// Schema is the dumped schema; the archive recreates it by that name.
	Schema string
	// Major is the PostgreSQL major version of the server it came from.
	Major int
}

// DumpSchema archives, with pg_dump -n <schema> -Fc, the schema named by
// the search_path parameter of databaseURL (as dbtest.PostgresURL makes
// it). pg_dump must be of the server's own major version or newer, so the
// one installed for the server's version is used.
func DumpSchema(t testing.TB, databaseURL string) Dump {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatalf("parse database URL: %v", err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	if schema == "" || strings.Contains(schema, ",") {
		t.Fatalf("the database URL must name exactly one schema in search_path, got %q", schema)
	}
	major := serverMajor(t, databaseURL)
	bin, _ := findBin(t, major, "pg_dump")
	// search_path is a pgx runtime parameter; libpq refuses it in a URL.
	q.Del("search_path")
	u.RawQuery = q.Encode()
	path := filepath.Join(t.TempDir(), schema+".dump")
	ctx, cancel := context.WithTimeout(context.Background(), dumpTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "-Fc", "-n", schema, "-f", path, "-d", u.String())
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_dump -n %s: %v\n%s", schema, err, out)
	}
	return Dump{Path: path, Schema: schema, Major: major}
}

// Restore loads the archive into the cluster's database Database, into a
// schema of the dumped name, and returns the URL for it with search_path
// set to that schema. Ownership and grants are left out: the cluster's
// roles are not the source's.
func (c *Cluster) Restore(t testing.TB, d Dump) string {
	t.Helper()
	if d.Major > c.major {
		t.Fatalf("cannot restore a PostgreSQL %d dump into a PostgreSQL %d cluster", d.Major, c.major)
	}
	ctx, cancel := context.WithTimeout(context.Background(), dumpTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "pg_restore"), "--no-owner", "--no-privileges",
		"--exit-on-error", "--single-transaction", "-d", c.URL(), d.Path)
	cmd.Env = clusterEnv()
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_restore into %s: %v\n%s", c.URL(), err, out)
	}
	u, err := url.Parse(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", d.Schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// NextTransactionID returns the id the server at databaseURL will give its
// next transaction (epoch included).
func NextTransactionID(t testing.TB, databaseURL string) uint64 {
	t.Helper()
	conn := connect(t, databaseURL)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var next uint64
	// Reading the snapshot assigns no transaction id, so this costs none.
	if err := conn.QueryRow(ctx, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint").Scan(&next); err != nil {
		t.Fatalf("read the next transaction id: %v", err)
	}
	return next
}

// ConsumeTransactionIDs commits empty transactions on the server at
// databaseURL until its next transaction id is at least floor. A freshly
// created server (a CI service container) starts near where a cluster
// made by StartCluster starts; this puts the source of a dump well ahead,
// as a long-lived production server is.
func ConsumeTransactionIDs(t testing.TB, databaseURL string, floor uint64) {
	t.Helper()
	next := NextTransactionID(t, databaseURL)
	if next >= floor {
		return
	}
	conn := connect(t, databaseURL)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// One statement, one round trip: each COMMIT inside the DO block ends a
	// transaction that took an id. Unsynchronized commits, as nothing is
	// written.
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
		t.Fatalf("set synchronous_commit: %v", err)
	}
	burn := fmt.Sprintf(`DO $$ BEGIN FOR i IN 1..%d LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`, floor-next)
	if _, err := conn.Exec(ctx, burn, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("consume %d transaction ids: %v", floor-next, err)
	}
}

// connect opens a connection, retrying for a while: a server that pg_ctl
// reported ready may still be finishing its start.
func connect(t testing.TB, databaseURL string) *pgx.Conn {
	t.Helper()
	deadline := time.Now().Add(connectTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, databaseURL)
		cancel()
		if err == nil {
			return conn
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to %s: %v", databaseURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitForConnections(databaseURL string) error {
	deadline := time.Now().Add(connectTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, databaseURL)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the cluster does not accept connections at %s: %w", databaseURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func serverMajor(t testing.TB, databaseURL string) int {
	t.Helper()
	conn := connect(t, databaseURL)
	defer conn.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var num int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatalf("read the server version: %v", err)
	}
	return num / 10000
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// findBin returns a folder holding all the named PostgreSQL binaries, of
// the given major version (0: the newest found), and that version. It
// looks where distributions install them side by side, then on PATH.
func findBin(t testing.TB, major int, tools ...string) (string, int) {
	t.Helper()
	var dirs []string
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"} {
		found, _ := filepath.Glob(pattern)
		dirs = append(dirs, found...)
	}
	if p, err := exec.LookPath(tools[0]); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	type candidate struct {
		dir   string
		major int
	}
	var ok []candidate
	var seen []string
	for _, dir := range dirs {
		complete := true
		for _, tool := range tools {
			if _, err := os.Stat(filepath.Join(dir, tool)); err != nil {
				complete = false
				break
			}
		}
		if !complete {
			continue
		}
		v, err := toolMajor(filepath.Join(dir, tools[0]))
		if err != nil {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s (%d)", dir, v))
		if major == 0 || v == major {
			ok = append(ok, candidate{dir, v})
		}
	}
	if len(ok) == 0 {
		want := "any version"
		if major != 0 {
			want = "version " + strconv.Itoa(major)
		}
		unavailable(t, fmt.Sprintf("no PostgreSQL %s binaries (%s) found; found: %v", want, strings.Join(tools, ", "), seen))
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].major > ok[j].major })
	return ok[0].dir, ok[0].major
}

// toolMajor runs a PostgreSQL binary with --version, which prints for
// example "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
func toolMajor(path string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return 0, err
	}
	_, rest, ok := bytes.Cut(out, []byte("(PostgreSQL) "))
	if !ok {
		return 0, fmt.Errorf("%s --version printed %q", path, out)
	}
	end := bytes.IndexAny(rest, ". \n")
	if end < 0 {
		end = len(rest)
	}
	v, err := strconv.Atoi(string(rest[:end]))
	if err != nil {
		return 0, errors.New("unparsable version " + string(out))
	}
	return v, nil
}

// unavailable skips the test, or fails it when CI is set: CI must never
// skip the PostgreSQL tests (as dbtest.PostgresURL).
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}
