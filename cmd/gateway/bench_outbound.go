package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/loadgen"
)

// benchOutbound runs `gateway bench outbound`: webhook endpoints on a
// receiver of its own, the receiver's baseline, the drain of a backlog
// and the latency of live deliveries.
func benchOutbound(args []string, stdout io.Writer, getenv func(string) string) error {
	fs, target, token := benchFlags("outbound", stdout,
		"Measures a running gateway's pushes to webhook endpoints (it must allow private targets,\n"+
			"OUTBOUND_ALLOW_PRIVATE=true, for the run's receiver on 127.0.0.1): the receiver's own capacity,\n"+
			"the deliveries/s that drain a backlog, and commit-to-receipt latency of live deliveries.")
	endpoints := fs.Int("endpoints", 10, "webhook endpoints, each receiving every event")
	backlog := fs.Int("n", 2000, "deliveries posted while the endpoints are disabled: the backlog they then drain")
	live := fs.Int("live", 500, "deliveries posted while the endpoints are caught up, for the latency")
	clients := fs.Int("clients", 16, "concurrent clients posting the backlog")
	liveClients := fs.Int("live-clients", 2, "concurrent clients posting the live deliveries")
	listen := fs.String("listen", "127.0.0.1:0", "the receiver's address, reachable from the gateway")
	wait := fs.Duration("wait", 2*time.Minute, "bound on each wait for the deliveries")
	if err := parseBenchFlags(fs, args, token, getenv); err != nil {
		return err
	}
	runner := func(n, clients int) (*loadgen.Runner, error) {
		return loadgen.NewRunner(loadgen.Config{
			Target: *target, AdminToken: *token, Provider: domain.ProviderDixa, Clients: clients, Deliveries: n,
			Conversations: 100, Agents: 10,
		})
	}
	back, err := runner(*backlog, *clients)
	if err != nil {
		return fmt.Errorf("bench outbound: %w", err)
	}
	now, err := runner(*live, *liveClients)
	if err != nil {
		return fmt.Errorf("bench outbound: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	out, err := loadgen.RunOutbound(ctx, loadgen.OutboundConfig{Backlog: back, Live: now, Endpoints: *endpoints, Listen: *listen, Wait: *wait})
	if out != nil {
		fmt.Fprint(stdout, out)
	}
	if err != nil {
		return fmt.Errorf("bench outbound: %w", err)
	}
	for _, d := range []loadgen.Delivery{out.Drain, out.LiveDelivery} {
		if d.Delivered < d.Expected {
			return fmt.Errorf("bench outbound: %d of %d deliveries did not arrive", d.Expected-d.Delivered, d.Expected)
		}
	}
	return nil
}
