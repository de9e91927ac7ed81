package condition

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/helpdesk-gateway/gateway/domain"
)

func cond(id int, f domain.ConditionField, op domain.ConditionOperator, values ...string) domain.Condition {
	return domain.Condition{ID: id, Field: f, Operator: op, Values: values}
}

func event(mod func(e *domain.Event, c *domain.ConversationUpdate)) *domain.Event {
	e := &domain.Event{Type: domain.EventConversationUpdated, ProviderEventType: "ConversationPending",
		Conversation: &domain.ConversationUpdate{}}
	if mod != nil {
		mod(e, e.Conversation)
	}
	return e
}

func mustCompile(t *testing.T, c domain.Conditions) *Matcher {
	t.Helper()
	m, err := Compile(c)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func TestScenarioPendingEmail(t *testing.T) {
	m := mustCompile(t, domain.Conditions{
		List: []domain.Condition{
			cond(1, domain.FieldChannel, domain.OpIsOneOf, "EMAIL"),
			cond(2, domain.FieldStatus, domain.OpEquals, "PENDING"),
		},
		Match:      domain.MatchExpression,
		Expression: "1 and 2",
	})
	conv := func(channel string, status domain.ConversationStatus) *domain.Event {
		return event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Channel, c.Status = channel, status })
	}
	tests := []struct {
		name string
		e    *domain.Event
		want bool
	}{
		{"pending email matches", conv("EMAIL", domain.StatusPending), true},
		{"pending email in lower case matches", conv("email", domain.StatusPending), true},
		{"open email does not match", conv("EMAIL", domain.StatusOpen), false},
		{"pending chat does not match", conv("WIDGET_CHAT", domain.StatusPending), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Match(tt.e); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCombinationsOverEvents(t *testing.T) {
	list := []domain.Condition{
		cond(1, domain.FieldChannel, domain.OpEquals, "EMAIL"),
		cond(2, domain.FieldStatus, domain.OpEquals, "OPEN"),
		cond(3, domain.FieldTag, domain.OpEquals, "vip"),
	}
	ev := func(channel string, status domain.ConversationStatus, tags ...string) *domain.Event {
		return event(func(_ *domain.Event, c *domain.ConversationUpdate) {
			c.Channel, c.Status, c.Tags = channel, status, tags
		})
	}
	emailOpenVIP := ev("EMAIL", domain.StatusOpen, "vip")
	emailOpen := ev("EMAIL", domain.StatusOpen)
	chatClosedVIP := ev("CHAT", domain.StatusClosed, "vip")
	chatClosed := ev("CHAT", domain.StatusClosed)
	tests := []struct {
		name      string
		match     domain.ConditionMatch
		expr      string
		canonical string
		want      [4]bool // emailOpenVIP, emailOpen, chatClosedVIP, chatClosed
	}{
		{"empty match means all", "", "", "1 AND 2 AND 3", [4]bool{true, false, false, false}},
		{"all needs every condition", domain.MatchAll, "", "1 AND 2 AND 3", [4]bool{true, false, false, false}},
		{"any needs one condition", domain.MatchAny, "", "1 OR 2 OR 3", [4]bool{true, true, true, false}},
		{"expression combines", domain.MatchExpression, "(1 and 2) or 3", "1 AND 2 OR 3", [4]bool{true, true, true, false}},
		{"expression may skip conditions", domain.MatchExpression, "3", "3", [4]bool{true, false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustCompile(t, domain.Conditions{List: list, Match: tt.match, Expression: tt.expr})
			if got := m.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			for i, e := range []*domain.Event{emailOpenVIP, emailOpen, chatClosedVIP, chatClosed} {
				if got := m.Match(e); got != tt.want[i] {
					t.Errorf("event %d: Match = %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestNoConditionsMatchEverything(t *testing.T) {
	for _, match := range []domain.ConditionMatch{"", domain.MatchAll, domain.MatchAny} {
		t.Run("match "+string(match), func(t *testing.T) {
			m := mustCompile(t, domain.Conditions{Match: match})
			for _, e := range []*domain.Event{nil, {}, event(nil)} {
				if !m.Match(e) {
					t.Errorf("Match(%v) = false, want true", e)
				}
			}
			if m.String() != "" {
				t.Errorf("String() = %q, want empty", m.String())
			}
		})
	}
	t.Run("nil matcher", func(t *testing.T) {
		var m *Matcher
		if !m.Match(event(nil)) || m.String() != "" || !m.eval(func(int) bool { return false }) {
			t.Error("a nil Matcher should match everything and render as empty")
		}
	})
}

func TestEachFieldReadsItsFact(t *testing.T) {
	full := event(func(e *domain.Event, c *domain.ConversationUpdate) {
		e.Type = domain.EventConversationAssigned
		e.ProviderEventType = "TicketAssigneeChanged"
		c.Channel = "EMAIL"
		c.Status = domain.StatusPending
		c.Queue = "q-1"
		c.Inbox = "in-2"
		c.Origin = "api"
		c.Assignee = &domain.Person{ExternalID: "agent-7"}
		c.Tags = []string{"billing"}
		c.TagsAdded = []string{"urgent"}
	})
	tests := []struct {
		field domain.ConditionField
		value string
	}{
		{domain.FieldChannel, "EMAIL"},
		{domain.FieldStatus, "PENDING"},
		{domain.FieldQueueID, "q-1"},
		{domain.FieldInboxID, "in-2"},
		{domain.FieldOperationOrigin, "api"},
		{domain.FieldAssigneeID, "agent-7"},
		{domain.FieldTag, "billing"},
		{domain.FieldTag, "urgent"},
		{domain.FieldEventType, "CONVERSATION_ASSIGNED"},
		{domain.FieldProviderEventType, "TicketAssigneeChanged"},
	}
	for _, tt := range tests {
		t.Run(string(tt.field)+" "+tt.value, func(t *testing.T) {
			eq := mustCompile(t, domain.Conditions{List: []domain.Condition{cond(1, tt.field, domain.OpEquals, tt.value)}})
			if !eq.Match(full) {
				t.Errorf("%s EQUALS %q should match the full event", tt.field, tt.value)
			}
			// Every other field holds something else: the fact must come
			// from this field only.
			other := mustCompile(t, domain.Conditions{List: []domain.Condition{cond(1, tt.field, domain.OpContains, "-x-")}})
			if other.Match(full) {
				t.Errorf("%s CONTAINS -x- should not match", tt.field)
			}
			if tt.field == domain.FieldEventType || tt.field == domain.FieldProviderEventType {
				return // not conversation facts
			}
			empty := event(nil)
			empty.Conversation = nil
			if eq.Match(empty) {
				t.Errorf("%s EQUALS %q should not match an event without a conversation", tt.field, tt.value)
			}
			ne := mustCompile(t, domain.Conditions{List: []domain.Condition{cond(1, tt.field, domain.OpNotEquals, tt.value)}})
			if !ne.Match(empty) {
				t.Errorf("%s NOT_EQUALS %q should match an event without a conversation", tt.field, tt.value)
			}
		})
	}
	t.Run("no assignee is empty", func(t *testing.T) {
		m := mustCompile(t, domain.Conditions{List: []domain.Condition{cond(1, domain.FieldAssigneeID, domain.OpNotEquals, "agent-7")}})
		if !m.Match(event(nil)) {
			t.Error("ASSIGNEE_ID NOT_EQUALS should match a conversation without an assignee")
		}
	})
	t.Run("nil event has empty facts", func(t *testing.T) {
		for _, op := range []domain.ConditionOperator{domain.OpEquals, domain.OpNotEquals} {
			m := mustCompile(t, domain.Conditions{List: []domain.Condition{cond(1, domain.FieldProviderEventType, op, "x")}})
			if got, want := m.Match(nil), op == domain.OpNotEquals; got != want {
				t.Errorf("%s on a nil event = %v, want %v", op, got, want)
			}
		}
	})
}

func TestOperators(t *testing.T) {
	channel := func(v string) *domain.Event {
		return event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Channel = v })
	}
	tags := func(tags, added []string) *domain.Event {
		return event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Tags, c.TagsAdded = tags, added })
	}
	tests := []struct {
		name   string
		field  domain.ConditionField
		op     domain.ConditionOperator
		values []string
		e      *domain.Event
		want   bool
	}{
		// One value.
		{"equals the value", domain.FieldChannel, domain.OpEquals, []string{"EMAIL"}, channel("EMAIL"), true},
		{"equals ignores case", domain.FieldChannel, domain.OpEquals, []string{"email"}, channel("Email"), true},
		{"equals another value", domain.FieldChannel, domain.OpEquals, []string{"EMAIL"}, channel("CHAT"), false},
		{"equals any of several values", domain.FieldChannel, domain.OpEquals, []string{"CHAT", "EMAIL"}, channel("EMAIL"), true},
		{"equals is not a substring test", domain.FieldChannel, domain.OpEquals, []string{"MAIL"}, channel("EMAIL"), false},
		{"empty never equals", domain.FieldChannel, domain.OpEquals, []string{"EMAIL"}, channel(""), false},
		{"not equals another value", domain.FieldChannel, domain.OpNotEquals, []string{"EMAIL"}, channel("CHAT"), true},
		{"not equals the value", domain.FieldChannel, domain.OpNotEquals, []string{"EMAIL"}, channel("EMAIL"), false},
		{"not equals ignores case", domain.FieldChannel, domain.OpNotEquals, []string{"EMAIL"}, channel("email"), false},
		{"not equals with several values", domain.FieldChannel, domain.OpNotEquals, []string{"CHAT", "EMAIL"}, channel("EMAIL"), false},
		{"empty is not equal", domain.FieldChannel, domain.OpNotEquals, []string{"EMAIL"}, channel(""), true},
		{"is one of", domain.FieldChannel, domain.OpIsOneOf, []string{"CHAT", "EMAIL"}, channel("email"), true},
		{"is not one of the list", domain.FieldChannel, domain.OpIsOneOf, []string{"CHAT", "EMAIL"}, channel("VOICE"), false},
		{"empty is never one of", domain.FieldChannel, domain.OpIsOneOf, []string{"CHAT"}, channel(""), false},
		{"is not one of holds", domain.FieldChannel, domain.OpIsNotOneOf, []string{"CHAT", "EMAIL"}, channel("VOICE"), true},
		{"is not one of fails", domain.FieldChannel, domain.OpIsNotOneOf, []string{"CHAT", "EMAIL"}, channel("Chat"), false},
		{"empty is not one of", domain.FieldChannel, domain.OpIsNotOneOf, []string{"CHAT"}, channel(""), true},
		{"contains a substring", domain.FieldChannel, domain.OpContains, []string{"chat"}, channel("WIDGET_CHAT"), true},
		{"contains any of several", domain.FieldChannel, domain.OpContains, []string{"voice", "mail"}, channel("EMAIL"), true},
		{"contains the whole value", domain.FieldChannel, domain.OpContains, []string{"email"}, channel("EMAIL"), true},
		{"does not contain", domain.FieldChannel, domain.OpContains, []string{"chat"}, channel("EMAIL"), false},
		{"empty contains nothing", domain.FieldChannel, domain.OpContains, []string{"a"}, channel(""), false},
		{"contains folds Unicode case", domain.FieldChannel, domain.OpContains, []string{"ÉTÉ"}, channel("l'été"), true},
		// Several values: TAG.
		{"tag equals one tag", domain.FieldTag, domain.OpEquals, []string{"VIP"}, tags([]string{"billing", "vip"}, nil), true},
		{"tag equals an added tag", domain.FieldTag, domain.OpEquals, []string{"vip"}, tags(nil, []string{"vip"}), true},
		{"tag equals no tag", domain.FieldTag, domain.OpEquals, []string{"vip"}, tags([]string{"billing"}, []string{"new"}), false},
		{"no tags equal nothing", domain.FieldTag, domain.OpEquals, []string{"vip"}, tags(nil, nil), false},
		{"an empty tag equals nothing", domain.FieldTag, domain.OpIsOneOf, []string{"vip"}, tags([]string{""}, nil), false},
		{"tag is one of", domain.FieldTag, domain.OpIsOneOf, []string{"gold", "vip"}, tags([]string{"billing"}, []string{"VIP"}), true},
		{"tag is not one of the list", domain.FieldTag, domain.OpIsOneOf, []string{"gold", "vip"}, tags([]string{"billing"}, nil), false},
		{"tag contains", domain.FieldTag, domain.OpContains, []string{"bill"}, tags([]string{"vip", "Billing"}, nil), true},
		{"tag does not contain", domain.FieldTag, domain.OpContains, []string{"bill"}, tags([]string{"vip"}, nil), false},
		{"tag not equals when no tag equals", domain.FieldTag, domain.OpNotEquals, []string{"vip"}, tags([]string{"billing"}, []string{"new"}), true},
		{"tag not equals fails when one tag equals", domain.FieldTag, domain.OpNotEquals, []string{"vip"}, tags([]string{"billing", "VIP"}, nil), false},
		{"tag not equals fails on an added tag", domain.FieldTag, domain.OpNotEquals, []string{"vip"}, tags(nil, []string{"vip"}), false},
		{"no tags are not equal", domain.FieldTag, domain.OpNotEquals, []string{"vip"}, tags(nil, nil), true},
		{"tag is not one of", domain.FieldTag, domain.OpIsNotOneOf, []string{"gold", "vip"}, tags([]string{"billing"}, nil), true},
		{"tag is not one of fails", domain.FieldTag, domain.OpIsNotOneOf, []string{"gold", "vip"}, tags([]string{"billing", "Gold"}, nil), false},
		{"no tags are not one of", domain.FieldTag, domain.OpIsNotOneOf, []string{"gold"}, tags(nil, nil), true},
		// Unified enums compare ignoring case too.
		{"status ignores case", domain.FieldStatus, domain.OpEquals, []string{"pending"},
			event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Status = domain.StatusPending }), true},
		{"event type ignores case", domain.FieldEventType, domain.OpIsOneOf, []string{"conversation_created"},
			event(func(e *domain.Event, _ *domain.ConversationUpdate) { e.Type = domain.EventConversationCreated }), true},
		{"status contains a part", domain.FieldStatus, domain.OpContains, []string{"pend"},
			event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Status = domain.StatusPending }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustCompile(t, domain.Conditions{List: []domain.Condition{cond(1, tt.field, tt.op, tt.values...)}})
			if got := m.Match(tt.e); got != tt.want {
				t.Errorf("%s %s %q: Match = %v, want %v", tt.field, tt.op, tt.values, got, tt.want)
			}
		})
	}
}

func TestCompileRejectsInvalidConditions(t *testing.T) {
	ok := cond(1, domain.FieldChannel, domain.OpEquals, "EMAIL")
	with := func(c ...domain.Condition) []domain.Condition { return c }
	tests := []struct {
		name string
		c    domain.Conditions
		want string
	}{
		{"empty values", domain.Conditions{List: with(ok, cond(2, domain.FieldTag, domain.OpEquals), cond(3, domain.FieldTag, domain.OpEquals))},
			"conditions[1].values: must not be empty"},
		{"empty values third", domain.Conditions{List: with(ok, cond(2, domain.FieldTag, domain.OpEquals, "a"), cond(4, domain.FieldTag, domain.OpEquals))},
			"conditions[2].values: must not be empty"},
		{"empty value", domain.Conditions{List: with(cond(1, domain.FieldTag, domain.OpContains, "a", ""))},
			"conditions[0].values[1]: must not be empty"},
		{"duplicate id", domain.Conditions{List: with(cond(3, domain.FieldTag, domain.OpEquals, "a"), cond(3, domain.FieldTag, domain.OpEquals, "b"))},
			"conditions[1].id: 3 is used twice"},
		{"duplicate id before a bad field", domain.Conditions{List: with(ok, cond(1, "X", domain.OpEquals, "b"))},
			"conditions[1].id: 1 is used twice"},
		{"zero id", domain.Conditions{List: with(cond(0, domain.FieldTag, domain.OpEquals, "a"))},
			"conditions[0].id: must be positive"},
		{"negative id", domain.Conditions{List: with(ok, cond(-2, domain.FieldTag, domain.OpEquals, "a"))},
			"conditions[1].id: must be positive"},
		{"unknown field", domain.Conditions{List: with(cond(1, "X", domain.OpEquals, "a"))},
			`conditions[0].field: unknown field "X"`},
		{"fields are upper case", domain.Conditions{List: with(cond(1, "channel", domain.OpEquals, "a"))},
			`conditions[0].field: unknown field "channel"`},
		{"unknown operator", domain.Conditions{List: with(cond(1, domain.FieldTag, "LIKE", "a"))},
			`conditions[0].operator: unknown operator "LIKE"`},
		{"unknown status", domain.Conditions{List: with(cond(1, domain.FieldStatus, domain.OpIsOneOf, "open", "PENDNG"))},
			`conditions[0].values[1]: unknown status "PENDNG"`},
		{"unknown event type", domain.Conditions{List: with(cond(1, domain.FieldEventType, domain.OpNotEquals, "TicketCreated"))},
			`conditions[0].values[0]: unknown event type "TicketCreated"`},
		{"unknown match", domain.Conditions{List: with(ok), Match: "SOME"},
			`match: unknown match "SOME"`},
		{"expression match without expression", domain.Conditions{List: with(ok), Match: domain.MatchExpression},
			"match: EXPRESSION needs an expression"},
		{"expression with match all", domain.Conditions{List: with(ok), Match: domain.MatchAll, Expression: "1"},
			"expression: set only with match EXPRESSION"},
		{"expression with match any", domain.Conditions{List: with(ok), Match: domain.MatchAny, Expression: "1"},
			"expression: set only with match EXPRESSION"},
		{"expression with empty match", domain.Conditions{List: with(ok), Expression: "1"},
			"expression: set only with match EXPRESSION"},
		{"expression without conditions", domain.Conditions{Expression: "1"},
			"expression: set without conditions"},
		{"expression match without conditions", domain.Conditions{Match: domain.MatchExpression, Expression: "1"},
			"match: EXPRESSION needs conditions"},
		{"unknown match without conditions", domain.Conditions{Match: "none"},
			`match: unknown match "none"`},
		{"undefined id", domain.Conditions{List: with(ok), Match: domain.MatchExpression, Expression: "1 or 2"},
			"expression: condition 2 is not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.c)
			if m != nil {
				t.Errorf("Matcher = %v, want nil", m)
			}
			assertInvalid(t, err, tt.want)
		})
	}
}

func TestCompileDoesNotKeepTheInput(t *testing.T) {
	values := []string{"vip"}
	list := []domain.Condition{cond(1, domain.FieldTag, domain.OpEquals, values...)}
	m := mustCompile(t, domain.Conditions{List: list})
	values[0] = "other"
	list[0].Field = domain.FieldChannel
	e := event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Tags = []string{"vip"} })
	if !m.Match(e) {
		t.Error("changing the input after Compile changed the Matcher")
	}
}

func TestMatcherIsSafeForConcurrentUse(t *testing.T) {
	m := mustCompile(t, domain.Conditions{
		List: []domain.Condition{
			cond(1, domain.FieldChannel, domain.OpIsOneOf, "EMAIL"),
			cond(2, domain.FieldTag, domain.OpContains, "vip"),
		},
		Match: domain.MatchExpression, Expression: "1 and 2",
	})
	yes := event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Channel, c.Tags = "email", []string{"VIP-gold"} })
	no := event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Channel = "email" })
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if !m.Match(yes) || m.Match(no) || m.String() != "1 AND 2" {
					errs <- "wrong result under concurrency"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestFoldAgreesWithEqualFold(t *testing.T) {
	pairs := [][2]string{
		{"EMAIL", "email"}, {"Kelvin", "\u212aelvin"}, {"ſ", "S"}, {"σ", "ς"}, {"Σ", "ς"},
		{"été", "ÉTÉ"}, {"ß", "SS"}, {"ǅ", "ǆ"}, {"a", "b"}, {"", ""}, {"İ", "i"}, {"ı", "I"},
		{"\xff", "\xfe"}, {"\xffA", "\xffa"},
	}
	for _, p := range pairs {
		want := strings.EqualFold(p[0], p[1])
		if p[0] == "\xff" {
			want = false // invalid bytes are kept, not all equal to U+FFFD
		}
		if got := fold(p[0]) == fold(p[1]); got != want {
			t.Errorf("fold(%q) == fold(%q) is %v, want %v", p[0], p[1], got, want)
		}
	}
}

func TestFromDixaFilters(t *testing.T) {
	t.Run("translates strategy, types and fields", func(t *testing.T) {
		in := []DixaCondition{
			{Type: "IsOneOf", Field: "InitialChannel", Values: []string{"EMAIL", "WIDGET_CHAT"}},
			{Type: "IsNotOneOf", Field: "QueueId", Values: []string{"q-1"}},
			{Type: "isoneof", Field: "operationorigin", Values: []string{"api"}},
		}
		got, err := FromDixaFilters("Any", in)
		if err != nil {
			t.Fatal(err)
		}
		want := domain.Conditions{Match: domain.MatchAny, List: []domain.Condition{
			cond(1, domain.FieldChannel, domain.OpIsOneOf, "EMAIL", "WIDGET_CHAT"),
			cond(2, domain.FieldQueueID, domain.OpIsNotOneOf, "q-1"),
			cond(3, domain.FieldOperationOrigin, domain.OpIsOneOf, "api"),
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
		in[0].Values[0] = "changed"
		if got.List[0].Values[0] != "EMAIL" {
			t.Error("the values alias the input")
		}
		m := mustCompile(t, got)
		if m.String() != "1 OR 2 OR 3" {
			t.Errorf("String() = %q", m.String())
		}
	})
	t.Run("strategy all, evaluated", func(t *testing.T) {
		c, err := FromDixaFilters("ALL", []DixaCondition{
			{Type: "IsOneOf", Field: "InitialChannel", Values: []string{"EMAIL"}},
			{Type: "IsNotOneOf", Field: "QueueId", Values: []string{"q-spam"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.Match != domain.MatchAll {
			t.Errorf("Match = %q, want ALL", c.Match)
		}
		m := mustCompile(t, c)
		inQueue := func(q string) *domain.Event {
			return event(func(_ *domain.Event, c *domain.ConversationUpdate) { c.Channel, c.Queue = "EMAIL", q })
		}
		if !m.Match(inQueue("q-1")) || m.Match(inQueue("Q-SPAM")) {
			t.Error("EMAIL outside q-spam should match, inside should not")
		}
	})
	t.Run("no conditions match everything", func(t *testing.T) {
		c, err := FromDixaFilters("All", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !c.IsZero() || !mustCompile(t, c).Match(event(nil)) {
			t.Errorf("got %+v, want no conditions matching everything", c)
		}
	})
	errs := []struct {
		name     string
		strategy string
		conds    []DixaCondition
		want     string
	}{
		{"unknown strategy", "Some", nil, `dixaFilters.strategy: unknown strategy "Some" (want All or Any)`},
		{"empty strategy", "", nil, `dixaFilters.strategy: unknown strategy "" (want All or Any)`},
		{"unknown type", "All", []DixaCondition{
			{Type: "IsOneOf", Field: "QueueId", Values: []string{"a"}},
			{Type: "Equals", Field: "QueueId", Values: []string{"a"}},
		}, `dixaFilters.conditions[1]._type: unknown condition type "Equals" (want IsOneOf or IsNotOneOf)`},
		{"unknown field", "All", []DixaCondition{{Type: "IsOneOf", Field: "Channel", Values: []string{"a"}}},
			`dixaFilters.conditions[0].field: unknown field "Channel" (want InitialChannel, OperationOrigin or QueueId)`},
		{"no values", "Any", []DixaCondition{{Type: "IsOneOf", Field: "QueueId"}},
			"dixaFilters.conditions[0].values: must not be empty"},
		{"empty value", "Any", []DixaCondition{{Type: "IsOneOf", Field: "QueueId", Values: []string{"a", ""}}},
			"dixaFilters.conditions[0].values[1]: must not be empty"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromDixaFilters(tt.strategy, tt.conds)
			assertInvalid(t, err, tt.want)
		})
	}
}
