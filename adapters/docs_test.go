package adapters_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsListEveryGoldenMapping keeps docs/providers.md true: every
// (provider event, unified type) pair that an adapter's golden files
// record must be a row of that provider's table.
func TestDocsListEveryGoldenMapping(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "providers.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, part := range strings.Split(string(doc), "\n## ")[1:] {
		heading, body, _ := strings.Cut(part, "\n")
		// The heading's first word names the provider: "## CloudCX (Cloudfon) Inbox Tickets".
		if words := strings.Fields(heading); len(words) > 0 {
			sections[strings.ToLower(words[0])] = body
		}
	}
	payloads := 0
	for _, provider := range []string{"cinnox", "cloudcx", "dixa", "voxsig"} {
		section, ok := sections[provider]
		if !ok {
			t.Errorf("docs/providers.md has no section \"## %s\"", provider)
			continue
		}
		goldens, _ := filepath.Glob(filepath.Join(provider, "testdata", "*.golden.json"))
		if len(goldens) == 0 {
			t.Errorf("%s: no golden files", provider)
		}
		payloads += len(goldens)
		for _, g := range goldens {
			raw, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Events []struct{ Type, ProviderEventType, Reason string }
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatalf("%s: %v", g, err)
			}
			for _, e := range out.Events {
				if e.Reason != "" && e.Type == "OTHER" {
					continue // untranslated deliveries are covered by the "unknown" row
				}
				row := "| `" + e.ProviderEventType + "` | `" + e.Type + "` |"
				if !strings.Contains(section, row) {
					t.Errorf("docs/providers.md, %s: no row %q (from %s)", provider, row, g)
				}
			}
		}
	}
	if payloads < 60 {
		t.Errorf("%d golden payloads in all, want at least 60", payloads)
	}
}
