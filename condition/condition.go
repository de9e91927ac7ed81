// Package condition compiles a webhook subscription's (or a stream's)
// numbered conditions, CloudCX style, and evaluates them on events.
//
// A condition tests one unified fact of an event (see Match) with an
// operator and one or more values; the conditions combine by "meet all"
// (ALL), "meet any" (ANY) or a logic expression over their ids
// (EXPRESSION, grammar in expression.go). No conditions match everything.
package condition

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Matcher is a compiled set of conditions. It is immutable and safe for
// concurrent use. A nil *Matcher matches everything.
type Matcher struct {
	conds []compiled
	// root is nil when there are no conditions.
	root *node
}

// compiled is one condition ready to evaluate.
type compiled struct {
	id     int
	field  domain.ConditionField
	negate bool // NOT_EQUALS, IS_NOT_ONE_OF
	substr bool // CONTAINS
	values []string
}

func invalid(format string, args ...any) error {
	return domain.Errorf(domain.EINVALID, format, args...)
}

// Compile validates c and compiles it. Errors are EINVALID and name the
// input field at fault, e.g. "conditions[2].values: must not be empty" or
// "expression: unbalanced parenthesis at 14".
//
// An empty Match means ALL. An expression is allowed only with Match
// EXPRESSION, which requires one. Conditions an expression does not
// mention are allowed and never evaluated.
func Compile(c domain.Conditions) (*Matcher, error) {
	match := c.Match
	if match == "" {
		match = domain.MatchAll
	}
	if !match.IsValid() {
		return nil, invalid("match: unknown match %q", string(c.Match))
	}
	m := &Matcher{conds: make([]compiled, 0, len(c.List))}
	index := make(map[int]int, len(c.List))
	for i, cond := range c.List {
		if cond.ID <= 0 {
			return nil, invalid("conditions[%d].id: must be positive", i)
		}
		if _, dup := index[cond.ID]; dup {
			return nil, invalid("conditions[%d].id: %d is used twice", i, cond.ID)
		}
		cc, err := compileCondition(i, cond)
		if err != nil {
			return nil, err
		}
		index[cond.ID] = i
		m.conds = append(m.conds, cc)
	}

	if len(c.List) == 0 {
		switch {
		case match == domain.MatchExpression:
			return nil, invalid("match: EXPRESSION needs conditions")
		case c.Expression != "":
			return nil, invalid("expression: set without conditions")
		}
		return m, nil
	}

	switch match {
	case domain.MatchAll, domain.MatchAny:
		if c.Expression != "" {
			return nil, invalid("expression: set only with match EXPRESSION")
		}
		kind := nodeAnd
		if match == domain.MatchAny {
			kind = nodeOr
		}
		leaves := make([]*node, len(m.conds))
		for i, cc := range m.conds {
			leaves[i] = &node{kind: nodeLeaf, id: cc.id, idx: i}
		}
		m.root = combine(kind, leaves)
	case domain.MatchExpression:
		if c.Expression == "" {
			return nil, invalid("match: EXPRESSION needs an expression")
		}
		root, leaves, err := parseExpression(c.Expression)
		if err != nil {
			return nil, err
		}
		for _, l := range leaves {
			i, ok := index[l.n.id]
			if !ok {
				return nil, invalid("expression: condition %s is not defined", l.text)
			}
			l.n.idx = i
		}
		m.root = root
	}
	return m, nil
}

func compileCondition(i int, c domain.Condition) (compiled, error) {
	if !c.Field.IsValid() {
		return compiled{}, invalid("conditions[%d].field: unknown field %q", i, string(c.Field))
	}
	if !c.Operator.IsValid() {
		return compiled{}, invalid("conditions[%d].operator: unknown operator %q", i, string(c.Operator))
	}
	if len(c.Values) == 0 {
		return compiled{}, invalid("conditions[%d].values: must not be empty", i)
	}
	cc := compiled{
		id:     c.ID,
		field:  c.Field,
		negate: c.Operator == domain.OpNotEquals || c.Operator == domain.OpIsNotOneOf,
		substr: c.Operator == domain.OpContains,
		values: make([]string, len(c.Values)),
	}
	for j, v := range c.Values {
		if v == "" {
			return compiled{}, invalid("conditions[%d].values[%d]: must not be empty", i, j)
		}
		// The unified enums are known: a misspelt status or event type
		// would silently never match. CONTAINS may test a part of one.
		if !cc.substr {
			switch c.Field {
			case domain.FieldStatus:
				if !domain.ConversationStatus(strings.ToUpper(v)).IsValid() {
					return compiled{}, invalid("conditions[%d].values[%d]: unknown status %q", i, j, v)
				}
			case domain.FieldEventType:
				if !domain.EventType(strings.ToUpper(v)).IsValid() {
					return compiled{}, invalid("conditions[%d].values[%d]: unknown event type %q", i, j, v)
				}
			}
		}
		cc.values[j] = fold(v)
	}
	return cc, nil
}

// Match reports whether e satisfies the conditions. The facts tested are:
//
//	CHANNEL              e.Conversation.Channel
//	STATUS               e.Conversation.Status
//	QUEUE_ID             e.Conversation.Queue
//	INBOX_ID             e.Conversation.Inbox
//	OPERATION_ORIGIN     e.Conversation.Origin
//	ASSIGNEE_ID          e.Conversation.Assignee.ExternalID ("" when none)
//	TAG                  e.Conversation.Tags and TagsAdded (several values)
//	EVENT_TYPE           e.Type
//	PROVIDER_EVENT_TYPE  e.ProviderEventType
//
// A nil Conversation (or event) gives empty values. Comparisons ignore
// case (Unicode simple folding, as strings.EqualFold). EQUALS and IS_ONE_OF
// hold when a value of the fact equals one of the condition's values,
// CONTAINS when one contains one of them; NOT_EQUALS and IS_NOT_ONE_OF when
// no value of the fact equals any of them. An empty fact equals and
// contains nothing, so it satisfies NOT_EQUALS and IS_NOT_ONE_OF only.
func (m *Matcher) Match(e *domain.Event) bool {
	if m == nil || m.root == nil {
		return true
	}
	return m.root.eval(func(leaf *node) bool { return m.conds[leaf.idx].match(e) })
}

// eval computes the compiled combination given each condition's truth by
// id; it lets tests check the expression apart from the facts.
func (m *Matcher) eval(truth func(id int) bool) bool {
	if m == nil || m.root == nil {
		return true
	}
	return m.root.eval(func(leaf *node) bool { return truth(leaf.id) })
}

// String renders the compiled combination canonically, for logs and
// tests: condition ids joined by upper-case AND and OR, single spaces, and
// parentheses only where precedence needs them, e.g. "(1 OR 2) AND 3" or
// "1 OR 2 AND 3" (which is 1 OR (2 AND 3)). ALL and ANY render as the
// conditions joined by AND or OR in list order; no conditions render as "".
// Compiling the string with the same conditions gives the same String.
func (m *Matcher) String() string {
	if m == nil || m.root == nil {
		return ""
	}
	var b strings.Builder
	m.root.write(&b)
	return b.String()
}

func (c *compiled) match(e *domain.Event) bool {
	var one [1]string
	facts := one[:0]
	if e != nil {
		conv := e.Conversation
		switch c.field {
		case domain.FieldEventType:
			facts = append(facts, string(e.Type))
		case domain.FieldProviderEventType:
			facts = append(facts, e.ProviderEventType)
		case domain.FieldTag:
			if conv != nil {
				facts = make([]string, 0, len(conv.Tags)+len(conv.TagsAdded))
				facts = append(append(facts, conv.Tags...), conv.TagsAdded...)
			}
		default:
			if conv != nil {
				facts = append(facts, conversationFact(conv, c.field))
			}
		}
	}
	// Values are never empty, so an empty fact equals and contains none.
	found := false
	for _, f := range facts {
		if c.test(fold(f)) {
			found = true
			break
		}
	}
	return found != c.negate
}

func conversationFact(conv *domain.ConversationUpdate, f domain.ConditionField) string {
	switch f {
	case domain.FieldChannel:
		return conv.Channel
	case domain.FieldStatus:
		return string(conv.Status)
	case domain.FieldQueueID:
		return conv.Queue
	case domain.FieldInboxID:
		return conv.Inbox
	case domain.FieldOperationOrigin:
		return conv.Origin
	case domain.FieldAssigneeID:
		if conv.Assignee != nil {
			return conv.Assignee.ExternalID
		}
	}
	return ""
}

// test reports whether the folded fact equals (or, for CONTAINS, contains)
// one of the condition's values.
func (c *compiled) test(fact string) bool {
	for _, v := range c.values {
		if c.substr && strings.Contains(fact, v) || !c.substr && fact == v {
			return true
		}
	}
	return false
}

// fold maps s to a canonical case: each rune becomes the smallest rune of
// its simple case-folding orbit, so fold(a) == fold(b) exactly when
// strings.EqualFold(a, b) for valid UTF-8, and substring tests on folded
// strings ignore case the same way. Invalid bytes are kept as they are.
func fold(s string) string {
	ascii, lower := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'a' <= c && c <= 'z' {
			lower = true
		}
	}
	if ascii {
		if !lower {
			return s
		}
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i])
		} else {
			b.WriteRune(foldRune(r))
		}
		i += size
	}
	return b.String()
}

func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < least {
			least = f
		}
	}
	return least
}

// DixaCondition is one condition of a Dixa webhook's CombinedFilters:
// {_type: IsOneOf|IsNotOneOf, field: InitialChannel|OperationOrigin|QueueId,
// values: [...]}.
type DixaCondition struct {
	Type   string   `json:"_type"`
	Field  string   `json:"field"`
	Values []string `json:"values"`
}

var dixaFields = map[string]domain.ConditionField{
	"initialchannel":  domain.FieldChannel,
	"operationorigin": domain.FieldOperationOrigin,
	"queueid":         domain.FieldQueueID,
}

var dixaOperators = map[string]domain.ConditionOperator{
	"isoneof":    domain.OpIsOneOf,
	"isnotoneof": domain.OpIsNotOneOf,
}

// FromDixaFilters translates a Dixa CombinedFilters (strategy All or Any)
// into conditions numbered 1..n in order, with match ALL or ANY. Names are
// matched ignoring case; values are copied as they are (comparisons ignore
// case). Errors are EINVALID and name the Dixa input, e.g.
// "dixaFilters.conditions[1].field: unknown field "Channel"". No
// conditions give Conditions that match everything.
func FromDixaFilters(strategy string, conds []DixaCondition) (domain.Conditions, error) {
	var out domain.Conditions
	switch strings.ToLower(strategy) {
	case "all":
		out.Match = domain.MatchAll
	case "any":
		out.Match = domain.MatchAny
	default:
		return domain.Conditions{}, invalid("dixaFilters.strategy: unknown strategy %q (want All or Any)", strategy)
	}
	for i, dc := range conds {
		op, ok := dixaOperators[strings.ToLower(dc.Type)]
		if !ok {
			return domain.Conditions{}, invalid("dixaFilters.conditions[%d]._type: unknown condition type %q (want IsOneOf or IsNotOneOf)", i, dc.Type)
		}
		field, ok := dixaFields[strings.ToLower(dc.Field)]
		if !ok {
			return domain.Conditions{}, invalid("dixaFilters.conditions[%d].field: unknown field %q (want InitialChannel, OperationOrigin or QueueId)", i, dc.Field)
		}
		if len(dc.Values) == 0 {
			return domain.Conditions{}, invalid("dixaFilters.conditions[%d].values: must not be empty", i)
		}
		for j, v := range dc.Values {
			if v == "" {
				return domain.Conditions{}, invalid("dixaFilters.conditions[%d].values[%d]: must not be empty", i, j)
			}
		}
		out.List = append(out.List, domain.Condition{
			ID:       i + 1,
			Field:    field,
			Operator: op,
			Values:   append([]string(nil), dc.Values...),
		})
	}
	return out, nil
}
