package domain

import (
	"sort"
	"time"
)

// NewConversation returns the conversation an update first describes.
func NewConversation(p Provider, u *ConversationUpdate, at time.Time) *Conversation {
	kind := u.Kind
	if kind == "" {
		kind = KindConversation
	}
	return &Conversation{
		ID: ConversationID(p, u.Account, u.ExternalID), Provider: p, Account: u.Account,
		ExternalID: u.ExternalID, Kind: kind, Status: StatusUnknown, CreatedAt: at, UpdatedAt: at,
	}
}

// Stamp orders what events say about a conversation: by when they
// occurred, and events that occurred at the same time by their position,
// which never changes once stored. No two events share a stamp, so "the
// latest statement wins" names one statement whatever the order the events
// are applied in.
type Stamp struct {
	At  time.Time
	Pos Position
}

// Before reports whether s comes before t.
func (s Stamp) Before(t Stamp) bool {
	if !s.At.Equal(t.At) {
		return s.At.Before(t.At)
	}
	return s.Pos < t.Pos
}

// Apply folds what an event stamped s says into the conversation. Each
// part of the state (status, assignment, every tag, descriptive fields)
// keeps the stamp it was last set at; a statement stamped earlier leaves
// the part as it is, so events that arrive out of order never move the
// conversation backwards. Apply is deterministic: applying the same events
// in any order gives the same conversation. Occurrence times alone cannot
// promise that, since providers report them to the second or millisecond
// and two events often share one; the position breaks such ties, so of two
// events at the same time the one stored later wins, as it would have had
// they arrived in order.
func (c *Conversation) Apply(u *ConversationUpdate, s Stamp, requesterID, assigneeID string) {
	if c.Merge.Tags == nil {
		c.Merge.Tags = map[string]TagMark{}
	}
	if c.Merge.Fields == nil {
		c.Merge.Fields = map[string]time.Time{}
	}
	if c.Merge.Order == nil {
		c.Merge.Order = map[string]Position{}
	}
	// newer reports whether a value stamped s wins over the part's current
	// one, and records s when it does.
	newer := func(part string, set bool) bool {
		if !set {
			return false
		}
		if old, ok := c.Merge.Fields[part]; ok && s.Before(Stamp{old, c.Merge.Order[part]}) {
			return false
		}
		c.Merge.Fields[part], c.Merge.Order[part] = s.At, s.Pos
		return true
	}
	if newer("kind", u.Kind != "") {
		c.Kind = u.Kind
	}
	if u.Status != "" && !s.Before(Stamp{c.StateAt, c.Merge.Order[partState]}) {
		c.Status, c.StateAt, c.Merge.Order[partState] = u.Status, s.At, s.Pos
		c.ProviderStatus = nilIfEmpty(u.ProviderStatus)
	} else if u.Status == "" && newer("providerStatus", u.ProviderStatus != "") && c.StateAt.IsZero() {
		// A provider status alone shows only until a unified status is known.
		c.ProviderStatus = nilIfEmpty(u.ProviderStatus)
	}
	if newer("channel", u.Channel != "") {
		c.Channel = &u.Channel
	}
	if newer("subject", u.Subject != "") {
		c.Subject = &u.Subject
	}
	if newer("queue", u.Queue != "") {
		c.Queue = &u.Queue
	}
	if newer("inbox", u.Inbox != "") {
		c.Inbox = &u.Inbox
	}
	if newer("origin", u.Origin != "") {
		c.Origin = &u.Origin
	}
	if newer("requester", requesterID != "") {
		c.RequesterID = &requesterID
	}
	if (assigneeID != "" || u.Unassigned) && !s.Before(Stamp{c.AssigneeAt, c.Merge.Order[partAssignee]}) {
		c.AssigneeID, c.AssigneeAt, c.Merge.Order[partAssignee] = nilIfEmpty(assigneeID), s.At, s.Pos
	}
	c.applyTags(u, s)
	if !u.CreatedAt.IsZero() && u.CreatedAt.Before(c.CreatedAt) {
		c.CreatedAt = u.CreatedAt
	}
	if s.At.Before(c.CreatedAt) {
		c.CreatedAt = s.At
	}
	if s.At.After(c.UpdatedAt) {
		c.UpdatedAt = s.At
	}
}

// Parts of the state whose stamps' positions Merge.Order keeps beside
// StateAt and AssigneeAt.
const (
	partState    = "state"
	partAssignee = "assignee"
)

// applyTags folds an event's tags in. Each tag mentioned keeps its latest
// statement. A whole tag set also says "absent" of every tag it leaves
// out, including tags only mentioned by events applied after it: the
// latest whole set's stamp stands for that statement, so a tag first
// mentioned later still meets it.
func (c *Conversation) applyTags(u *ConversationUpdate, s Stamp) {
	set := Stamp{c.Merge.TagsSetAt, c.Merge.TagsSetPos}
	mark := func(tag string, present bool) {
		if tag == "" {
			return
		}
		old, ok := c.Merge.Tags[tag]
		if !ok && !set.At.IsZero() {
			old, ok = TagMark{At: set.At, Pos: set.Pos}, true
		}
		if !ok || !s.Before(Stamp{old.At, old.Pos}) {
			old = TagMark{Present: present, At: s.At, Pos: s.Pos}
		}
		c.Merge.Tags[tag] = old
	}
	if u.TagsKnown {
		in := map[string]bool{}
		for _, t := range u.Tags {
			in[t] = true
			mark(t, true)
		}
		for t := range c.Merge.Tags {
			if !in[t] {
				mark(t, false)
			}
		}
		if set.At.IsZero() || set.Before(s) {
			c.Merge.TagsSetAt, c.Merge.TagsSetPos = s.At, s.Pos
		}
	}
	for _, t := range u.TagsAdded {
		mark(t, true)
	}
	for _, t := range u.TagsRemoved {
		mark(t, false)
	}
	c.Tags = []string{}
	for t, m := range c.Merge.Tags {
		if m.Present {
			c.Tags = append(c.Tags, t)
		}
	}
	sort.Strings(c.Tags)
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
