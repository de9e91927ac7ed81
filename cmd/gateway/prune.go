package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/retention"
)

// pruneArgs is what `gateway prune` was asked to do.
type pruneArgs struct {
	before       time.Time
	payloadsOnly bool
}

// parsePruneArgs reads `--before <RFC 3339 time | duration>` and
// `--payloads-only`. A duration counts back from now. A time in the future
// is refused: it would remove the whole history, which no one means.
func parsePruneArgs(args []string, now time.Time) (pruneArgs, error) {
	fs := flag.NewFlagSet("gateway prune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	before := fs.String("before", "", "remove the events received before this RFC 3339 time (2026-01-02T15:04:05Z) or this long ago (720h)")
	var out pruneArgs
	fs.BoolVar(&out.payloadsOnly, "payloads-only", false, "keep the events and empty only their payloads")
	usage := "usage: gateway prune --before <RFC 3339 time | duration such as 720h> [--payloads-only]"
	if err := fs.Parse(args); err != nil {
		return out, fmt.Errorf("%w; %s", err, usage)
	}
	if fs.NArg() > 0 {
		return out, fmt.Errorf("unexpected argument %q; %s", fs.Arg(0), usage)
	}
	if *before == "" {
		return out, errors.New("--before is required; " + usage)
	}
	if t, err := time.Parse(time.RFC3339Nano, *before); err == nil {
		out.before = t
	} else if d, err := time.ParseDuration(*before); err == nil && d > 0 {
		out.before = now.Add(-d)
	} else {
		return out, fmt.Errorf("--before %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z or a positive duration such as 720h", *before)
	}
	if out.before.After(now) {
		return out, fmt.Errorf("--before %q is in the future: that would remove every event", *before)
	}
	return out, nil
}

// pruneCommand runs `gateway prune` once, through the code the background
// retention runs, and prints what it removed.
func pruneCommand(cfg Config, args []string, stdout io.Writer) error {
	a, err := parsePruneArgs(args, time.Now())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	store, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Ready(ctx); err != nil {
		return fmt.Errorf("%w (run gateway migrate up first)", err)
	}
	return prune(ctx, store, a, stdout)
}

// prune removes what a asks for from store and prints it.
func prune(ctx context.Context, store retention.Store, a pruneArgs, stdout io.Writer) error {
	var events, payloads time.Time
	if a.payloadsOnly {
		payloads = a.before
	} else {
		events = a.before
	}
	res, err := retention.New(retention.Config{Store: store}).Prune(ctx, events, payloads)
	if !a.payloadsOnly {
		fmt.Fprintf(stdout, "removed %d events received before %s", res.Events, a.before.UTC().Format(time.RFC3339))
		if res.Events > 0 {
			fmt.Fprintf(stdout, "; the oldest cursor still available is %q", res.Horizon.String())
		}
		fmt.Fprintln(stdout)
	} else {
		fmt.Fprintf(stdout, "emptied the payloads of %d events received before %s\n", res.Payloads, a.before.UTC().Format(time.RFC3339))
	}
	return err
}
