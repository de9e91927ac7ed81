package adapterstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// Samples loads every delivery in dir: each <name>.json that is not a
// golden file, with the headers in <name>.headers.json when there is one
// (a JSON object of header name to value).
func Samples(t testing.TB, dir string) []Sample {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var out []Sample
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden.json") || strings.HasSuffix(p, ".headers.json") {
			continue
		}
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		header := http.Header{}
		if raw, err := os.ReadFile(filepath.Join(dir, name+".headers.json")); err == nil {
			var h map[string]string
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatalf("%s.headers.json: %v", name, err)
			}
			for k, v := range h {
				header.Set(k, v)
			}
		}
		out = append(out, Sample{Name: name, Body: body, Header: header})
	}
	if len(out) == 0 {
		t.Fatalf("no samples in %s", dir)
	}
	return out
}

// Render is the part of a parse result fixed by its input, as indented
// JSON: the random ID, the receive time and the payload (the body itself)
// are left out, and so is every empty value, so that a field added to the
// domain changes no golden file until an adapter sets it.
func Render(res *adapters.Result) ([]byte, error) {
	type rendered struct {
		Reply  json.RawMessage `json:",omitempty"`
		Events []domain.Event  `json:",omitempty"`
	}
	var r rendered
	for _, e := range res.Events {
		c := *e
		c.ID, c.ReceivedAt, c.Payload = "", adapters.Request{}.ReceivedAt, nil
		r.Events = append(r.Events, c)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	out := dropEmpty(tree).(map[string]any)
	if res.Reply != nil {
		// A reply is the exact answer a provider gets: kept whole.
		var reply any
		if err := json.Unmarshal(res.Reply, &reply); err != nil {
			return nil, err
		}
		out["Reply"] = reply
	}
	b, err = json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// dropEmpty removes empty values from a decoded JSON tree: "", 0, false,
// null, the zero time, and objects and arrays left empty. Array elements
// are kept in place (an empty element still counts).
func dropEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			val = dropEmpty(val)
			if isEmpty(val) {
				delete(x, k)
			} else {
				x[k] = val
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = dropEmpty(x[i])
		}
		return x
	}
	return v
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == "0001-01-01T00:00:00Z"
	case float64:
		return x == 0
	case bool:
		return !x
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// Golden parses every sample in dir with a and compares the rendered result
// with <name>.golden.json; with update set it rewrites the golden files.
func Golden(t *testing.T, a adapters.Adapter, dir string, update bool) {
	t.Helper()
	for _, s := range Samples(t, dir) {
		t.Run(s.Name, func(t *testing.T) {
			res, err := a.Parse(&adapters.Request{Header: s.Header, Body: s.Body, ReceivedAt: ReceivedAt})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := Render(res)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, s.Name+".golden.json")
			if update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run the test with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}
