package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

var reference = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

// TestPagesLoadOnlyTheirOwnAssets checks each page's references: every one
// is an embedded asset under /console/assets/, served with the policy.
func TestPagesLoadOnlyTheirOwnAssets(t *testing.T) {
	h := Handler()
	for _, tc := range []struct{ path, marker string }{
		{"/", `id="graphiql"`},
		{"/console", `id="app"`},
		{"/console/", `id="app"`},
	} {
		res := get(t, h, tc.path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.marker) {
			t.Fatalf("GET %s: %d %s", tc.path, res.StatusCode, body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
		refs := reference.FindAllStringSubmatch(string(body), -1)
		if len(refs) < 2 {
			t.Fatalf("GET %s names %d assets, want a script and a stylesheet at least", tc.path, len(refs))
		}
		for _, ref := range refs {
			if !strings.HasPrefix(ref[1], "/console/assets/") {
				t.Errorf("GET %s references %s, outside the gateway's assets", tc.path, ref[1])
				continue
			}
			asset := get(t, h, ref[1])
			if asset.StatusCode != http.StatusOK || asset.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("GET %s: %d, policy %q", ref[1], asset.StatusCode, asset.Header.Get("Content-Security-Policy"))
			}
		}
	}
	for _, path := range []string{"/console/assets/none.js", "/console/assets/", "/console/other"} {
		if res := get(t, h, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s answers %d", path, res.StatusCode)
		}
	}
}

// remote matches what makes a browser fetch from another origin: a CSS
// url() or @import of an absolute URL, or a script importing one.
var remote = regexp.MustCompile(`url\(\s*["']?(?:https?:)?//|@import\s+["'](?:https?:)?//|import\(\s*["']https?://`)

func TestBuiltFilesFetchNothingFromOtherOrigins(t *testing.T) {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := fs.ReadFile(root, path)
		if err != nil {
			return err
		}
		if m := remote.Find(b); m != nil {
			t.Errorf("%s fetches from another origin: %s", path, m)
		}
		return nil
	})
	if err != nil || files < 4 {
		t.Fatalf("walked %d files: %v", files, err)
	}
}
