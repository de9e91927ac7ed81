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

// Apply folds what an event that occurred at `at` says into the
// conversation. Each part of the state (status, assignment, every tag,
// descriptive fields) keeps the time it was last set; an event older than
// that leaves the part as it is, so events that arrive out of order never
// move the conversation backwards. Apply is deterministic: applying the
// same events in any order gives the same conversation.
func (c *Conversation) Apply(u *ConversationUpdate, at time.Time, requesterID, assigneeID string) {
	if c.Merge.Tags == nil {
		c.Merge.Tags = map[string]TagMark{}
	}
	if c.Merge.Fields == nil {
		c.Merge.Fields = map[string]time.Time{}
	}
	// newer reports whether a value set at `at` wins over the field's
	// current one, and records it when it does.
	newer := func(field string, set bool) bool {
		if !set {
			return false
		}
		if old, ok := c.Merge.Fields[field]; ok && at.Before(old) {
			return false
		}
		c.Merge.Fields[field] = at
		return true
	}
	if newer("kind", u.Kind != "") {
		c.Kind = u.Kind
	}
	if u.Status != "" && !at.Before(c.StateAt) {
		c.Status, c.StateAt = u.Status, at
		c.ProviderStatus = nilIfEmpty(u.ProviderStatus)
	} else if u.Status == "" && newer("providerStatus", u.ProviderStatus != "" && c.StateAt.IsZero()) {
		c.ProviderStatus = nilIfEmpty(u.ProviderStatus)
	}
	if newer("channel", u.Channel != "") {
		c.Channel = &u.Channel
	}
	if newer("subject", u.Subject != "") {
		c.Subject = &u.Subject
	}
	if newer("requester", requesterID != "") {
		c.RequesterID = &requesterID
	}
	if (assigneeID != "" || u.Unassigned) && !at.Before(c.AssigneeAt) {
		c.AssigneeID, c.AssigneeAt = nilIfEmpty(assigneeID), at
	}
	mark := func(tag string, present bool) {
		if tag == "" {
			return
		}
		if old, ok := c.Merge.Tags[tag]; !ok || !at.Before(old.At) {
			c.Merge.Tags[tag] = TagMark{Present: present, At: at}
		}
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

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
