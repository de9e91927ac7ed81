package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
)

// browser is a headless Chromium tab that records every request it makes,
// so that a test can tell whether a page reached outside the gateway.
type browser struct {
	t      *testing.T
	ctx    context.Context
	tab    context.Context // without the test's deadline, to describe a failure
	origin string

	mu      sync.Mutex
	foreign []string
	local   []string
}

// startBrowser starts headless Chromium for pages on origin. Without
// Chromium the test is skipped, or fails with CI set.
func startBrowser(t *testing.T, origin string) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		const missing = "Chromium is not installed (apt-get install -y chromium)"
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	host, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Names other than the gateway's host do not resolve: a page that
		// reaches for a CDN fails visibly as well as being recorded below.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE "+host.Hostname()),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The browser lives as long as the context of its first run: no
	// timeout on that one.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelTime := context.WithTimeout(tab, 3*time.Minute)
	b := &browser{t: t, ctx: ctx, tab: tab, origin: origin}
	// Confirmations (delete, rotate, replay) are answered yes.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	answered := make(chan struct{})
	t.Cleanup(func() {
		cancelTime()
		<-answered
	})
	go func() {
		defer close(answered)
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	ws := "ws" + strings.TrimPrefix(origin, "http")
	err = chromedp.Listen(ctx, func(ev any) {
		var u string
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			// The pages' policy stops a request to another origin before
			// the network sees it; the browser logs the refusal.
			if e.Entry != nil && strings.Contains(e.Entry.Text, "Content Security Policy") {
				b.mu.Lock()
				b.foreign = append(b.foreign, "refused by the policy: "+e.Entry.Text)
				b.mu.Unlock()
			}
			return
		case *network.EventRequestWillBeSent:
			u = e.Request.URL
		case *network.EventWebSocketCreated:
			u = e.URL
		default:
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		switch {
		case strings.HasPrefix(u, origin+"/"), strings.HasPrefix(u, ws+"/"):
			b.local = append(b.local, u)
		case strings.HasPrefix(u, "data:"), strings.HasPrefix(u, "blob:"), u == "about:blank":
		default:
			b.foreign = append(b.foreign, u)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("record the network: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("record the log: %v", err)
	}
	return b
}

// run runs actions, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.describe())
	}
}

// describe tells where the page is and what it shows.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 1000)`))
	if err != nil {
		return "(the page cannot be read: " + err.Error() + ")"
	}
	return s
}

// within runs actions that must complete within d.
func (b *browser) within(d time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s within %s: %v\n%s", what, d, err, b.describe())
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// screenshots are the widths every screen is shot at: a laptop and a phone.
var screenshots = []struct {
	suffix        string
	width, height int64
	mobile        bool
}{{"1280", 1280, 800, false}, {"390", 390, 844, true}}

// shoot writes the screen to docs/screenshots/<name>-<width>.png at each
// width, when UPDATE_SCREENSHOTS is set.
func (b *browser) shoot(name string) {
	b.t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	for _, s := range screenshots {
		b.viewport(s.width, s.height, s.mobile)
		b.run("let the layout settle at the new width", chromedp.Sleep(300*time.Millisecond))
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join("..", "..", "docs", "screenshots", name+"-"+s.suffix+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.viewport(1280, 800, false)
}

func (b *browser) viewport(width, height int64, mobile bool) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: 1, Mobile: mobile,
	})
	if err != nil {
		b.t.Fatalf("viewport %dx%d: %v", width, height, err)
	}
}

// checkOrigin fails the test if any page requested another origin, and
// makes sure requests were seen at all, so the check cannot pass vacuously.
func (b *browser) checkOrigin(wantLocal ...string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.foreign) > 0 {
		b.t.Errorf("the pages requested other origins: %v", b.foreign)
	}
	for _, want := range wantLocal {
		found := false
		for _, u := range b.local {
			found = found || strings.Contains(u, want)
		}
		if !found {
			b.t.Errorf("no request to %s was seen among %v", want, b.local)
		}
	}
}

func TestConsoleSubscriptionDeliveryAndLiveTailInABrowser(t *testing.T) {
	m := startGateway(t, dbtest.SQLiteURL(t), outboundFlags...)
	b := startBrowser(t, m.URL())

	b.run("open the console", chromedp.Navigate(m.URL()+"/console"), chromedp.WaitVisible(chromedp.ID("token")))
	b.shoot("console-signin")

	b.run("sign in with a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "not-a-token"+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("signin-error")))
	if msg := b.text("#signin-error"); !strings.Contains(msg, "refused") {
		t.Fatalf("a refused token shows %q", msg)
	}
	b.shoot("console-signin-refused")
	b.run("sign in",
		chromedp.Navigate(m.URL()+"/console"),
		chromedp.SendKeys(chromedp.ID("token"), adminToken+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("new-subscription")))
	b.shoot("console-subscriptions-empty")

	b.run("create a Dixa subscription",
		chromedp.Click(chromedp.ID("new-subscription")),
		chromedp.SetValue(chromedp.ID("sub-provider"), "DIXA"),
		chromedp.SendKeys(chromedp.ID("sub-name"), "Support inbox"),
		chromedp.Click(chromedp.CSS(`#create-subscription button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("created-secret")))
	ingestURL, secret := b.text("#created-url"), b.text("#created-secret")
	if !strings.HasPrefix(ingestURL, m.URL()+"/webhooks/dixa/") || len(secret) != 64 {
		t.Fatalf("the console shows ingest URL %q and secret %q", ingestURL, secret)
	}
	b.run("see it listed", chromedp.WaitVisible(chromedp.Search(`//table[@id="subscriptions"]//td[contains(., "Support inbox")]`)))
	b.shoot("console-subscription-created")

	b.run("open the live tail",
		chromedp.Click(chromedp.CSS(`a[href="#/live"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#live-status[data-state="live"]`)))
	b.shoot("console-live-empty")

	body := readSeed(t, "conversation_note_added_seed1.json")
	if status, answer := postDixa(t, ingestURL, secret, body); status != http.StatusOK || !strings.Contains(answer, "accepted") {
		t.Fatalf("delivery to the URL the console showed: %d %s", status, answer)
	}
	b.within(5*time.Second, "see the event in the live tail",
		chromedp.WaitVisible(chromedp.Search(`//tr[contains(@class, "event-row")][contains(., "NOTE_ADDED")]`)))
	b.shoot("console-live")

	b.run("open the event",
		chromedp.Click(chromedp.CSS(`tr.event-row`)),
		chromedp.WaitVisible(chromedp.ID("event-payload")))
	if payload := b.text("#event-payload"); !strings.Contains(payload, "8967e0c6-fe64-4105-bf71-14ae0c256gg4") {
		t.Fatalf("the event's payload shows %q", payload)
	}
	if conv := b.text("#event-conversation"); !strings.Contains(conv, "1234") {
		t.Fatalf("the event's conversation shows %q", conv)
	}
	b.run("scroll to the event", chromedp.ScrollIntoView(chromedp.ID("event-detail")))
	b.shoot("console-event")

	b.run("pause the live tail",
		chromedp.Click(chromedp.ID("live-pause")),
		chromedp.WaitVisible(chromedp.Search(`//button[@id="live-pause"][starts-with(., "Resume")]`)))
	closed := readSeed(t, "conversation_closed.json")
	if status, answer := postDixa(t, ingestURL, secret, closed); status != http.StatusOK || !strings.Contains(answer, "accepted") {
		t.Fatalf("second delivery: %d %s", status, answer)
	}
	b.within(5*time.Second, "see the paused tail hold the new event back",
		chromedp.WaitVisible(chromedp.Search(`//button[@id="live-pause"][contains(., "1 new")]`)))
	if rows, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("tr.event-row").length`)); rows != 1 {
		t.Fatalf("a paused tail shows %d rows, want the 1 from before the pause", rows)
	}
	b.run("resume the live tail",
		chromedp.Click(chromedp.ID("live-pause")),
		chromedp.WaitVisible(chromedp.Search(`//tr[contains(@class, "event-row")][contains(., "CONVERSATION_STATUS_CHANGED")]`)))

	b.run("open the subscription's delivery log",
		chromedp.Click(chromedp.CSS(`a[href="#/subscriptions"]`)),
		chromedp.Click(chromedp.Search(`//table[@id="subscriptions"]//a[contains(., "Support inbox")]`)),
		chromedp.WaitVisible(chromedp.Search(`//tr[contains(@class, "log-row")][contains(., "accepted")][contains(., "ConversationNoteAdded")]`)),
		chromedp.Click(chromedp.Search(`//tr[contains(@class, "log-row")][contains(., "ConversationNoteAdded")]`)),
		chromedp.WaitVisible(chromedp.ID("delivery-body")))
	if got := b.text("#delivery-body"); !strings.Contains(got, "CONVERSATION_NOTE_ADDED") {
		t.Fatalf("the delivery log entry shows %q", got)
	}
	b.shoot("console-subscription")

	b.run("filter the delivery log by outcome",
		chromedp.SetValue(chromedp.ID("log-outcome"), "refused"),
		chromedp.WaitNotPresent(chromedp.CSS("tr.log-row")))

	b.run("open the untranslated events",
		chromedp.Click(chromedp.CSS(`a[href="#/untranslated"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="empty"]/strong[.="Every event is translated"]`)),
		chromedp.Click(chromedp.ID("reprocess")),
		chromedp.WaitVisible(chromedp.ID("reprocess-result")))
	b.shoot("console-untranslated")

	b.run("create an API key",
		chromedp.Click(chromedp.CSS(`a[href="#/keys"]`)),
		chromedp.SendKeys(chromedp.ID("key-name"), "analytics job"),
		chromedp.Click(chromedp.CSS(`#create-key button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("created-token")))
	if token := b.text("#created-token"); len(graphQLRaw(t, m, token, `{ events(first: 1) { edges { cursor } } }`, nil).Errors) > 0 {
		t.Fatalf("the key the console showed (%q) is refused", token)
	}
	b.shoot("console-keys")

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	b.run("create an outbound endpoint",
		chromedp.Click(chromedp.CSS(`a[href="#/endpoints"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="empty"]/strong[.="No endpoints yet"]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "New endpoint")]`)),
		chromedp.SendKeys(chromedp.ID("ep-name"), "CRM"),
		chromedp.SendKeys(chromedp.ID("ep-url"), receiver.URL+"/hooks"),
		chromedp.Click(chromedp.CSS(`#create-endpoint button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.Search(`//table[@id="endpoints"]//td[contains(., "CRM")]`)))
	b.shoot("console-endpoints")
	b.run("open the endpoint and replay the history",
		chromedp.Click(chromedp.Search(`//table[@id="endpoints"]//a[contains(., "CRM")]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Replay whole history")]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Replay whole history")]`)))
	var attempts string
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(attempts, "delivered") && time.Now().Before(deadline); {
		// The attempts are read when the page loads. A slow or refused
		// read (the page then offers Try again) is tried again here too.
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		_ = chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1, .alert.error")))
		cells, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#attempts td")].map(td => td.textContent)`))
		cancel()
		attempts = strings.Join(cells, " ")
	}
	if !strings.Contains(attempts, "NOTE_ADDED") {
		t.Fatalf("the endpoint's attempts show %q\n%s", attempts, b.describe())
	}
	b.shoot("console-endpoint")

	b.run("open GraphiQL",
		chromedp.Navigate(m.URL()+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")))
	b.shoot("graphiql")
	b.run("open GraphiQL's documentation",
		chromedp.Click(chromedp.CSS(`[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(chromedp.Search(`//a[contains(@class, "graphiql-doc-explorer-type-name")][.="Query"]`)))

	b.checkOrigin("/console/assets/console-", "/console/assets/graphiql-", "/graphql")
}
