package condition

import "github.com/helpdesk-gateway/gateway/domain"

// Facts returns e as conditions see it, for Matcher.Match: what e says
// about its conversation, completed for what it does not say by c, the
// conversation's stored state (nil when not known), whose assignee is
// assignee. Every path that tests conditions builds its probe here, so a
// condition means the same on a webhook subscription (which tests an event
// as it arrives, before any state is stored) and on a live stream (which
// tests stored events, whose own statements are not kept, against the
// projection).
func Facts(e *domain.Event, c *domain.Conversation, assignee *domain.Person) *domain.Event {
	if c == nil {
		return e
	}
	probe := *e
	u := domain.ConversationUpdate{ExternalID: c.ExternalID, Status: c.Status, Tags: c.Tags, TagsKnown: true, Assignee: assignee}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&u.Channel, c.Channel}, {&u.Queue, c.Queue}, {&u.Inbox, c.Inbox}, {&u.Origin, c.Origin}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if said := e.Conversation; said != nil {
		// The event's own statements describe the event better than a
		// state that later events may since have changed.
		for _, f := range []struct {
			dst *string
			src string
		}{{&u.Channel, said.Channel}, {&u.Queue, said.Queue}, {&u.Inbox, said.Inbox}, {&u.Origin, said.Origin}, {(*string)(&u.Status), string(said.Status)}} {
			if f.src != "" {
				*f.dst = f.src
			}
		}
		if said.Assignee != nil || said.Unassigned {
			u.Assignee = said.Assignee
		}
		if said.TagsKnown {
			u.Tags = said.Tags
		}
		u.TagsAdded = said.TagsAdded
	}
	probe.Conversation = &u
	return &probe
}
