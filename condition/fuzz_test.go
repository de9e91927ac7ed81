package condition

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/domain"
)

const (
	fuzzConditions = 8
	fuzzMaxBytes   = 400
)

var atPosition = regexp.MustCompile(` at (\d+)`)

// FuzzCompileExpression checks that any expression either is refused with
// an EINVALID "expression:" error whose position lies inside the input, or
// compiles to a Matcher that
//   - agrees with an independent evaluator (shunting-yard) on all 256
//     assignments of conditions 1..8,
//   - agrees with Match on events built to make exactly those conditions
//     true,
//   - renders a String that compiles again to the same String and the
//     same truth table.
func FuzzCompileExpression(f *testing.F) {
	for _, s := range []string{
		"1", "1 and 2", "1 or 2 and 3", "(1 or 2) and 3", "(1 or 2 or 3) and (4 and 5)",
		"1 AND 2 Or 3", "(1 or 2)and(3)", "((((8))))", "1 and (2 or (3 and (4 or 5)))",
		"", "   ", "(", ")", "1 and", "and 1", "1and 2", "1 and2", "1 2", "(1 or 2", "1 or 2)",
		"9", "0", "not 1", "1 && 2", "é or 1", "1 or\t2\n", "99999999999999999999",
		strings.Repeat("(", 101) + "1" + strings.Repeat(")", 101),
	} {
		f.Add(s)
	}
	list := idConditions(fuzzConditions)
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > fuzzMaxBytes {
			// The length bound is tested in TestExpressionBounds; long
			// inputs only make the fuzzer's quadratic minimisation stall.
			t.Skip()
		}
		c := domain.Conditions{List: list, Match: domain.MatchExpression, Expression: expr}
		m, err := Compile(c)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID {
				t.Fatalf("Compile(%q): %v is not an EINVALID domain error", expr, err)
			}
			if !strings.HasPrefix(de.Message, "expression: ") && de.Message != "match: EXPRESSION needs an expression" {
				t.Fatalf("Compile(%q): message %q does not name the expression", expr, de.Message)
			}
			if sub := atPosition.FindStringSubmatch(de.Message); sub != nil {
				pos, _ := strconv.Atoi(sub[1])
				if pos < 1 || pos > utf8.RuneCountInString(expr)+1 {
					t.Fatalf("Compile(%q): position %d outside the input (%s)", expr, pos, de.Message)
				}
			}
			if _, ok := reference(expr); ok {
				t.Fatalf("Compile(%q) refused an expression the reference accepts: %s", expr, de.Message)
			}
			return
		}
		if m == nil {
			t.Fatalf("Compile(%q) returned neither a Matcher nor an error", expr)
		}
		s := m.String()
		c.Expression = s
		m2, err := Compile(c)
		if err != nil {
			t.Fatalf("String %q of %q does not compile: %v", s, expr, err)
		}
		if s2 := m2.String(); s2 != s {
			t.Fatalf("String of %q is %q, but recompiled it is %q", expr, s, s2)
		}
		program, ok := reference(expr)
		if !ok {
			t.Fatalf("Compile accepted %q, which the reference refuses", expr)
		}
		for mask := 0; mask < 1<<fuzzConditions; mask++ {
			truth := truthOf(mask)
			got := m.eval(truth)
			if want := run(program, mask); got != want {
				t.Fatalf("%q with mask %08b: eval = %v, reference = %v", expr, mask, got, want)
			}
			if again := m2.eval(truth); again != got {
				t.Fatalf("%q with mask %08b: %v, but its String %q gives %v", expr, mask, got, s, again)
			}
			if mask%17 == 0 { // Match is slower: sample it
				e := &domain.Event{Conversation: &domain.ConversationUpdate{}}
				for id := 1; id <= fuzzConditions; id++ {
					if truth(id) {
						e.Conversation.TagsAdded = append(e.Conversation.TagsAdded, "C"+strconv.Itoa(id))
					}
				}
				if m.Match(e) != got {
					t.Fatalf("%q with mask %08b: Match = %v, eval = %v", expr, mask, !got, got)
				}
			}
		}
	})
}

// reference compiles expr with a shunting-yard algorithm, independent of
// the parser, into a postfix program: ids 1..8 push their truth, -1 is
// "and", -2 is "or". It reports ok false for any expression outside the
// grammar (including the spacing rule and the bounds); ids outside 1..8
// are undefined.
func reference(expr string) (program []int, ok bool) {
	const and, or, open = -1, -2, -3
	rs := []rune(expr)
	if len(rs) > MaxExpressionLength {
		return nil, false
	}
	var ops []int
	expectOperand, depth, maxDepth := true, 0, 0
	delim := func(i int) bool {
		return i < 0 || i >= len(rs) || unicode.IsSpace(rs[i]) || rs[i] == '(' || rs[i] == ')'
	}
	pop := func() {
		program = append(program, ops[len(ops)-1])
		ops = ops[:len(ops)-1]
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			if !expectOperand {
				return nil, false
			}
			ops = append(ops, open)
			depth++
			maxDepth = max(maxDepth, depth)
			i++
		case r == ')':
			if expectOperand || depth == 0 {
				return nil, false
			}
			for ops[len(ops)-1] != open {
				pop()
			}
			ops = ops[:len(ops)-1]
			depth--
			i++
		case r >= '0' && r <= '9':
			if !expectOperand {
				return nil, false
			}
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			id, err := strconv.Atoi(string(rs[i:j]))
			if err != nil || id < 1 || id > fuzzConditions {
				return nil, false
			}
			program = append(program, id)
			expectOperand = false
			i = j
		case unicode.IsLetter(r):
			j := i
			for j < len(rs) && unicode.IsLetter(rs[j]) {
				j++
			}
			var op int
			switch strings.ToLower(string(rs[i:j])) {
			case "and":
				op = and
			case "or":
				op = or
			default:
				return nil, false
			}
			if expectOperand || !delim(i-1) || !delim(j) {
				return nil, false
			}
			// and (-1) binds tighter than or (-2); both are left-associative.
			for len(ops) > 0 && ops[len(ops)-1] != open && ops[len(ops)-1] >= op {
				pop()
			}
			ops = append(ops, op)
			expectOperand = true
			i = j
		default:
			return nil, false
		}
	}
	if expectOperand || depth != 0 || maxDepth > MaxExpressionDepth {
		return nil, false
	}
	for len(ops) > 0 {
		pop()
	}
	return program, true
}

// run evaluates a reference program; condition i is true when bit i-1 of
// mask is set.
func run(program []int, mask int) bool {
	var stack []bool
	for _, x := range program {
		switch x {
		case -1, -2:
			a, b := stack[len(stack)-2], stack[len(stack)-1]
			stack = stack[:len(stack)-2]
			if x == -1 {
				stack = append(stack, a && b)
			} else {
				stack = append(stack, a || b)
			}
		default:
			stack = append(stack, mask&(1<<(x-1)) != 0)
		}
	}
	if len(stack) != 1 {
		panic("reference program leaves " + strconv.Itoa(len(stack)) + " values")
	}
	return stack[0]
}
