// Package adapterstest is the contract every provider adapter passes. The
// four adapters translate very different payloads, but ingest, the store and
// the GraphQL layer rely on the same promises from each of them; checking
// those promises once, here, keeps the adapters from drifting apart.
//
// The checks are plain functions returning errors (Check, CheckParse,
// CheckEvents) so that fuzz targets can reuse them and so that this
// package's own tests can prove each check fails on a broken adapter; Run
// only reports what they find.
package adapterstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/adapters"
	"github.com/helpdesk-gateway/gateway/domain"
)

// Sample is one valid delivery of a provider: a body the provider really
// sends and the headers it comes with.
type Sample struct {
	Name   string
	Body   []byte
	Header http.Header
}

// ReceivedAt is the receive time the suite puts on every request. It is a
// fixed, unremarkable instant so that an adapter which ignores the request's
// time (and uses the clock) is caught.
var ReceivedAt = time.Date(2024, time.March, 4, 5, 6, 7, 0, time.UTC)

// MaxKeyLen bounds DedupeKey and ExternalID. Both end up in unique B-tree
// indexes, and PostgreSQL refuses index rows over about 2.7 kB: a provider
// that sends a huge id must not make every redelivery fail with a 500.
const MaxKeyLen = 512

// wrongSecret is a secret no sample is signed with.
const wrongSecret = "adapterstest-not-the-secret"

// maxProblems keeps one broken adapter from burying the test log: after
// this many problems for a sample the rest are counted, not listed.
const maxProblems = 40

// Run checks a against the contract, once per sample and once per garbled
// variant of each sample (see Variants). samples must be valid deliveries.
func Run(t *testing.T, a adapters.Adapter, samples []Sample) {
	t.Helper()
	if len(samples) == 0 {
		t.Fatal("adapterstest.Run: no samples: the contract can only be checked against real deliveries")
	}
	if !a.Provider().IsValid() {
		t.Errorf("Provider() = %q, not a known domain.Provider", a.Provider())
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			for _, p := range Check(a, s) {
				t.Error(p)
			}
		})
	}
}

// Check returns every way a breaks the contract on sample s and on its
// variants: Parse accepts s and gives valid, stable events; Verify accepts
// anything with the secret "", never panics, and refuses an unsigned
// delivery when the provider always signs; every variant either gets an
// EINVALID error or valid events.
func Check(a adapters.Adapter, s Sample) []error {
	var probs []error
	add := func(err error) {
		if err != nil {
			probs = append(probs, err)
		}
	}
	if !json.Valid(s.Body) {
		add(fmt.Errorf("sample %q is not valid JSON: fix the sample, Parse is only ever given JSON", s.Name))
	} else {
		add(CheckParse(a, newRequest(s.Header, s.Body), true))
	}
	add(checkVerify(a, s))
	for _, v := range Variants(s) {
		if err := CheckParse(a, newRequest(s.Header, v.Body), false); err != nil {
			add(fmt.Errorf("variant %s (body %s): %w", v.Name, abbreviate(v.Body), err))
		}
	}
	if len(probs) > maxProblems {
		n := len(probs) - maxProblems
		probs = append(probs[:maxProblems], fmt.Errorf("... and %d more problems", n))
	}
	return probs
}

func newRequest(h http.Header, body []byte) *adapters.Request {
	if h == nil {
		h = http.Header{}
	}
	return &adapters.Request{Header: h.Clone(), Body: bytes.Clone(body), ReceivedAt: ReceivedAt}
}

func checkVerify(a adapters.Adapter, s Sample) error {
	var errs []error
	if err, crash := verify(a, newRequest(s.Header, s.Body), ""); crash != nil {
		errs = append(errs, fmt.Errorf(`Verify with secret "": %w`, crash))
	} else if err != nil {
		errs = append(errs, fmt.Errorf(`Verify with secret "" = %v, want nil: no secret means no signature check`, err))
	}
	if err, crash := verify(a, newRequest(s.Header, s.Body), wrongSecret); crash != nil {
		errs = append(errs, fmt.Errorf("Verify with a wrong secret: %w", crash))
	} else if err != nil && domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		errs = append(errs, fmt.Errorf("Verify with a wrong secret: error code %q, want %q: %v",
			domain.ErrorCode(err), domain.EUNAUTHORIZED, err))
	}
	if a.SignsDeliveries() {
		unsigned := newRequest(nil, s.Body)
		if err, crash := verify(a, unsigned, wrongSecret); crash != nil {
			errs = append(errs, fmt.Errorf("Verify of an unsigned delivery: %w", crash))
		} else if domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			errs = append(errs, fmt.Errorf("Verify of an unsigned delivery with a secret = %v, want an %q error: the provider always signs",
				err, domain.EUNAUTHORIZED))
		}
	}
	return errors.Join(errs...)
}

func verify(a adapters.Adapter, req *adapters.Request, secret string) (err, crash error) {
	defer func() {
		if r := recover(); r != nil {
			crash = fmt.Errorf("panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return a.Verify(req, secret), nil
}

type outcome struct {
	res     *adapters.Result
	err     error
	crash   error
	mutated bool
}

// parse calls a.Parse on a private copy of req so that the caller's body
// stays a trustworthy reference for the Payload and mutation checks.
func parse(a adapters.Adapter, req *adapters.Request) (o outcome) {
	in := *req
	in.Header = req.Header.Clone()
	in.Body = bytes.Clone(req.Body)
	defer func() {
		if r := recover(); r != nil {
			o.crash = fmt.Errorf("Parse panicked: %v\n%s", r, debug.Stack())
		}
		o.mutated = !bytes.Equal(in.Body, req.Body)
	}()
	o.res, o.err = a.Parse(&in)
	return o
}

// CheckParse parses req with a twice and returns what breaks the contract:
// a panic; an error when valid says req is a valid delivery, or an error
// whose domain code is not EINVALID; a result with neither events nor a
// Reply (a delivery is never silently dropped); events CheckEvents refuses;
// dedupe keys that differ between the two parses, which would let a
// redelivery be stored twice.
func CheckParse(a adapters.Adapter, req *adapters.Request, valid bool) error {
	first := parse(a, req)
	if first.crash != nil {
		return first.crash
	}
	var errs []error
	if first.mutated {
		errs = append(errs, errors.New("Parse modified the request body it was given"))
	}
	if first.err != nil {
		switch {
		case valid:
			errs = append(errs, fmt.Errorf("Parse refused a valid delivery: %v", first.err))
		case domain.ErrorCode(first.err) != domain.EINVALID:
			errs = append(errs, fmt.Errorf("Parse error code %q, want %q: %v",
				domain.ErrorCode(first.err), domain.EINVALID, first.err))
		}
		return errors.Join(errs...)
	}
	res := first.res
	if res == nil {
		return errors.Join(append(errs, errors.New("Parse returned a nil Result and no error"))...)
	}
	switch {
	case res.Reply != nil && len(res.Events) > 0:
		errs = append(errs, fmt.Errorf("Parse returned a Reply and %d events: a reply stores no event", len(res.Events)))
	case res.Reply == nil && len(res.Events) == 0:
		errs = append(errs, errors.New("Parse returned no events and no Reply: a delivery must never be dropped, keep it as OTHER"))
	}
	if err := CheckEvents(a.Provider(), req, res.Events); err != nil {
		errs = append(errs, err)
	}

	second := parse(a, req)
	switch {
	case second.crash != nil:
		errs = append(errs, fmt.Errorf("second parse of the same body: %w", second.crash))
	case second.err != nil:
		errs = append(errs, fmt.Errorf("second parse of the same body failed where the first succeeded: %v", second.err))
	case second.res == nil:
		errs = append(errs, errors.New("second parse of the same body returned a nil Result"))
	default:
		k1, k2 := dedupeKeys(res.Events), dedupeKeys(second.res.Events)
		if !slices.Equal(k1, k2) {
			errs = append(errs, fmt.Errorf("DedupeKeys differ between two parses of the same body, so a redelivery would be stored twice: %q then %q", k1, k2))
		}
	}
	return errors.Join(errs...)
}

func dedupeKeys(events []*domain.Event) []string {
	keys := make([]string, 0, len(events))
	for _, e := range events {
		if e != nil {
			keys = append(keys, e.DedupeKey)
		}
	}
	return keys
}

// CheckEvents returns an error naming every field of events that breaks the
// contract for a delivery of req by provider p. Fields the contract does not
// mention (ID, Position, SubscriptionID) are left to ingest and the store.
//
// The facts for the projections (Conversation, Message, Contacts) are held
// only to what the store needs to keep them: ids present, short and
// storable; enums valid; people of p with the role their place implies;
// gateway ids (ConversationID, MessageID, Message.ID, Person.ID, ...) left
// to the store.
// Everything else may be empty, since thin providers send little more than
// ids: a Message with only its ExternalID passes.
func CheckEvents(p domain.Provider, req *adapters.Request, events []*domain.Event) error {
	if req == nil {
		req = &adapters.Request{}
	}
	var errs []error
	seen := make(map[string]int, len(events))
	for i, e := range events {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("event %d: %s", i, fmt.Sprintf(format, args...)))
		}
		if e == nil {
			bad("is nil")
			continue
		}
		if e.Provider != p {
			bad("Provider = %q, want %q", e.Provider, p)
		}
		if !e.Type.IsValid() {
			bad("Type = %q, not a domain.EventType", e.Type)
		}
		if e.ProviderEventType == "" {
			bad("ProviderEventType is empty: keep the provider's name, or a placeholder such as \"unknown\"")
		}
		checkTime(bad, "OccurredAt", e.OccurredAt)
		checkTime(bad, "ReceivedAt", e.ReceivedAt)
		if !req.ReceivedAt.IsZero() && !e.ReceivedAt.IsZero() && !e.ReceivedAt.Equal(req.ReceivedAt) {
			bad("ReceivedAt = %s, want the request's %s", e.ReceivedAt.Format(time.RFC3339Nano), req.ReceivedAt.Format(time.RFC3339Nano))
		}
		switch {
		case e.DedupeKey == "":
			bad("DedupeKey is empty")
		case len(e.DedupeKey) > MaxKeyLen:
			bad("DedupeKey is %d bytes, more than %d: hash long ids", len(e.DedupeKey), MaxKeyLen)
		default:
			if j, dup := seen[e.DedupeKey]; dup {
				bad("duplicate DedupeKey %q (also event %d): the store would drop one of them", e.DedupeKey, j)
			}
			seen[e.DedupeKey] = i
		}
		if !bytes.Equal(e.Payload, req.Body) {
			bad("Payload differs from the body (%d bytes vs %d): it must be the body byte for byte", len(e.Payload), len(req.Body))
		}
		text := map[string]string{"ProviderEventType": e.ProviderEventType, "DedupeKey": e.DedupeKey, "Reason": e.Reason}
		if c := e.Conversation; c != nil {
			switch {
			case c.ExternalID == "":
				bad("Conversation.ExternalID is empty: an update must name its conversation")
			case len(c.ExternalID) > MaxKeyLen:
				bad("Conversation.ExternalID is %d bytes, more than %d", len(c.ExternalID), MaxKeyLen)
			}
			if !c.Kind.IsValid() {
				bad("Conversation.Kind = %q, not a domain.ConversationKind", c.Kind)
			}
			if c.Status != "" && !c.Status.IsValid() {
				bad("Conversation.Status = %q, neither \"\" (unchanged) nor a domain.ConversationStatus", c.Status)
			}
			if !c.CreatedAt.IsZero() {
				checkTime(bad, "Conversation.CreatedAt", c.CreatedAt)
			}
			checkKey(bad, "Conversation.Account", c.Account, false)
			text["Conversation.ExternalID"] = c.ExternalID
			text["Conversation.ProviderStatus"] = c.ProviderStatus
			text["Conversation.Channel"] = c.Channel
			text["Conversation.Subject"] = c.Subject
			if c.Requester != nil {
				checkPerson(bad, text, "Conversation.Requester", c.Requester, p)
				if c.Requester.Role != domain.RoleContact {
					bad("Conversation.Requester.Role = %q, want %q: the requester is the customer", c.Requester.Role, domain.RoleContact)
				}
			}
			if c.Assignee != nil {
				checkPerson(bad, text, "Conversation.Assignee", c.Assignee, p)
				if c.Assignee.Role != domain.RoleAgent {
					bad("Conversation.Assignee.Role = %q, want %q: conversations are assigned to agents", c.Assignee.Role, domain.RoleAgent)
				}
				if c.Unassigned {
					bad("Conversation.Assignee is set and Unassigned is true: an event cannot both assign and unassign")
				}
			}
			if len(c.Tags) > 0 && !c.TagsKnown {
				bad("Conversation.Tags is set but TagsKnown is false: the store ignores Tags unless they are the whole set")
			}
			checkTags(bad, "Conversation.Tags", c.Tags)
			checkTags(bad, "Conversation.TagsAdded", c.TagsAdded)
			checkTags(bad, "Conversation.TagsRemoved", c.TagsRemoved)
		}
		if e.ConversationID != "" {
			bad("ConversationID = %q: leave it empty, the store derives it from the conversation update", e.ConversationID)
		}
		if e.MessageID != "" {
			bad("MessageID = %q: leave it empty, the store derives it from the message", e.MessageID)
		}
		if m := e.Message; m != nil {
			checkKey(bad, "Message.ExternalID", m.ExternalID, true)
			if m.Direction != "" && !m.Direction.IsValid() {
				bad("Message.Direction = %q, neither \"\" (unknown) nor a domain.MessageDirection", m.Direction)
			}
			if m.ID != "" || m.ConversationID != "" || m.AuthorID != "" {
				bad("Message.ID, ConversationID, AuthorID = %q, %q, %q: leave them empty, the store derives them", m.ID, m.ConversationID, m.AuthorID)
			}
			if !m.CreatedAt.IsZero() {
				checkTime(bad, "Message.CreatedAt", m.CreatedAt)
			}
			if m.Author != nil {
				checkPerson(bad, text, "Message.Author", m.Author, p)
			}
			text["Message.Content"] = m.Content
			text["Message.ContentType"] = m.ContentType
		}
		for j, c := range e.Contacts {
			name := fmt.Sprintf("Contacts[%d]", j)
			if c == nil {
				bad("%s is nil", name)
				continue
			}
			checkPerson(bad, text, name, c, p)
		}
		names := make([]string, 0, len(text))
		for name := range text {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if s := text[name]; !storable(s) {
				bad("%s = %q is not storable text: it must be valid UTF-8 without NUL bytes", name, abbreviate([]byte(s)))
			}
		}
	}
	return errors.Join(errs...)
}

// checkKey insists on an id the store can index: ids sit in unique
// B-tree indexes (directly, or as part of one), so they must be storable
// and short. required says whether "" breaks the contract.
func checkKey(bad func(string, ...any), name, id string, required bool) {
	switch {
	case id == "" && required:
		bad("%s is empty", name)
	case len(id) > MaxKeyLen:
		bad("%s is %d bytes, more than %d: hash long ids", name, len(id), MaxKeyLen)
	case !storable(id):
		bad("%s = %q is not storable text: it must be valid UTF-8 without NUL bytes", name, abbreviate([]byte(id)))
	}
}

// checkPerson checks one contact or agent and adds its text fields to
// text, under name, for the storable check.
func checkPerson(bad func(string, ...any), text map[string]string, name string, p *domain.Person, provider domain.Provider) {
	checkKey(bad, name+".ExternalID", p.ExternalID, true)
	checkKey(bad, name+".Account", p.Account, false)
	if !p.Role.IsValid() {
		bad("%s.Role = %q, not a domain.PersonRole", name, p.Role)
	}
	if p.Provider != provider {
		bad("%s.Provider = %q, want %q", name, p.Provider, provider)
	}
	if p.ID != "" {
		bad("%s.ID = %q: leave it empty, the store derives it", name, p.ID)
	}
	text[name+".Name"] = p.Name
	text[name+".FirstName"] = p.FirstName
	text[name+".LastName"] = p.LastName
	text[name+".Email"] = p.Email
	text[name+".Phone"] = p.Phone
	text[name+".Company"] = p.Company
	text[name+".AvatarURL"] = p.AvatarURL
	for i, e := range p.Emails {
		text[fmt.Sprintf("%s.Emails[%d]", name, i)] = e
	}
	for i, ph := range p.Phones {
		text[fmt.Sprintf("%s.Phones[%d].Number", name, i)] = ph.Number
		if !ph.Kind.IsValid() {
			bad("%s.Phones[%d].Kind = %q, not a domain.PhoneKind", name, i, ph.Kind)
		}
	}
}

// checkTags insists on tags the store can keep: a tag is a name, so an
// empty one is a parsing slip, and the names are stored as text.
func checkTags(bad func(string, ...any), name string, tags []string) {
	for i, t := range tags {
		switch {
		case t == "":
			bad("%s[%d] is empty: skip tags without a name", name, i)
		case !storable(t):
			bad("%s[%d] = %q is not storable text: it must be valid UTF-8 without NUL bytes", name, i, abbreviate([]byte(t)))
		}
	}
}

// checkTime insists on a time that every layer can write: the zero time
// means "not set", and encoding/json (so GraphQL and the export) refuses
// years outside 0..9999.
func checkTime(bad func(string, ...any), name string, t time.Time) {
	switch {
	case t.IsZero():
		bad("%s is zero", name)
	case t.Year() < 1 || t.Year() > 9999:
		bad("%s = %s is outside the years 1..9999 that JSON and SQL can hold", name, t)
	}
}

// storable reports whether PostgreSQL can keep s in a text column: it
// refuses invalid UTF-8 and NUL bytes, which a JSON "\u0000" easily brings.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func abbreviate(b []byte) string {
	const n = 80
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + fmt.Sprintf("...(%d bytes)", len(b))
}

// weird is a string that trips careless code: a NUL byte (refused by
// PostgreSQL text), markup, quotes, a non-BMP rune, and length enough to
// break a naive key or index.
var weird = "\x00<b>\"'\\ \u2603 \U0001F600 " + strings.Repeat("z", 600)

// Variants returns well-formed JSON bodies derived from s that a provider
// would never send: fixed wrong shapes, s with every string, number or
// object replaced, and s with each field near the top deleted, nulled or
// given a wrong type. Truncated bodies are not among them: Parse is only
// ever given valid JSON, ingest refuses the rest before.
func Variants(s Sample) []Sample {
	out := []Sample{
		{Name: "empty-object", Body: []byte(`{}`)},
		{Name: "empty-array", Body: []byte(`[]`)},
		{Name: "string", Body: []byte(`"x"`)},
		{Name: "null", Body: []byte(`null`)},
		{Name: "number", Body: []byte(`-0.5e3`)},
		{Name: "huge-number", Body: []byte(`1e400`)},
		{Name: "bool", Body: []byte(`true`)},
		{Name: "data-null", Body: []byte(`{"data":null}`)},
		{Name: "data-empty", Body: []byte(`{"data":{}}`)},
		{Name: "data-array", Body: []byte(`{"data":[]}`)},
		{Name: "data-string", Body: []byte(`{"data":"x"}`)},
		{Name: "array-of-empty", Body: []byte(`[{},null,[]]`)},
		{Name: "empty-key", Body: []byte(`{"":""}`)},
		{Name: "deep", Body: []byte(strings.Repeat(`{"a":[`, 64) + strings.Repeat(`]}`, 64))},
	}
	doc, ok := decode(s.Body)
	if !ok {
		return out
	}
	leaf := func(name string, f func(any) any) {
		out = append(out, variant(name, mapLeaves(doc, f)))
	}
	leaf("strings=x", func(v any) any { return ifString(v, "x") })
	leaf("strings=empty", func(v any) any { return ifString(v, "") })
	leaf("strings=weird", func(v any) any { return ifString(v, weird) })
	leaf("strings=number", func(v any) any { return ifString(v, json.Number("18446744073709551616")) })
	leaf("numbers=string", func(v any) any {
		if n, ok := v.(json.Number); ok {
			return string(n)
		}
		return v
	})
	leaf("numbers=huge", func(v any) any {
		if _, ok := v.(json.Number); ok {
			return json.Number("-1e400")
		}
		return v
	})
	leaf("numbers=fraction", func(v any) any {
		if _, ok := v.(json.Number); ok {
			return json.Number("0.5")
		}
		return v
	})
	leaf("scalars=null", func(any) any { return nil })
	out = append(out, variant("objects=arrays", objectsToArrays(doc, true)))
	out = append(out, variant("wrapped-in-array", []any{doc}))
	out = append(out, variant("wrapped-in-data", map[string]any{"data": doc}))

	for _, p := range paths(doc, nil, 3) {
		name := pathName(p)
		for _, r := range []struct {
			label string
			value any
			del   bool
		}{
			{label: "deleted", del: true},
			{label: "null"},
			{label: "string", value: "x"},
			{label: "number", value: json.Number("-7")},
			{label: "object", value: map[string]any{}},
			{label: "array", value: []any{}},
		} {
			fresh, _ := decode(s.Body) // a fresh copy: setPath changes it in place
			out = append(out, variant(name+"="+r.label, setPath(fresh, p, r.value, r.del)))
		}
	}
	return out
}

func decode(body []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber() // keeps 1e400 and big ids as they are
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

func variant(name string, v any) Sample {
	b, err := json.Marshal(v)
	if err != nil {
		// Only values decode produced or this file built get here, and
		// all of them marshal; an empty object keeps the variant valid JSON.
		b = []byte(`{}`)
	}
	return Sample{Name: name, Body: b}
}

func ifString(v, repl any) any {
	if _, ok := v.(string); ok {
		return repl
	}
	return v
}

func mapLeaves(v any, f func(any) any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = mapLeaves(e, f)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = mapLeaves(e, f)
		}
		return l
	default:
		return f(v)
	}
}

// objectsToArrays keeps the root object (so the body still looks like an
// envelope) and turns every object under it into the array of its values.
func objectsToArrays(v any, root bool) any {
	switch x := v.(type) {
	case map[string]any:
		keys := sortedKeys(x)
		if root {
			m := make(map[string]any, len(x))
			for _, k := range keys {
				m[k] = objectsToArrays(x[k], false)
			}
			return m
		}
		l := make([]any, 0, len(x))
		for _, k := range keys {
			l = append(l, objectsToArrays(x[k], false))
		}
		return l
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = objectsToArrays(e, false)
		}
		return l
	default:
		return v
	}
}

// paths lists the object keys down to depth, in a stable order, entering
// the first element of arrays so that list items are garbled too.
func paths(v any, prefix []any, depth int) [][]any {
	if depth == 0 {
		return nil
	}
	var out [][]any
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			p := append(slices.Clone(prefix), k)
			out = append(out, p)
			out = append(out, paths(x[k], p, depth-1)...)
		}
	case []any:
		if len(x) > 0 {
			p := append(slices.Clone(prefix), 0)
			out = append(out, p)
			out = append(out, paths(x[0], p, depth-1)...)
		}
	}
	return out
}

func pathName(p []any) string {
	var b strings.Builder
	for i, s := range p {
		switch k := s.(type) {
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}

// setPath sets (or deletes) the value at p inside doc, which it changes in
// place, and returns doc.
func setPath(doc any, p []any, value any, del bool) any {
	if len(p) == 0 {
		return value
	}
	switch x := doc.(type) {
	case map[string]any:
		k, _ := p[0].(string)
		if len(p) == 1 {
			if del {
				delete(x, k)
			} else {
				x[k] = value
			}
			return x
		}
		x[k] = setPath(x[k], p[1:], value, del)
	case []any:
		i, _ := p[0].(int)
		if i >= len(x) {
			return x
		}
		if len(p) == 1 {
			if del {
				return slices.Delete(x, i, i+1)
			}
			x[i] = value
			return x
		}
		x[i] = setPath(x[i], p[1:], value, del)
	}
	return doc
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
