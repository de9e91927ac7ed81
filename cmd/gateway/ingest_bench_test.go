package main

import (
	"testing"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/loadgen"
)

// BenchmarkIngest measures durable webhooks per second through a running
// gateway: 64 concurrent clients post signed Dixa deliveries made by
// loadgen (about 1.4 KB each, 1,000 conversations sharing 50 agents, so
// people rows are shared as in real data), each answered only after its
// event is committed; at the end every one is read back through GraphQL.
// It is what `gateway bench ingest` runs, on an in-process gateway.
//
//	go test ./cmd/gateway -run '^$' -bench Ingest -benchtime 20000x
//
// With TEST_DATABASE_URL set, it runs on PostgreSQL too.
func BenchmarkIngest(b *testing.B) {
	benchEachStore(b, func(b *testing.B, newDatabase func(testing.TB) string) {
		m := startGateway(b, newDatabase(b))
		runner, err := loadgen.NewRunner(loadgen.Config{
			Target: m.URL(), AdminToken: adminToken, Provider: domain.ProviderDixa,
			Clients: 64, Deliveries: b.N, Conversations: 1000, Agents: 50,
		})
		if err != nil {
			b.Fatal(err)
		}
		ctx := b.Context()
		if err := runner.Subscribe(ctx); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		in, err := runner.Post(ctx)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if err := runner.Check(ctx, in); err != nil {
			b.Fatal(err)
		}
		if in.Failed() > 0 || in.Accepted != b.N || in.Stored != b.N {
			b.Fatalf("not every delivery was accepted and stored:\n%s", in)
		}
		b.ReportMetric(in.Rate(), "webhooks/s")
		b.ReportMetric(float64(in.Latency.P99.Microseconds())/1000, "p99-ms")
	})
}
