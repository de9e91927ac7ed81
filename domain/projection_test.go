package domain

import (
	"reflect"
	"testing"
	"time"
)

// permutations calls f with every order of n indices.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var gen func(k int)
	gen = func(k int) {
		if k == n {
			f(append([]int(nil), p...))
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			gen(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	gen(0)
}

func TestApplyIsOrderIndependent(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Second)
	type applied struct {
		u        ConversationUpdate
		s        Stamp
		assignee string
	}
	// Two pairs of events share a time; each pair disagrees on status,
	// subject, queue, assignee and tags.
	events := []applied{
		{ConversationUpdate{ExternalID: "c1", Status: StatusOpen, Subject: "first", Queue: "q1", TagsKnown: true, Tags: []string{"a", "b"}}, Stamp{t0, 10}, "p1"},
		{ConversationUpdate{ExternalID: "c1", Status: StatusPending, Subject: "second", Queue: "q2", TagsRemoved: []string{"a"}, TagsAdded: []string{"c"}}, Stamp{t0, 11}, "p2"},
		{ConversationUpdate{ExternalID: "c1", Status: StatusResolved, ProviderStatus: "done", Inbox: "i1", TagsKnown: true, Tags: []string{"d"}, Origin: "API", Unassigned: true}, Stamp{t1, 13}, ""},
		{ConversationUpdate{ExternalID: "c1", Status: StatusClosed, Inbox: "i2", TagsAdded: []string{"e", "b"}, Origin: "AGENT"}, Stamp{t1, 12}, "p3"},
	}
	var want *Conversation
	n := 0
	permutations(len(events), func(order []int) {
		n++
		first := events[order[0]]
		c := NewConversation(ProviderDixa, &first.u, first.s.At)
		for _, i := range order {
			e := events[i]
			c.Apply(&e.u, e.s, "", e.assignee)
		}
		if want == nil {
			want = c
			return
		}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("order %v gives\n%+v\nwant (order 0 1 2 3)\n%+v", order, c, want)
		}
	})
	if n != 24 {
		t.Fatalf("%d permutations, want 24", n)
	}
	if want.Status != StatusResolved || *want.Subject != "second" || *want.Queue != "q2" || *want.Inbox != "i1" || *want.Origin != "API" {
		t.Errorf("ties not broken by position: %+v", want)
	}
	if want.AssigneeID != nil {
		t.Errorf("assignee = %v, want unassigned by the later of the tied events", *want.AssigneeID)
	}
	// The whole set {d} at position 13 outranks the tags added at 12.
	if !reflect.DeepEqual(want.Tags, []string{"d"}) {
		t.Errorf("tags = %v, want [d]", want.Tags)
	}
}
