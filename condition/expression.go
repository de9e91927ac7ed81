package condition

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpdesk-gateway/gateway/domain"
)

// The expression grammar is CloudCX's "logic expression":
//
//	expr    = and { "or" and }
//	and     = primary { "and" primary }
//	primary = number | "(" expr ")"
//
// Numbers are condition ids (ASCII digits). "and" and "or" are
// case-insensitive; there is no "not". Parentheses bind tighter than "and",
// which binds tighter than "or".
//
// Spacing rule: CloudCX asks for a space before and after "and"/"or". A
// parenthesis delimits as well as whitespace does, so the rule enforced is
// "a word operator must have whitespace or a parenthesis on each side":
// "(1 or 2)and 3" and "(1 or 2) and(3)" are accepted, "1and 2" and "1 and2"
// are refused with "missing space". Whitespace is any Unicode space.
//
// Errors are reported in reading order, syntax first: an expression that
// is well formed but names an undefined condition reports the first such
// number. Positions are 1-based character (rune) positions; an invalid
// UTF-8 byte counts as one character. An unclosed parenthesis is reported
// at the innermost one left open.

// Bounds that keep hostile input from costing much: the parser recurses
// once per parenthesis level.
const (
	// MaxExpressionLength is the longest accepted expression, in characters.
	MaxExpressionLength = 1000
	// MaxExpressionDepth is the deepest accepted parenthesis nesting.
	MaxExpressionDepth = 100
)

type nodeKind uint8

const (
	nodeLeaf nodeKind = iota
	nodeAnd
	nodeOr
)

// node is a compiled expression. And and Or nodes are flattened: an And
// node never has an And child, an Or node never an Or child, and both have
// at least two children.
type node struct {
	kind nodeKind
	id   int // condition id, for leaves
	idx  int // index of the condition in Matcher.conds, for leaves
	kids []*node
}

// eval computes the node's value given each leaf's truth, short-circuiting
// from left to right.
func (n *node) eval(truth func(leaf *node) bool) bool {
	switch n.kind {
	case nodeAnd:
		for _, k := range n.kids {
			if !k.eval(truth) {
				return false
			}
		}
		return true
	case nodeOr:
		for _, k := range n.kids {
			if k.eval(truth) {
				return true
			}
		}
		return false
	default:
		return truth(n)
	}
}

// write renders n canonically: upper-case operators, single spaces and
// only the parentheses precedence needs (an Or inside an And).
func (n *node) write(b *strings.Builder) {
	switch n.kind {
	case nodeLeaf:
		b.WriteString(strconv.Itoa(n.id))
	case nodeAnd, nodeOr:
		sep := " AND "
		if n.kind == nodeOr {
			sep = " OR "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			if n.kind == nodeAnd && k.kind == nodeOr {
				b.WriteByte('(')
				k.write(b)
				b.WriteByte(')')
			} else {
				k.write(b)
			}
		}
	}
}

// combine joins operands with kind, splicing in operands of the same kind
// (from parenthesised groups) so the tree stays flat.
func combine(kind nodeKind, operands []*node) *node {
	if len(operands) == 1 {
		return operands[0]
	}
	n := &node{kind: kind}
	for _, o := range operands {
		if o.kind == kind {
			n.kids = append(n.kids, o.kids...)
		} else {
			n.kids = append(n.kids, o)
		}
	}
	return n
}

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokNumber
	tokWord // a run of letters
	tokOpen
	tokClose
	tokOther // any other single character
)

type token struct {
	kind tokenKind
	text string
	pos  int // 0-based rune index of the first character
	end  int // 0-based rune index just after the last character
}

func (t token) isWord(w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }

// found describes t for an error message.
func (t token) found() string {
	if t.kind == tokEOF {
		return "end of expression"
	}
	const max = 32
	text := t.text
	if utf8.RuneCountInString(text) > max {
		text = string([]rune(text)[:max]) + "…"
	}
	return strconv.Quote(text)
}

type parser struct {
	src    []rune
	toks   []token
	next   int
	depth  int
	leaves []parsedLeaf // in reading order
}

// parsedLeaf is a leaf with the number as written, for error messages.
type parsedLeaf struct {
	n    *node
	text string
}

func exprErr(format string, args ...any) error {
	return domain.Errorf(domain.EINVALID, "expression: "+format, args...)
}

func tokenize(src []rune) []token {
	var toks []token
	for i := 0; i < len(src); {
		r := src[i]
		start := i
		switch {
		case unicode.IsSpace(r):
			i++
			continue
		case r >= '0' && r <= '9':
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			toks = append(toks, token{kind: tokNumber, text: string(src[start:i]), pos: start, end: i})
		case unicode.IsLetter(r):
			for i < len(src) && unicode.IsLetter(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tokWord, text: string(src[start:i]), pos: start, end: i})
		case r == '(':
			i++
			toks = append(toks, token{kind: tokOpen, text: "(", pos: start, end: i})
		case r == ')':
			i++
			toks = append(toks, token{kind: tokClose, text: ")", pos: start, end: i})
		default:
			i++
			toks = append(toks, token{kind: tokOther, text: string(r), pos: start, end: i})
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(src), end: len(src)})
}

// parseExpression parses src into a tree whose leaves carry ids but no
// condition indexes yet, and returns the leaves in reading order. An id
// too large for an int is -1.
func parseExpression(src string) (*node, []parsedLeaf, error) {
	if n := utf8.RuneCountInString(src); n > MaxExpressionLength {
		return nil, nil, exprErr("longer than %d characters (%d)", MaxExpressionLength, n)
	}
	if strings.TrimSpace(src) == "" {
		return nil, nil, exprErr("empty")
	}
	p := &parser{src: []rune(src)}
	p.toks = tokenize(p.src)
	root, err := p.parseOr()
	if err != nil {
		return nil, nil, err
	}
	switch t := p.peek(); t.kind {
	case tokEOF:
		return root, p.leaves, nil
	case tokClose:
		return nil, nil, exprErr("unexpected %q at %d", ")", t.pos+1)
	default:
		return nil, nil, exprErr(`expected "and" or "or" at %d, found %s`, t.pos+1, t.found())
	}
}

func (p *parser) peek() token { return p.toks[p.next] }

func (p *parser) parseOr() (*node, error) {
	return p.parseChain("or", nodeOr, p.parseAnd)
}

func (p *parser) parseAnd() (*node, error) {
	return p.parseChain("and", nodeAnd, p.parsePrimary)
}

func (p *parser) parseChain(word string, kind nodeKind, operand func() (*node, error)) (*node, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	operands := []*node{first}
	for p.peek().isWord(word) {
		if err := p.checkSpacing(p.peek()); err != nil {
			return nil, err
		}
		p.next++
		o, err := operand()
		if err != nil {
			return nil, err
		}
		operands = append(operands, o)
	}
	return combine(kind, operands), nil
}

// checkSpacing enforces the spacing rule on a word operator.
func (p *parser) checkSpacing(t token) error {
	delimits := func(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == ')' }
	if t.pos > 0 && !delimits(p.src[t.pos-1]) {
		return exprErr("missing space before %q at %d", t.text, t.pos+1)
	}
	if t.end < len(p.src) && !delimits(p.src[t.end]) {
		return exprErr("missing space after %q at %d", t.text, t.end+1)
	}
	return nil
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.next++
		id, err := strconv.Atoi(t.text)
		if err != nil {
			id = -1 // too large to be a condition id: reported as undefined
		}
		n := &node{kind: nodeLeaf, id: id, idx: -1}
		p.leaves = append(p.leaves, parsedLeaf{n, t.text})
		return n, nil
	case tokOpen:
		if p.depth == MaxExpressionDepth {
			return nil, exprErr("parentheses nested deeper than %d at %d", MaxExpressionDepth, t.pos+1)
		}
		p.next++
		p.depth++
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.depth--
		switch c := p.peek(); c.kind {
		case tokClose:
			p.next++
			return inner, nil
		case tokEOF:
			return nil, exprErr("unbalanced parenthesis at %d", t.pos+1)
		default:
			return nil, exprErr(`expected "and", "or" or ")" at %d, found %s`, c.pos+1, c.found())
		}
	default:
		return nil, exprErr("expected a condition number at %d, found %s", t.pos+1, t.found())
	}
}
