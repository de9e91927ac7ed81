package domain

import "io"

// ConditionField is a unified fact a webhook subscription's conditions can
// test.
type ConditionField string

// The condition fields.
const (
	FieldChannel           ConditionField = "CHANNEL"
	FieldStatus            ConditionField = "STATUS"
	FieldQueueID           ConditionField = "QUEUE_ID"
	FieldInboxID           ConditionField = "INBOX_ID"
	FieldAssigneeID        ConditionField = "ASSIGNEE_ID"
	FieldTag               ConditionField = "TAG"
	FieldEventType         ConditionField = "EVENT_TYPE"
	FieldProviderEventType ConditionField = "PROVIDER_EVENT_TYPE"
	// FieldOperationOrigin is Dixa's operation origin (what caused the event).
	FieldOperationOrigin ConditionField = "OPERATION_ORIGIN"
)

var conditionFields = []ConditionField{
	FieldChannel, FieldStatus, FieldQueueID, FieldInboxID, FieldAssigneeID, FieldTag,
	FieldEventType, FieldProviderEventType, FieldOperationOrigin,
}

// IsValid reports whether f is a known field.
func (f ConditionField) IsValid() bool { return contains(conditionFields, f) }

// MarshalGQL writes the field as a GraphQL enum value.
func (f ConditionField) MarshalGQL(w io.Writer) { writeQuoted(w, string(f)) }

// UnmarshalGQL reads a GraphQL enum value.
func (f *ConditionField) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "ConditionField", func(s string) bool { *f = ConditionField(s); return f.IsValid() })
}

// ConditionOperator compares a field with a condition's values.
type ConditionOperator string

// The condition operators.
const (
	OpEquals     ConditionOperator = "EQUALS"
	OpNotEquals  ConditionOperator = "NOT_EQUALS"
	OpIsOneOf    ConditionOperator = "IS_ONE_OF"
	OpIsNotOneOf ConditionOperator = "IS_NOT_ONE_OF"
	OpContains   ConditionOperator = "CONTAINS"
)

var conditionOperators = []ConditionOperator{OpEquals, OpNotEquals, OpIsOneOf, OpIsNotOneOf, OpContains}

// IsValid reports whether o is a known operator.
func (o ConditionOperator) IsValid() bool { return contains(conditionOperators, o) }

// MarshalGQL writes the operator as a GraphQL enum value.
func (o ConditionOperator) MarshalGQL(w io.Writer) { writeQuoted(w, string(o)) }

// UnmarshalGQL reads a GraphQL enum value.
func (o *ConditionOperator) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "ConditionOperator", func(s string) bool { *o = ConditionOperator(s); return o.IsValid() })
}

// ConditionMatch combines numbered conditions.
type ConditionMatch string

// The ways of combining conditions.
const (
	MatchAll        ConditionMatch = "ALL"
	MatchAny        ConditionMatch = "ANY"
	MatchExpression ConditionMatch = "EXPRESSION"
)

// IsValid reports whether m is a known match.
func (m ConditionMatch) IsValid() bool { return m == MatchAll || m == MatchAny || m == MatchExpression }

// MarshalGQL writes the match as a GraphQL enum value.
func (m ConditionMatch) MarshalGQL(w io.Writer) { writeQuoted(w, string(m)) }

// UnmarshalGQL reads a GraphQL enum value.
func (m *ConditionMatch) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, "ConditionMatch", func(s string) bool { *m = ConditionMatch(s); return m.IsValid() })
}

// Condition is one numbered test of a unified field, CloudCX style.
type Condition struct {
	ID       int               `json:"id"`
	Field    ConditionField    `json:"field"`
	Operator ConditionOperator `json:"operator"`
	Values   []string          `json:"values"`
}

// Conditions are a subscription's (or a stream's) numbered conditions and
// how they combine. No conditions match everything.
type Conditions struct {
	List  []Condition    `json:"conditions,omitempty"`
	Match ConditionMatch `json:"match,omitempty"`
	// Expression combines condition ids when Match is EXPRESSION, in
	// CloudCX's grammar: "(1 or 2) and 3".
	Expression string `json:"expression,omitempty"`
}

// IsZero reports whether there is nothing to test.
func (c Conditions) IsZero() bool { return len(c.List) == 0 }
