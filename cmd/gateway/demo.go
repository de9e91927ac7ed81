package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/helpdesk-gateway/gateway/loadgen"
)

// demoCommand runs `gateway demo` until ctx ends: a gateway on an embedded
// SQLite store, fed a continuing stream of signed deliveries from all four
// providers by its own webhook subscriptions, so that the console,
// GraphiQL and the client examples have something to show.
func demoCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gateway demo", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gateway demo [flags]\n\n"+
			"Starts the gateway on an embedded SQLite store and feeds it a realistic stream of signed\n"+
			"webhook deliveries from CINNOX, CloudCX, Dixa and Voxsig until Ctrl-C.")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", cfg.Addr, "listen address (env ADDR)")
	dir := fs.String("dir", "", "folder of the SQLite database; default: a temporary folder removed at exit")
	interval := fs.Duration("interval", 250*time.Millisecond, "mean pause between two deliveries")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	if *interval <= 0 {
		return fmt.Errorf("demo: -interval %s: want a positive duration", *interval)
	}
	folder := *dir
	if folder == "" {
		tmp, err := os.MkdirTemp("", "gateway-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(tmp)
		folder = tmp
	} else if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfg.Addr = *addr
	cfg.DatabaseURL = "sqlite://" + filepath.Join(folder, "gateway.db")

	m := NewMain(cfg, newLogger(cfg.LogLevel, os.Stderr))
	if err := m.Run(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	feed, err := loadgen.NewDemo(loadgen.DemoConfig{Target: m.URL(), AdminToken: m.AdminToken, Interval: *interval, Logger: m.Logger})
	if err == nil {
		err = feed.Subscribe(ctx)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("demo: %w", err), m.Close())
	}
	base := m.URL()
	fmt.Fprintf(stdout, "Helpdesk webhook gateway demo: deliveries from CINNOX, CloudCX, Dixa and Voxsig are arriving.\n\n"+
		"  Console:     %s/console\n"+
		"  GraphiQL:    %s/\n"+
		"  GraphQL:     %s/graphql  (websocket: ws%s/graphql)\n"+
		"  Admin token: %s   (send Authorization: Bearer <token>)\n"+
		"  Database:    %s\n\n"+
		"Press Ctrl-C to stop.\n", base, base, base, base[len("http"):], m.AdminToken, cfg.DatabaseURL)
	fed := feed.Run(ctx) // returns once ctx ends
	m.Logger.Info("shutting down")
	return errors.Join(fed, m.Close())
}
