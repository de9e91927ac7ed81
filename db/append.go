package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-gateway/gateway/domain"
	"github.com/jackc/pgx/v5/pgconn"
)

// AppendDeliveries stores the deliveries in one transaction: each event is
// appended unless an event with its provider and dedupe key is already
// stored (or comes earlier in the same batch), the projections are updated,
// and each delivery's log entry is written. It is all or nothing: on error
// nothing is stored.
//
// A batch costs a constant number of statements whatever its size: the
// events, people, conversations, messages and log entries are each written
// by one set-based statement on PostgreSQL (on SQLite, which has no round
// trips, by one prepared statement run per row). Sharing one transaction
// among many deliveries is what makes ingest fast: the commit, not the
// statements, is the cost of durability.
func (db *DB) AppendDeliveries(ctx context.Context, ds []*domain.Delivery) ([]domain.DeliveryResult, error) {
	results := make([]domain.DeliveryResult, len(ds))
	var events []*domain.Event
	owner := map[*domain.Event]int{}
	seen := map[dedupeKey]bool{}
	for i, d := range ds {
		for _, e := range d.Events {
			deriveIDs(e)
			k, fact := dedupeKey{e.Provider, e.DedupeKey}, dedupeKey{e.Provider, "\x00fact\x00" + e.FactKey}
			if seen[k] || (e.FactKey != "" && seen[fact]) {
				// A redelivery racing its first delivery into the same
				// batch, or the same fact delivered the other way.
				continue
			}
			seen[k] = true
			if e.FactKey != "" {
				seen[fact] = true
			}
			owner[e] = i
			events = append(events, e)
		}
	}
	err := db.write(ctx, func(w writer) error {
		appended, err := appendEvents(ctx, w, events)
		if err != nil {
			return err
		}
		for i := range results {
			results[i] = domain.DeliveryResult{}
		}
		for _, e := range appended {
			results[owner[e]].Appended = append(results[owner[e]].Appended, e)
		}
		logs := make([]*domain.DeliveryLog, len(ds))
		for i, d := range ds {
			results[i].Duplicates = len(d.Events) - len(results[i].Appended)
			if len(d.Events) > 0 {
				// Set both ways: a batch retried after a failure runs this again.
				d.Log.Outcome = domain.OutcomeAccepted
				if results[i].Duplicates == len(d.Events) {
					d.Log.Outcome = domain.OutcomeDuplicate
				}
			}
			logs[i] = &d.Log
		}
		if err := w.insertLogs(ctx, logs); err != nil {
			return fmt.Errorf("log deliveries: %w", err)
		}
		return nil
	})
	if err != nil {
		// Positions handed out inside a rolled-back transaction mean nothing.
		for _, d := range ds {
			for _, e := range d.Events {
				e.Position = 0
			}
		}
		return nil, storeError(fmt.Errorf("append deliveries: %w", err))
	}
	return results, nil
}

// AppendEvent appends one event the gateway writes of its own accord, with
// no delivery behind it: no delivery log, no deduplication beyond its own
// dedupe key.
func (db *DB) AppendEvent(ctx context.Context, e *domain.Event) error {
	err := db.write(ctx, func(w writer) error {
		_, err := appendEvents(ctx, w, []*domain.Event{e})
		return err
	})
	if err != nil {
		e.Position = 0
		return storeError(fmt.Errorf("append event: %w", err))
	}
	return nil
}

// dataError reports whether PostgreSQL refused a value itself (SQLSTATE
// class 22, such as a NUL character in text): the delivery is at fault, and
// sending it again cannot succeed.
func dataError(err error) (string, bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && strings.HasPrefix(pg.Code, "22") {
		return pg.Message, true
	}
	return "", false
}

type dedupeKey struct {
	provider domain.Provider
	key      string
}

// writer is one write transaction of a dialect. Its first call, lockHead,
// takes the history's write lock, which the transaction holds until it
// ends: every transaction that appends events or changes projections goes
// through a writer, so they run one after another and never deadlock.
type writer interface {
	// lockHead takes the write lock and returns the newest position
	// handed out.
	lockHead(ctx context.Context) (domain.Position, error)
	// insertEvents inserts the events, whose positions are set, except
	// those whose dedupe key or fact key is taken, and returns the
	// positions inserted and the stored conversations among
	// conversationIDs (read in the same round trip, which the projection
	// of the events needs next).
	insertEvents(ctx context.Context, events []*domain.Event, conversationIDs []string) (map[domain.Position]bool, map[string]*domain.Conversation, error)
	// conversations returns the stored conversations among ids, by id.
	conversations(ctx context.Context, ids []string) (map[string]*domain.Conversation, error)
	upsertPeople(ctx context.Context, people []*personChange) error
	saveConversations(ctx context.Context, cs []*domain.Conversation) error
	upsertMessages(ctx context.Context, ms []*messageChange) error
	insertLogs(ctx context.Context, logs []*domain.DeliveryLog) error
	// setHead records head as the newest position handed out and, on
	// PostgreSQL, announces it on NotifyChannel at commit.
	setHead(ctx context.Context, head domain.Position) error
}

// write runs f in one write transaction.
func (db *DB) write(ctx context.Context, f func(w writer) error) error {
	if db.dialect == Postgres {
		return db.writePostgres(ctx, f)
	}
	return db.writeSQLite(ctx, f)
}

// appendEvents appends the events that are not stored yet, in order, and
// projects them; it returns those it appended, with their positions.
func appendEvents(ctx context.Context, w writer, events []*domain.Event) ([]*domain.Event, error) {
	head, err := w.lockHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock the history: %w", err)
	}
	if len(events) == 0 {
		return nil, nil
	}
	for i, e := range events {
		e.Position = head + domain.Position(i+1)
	}
	inserted, conversations, err := w.insertEvents(ctx, events, conversationsOf(events))
	if err != nil {
		return nil, fmt.Errorf("append events: %w", err)
	}
	var appended []*domain.Event
	for _, e := range events {
		if inserted[e.Position] {
			appended = append(appended, e)
		} else {
			e.Position = 0
		}
	}
	if len(appended) == 0 {
		return nil, nil
	}
	if err := project(ctx, w, appended, conversations); err != nil {
		return nil, err
	}
	// The positions of duplicates after the last appended event were never
	// stored: the next transaction hands them out again.
	if err := w.setHead(ctx, appended[len(appended)-1].Position); err != nil {
		return nil, fmt.Errorf("advance the head of the history: %w", err)
	}
	return appended, nil
}

// project applies appended events, in position order, to the projections:
// the changes of the whole batch are merged in memory per person,
// conversation and message, then each kind is written at once, in the
// order the batch first names them (which orders new rows as they arrived).
// The write lock that every writer holds makes deadlocks impossible, in
// whatever order the rows are written.
//
// stored holds the stored conversations the events name, or is nil to
// have them read.
func project(ctx context.Context, w writer, events []*domain.Event, stored map[string]*domain.Conversation) error {
	people := ordered[personChange]{}
	messages := ordered[messageChange]{}
	for _, e := range events {
		named := append([]*domain.Person{}, e.Contacts...)
		if u := e.Conversation; u != nil {
			named = append(named, u.Requester, u.Assignee)
		}
		if m := e.Message; m != nil {
			named = append(named, m.Author)
		}
		for _, p := range named {
			if p != nil {
				foldPerson(&people, p, factTime(p, e), e.Type == domain.EventContactDeleted || p.Deleted)
			}
		}
		if e.MessageID != "" {
			foldMessage(&messages, e)
		}
	}
	var conversations []*domain.Conversation
	if conversationIDs := conversationsOf(events); len(conversationIDs) > 0 {
		if stored == nil {
			var err error
			if stored, err = w.conversations(ctx, conversationIDs); err != nil {
				return fmt.Errorf("read conversations: %w", err)
			}
		}
		for _, e := range events {
			if e.ConversationID == "" {
				continue
			}
			u := e.Conversation
			c := stored[e.ConversationID]
			if c == nil {
				c = domain.NewConversation(e.Provider, u, e.OccurredAt)
				stored[e.ConversationID] = c
			}
			requester, assignee := "", ""
			if u.Requester != nil {
				requester = u.Requester.ID
			}
			if u.Assignee != nil {
				assignee = u.Assignee.ID
			}
			c.Apply(u, domain.Stamp{At: e.OccurredAt, Pos: e.Position}, requester, assignee)
		}
		for _, id := range conversationIDs {
			conversations = append(conversations, stored[id])
		}
	}
	// People first, so the conversations and messages can point at them.
	if len(people.list) > 0 {
		if err := w.upsertPeople(ctx, people.list); err != nil {
			return fmt.Errorf("update people: %w", err)
		}
	}
	if len(conversations) > 0 {
		if err := w.saveConversations(ctx, conversations); err != nil {
			return fmt.Errorf("update conversations: %w", err)
		}
	}
	if len(messages.list) > 0 {
		if err := w.upsertMessages(ctx, messages.list); err != nil {
			return fmt.Errorf("update messages: %w", err)
		}
	}
	return nil
}

// conversationsOf returns the ids of the events' conversations, each once,
// in the order the events name them.
func conversationsOf(events []*domain.Event) []string {
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		if e.ConversationID != "" && !seen[e.ConversationID] {
			seen[e.ConversationID] = true
			ids = append(ids, e.ConversationID)
		}
	}
	return ids
}

// ordered is a set of changes by id, in the order the ids were added.
type ordered[T any] struct {
	byID map[string]*T
	list []*T
}

// get returns id's change, made by create when there is none yet.
func (o *ordered[T]) get(id string, create func() *T) *T {
	if c, ok := o.byID[id]; ok {
		return c
	}
	if o.byID == nil {
		o.byID = map[string]*T{}
	}
	c := create()
	o.byID[id] = c
	o.list = append(o.list, c)
	return c
}

// field is a value and when it was said. The stored row takes a non-empty
// value said at or after the row's last update, or any non-empty value
// where it has none: the same rule whether the saying came alone or merged
// with others of its batch.
type field struct {
	Value string
	At    time.Time
}

// fold keeps the newer of f and a non-empty value said at `at`.
func (f *field) fold(value string, at time.Time) {
	if value != "" && (f.Value == "" || !at.Before(f.At)) {
		f.Value, f.At = value, at
	}
}

// listField is a list said as one value: the newer of two non-empty lists
// wins whole, and any list fills an empty one, as for a field.
type listField struct {
	Values []string
	At     time.Time
}

// fold keeps the newer of f and a non-empty list said at `at`.
func (f *listField) fold(values []string, at time.Time) {
	if len(values) > 0 && (len(f.Values) == 0 || !at.Before(f.At)) {
		f.Values, f.At = values, at
	}
}

// personChange is what one batch says about a person: each field's newest
// non-empty value, merged in memory so the person is written once.
type personChange struct {
	ID, Provider, Account, ExternalID, Role                     string
	Name, FirstName, LastName, Email, Phone, Company, AvatarURL field
	Emails                                                      listField
	// Phones holds the numbers of each kind as a field of its own: a
	// delivery that leaves a kind out says nothing about it.
	Phones               map[domain.PhoneKind]*listField
	Deleted              bool
	DeletedAt            time.Time
	CreatedAt, UpdatedAt time.Time
}

// factTime is when what an event says about p was true: the person's own
// time where the provider dates it, else the event's.
func factTime(p *domain.Person, e *domain.Event) time.Time {
	if !p.UpdatedAt.IsZero() {
		return p.UpdatedAt
	}
	return e.OccurredAt
}

func foldPerson(people *ordered[personChange], p *domain.Person, at time.Time, deleted bool) {
	if p == nil || p.ID == "" {
		return
	}
	at = at.UTC()
	c := people.get(p.ID, func() *personChange {
		return &personChange{ID: p.ID, Provider: string(p.Provider), Account: p.Account, ExternalID: p.ExternalID,
			Role: string(p.Role), Deleted: deleted, DeletedAt: at, CreatedAt: at, UpdatedAt: at}
	})
	c.Name.fold(p.Name, at)
	c.FirstName.fold(p.FirstName, at)
	c.LastName.fold(p.LastName, at)
	c.Email.fold(p.Email, at)
	c.Phone.fold(p.Phone, at)
	c.Company.fold(p.Company, at)
	c.AvatarURL.fold(p.AvatarURL, at)
	c.Emails.fold(p.Emails, at)
	byKind := map[domain.PhoneKind][]string{}
	for _, ph := range p.Phones {
		kind := ph.Kind
		if !kind.IsValid() {
			kind = domain.PhoneOther
		}
		if ph.Number != "" {
			byKind[kind] = append(byKind[kind], ph.Number)
		}
	}
	for kind, numbers := range byKind {
		if c.Phones == nil {
			c.Phones = map[domain.PhoneKind]*listField{}
		}
		if c.Phones[kind] == nil {
			c.Phones[kind] = &listField{}
		}
		c.Phones[kind].fold(numbers, at)
	}
	if !at.Before(c.DeletedAt) {
		c.Deleted, c.DeletedAt = deleted, at
	}
	if at.Before(c.CreatedAt) {
		c.CreatedAt = at
	}
	if at.After(c.UpdatedAt) {
		c.UpdatedAt = at
	}
}

// personColumns are the people columns merged as fields, in the order of
// personChange.merged; mergedPersonColumns adds the lists, and
// storedPersonColumns are the columns a new person is inserted with.
var (
	personColumns       = []string{"name", "first_name", "last_name", "email", "phone", "company", "avatar_url"}
	mergedPersonColumns = append(append([]string{}, personColumns...), "emails", "phones")
	storedPersonColumns = "id, provider, account, external_id, role, " + strings.Join(mergedPersonColumns, ", ") +
		", deleted, created_at, updated_at"
)

// merged returns the change's values of mergedPersonColumns as stored, and
// when each was said.
func (c *personChange) merged() ([]string, []time.Time) {
	phones, phonesAt := c.phonesJSON()
	fields := []field{c.Name, c.FirstName, c.LastName, c.Email, c.Phone, c.Company, c.AvatarURL}
	values, at := make([]string, 0, len(fields)+2), make([]time.Time, 0, len(fields)+2)
	for _, f := range fields {
		values, at = append(values, f.Value), append(at, f.At)
	}
	return append(values, jsonText(nonNil(c.Emails.Values)), phones), append(at, c.Emails.At, phonesAt)
}

// phonesJSON is the change's numbers by kind as the phones column holds
// them, and when they were said: the earliest of their kinds' times, so
// that no kind said before the stored row's last update replaces the
// number stored for it (it only fills a kind the row lacks).
func (c *personChange) phonesJSON() (string, time.Time) {
	byKind := map[domain.PhoneKind][]string{}
	var at time.Time
	for kind, f := range c.Phones {
		byKind[kind] = f.Values
		if at.IsZero() || f.At.Before(at) {
			at = f.At
		}
	}
	if at.IsZero() {
		at = c.UpdatedAt
	}
	return jsonText(byKind), at
}

// messageChange is what one batch says about a message, merged as for
// people. A message once private stays private; its author is the last
// one named; its creation time is the earliest one known.
type messageChange struct {
	ID, ConversationID, Provider, ExternalID string
	Direction, Content, ContentType          field
	Private                                  bool
	PrivateAt                                time.Time
	AuthorID                                 string
	CreatedAt, UpdatedAt                     time.Time
}

func foldMessage(messages *ordered[messageChange], e *domain.Event) {
	m := e.Message
	at := e.OccurredAt.UTC()
	created := m.CreatedAt
	if created.IsZero() {
		created = e.OccurredAt
	}
	created = created.UTC()
	c := messages.get(m.ID, func() *messageChange {
		return &messageChange{ID: m.ID, ConversationID: e.ConversationID, Provider: string(e.Provider),
			ExternalID: m.ExternalID, CreatedAt: created, UpdatedAt: at}
	})
	if c.ConversationID == "" {
		c.ConversationID = e.ConversationID
	}
	c.Direction.fold(string(m.Direction), at)
	c.Content.fold(m.Content, at)
	c.ContentType.fold(m.ContentType, at)
	if m.Private && (!c.Private || at.After(c.PrivateAt)) {
		c.Private, c.PrivateAt = true, at
	}
	if m.Author != nil && m.Author.ID != "" {
		c.AuthorID = m.Author.ID
	}
	if created.Before(c.CreatedAt) {
		c.CreatedAt = created
	}
	if at.After(c.UpdatedAt) {
		c.UpdatedAt = at
	}
}

// NotifyChannel is the PostgreSQL channel on which every commit of new
// events is announced, for the other gateway processes.
const NotifyChannel = "gateway_events"

// NotifiedPosition reads a notification on NotifyChannel: its payload is
// the newest position the commit stored. A payload it cannot read gives
// the zero position: events may have been committed.
func NotifiedPosition(payload string) domain.Position {
	n, err := strconv.ParseInt(payload, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return domain.Position(n)
}

// deriveIDs sets the gateway ids of the event's conversation, message and
// people from the provider's ids.
func deriveIDs(e *domain.Event) {
	account := ""
	if u := e.Conversation; u != nil && u.ExternalID != "" {
		account = u.Account
		e.ConversationID = domain.ConversationID(e.Provider, u.Account, u.ExternalID)
		for _, p := range []*domain.Person{u.Requester, u.Assignee} {
			personID(e.Provider, p)
		}
	}
	if m := e.Message; m != nil && m.ExternalID != "" {
		e.MessageID = domain.MessageID(e.Provider, account, m.ExternalID)
		m.ID, m.ConversationID = e.MessageID, e.ConversationID
		personID(e.Provider, m.Author)
	}
	for _, p := range e.Contacts {
		personID(e.Provider, p)
	}
}

func personID(provider domain.Provider, p *domain.Person) {
	if p == nil || p.ExternalID == "" {
		return
	}
	if p.Provider == "" {
		p.Provider = provider
	}
	if p.Role == "" {
		p.Role = domain.RoleContact
	}
	p.ID = domain.PersonID(p.Provider, p.Role, p.Account, p.ExternalID)
}
