package condition

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/helpdesk-gateway/gateway/domain"
)

// idConditions defines conditions 1..n; condition i holds when the event's
// provider event type is "c<i>" or when a tag "c<i>" is present, so tests
// can set any combination through TagsAdded.
func idConditions(n int) []domain.Condition {
	list := make([]domain.Condition, n)
	for i := range list {
		list[i] = domain.Condition{
			ID: i + 1, Field: domain.FieldTag, Operator: domain.OpEquals,
			Values: []string{"c" + strconv.Itoa(i+1)},
		}
	}
	return list
}

func compileExpr(t *testing.T, n int, expr string) *Matcher {
	t.Helper()
	m, err := Compile(domain.Conditions{List: idConditions(n), Match: domain.MatchExpression, Expression: expr})
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	return m
}

// truthOf turns bit i-1 of mask into the truth of condition i.
func truthOf(mask int) func(id int) bool {
	return func(id int) bool { return id >= 1 && id <= 30 && mask&(1<<(id-1)) != 0 }
}

func TestExpressionEvaluatesLikeItsMeaning(t *testing.T) {
	tests := []struct {
		name, expr, canonical string
		want                  func(c [6]bool) bool // c[i] is condition i's truth
	}{
		{"single number", "1", "1", func(c [6]bool) bool { return c[1] }},
		{"and binds tighter than or", "1 or 2 and 3", "1 OR 2 AND 3",
			func(c [6]bool) bool { return c[1] || (c[2] && c[3]) }},
		{"and binds tighter than or on the left", "1 and 2 or 3", "1 AND 2 OR 3",
			func(c [6]bool) bool { return (c[1] && c[2]) || c[3] }},
		{"parentheses override precedence", "(1 or 2) and 3", "(1 OR 2) AND 3",
			func(c [6]bool) bool { return (c[1] || c[2]) && c[3] }},
		{"redundant parentheses are dropped", "((1)) or (2 and 3)", "1 OR 2 AND 3",
			func(c [6]bool) bool { return c[1] || (c[2] && c[3]) }},
		{"same operator groups flatten", "(1 and 2) and (3 and 4)", "1 AND 2 AND 3 AND 4",
			func(c [6]bool) bool { return c[1] && c[2] && c[3] && c[4] }},
		{"CloudCX example", "(1 or 2 or 3) and (4 and 5)", "(1 OR 2 OR 3) AND 4 AND 5",
			func(c [6]bool) bool { return (c[1] || c[2] || c[3]) && c[4] && c[5] }},
		{"operators ignore case", "1 AND 2 Or 3 aNd 4 oR 5", "1 AND 2 OR 3 AND 4 OR 5",
			func(c [6]bool) bool { return c[1] && c[2] || c[3] && c[4] || c[5] }},
		{"nested groups", "((1 or 2) and (3 or 4)) or 5", "(1 OR 2) AND (3 OR 4) OR 5",
			func(c [6]bool) bool { return (c[1] || c[2]) && (c[3] || c[4]) || c[5] }},
		{"parenthesis delimits a word operator", "(1 or 2)and(3)", "(1 OR 2) AND 3",
			func(c [6]bool) bool { return (c[1] || c[2]) && c[3] }},
		{"tabs and newlines are spaces", "1\tand\n2", "1 AND 2",
			func(c [6]bool) bool { return c[1] && c[2] }},
		{"surrounding spaces are ignored", "  1 or 2  ", "1 OR 2",
			func(c [6]bool) bool { return c[1] || c[2] }},
		{"leading zeros name the same id", "01 or 002", "1 OR 2",
			func(c [6]bool) bool { return c[1] || c[2] }},
		{"a number may repeat", "1 and (1 or 2)", "1 AND (1 OR 2)",
			func(c [6]bool) bool { return c[1] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := compileExpr(t, 5, tt.expr)
			if got := m.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			for mask := 0; mask < 1<<5; mask++ {
				var c [6]bool
				for i := 1; i <= 5; i++ {
					c[i] = mask&(1<<(i-1)) != 0
				}
				if got, want := m.eval(truthOf(mask)), tt.want(c); got != want {
					t.Errorf("with %v: eval = %v, want %v", c[1:], got, want)
				}
			}
		})
	}
}

func TestPrecedenceExample(t *testing.T) {
	// 1 true, 2 true, 3 false: "1 or 2 and 3" is true because it means
	// 1 or (2 and 3); read left to right it would be false.
	a := compileExpr(t, 3, "1 or 2 and 3")
	b := compileExpr(t, 3, "1 or (2 and 3)")
	c := compileExpr(t, 3, "(1 or 2) and 3")
	truth := truthOf(0b011)
	if !a.eval(truth) || !b.eval(truth) {
		t.Errorf("1 or 2 and 3 = %v, 1 or (2 and 3) = %v; want both true", a.eval(truth), b.eval(truth))
	}
	if c.eval(truth) {
		t.Errorf("(1 or 2) and 3 = true, want false")
	}
	if a.String() != b.String() {
		t.Errorf("String: %q vs %q, want equal", a.String(), b.String())
	}
}

func TestExpressionErrorsNamePositionAndReason(t *testing.T) {
	tests := []struct {
		name, expr, want string
	}{
		{"whitespace only", "   ", "expression: empty"},
		{"unclosed parenthesis", "(1 or 2) and (3", "expression: unbalanced parenthesis at 14"},
		{"innermost unclosed parenthesis", "((1 or 2) and 3", "expression: unbalanced parenthesis at 1"},
		{"unopened parenthesis", "(1 or 2) or 3) ", "expression: unexpected \")\" at 14"},
		{"stray closing parenthesis", "1 and 2)", "expression: unexpected \")\" at 8"},
		{"undefined condition", "1 or 6", "expression: condition 6 is not defined"},
		{"first undefined condition", "(7 or 1) and 6", "expression: condition 7 is not defined"},
		{"condition zero", "0 or 1", "expression: condition 0 is not defined"},
		{"id too large for int", "99999999999999999999999", "expression: condition 99999999999999999999999 is not defined"},
		{"operator where a number belongs", "1 or and 2", "expression: expected a condition number at 6, found \"and\""},
		{"leading operator", "and 1", "expression: expected a condition number at 1, found \"and\""},
		{"trailing operator", "1 and ", "expression: expected a condition number at 7, found end of expression"},
		{"empty parentheses", "1 and ()", "expression: expected a condition number at 8, found \")\""},
		{"not is not an operator", "not 1", "expression: expected a condition number at 1, found \"not\""},
		{"negative number", "-1", "expression: expected a condition number at 1, found \"-\""},
		{"second number before a glued or", "1 2or 3", "expression: expected \"and\" or \"or\" at 3, found \"2\""},
		{"digit glued before or", "(1or 2)", "expression: missing space before \"or\" at 3"},
		{"digit glued before and", "1and 2", "expression: missing space before \"and\" at 2"},
		{"digit glued after and", "1 and2", "expression: missing space after \"and\" at 6"},
		{"symbol glued after or", "1 or-2", "expression: missing space after \"or\" at 5"},
		{"two numbers", "1 2", "expression: expected \"and\" or \"or\" at 3, found \"2\""},
		{"unknown word as operator", "1 xor 2", "expression: expected \"and\" or \"or\" at 3, found \"xor\""},
		{"operators glued together", "1 andor 2", "expression: expected \"and\" or \"or\" at 3, found \"andor\""},
		{"symbol operator", "1 && 2", "expression: expected \"and\" or \"or\" at 3, found \"&\""},
		{"number before parenthesis", "1 (2)", "expression: expected \"and\" or \"or\" at 3, found \"(\""},
		{"junk inside parentheses", "(1 2)", "expression: expected \"and\", \"or\" or \")\" at 4, found \"2\""},
		{"positions count characters not bytes", "é or 1", "expression: expected a condition number at 1, found \"é\""},
		{"position after a multibyte character", "(1 or 2) ∧ 1", "expression: expected \"and\" or \"or\" at 10, found \"∧\""},
		{"long word is shortened", "1 " + strings.Repeat("x", 40), "expression: expected \"and\" or \"or\" at 3, found \"" + strings.Repeat("x", 32) + "…\""},
		{"syntax is checked before ids", "6 or (1", "expression: unbalanced parenthesis at 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(domain.Conditions{List: idConditions(5), Match: domain.MatchExpression, Expression: tt.expr})
			assertInvalid(t, err, tt.want)
		})
	}
}

func TestExpressionBounds(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("(", n) + "1" + strings.Repeat(")", n) }
	t.Run("nesting at the bound is accepted", func(t *testing.T) {
		m := compileExpr(t, 1, deep(MaxExpressionDepth))
		if m.String() != "1" {
			t.Errorf("String() = %q, want 1", m.String())
		}
	})
	t.Run("nesting beyond the bound is refused", func(t *testing.T) {
		_, err := Compile(domain.Conditions{List: idConditions(1), Match: domain.MatchExpression, Expression: deep(MaxExpressionDepth + 1)})
		assertInvalid(t, err, "expression: parentheses nested deeper than 100 at 101")
	})
	t.Run("hostile nesting is refused cheaply", func(t *testing.T) {
		_, err := Compile(domain.Conditions{List: idConditions(1), Match: domain.MatchExpression, Expression: strings.Repeat("(", 1_000_000)})
		assertInvalid(t, err, "expression: longer than 1000 characters (1000000)")
	})
	t.Run("length at the bound is accepted", func(t *testing.T) {
		expr := "1" + strings.Repeat(" ", MaxExpressionLength-1)
		compileExpr(t, 1, expr)
	})
	t.Run("length beyond the bound is refused", func(t *testing.T) {
		expr := "1" + strings.Repeat(" ", MaxExpressionLength)
		_, err := Compile(domain.Conditions{List: idConditions(1), Match: domain.MatchExpression, Expression: expr})
		assertInvalid(t, err, "expression: longer than 1000 characters (1001)")
	})
	t.Run("length counts characters", func(t *testing.T) {
		expr := "1" + strings.Repeat("\u00a0", MaxExpressionLength-1) // 2 bytes each
		compileExpr(t, 1, expr)
	})
	t.Run("long flat chains are fine", func(t *testing.T) {
		expr := "1" + strings.Repeat(" and 1", (MaxExpressionLength-1)/6)
		m := compileExpr(t, 1, expr)
		if !m.eval(truthOf(1)) || m.eval(truthOf(0)) {
			t.Error("a chain of 1s should follow condition 1")
		}
	})
}

func assertInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %q", want)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.EINVALID {
		t.Fatalf("err = %#v, want a domain EINVALID error", err)
	}
	if de.Message != want {
		t.Errorf("message = %q\n     want %q", de.Message, want)
	}
}
