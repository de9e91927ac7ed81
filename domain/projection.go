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
		TagState: map[string]TagMark{},
	}
}

// Apply folds what an event that occurred at `at` says into the
// conversation. Each part of the state (status, assignment, every tag,
// descriptive fields) keeps the time it was last set; an event older than
// that leaves the part as it is, so events that arrive out of order never
// move the conversation backwards. Apply is deterministic: applying the
// same events in any order gives the same conversation.
func (c *Conversation) Apply(u *ConversationUpdate, at time.Time, requesterID, assigneeID string) {
	newest := !at.Before(c.UpdatedAt)
	if u.Kind != "" && newest {
		c.Kind = u.Kind
	}
	if u.Status != "" && !at.Before(c.StateAt) {
		c.Status, c.StateAt = u.Status, at
		c.ProviderStatus = nilIfEmpty(u.ProviderStatus)
	} else if u.Status == "" && u.ProviderStatus != "" && c.ProviderStatus == nil {
		c.ProviderStatus = nilIfEmpty(u.ProviderStatus)
	}
	c.Channel = pick(c.Channel, u.Channel, newest)
	c.Subject = pick(c.Subject, u.Subject, newest)
	if requesterID != "" && (newest || c.RequesterID == nil) {
		c.RequesterID = &requesterID
	}
	if (assigneeID != "" || u.Unassigned) && !at.Before(c.AssigneeAt) {
		c.AssigneeID, c.AssigneeAt = nilIfEmpty(assigneeID), at
	}
	if c.TagState == nil {
		c.TagState = map[string]TagMark{}
	}
	mark := func(tag string, present bool) {
		if tag == "" {
			return
		}
		if old, ok := c.TagState[tag]; !ok || !at.Before(old.At) {
			c.TagState[tag] = TagMark{Present: present, At: at}
		}
	}
	if u.TagsKnown {
		in := map[string]bool{}
		for _, t := range u.Tags {
			in[t] = true
			mark(t, true)
		}
		for t := range c.TagState {
			if !in[t] {
				mark(t, false)
			}
		}
	}
	for _, t := range u.TagsAdded {
		mark(t, true)
	}
	for _, t := range u.TagsRemoved {
		mark(t, false)
	}
	c.Tags = c.Tags[:0]
	for t, m := range c.TagState {
		if m.Present {
			c.Tags = append(c.Tags, t)
		}
	}
	sort.Strings(c.Tags)
	if !u.CreatedAt.IsZero() && u.CreatedAt.Before(c.CreatedAt) {
		c.CreatedAt = u.CreatedAt
	}
	if at.Before(c.CreatedAt) {
		c.CreatedAt = at
	}
	if at.After(c.UpdatedAt) {
		c.UpdatedAt = at
	}
}

// pick keeps the newest non-empty value: a newer event's value wins, an
// older one only fills a gap.
func pick(old *string, v string, newest bool) *string {
	if v == "" || (!newest && old != nil) {
		return old
	}
	return &v
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
