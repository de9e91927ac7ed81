package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-gateway/gateway/db"
	"github.com/helpdesk-gateway/gateway/db/dbtest"
	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/helpdesk-gateway/gateway/export"
)

var (
	ctx = context.Background()
	t0  = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
)

// history is what seed stored: two subscriptions (Dixa and Voxsig) and
// their events in stream order, as the store reads them back.
type history struct {
	dixaSub, voxsigSub string
	conversationID     string
	events             []*domain.Event
}

// seed stores n events over several deliveries and transactions: Dixa
// and Voxsig, several types, one conversation with a message, one
// untranslated OTHER event, and a pretty-printed body.
func seed(t *testing.T, store *db.DB, n int) *history {
	t.Helper()
	h := &history{dixaSub: domain.NewID(), voxsigSub: domain.NewID()}
	var batch []*domain.Delivery
	for i := range n {
		e := &domain.Event{
			ID: domain.NewID(), Provider: domain.ProviderDixa, SubscriptionID: h.dixaSub,
			Type: domain.EventConversationStatusChanged, ProviderEventType: "ConversationOpen",
			DedupeKey:  fmt.Sprintf("key-%d", i),
			OccurredAt: t0.Add(time.Duration(i) * time.Hour), ReceivedAt: t0.Add(time.Duration(i)*time.Hour + 1500*time.Millisecond),
			Payload: domain.RawJSON(fmt.Sprintf(`{"event_id":"key-%d","data":{"text":"<b>hi</b> & \"bye\" ✓","n":%d}}`, i, i)),
		}
		switch i % 4 {
		case 1:
			e.Provider, e.SubscriptionID, e.Type, e.ProviderEventType = domain.ProviderVoxsig, h.voxsigSub, domain.EventMessageCreated, "message_created"
		case 2:
			e.Type, e.ProviderEventType = domain.EventNoteAdded, "ConversationNoteAdded"
			e.Conversation = &domain.ConversationUpdate{ExternalID: "1234", Kind: domain.KindConversation, Status: domain.StatusOpen}
			e.Message = &domain.Message{ExternalID: fmt.Sprintf("m%d", i), Direction: domain.DirectionInternal, Private: true, Content: "a note"}
		case 3:
			e.Type, e.ProviderEventType, e.Reason = domain.EventOther, "SomethingNew", "unknown event"
			e.Payload = domain.RawJSON(fmt.Sprintf("{\n  \"event_id\": \"key-%d\",\r\n  \"list\": [1, 2.50, \"a\\nb\"]\n}\n", i))
		}
		batch = append(batch, &domain.Delivery{Events: []*domain.Event{e}, Log: domain.DeliveryLog{
			SubscriptionID: e.SubscriptionID, Event: e.ProviderEventType, Outcome: domain.OutcomeAccepted,
			DeliveryDetail: domain.DeliveryDetail{DeliveryTimestamp: e.ReceivedAt, Success: true, ResponseCode: 200, ResponseText: "OK"},
			Payload:        string(e.Payload),
		}})
		if len(batch) == 3 || i == n-1 {
			if _, err := store.AppendDeliveries(ctx, batch); err != nil {
				t.Fatalf("append: %v", err)
			}
			batch = nil
		}
	}
	var err error
	if h.events, err = store.Events(ctx, nil, domain.Position(0), n+1); err != nil || len(h.events) != n {
		t.Fatalf("read back %d events, want %d: %v", len(h.events), n, err)
	}
	for _, e := range h.events {
		if e.ConversationID != "" {
			h.conversationID = e.ConversationID
		}
	}
	return h
}

// line is one exported event. Pointers tell null from "".
type line struct {
	ID                string          `json:"id"`
	Cursor            string          `json:"cursor"`
	Provider          string          `json:"provider"`
	Type              string          `json:"type"`
	ProviderEventType string          `json:"providerEventType"`
	DedupeKey         string          `json:"dedupeKey"`
	OccurredAt        string          `json:"occurredAt"`
	ReceivedAt        string          `json:"receivedAt"`
	ConversationID    *string         `json:"conversationId"`
	SubscriptionID    string          `json:"subscriptionId"`
	MessageID         *string         `json:"messageId"`
	Reason            *string         `json:"reason"`
	Corrects          *string         `json:"corrects"`
	Payload           json.RawMessage `json:"payload"`
	PayloadExpired    bool            `json:"payloadExpired"`
	Error             string          `json:"error"`
	ResumeAfter       *string         `json:"resumeAfter"`
}

var eventKeys = []string{"conversationId", "corrects", "cursor", "dedupeKey", "id", "messageId", "occurredAt", "payload", "payloadExpired", "provider",
	"providerEventType", "reason", "receivedAt", "subscriptionId", "type"}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// authenticated passes requests to h as the server's bearer auth does.
func authenticated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(domain.WithIdentity(r.Context(), &domain.Identity{Name: "analytics"})))
	})
}

// get runs one export over real HTTP, authenticated.
func get(t *testing.T, h http.Handler, query string) answer {
	t.Helper()
	srv := httptest.NewServer(authenticated(h))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/export/events?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return answer{res.StatusCode, res.Header, body}
}

// lines parses an NDJSON body, checking that every line is one JSON object
// with exactly the Event's fields (or, last, the error line).
func lines(t *testing.T, body []byte) []line {
	t.Helper()
	if len(body) > 0 && body[len(body)-1] != '\n' {
		t.Fatalf("body does not end with a newline: %q", body)
	}
	var out []line
	for i, raw := range bytes.SplitAfter(body, []byte("\n")) {
		if len(raw) == 0 {
			continue
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i, err, raw)
		}
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if _, isError := keys["error"]; !isError {
			if got := slices.Sorted(maps.Keys(keys)); !slices.Equal(got, eventKeys) {
				t.Fatalf("line %d has fields %v, want %v", i, got, eventKeys)
			}
		}
		out = append(out, l)
	}
	return out
}

func ids(ls []line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

func eventIDs(es []*domain.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func TestExportWritesEveryEventInStreamOrder(t *testing.T) {
	// 10 events in pages of 3: full pages, then a short one; 9 ends on an
	// empty page.
	for _, n := range []int{10, 9} {
		t.Run(fmt.Sprint(n, " events"), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, store *db.DB) {
				h := seed(t, store, n)
				a := get(t, &export.Handler{Store: store, PageSize: 3}, "format=ndjson")
				if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/x-ndjson" {
					t.Fatalf("answer %d %q: %s", a.status, a.header.Get("Content-Type"), a.body)
				}
				got := lines(t, a.body)
				if len(got) != n {
					t.Fatalf("exported %d lines, want %d", len(got), n)
				}
				var prev domain.Position
				for i, l := range got {
					e := h.events[i]
					pos, err := domain.ParseCursor(context.Background(), l.Cursor, nil)
					if err != nil || pos != e.Position || (i > 0 && !prev.Less(pos)) {
						t.Fatalf("line %d: cursor %q is %v (%v), want %v after %v", i, l.Cursor, pos, err, e.Position, prev)
					}
					prev = pos
					want := line{
						ID: e.ID, Cursor: e.Cursor(), Provider: string(e.Provider), Type: string(e.Type),
						ProviderEventType: e.ProviderEventType, DedupeKey: e.DedupeKey,
						OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano), ReceivedAt: e.ReceivedAt.UTC().Format(time.RFC3339Nano),
						ConversationID: nullable(e.ConversationID), SubscriptionID: e.SubscriptionID,
						MessageID: nullable(e.MessageID), Reason: nullable(e.Reason), Payload: l.Payload,
					}
					if !reflect.DeepEqual(l, want) {
						gb, _ := json.Marshal(l)
						wb, _ := json.Marshal(want)
						t.Fatalf("line %d:\n%s\nwant\n%s", i, gb, wb)
					}
					// The body is embedded as JSON, byte for byte but for the
					// line breaks that would end the line (the decoder leaves
					// out the whitespace around it).
					if l.Payload[0] != '{' || !sameJSON(t, l.Payload, e.Payload) ||
						string(l.Payload) != strings.TrimSpace(strings.NewReplacer("\n", " ", "\r", " ").Replace(string(e.Payload))) {
						t.Fatalf("line %d payload %s, want the stored body %q", i, l.Payload, e.Payload)
					}
				}
				if got[2].ConversationID == nil || got[2].MessageID == nil || got[3].Reason == nil || *got[3].Reason != "unknown event" {
					t.Fatalf("the seed's conversation, message and reason are missing: %+v %+v", got[2], got[3])
				}
			})
		})
	}
}

// recorder is a ResponseWriter that records what each flush sent.
type recorder struct {
	header  http.Header
	status  int
	buf     bytes.Buffer
	flushes []string
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) Flush() {
	r.flushes = append(r.flushes, r.buf.String())
	r.buf.Reset()
}

// pages records the reads a Handler makes.
type pages struct {
	export.EventReader
	mu    sync.Mutex
	reads []string // "after:limit"
}

func (p *pages) EventsWithin(ctx context.Context, f *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	p.mu.Lock()
	p.reads = append(p.reads, fmt.Sprintf("%s:%d", after, limit))
	p.mu.Unlock()
	return p.EventReader.EventsWithin(ctx, f, after, limit, maxBytes)
}

func TestExportReadsWritesAndFlushesAPageAtATime(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	h := seed(t, store, 8)
	cases := []struct {
		query   string
		reads   []string
		flushed []int // lines per flush
	}{
		{"", []string{":3", h.events[2].Cursor() + ":3", h.events[5].Cursor() + ":3"}, []int{3, 3, 2}},
		{"limit=4", []string{":3", h.events[2].Cursor() + ":1"}, []int{3, 1}},
		{"limit=6", []string{":3", h.events[2].Cursor() + ":3"}, []int{3, 3}},
		// A full last page needs one more read to know it was the last.
		{"after=" + h.events[4].Cursor(), []string{h.events[4].Cursor() + ":3", h.events[7].Cursor() + ":3"}, []int{3, 0}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			reader := &pages{EventReader: store}
			w := &recorder{}
			req := httptest.NewRequest("GET", "/export/events?"+c.query, nil)
			authenticated(&export.Handler{Store: reader, PageSize: 3}).ServeHTTP(w, req)
			if w.status != http.StatusOK || w.buf.Len() != 0 {
				t.Fatalf("status %d, %d bytes left unflushed", w.status, w.buf.Len())
			}
			if !slices.Equal(reader.reads, c.reads) {
				t.Fatalf("reads %v, want %v", reader.reads, c.reads)
			}
			var flushed []int
			for _, f := range w.flushes {
				flushed = append(flushed, strings.Count(f, "\n"))
			}
			if !slices.Equal(flushed, c.flushed) {
				t.Fatalf("lines per flush %v, want %v", flushed, c.flushed)
			}
		})
	}
}

func TestExportFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h := seed(t, store, 12)
		conv, since, until := h.conversationID, t0.Add(3*time.Hour), t0.Add(9*time.Hour)
		cases := []struct {
			query  string
			filter domain.EventFilter
		}{
			{"provider=dixa", domain.EventFilter{Providers: []domain.Provider{domain.ProviderDixa}}},
			{"provider=VOXSIG", domain.EventFilter{Providers: []domain.Provider{domain.ProviderVoxsig}}},
			{"provider=Dixa,voxsig&since=" + since.Format(time.RFC3339), domain.EventFilter{Providers: []domain.Provider{domain.ProviderDixa, domain.ProviderVoxsig}, Since: &since}},
			{"provider=cinnox,dixa", domain.EventFilter{Providers: []domain.Provider{domain.ProviderCINNOX, domain.ProviderDixa}}},
			{"provider=cinnox", domain.EventFilter{Providers: []domain.Provider{domain.ProviderCINNOX}}},
			{"type=note_added&type=OTHER", domain.EventFilter{Types: []domain.EventType{domain.EventNoteAdded, domain.EventOther}}},
			{"type=MESSAGE_CREATED,%20note_added&provider=voxsig", domain.EventFilter{
				Types: []domain.EventType{domain.EventMessageCreated, domain.EventNoteAdded}, Providers: []domain.Provider{domain.ProviderVoxsig}}},
			{"since=" + url.QueryEscape(since.In(time.FixedZone("", 2*3600)).Format(time.RFC3339)), domain.EventFilter{Since: &since}},
			{"until=" + until.Format(time.RFC3339), domain.EventFilter{Until: &until}},
			{"since=" + since.Format(time.RFC3339) + "&until=" + until.Format(time.RFC3339Nano), domain.EventFilter{Since: &since, Until: &until}},
			{"conversationId=" + conv, domain.EventFilter{ConversationID: &conv}},
			{"subscriptionId=" + h.voxsigSub, domain.EventFilter{SubscriptionID: &h.voxsigSub}},
		}
		for _, c := range cases {
			t.Run(c.query, func(t *testing.T) {
				var want []string
				for _, e := range h.events {
					if c.filter.Match(e) {
						want = append(want, e.ID)
					}
				}
				// Only the CINNOX case may match nothing; none may match all.
				cinnox := slices.Equal(c.filter.Providers, []domain.Provider{domain.ProviderCINNOX})
				if cinnox != (len(want) == 0) || len(want) == len(h.events) {
					t.Fatalf("the seed does not exercise the filter: %d of %d events match", len(want), len(h.events))
				}
				a := get(t, &export.Handler{Store: store, PageSize: 2}, c.query)
				if a.status != http.StatusOK {
					t.Fatalf("status %d: %s", a.status, a.body)
				}
				if got := ids(lines(t, a.body)); !slices.Equal(got, want) {
					t.Fatalf("exported %v, want %v", got, want)
				}
			})
		}
	})
}

func TestExportResumesAfterAnyLine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		h := seed(t, store, 7)
		handler := &export.Handler{Store: store, PageSize: 2}
		all := lines(t, get(t, handler, "").body)
		if !slices.Equal(ids(all), eventIDs(h.events)) {
			t.Fatalf("full export %v, want %v", ids(all), eventIDs(h.events))
		}
		for i, l := range all {
			rest := lines(t, get(t, handler, "after="+l.Cursor).body)
			if want := ids(all[i+1:]); !slices.Equal(ids(rest), want) {
				t.Fatalf("after line %d: got %v, want %v", i, ids(rest), want)
			}
		}
		// Filters and a limit combine with a resume, as a client paging by
		// limit does.
		var got []string
		after := ""
		for range 10 {
			page := lines(t, get(t, handler, "provider=dixa&limit=2&after="+after).body)
			if len(page) == 0 {
				break
			}
			got = append(got, ids(page)...)
			after = page[len(page)-1].Cursor
		}
		var want []string
		for _, e := range h.events {
			if e.Provider == domain.ProviderDixa {
				want = append(want, e.ID)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged by limit=2: %v, want %v", got, want)
		}
	})
}

func TestExportLimit(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	h := seed(t, store, 7)
	for _, c := range []struct {
		query string
		want  []*domain.Event
	}{
		{"limit=1", h.events[:1]},
		{"limit=3", h.events[:3]},
		{"limit=4", h.events[:4]},
		{"limit=100", h.events},
		{"limit=2&after=" + h.events[3].Cursor(), h.events[4:6]},
	} {
		t.Run(c.query, func(t *testing.T) {
			a := get(t, &export.Handler{Store: store, PageSize: 3}, c.query)
			if got := ids(lines(t, a.body)); a.status != http.StatusOK || !slices.Equal(got, eventIDs(c.want)) {
				t.Fatalf("status %d, exported %v, want %v", a.status, got, eventIDs(c.want))
			}
		})
	}
}

// unused fails the test if the handler reads the store.
type unused struct{ t *testing.T }

func (u unused) EventsWithin(context.Context, *domain.EventFilter, domain.Position, int, int) ([]*domain.Event, bool, error) {
	u.t.Error("the store was read")
	return nil, false, nil
}

func (u unused) LegacyPosition(context.Context, domain.LegacyCursor) (domain.Position, error) {
	u.t.Error("the store was read")
	return 0, nil
}

func TestExportRefusesBadParametersNamingThem(t *testing.T) {
	cursor := domain.Position(5).String()
	cases := []struct {
		query string
		names string // what the error must mention
	}{
		{"format=csv", "format"},
		{"format=ndjson&format=ndjson", "format"},
		{"after=nonsense", "after"},
		{"after=" + cursor + "&after=" + cursor, "after"},
		{"provider=zendesk", "provider"},
		{"provider=dixa,,voxsig", "provider"},
		{"provider=", "provider"},
		{"type=NOTE", "type"},
		{"type=note_added&type=bogus", "type"},
		{"since=yesterday", "since"},
		{"since=2024-01-31", "since"},
		{"since=2024-01-31T10:00:00+01:00", "%2B"}, // the unencoded '+' arrived as a space
		{"until=2024-13-01T00:00:00Z", "until"},
		{"until=", "until"},
		{"conversationId=", "conversationId"},
		{"subscriptionId=a&subscriptionId=b", "subscriptionId"},
		{"limit=0", "limit"},
		{"limit=-5", "limit"},
		{"limit=ten", "limit"},
		{"limit=99999999999999999999", "limit"},
		{"providers=dixa", "providers"},
		{"after=%zz", "query"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			a := get(t, &export.Handler{Store: unused{t}}, c.query)
			var body struct{ Error string }
			if err := json.Unmarshal(a.body, &body); err != nil {
				t.Fatalf("answer is not JSON: %q", a.body)
			}
			if a.status != http.StatusBadRequest || a.header.Get("Content-Type") != "application/json" || !strings.Contains(body.Error, c.names) {
				t.Fatalf("got %d %q, want 400 naming %q", a.status, body.Error, c.names)
			}
		})
	}
}

func TestExportRefusesARequestWithoutIdentity(t *testing.T) {
	// As when the handler is mounted without auth, or behind auth that lets
	// websocket upgrades through to authenticate later.
	srv := httptest.NewServer(&export.Handler{Store: unused{t}})
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/export/events?format=csv", nil)
	req.Header.Set("Upgrade", "websocket")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" || !bytes.Contains(body, []byte(`"error"`)) {
		t.Fatalf("got %d %s, want 401", res.StatusCode, body)
	}
}

func TestExportOfAnEmptyHistoryIsAnEmptyBody(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.DB) {
		for _, query := range []string{"", "format=ndjson&provider=dixa&type=NOTE_ADDED&since=2024-01-01T00:00:00Z&limit=10"} {
			a := get(t, &export.Handler{Store: store}, query)
			if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/x-ndjson" || len(a.body) != 0 {
				t.Fatalf("%q: answer %d %q %q", query, a.status, a.header.Get("Content-Type"), a.body)
			}
		}
	})
}

func TestExportHeadReadsNothing(t *testing.T) {
	srv := httptest.NewServer(authenticated(&export.Handler{Store: unused{t}}))
	defer srv.Close()
	res, err := http.Head(srv.URL + "/export/events?provider=dixa")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("HEAD: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestExportOfAStoreDownIsA503(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	seed(t, store, 3)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	a := get(t, &export.Handler{Store: store}, "")
	var body struct{ Error string }
	if err := json.Unmarshal(a.body, &body); err != nil || a.status != http.StatusServiceUnavailable ||
		a.header.Get("Retry-After") == "" || !strings.Contains(body.Error, "unavailable") {
		t.Fatalf("got %d %q Retry-After %q, want 503 JSON", a.status, a.body, a.header.Get("Retry-After"))
	}
}

// failing fails its read number failOn, as a store that goes down
// mid-export does.
type failing struct {
	export.EventReader
	mu     sync.Mutex
	reads  int
	failOn int
}

func (f *failing) EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	f.mu.Lock()
	f.reads++
	fail := f.reads == f.failOn
	f.mu.Unlock()
	if fail {
		return nil, false, domain.Unavailable("the store is unavailable; retry later", errors.New("read events: connection reset by 10.0.0.7"))
	}
	return f.EventReader.EventsWithin(ctx, filter, after, limit, maxBytes)
}

func TestExportCutShortEndsWithWhereToResume(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	h := seed(t, store, 8)
	a := get(t, &export.Handler{Store: &failing{EventReader: store, failOn: 3}, PageSize: 3}, "")
	got := lines(t, a.body)
	if a.status != http.StatusOK || len(got) != 7 {
		t.Fatalf("status %d, %d lines, want 200 with two pages and an error line:\n%s", a.status, len(got), a.body)
	}
	end := got[6]
	if end.Error == "" || strings.Contains(end.Error, "10.0.0.7") || end.ResumeAfter == nil || *end.ResumeAfter != got[5].Cursor {
		t.Fatalf("last line %+v, want a client-safe error and resumeAfter %q", end, got[5].Cursor)
	}
	rest := lines(t, get(t, &export.Handler{Store: store, PageSize: 3}, "after="+*end.ResumeAfter).body)
	if all := append(ids(got[:6]), ids(rest)...); !slices.Equal(all, eventIDs(h.events)) {
		t.Fatalf("cut short and resumed: %v, want %v", all, eventIDs(h.events))
	}
}

// blocking serves its first read from the store, then waits for the
// request to end.
type blocking struct {
	export.EventReader
	reads     int
	blocked   chan struct{}
	cancelled chan struct{}
}

func (b *blocking) EventsWithin(ctx context.Context, filter *domain.EventFilter, after domain.Position, limit, maxBytes int) ([]*domain.Event, bool, error) {
	b.reads++
	if b.reads == 1 {
		return b.EventReader.EventsWithin(ctx, filter, after, limit, maxBytes)
	}
	if b.blocked != nil {
		close(b.blocked)
	}
	select {
	case <-ctx.Done():
		close(b.cancelled)
		return nil, false, domain.Unavailable("the store is unavailable; retry later", ctx.Err())
	case <-time.After(60 * time.Second):
		return nil, false, errors.New("the request was not cancelled")
	}
}

func TestExportStopsWhenTheClientGoesAway(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	seed(t, store, 5)
	reader := &blocking{EventReader: store, blocked: make(chan struct{}), cancelled: make(chan struct{})}
	// The request's context is what net/http cancels when the client
	// hangs up; cancelling it here makes the test independent of how soon
	// a socket close is noticed.
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := httptest.NewRequest("GET", "/export/events", nil).WithContext(reqCtx)
	rec := httptest.NewRecorder()
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		authenticated(&export.Handler{Store: reader, PageSize: 2}).ServeHTTP(rec, req)
	}()
	select {
	case <-reader.blocked:
	case <-time.After(30 * time.Second):
		t.Fatal("the export never asked for its second page")
	}
	cancel()
	for name, ch := range map[string]chan struct{}{"the store read was not cancelled": reader.cancelled, "the handler did not return": returned} {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatal(name)
		}
	}
	// The first page was flushed before the second was asked for.
	if first, _, _ := strings.Cut(rec.Body.String(), "\n"); !strings.Contains(first, `"cursor"`) || !rec.Flushed {
		t.Fatalf("first line %q, flushed %v", first, rec.Flushed)
	}
}
