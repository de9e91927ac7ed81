package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/loadgen"
)

// benchCommand runs `gateway bench ingest` or `gateway bench outbound`.
func benchCommand(args []string, stdout io.Writer, getenv func(string) string) error {
	switch {
	case len(args) > 0 && args[0] == "ingest":
		return benchIngest(args, stdout, getenv)
	case len(args) > 0 && args[0] == "outbound":
		return benchOutbound(args, stdout, getenv)
	}
	return errors.New("usage: gateway bench ingest|outbound [flags] (gateway bench ingest -h lists them)")
}

// benchFlags starts the flags of `gateway bench <name>` with those every
// bench command takes: the gateway's URL and the admin token.
func benchFlags(name string, stdout io.Writer, about string) (fs *flag.FlagSet, target, token *string) {
	fs = flag.NewFlagSet("gateway bench "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gateway bench %s [flags]\n\n%s\n", name, about)
		fs.PrintDefaults()
	}
	target = fs.String("target", "http://localhost:8080", "the gateway's base URL")
	token = fs.String("token", "", "admin bearer token (default: env GATEWAY_ADMIN_TOKEN)")
	return fs, target, token
}

// parseBenchFlags parses a bench command's arguments (after its name). The
// environment's token is read after parsing, so that -h does not print it.
func parseBenchFlags(fs *flag.FlagSet, args []string, token *string, getenv func(string) string) error {
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *token == "" {
		*token = getenv("GATEWAY_ADMIN_TOKEN")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", strings.TrimPrefix(fs.Name(), "gateway "), fs.Args())
	}
	return nil
}

// benchIngest runs `gateway bench ingest`: a load run against a running
// gateway, optionally after the database's own baseline.
func benchIngest(args []string, stdout io.Writer, getenv func(string) string) error {
	fs, target, token := benchFlags("ingest", stdout,
		"Posts signed deliveries to a running gateway through a webhook subscription of its own,\n"+
			"reports deliveries/s and latency, and checks that every accepted delivery is stored.")
	provider := fs.String("provider", "dixa", "whose deliveries to post: dixa, voxsig, cloudcx or cinnox")
	clients := fs.Int("clients", 64, "concurrent clients, each on a keep-alive connection of its own")
	n := fs.Int("n", 20000, "deliveries to post")
	conversations := fs.Int("conversations", 1000, "conversations the deliveries are drawn from")
	agents := fs.Int("agents", 50, "agents shared across the conversations (Dixa and Voxsig; CloudCX and CINNOX payloads name none)")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on each request")
	baseline := fs.Bool("baseline", false, "first measure one-row-per-commit inserts of the same payloads on the gateway's database")
	databaseURL := fs.String("database-url", "", "the gateway's database, for -baseline: postgres://... or sqlite://<path> (default: env DATABASE_URL)")
	if err := parseBenchFlags(fs, args, token, getenv); err != nil {
		return err
	}
	// Read after parsing, as the token, so that -h does not print it (a
	// database URL may hold a password).
	if *databaseURL == "" {
		*databaseURL = getenv("DATABASE_URL")
	}
	p, err := domain.ParseProviderSlug(*provider)
	if err != nil {
		return fmt.Errorf("bench ingest: -provider %q: want dixa, voxsig, cloudcx or cinnox", *provider)
	}
	if *baseline && *databaseURL == "" {
		return errors.New("bench ingest: -baseline needs -database-url, the database the gateway uses")
	}
	runner, err := loadgen.NewRunner(loadgen.Config{
		Target: *target, AdminToken: *token, Provider: p, Clients: *clients, Deliveries: *n,
		Conversations: *conversations, Agents: *agents, Timeout: *timeout,
	})
	if err != nil {
		return fmt.Errorf("bench ingest: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	// The baseline runs first so that the two loads never overlap.
	var base *loadgen.BaselineResult
	if *baseline {
		base, err = loadgen.Baseline(ctx, loadgen.BaselineConfig{
			DatabaseURL: *databaseURL, Clients: *clients, Payloads: runner.Payloads(), Timeout: *timeout,
		})
		if err != nil {
			return fmt.Errorf("bench ingest: %w", err)
		}
		fmt.Fprint(stdout, base)
	}
	in, err := runner.Run(ctx)
	if in != nil {
		fmt.Fprint(stdout, in)
	}
	if err != nil {
		return fmt.Errorf("bench ingest: %w", err)
	}
	if base != nil {
		fmt.Fprint(stdout, loadgen.Ratio(in, base))
	}
	switch {
	case in.Stored < in.Expected:
		return fmt.Errorf("bench ingest: %d of %d accepted deliveries are not stored", in.Expected-in.Stored, in.Expected)
	case in.Failed() > 0:
		return fmt.Errorf("bench ingest: %d deliveries failed", in.Failed())
	case base != nil && base.Failed() > 0:
		return fmt.Errorf("bench ingest: %d baseline inserts failed", base.Failed())
	}
	return nil
}
