package chat

import (
	"fmt"
	"strconv"
	"strings"
)

// The Jinja subset that chat templates use (Hugging Face renders them with
// jinja2's ImmutableSandboxedEnvironment, trim_blocks and lstrip_blocks on):
//
//   - {{ expr }}, {% stmt %}, {# comment #}, with "-" whitespace control;
//   - statements: for … in … [if …] / else / endfor, if / elif / else /
//     endif, set name = expr, set ns.attr = expr;
//   - expressions: literals (strings, numbers, true/false/none, lists,
//     dicts), names, attributes, subscripts and slices, calls, filters
//     (x | f(args)), tests (x is [not] t), not/and/or, comparisons, in,
//     + - * / // % ~, unary minus, and a if c else b.
//
// Macros, call blocks, includes and the like are reported as unsupported.

// maxParseDepth bounds the nesting of expressions and blocks, so that a
// hostile template cannot exhaust the stack.
const maxParseDepth = 200

// A node is an element of a template body.
type node interface{}

type (
	textNode   struct{ text string }
	outputNode struct{ expr expr }
	ifNode     struct {
		conds  []expr   // if and elif conditions
		bodies [][]node // one per cond, then the else body (may be nil)
	}
	forNode struct {
		vars     []string
		iter     expr
		filter   expr // nil without "if"
		body     []node
		elseBody []node
	}
	setNode struct {
		name, attr string // attr non-empty for "set ns.attr = …"
		value      expr
	}
)

// An expr is an expression.
type expr interface{}

type (
	literal  struct{ v value }
	nameExpr struct{ name string }
	listExpr struct{ items []expr }
	dictExpr struct{ keys, vals []expr }
	attrExpr struct {
		x    expr
		name string
	}
	indexExpr struct{ x, index expr }
	sliceExpr struct{ x, lo, hi, step expr } // nil parts are absent
	callExpr  struct {
		fn      expr
		args    []expr
		kwNames []string
		kwVals  []expr
	}
	filterExpr struct {
		x       expr
		name    string
		args    []expr
		kwNames []string
		kwVals  []expr
	}
	testExpr struct {
		x      expr
		name   string
		args   []expr
		negate bool
	}
	unaryExpr struct {
		op string // "not", "-", "+"
		x  expr
	}
	binaryExpr struct {
		op   string
		l, r expr
	}
	condExpr struct{ cond, yes, no expr } // no may be nil
)

// A token of the expression lexer.
type token struct {
	kind byte // 'n' name, 's' string, 'i' int, 'f' float, 'o' operator, 0 end
	text string
	pos  int // byte offset in the template source
}

// tag is one piece of the template source: literal text or a tag's inside.
type tag struct {
	kind byte // 't' text, '{' output, '%' statement
	body string
	pos  int
}

// lexTemplate splits src into text and tags, applying "-" whitespace
// control, trim_blocks (a newline right after a statement tag or comment is
// dropped) and lstrip_blocks (spaces and tabs before a statement tag or
// comment at the start of a line are dropped).
func lexTemplate(src string) ([]tag, error) {
	var tags []tag
	i := 0
	trimNext := false // the previous tag ended with "-"
	trimNL := false   // the previous tag was a block or comment (trim_blocks)
	for i < len(src) {
		j := indexTagOpen(src, i)
		text := src[i:]
		if j >= 0 {
			text = src[i:j]
		}
		if trimNext {
			text = strings.TrimLeft(text, " \t\r\n")
		} else if trimNL {
			text = strings.TrimPrefix(strings.TrimPrefix(text, "\r"), "\n")
		}
		if j < 0 {
			tags = appendText(tags, text, i)
			break
		}
		open := src[j+1]
		closer := map[byte]string{'{': "}}", '%': "%}", '#': "#}"}[open]
		start := j + 2
		stripLeft := start < len(src) && src[start] == '-'
		if stripLeft || (start < len(src) && src[start] == '+') {
			start++
		}
		end := findCloser(src, start, open)
		if end < 0 {
			return nil, &Error{Pos: j, Msg: fmt.Sprintf("unclosed %q", src[j:j+2])}
		}
		body := src[start:end]
		trimNext = strings.HasSuffix(body, "-")
		if trimNext {
			body = body[:len(body)-1]
		}
		switch {
		case stripLeft:
			text = strings.TrimRight(text, " \t\r\n")
		case open != '{' && !strings.HasSuffix(src[j+1:start], "+"):
			// lstrip_blocks: only whitespace since the start of the line.
			k := len(text)
			for k > 0 && (text[k-1] == ' ' || text[k-1] == '\t') {
				k--
			}
			if (k == 0 && atLineStart(src, j-len(text))) || (k > 0 && text[k-1] == '\n') {
				text = text[:k]
			}
		}
		tags = appendText(tags, text, i)
		if open != '#' {
			tags = append(tags, tag{kind: open, body: body, pos: start})
		}
		trimNL = open != '{'
		i = end + len(closer)
	}
	return tags, nil
}

// findCloser returns the offset of the "}}", "%}" or "#}" that closes the
// tag whose inside starts at src[start]: outside string literals and
// brackets for expressions (so "{{ {'a': {}} }}" works), the first one for
// comments.
func findCloser(src string, start int, open byte) int {
	if open == '#' {
		if k := strings.Index(src[start:], "#}"); k >= 0 {
			return start + k
		}
		return -1
	}
	closer := "}}"
	if open == '%' {
		closer = "%}"
	}
	depth := 0
	for i := start; i < len(src); i++ {
		switch c := src[i]; c {
		case '\'', '"':
			for i++; i < len(src) && src[i] != c; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '(', '[', '{':
			if depth == 0 && strings.HasPrefix(src[i:], closer) {
				return i
			}
			depth++
		case ')', ']', '}':
			if depth == 0 && strings.HasPrefix(src[i:], closer) {
				return i
			}
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 && strings.HasPrefix(src[i:], closer) {
				return i
			}
		}
	}
	return -1
}

// atLineStart reports whether offset i of src begins a line.
func atLineStart(src string, i int) bool { return i == 0 || src[i-1] == '\n' }

func appendText(tags []tag, text string, pos int) []tag {
	if text == "" {
		return tags
	}
	return append(tags, tag{kind: 't', body: text, pos: pos})
}

// indexTagOpen returns the offset of the next "{{", "{%" or "{#" at or
// after i, or -1.
func indexTagOpen(src string, i int) int {
	for {
		k := strings.IndexByte(src[i:], '{')
		if k < 0 || i+k+1 >= len(src) {
			return -1
		}
		i += k
		if c := src[i+1]; c == '{' || c == '%' || c == '#' {
			return i
		}
		i++
	}
}

// parser turns tags into a node tree.
type parser struct {
	tags  []tag
	i     int
	depth int
}

func parseTemplate(src string) ([]node, error) {
	tags, err := lexTemplate(src)
	if err != nil {
		return nil, err
	}
	p := &parser{tags: tags}
	body, end, err := p.parseBody()
	if err != nil {
		return nil, err
	}
	if end != nil {
		return nil, &Error{Pos: end.pos, Msg: fmt.Sprintf("unexpected {%% %s %%}", strings.TrimSpace(end.body))}
	}
	return body, nil
}

// stmtName returns the first word of a statement tag.
func stmtName(t *tag) string {
	s := strings.TrimSpace(t.body)
	if k := strings.IndexAny(s, " \t\r\n"); k >= 0 {
		return s[:k]
	}
	return s
}

// parseBody parses nodes until the end of input (end is nil) or a
// statement that closes or continues the enclosing block (endfor, else,
// elif, endif), which it consumes and returns as end.
func (p *parser) parseBody() ([]node, *tag, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		pos := 0
		if p.i < len(p.tags) {
			pos = p.tags[p.i].pos
		}
		return nil, nil, &Error{Pos: pos, Msg: "blocks nested too deeply"}
	}
	var body []node
	for p.i < len(p.tags) {
		t := &p.tags[p.i]
		p.i++
		switch t.kind {
		case 't':
			body = append(body, textNode{t.body})
		case '{':
			e, err := parseExprString(t.body, t.pos)
			if err != nil {
				return nil, nil, err
			}
			body = append(body, outputNode{e})
		case '%':
			switch name := stmtName(t); name {
			case "endfor", "endif", "else", "elif":
				return body, t, nil
			case "if":
				n, err := p.parseIf(t)
				if err != nil {
					return nil, nil, err
				}
				body = append(body, n)
			case "for":
				n, err := p.parseFor(t)
				if err != nil {
					return nil, nil, err
				}
				body = append(body, n)
			case "set":
				n, err := parseSet(t)
				if err != nil {
					return nil, nil, err
				}
				body = append(body, n)
			case "generation", "endgeneration":
				// Hugging Face's marker for assistant masks; renders nothing.
			default:
				return nil, nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("unsupported statement {%% %s %%}", name)}
			}
		}
	}
	return body, nil, nil
}

func (p *parser) parseIf(t *tag) (node, error) {
	n := &ifNode{}
	cond := strings.TrimSpace(t.body)[len("if"):]
	pos := t.pos
	for {
		e, err := parseExprString(cond, pos)
		if err != nil {
			return nil, err
		}
		body, end, err := p.parseBody()
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, e)
		n.bodies = append(n.bodies, body)
		if end == nil {
			return nil, &Error{Pos: t.pos, Msg: "{% if %} without {% endif %}"}
		}
		switch stmtName(end) {
		case "elif":
			cond, pos = strings.TrimSpace(end.body)[len("elif"):], end.pos
			continue
		case "else":
			body, end2, err := p.parseBody()
			if err != nil {
				return nil, err
			}
			if end2 == nil || stmtName(end2) != "endif" {
				return nil, &Error{Pos: end.pos, Msg: "{% else %} without {% endif %}"}
			}
			n.bodies = append(n.bodies, body)
			return n, nil
		case "endif":
			return n, nil
		default:
			return nil, &Error{Pos: end.pos, Msg: fmt.Sprintf("unexpected {%% %s %%} in {%% if %%}", stmtName(end))}
		}
	}
}

func (p *parser) parseFor(t *tag) (node, error) {
	lx := &lexer{src: t.body, base: t.pos}
	toks, err := lx.all()
	if err != nil {
		return nil, err
	}
	ep := &exprParser{toks: toks}
	ep.next() // "for"
	n := &forNode{}
	for {
		tk := ep.next()
		if tk.kind != 'n' {
			return nil, &Error{Pos: tk.pos, Msg: "want a loop variable name"}
		}
		n.vars = append(n.vars, tk.text)
		if !ep.accept("o", ",") {
			break
		}
	}
	if !ep.accept("n", "in") {
		return nil, &Error{Pos: ep.peek().pos, Msg: `want "in" in {% for %}`}
	}
	// The iterable stops before a top-level "if" (the loop filter).
	if n.iter, err = ep.parseOr(); err != nil {
		return nil, err
	}
	if ep.accept("n", "if") {
		if n.filter, err = ep.parseExpr(); err != nil {
			return nil, err
		}
	}
	if tk := ep.peek(); tk.kind != 0 {
		return nil, &Error{Pos: tk.pos, Msg: fmt.Sprintf("unexpected %q in {%% for %%}", tk.text)}
	}
	body, end, err := p.parseBody()
	if err != nil {
		return nil, err
	}
	if end != nil && stmtName(end) == "else" {
		n.body = body
		if n.elseBody, end, err = p.parseBody(); err != nil {
			return nil, err
		}
		body = n.body
	}
	if end == nil || stmtName(end) != "endfor" {
		return nil, &Error{Pos: t.pos, Msg: "{% for %} without {% endfor %}"}
	}
	n.body = body
	return n, nil
}

func parseSet(t *tag) (node, error) {
	s := strings.TrimSpace(t.body)[len("set"):]
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return nil, &Error{Pos: t.pos, Msg: "block {% set %} is not supported; use {% set x = … %}"}
	}
	target := strings.TrimSpace(s[:eq])
	n := &setNode{name: target}
	if k := strings.IndexByte(target, '.'); k >= 0 {
		n.name, n.attr = strings.TrimSpace(target[:k]), strings.TrimSpace(target[k+1:])
	}
	if !isName(n.name) || (n.attr != "" && !isName(n.attr)) {
		return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("cannot assign to %q", target)}
	}
	e, err := parseExprString(s[eq+1:], t.pos+eq+1)
	if err != nil {
		return nil, err
	}
	n.value = e
	return n, nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// lexer splits an expression into tokens.
type lexer struct {
	src  string
	base int // offset of src in the template
}

func (lx *lexer) all() ([]token, error) {
	var toks []token
	s := lx.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			toks = append(toks, token{'n', s[i:j], lx.base + i})
			i = j
		case '0' <= c && c <= '9':
			j, kind := i, byte('i')
			for j < len(s) && ('0' <= s[j] && s[j] <= '9' || s[j] == '_') {
				j++
			}
			if j+1 < len(s) && s[j] == '.' && '0' <= s[j+1] && s[j+1] <= '9' {
				kind = 'f'
				j++
				for j < len(s) && '0' <= s[j] && s[j] <= '9' {
					j++
				}
			}
			toks = append(toks, token{kind, s[i:j], lx.base + i})
			i = j
		case c == '\'' || c == '"':
			str, n, err := unquote(s[i:])
			if err != nil {
				return nil, &Error{Pos: lx.base + i, Msg: err.Error()}
			}
			toks = append(toks, token{'s', str, lx.base + i})
			i += n
		default:
			op := ""
			for _, o := range []string{"//", "**", "==", "!=", "<=", ">="} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("+-*/%~<>()[]{}.,:|=", rune(c)) {
					return nil, &Error{Pos: lx.base + i, Msg: fmt.Sprintf("unexpected character %q", c)}
				}
				op = s[i : i+1]
			}
			toks = append(toks, token{'o', op, lx.base + i})
			i += len(op)
		}
	}
	return append(toks, token{pos: lx.base + len(s)}), nil
}

// unquote reads a Python string literal at the start of s and returns its
// value and length.
func unquote(s string) (string, int, error) {
	q := s[0]
	var sb strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return sb.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			case '0':
				sb.WriteByte(0)
			case '\\', '\'', '"':
				sb.WriteByte(e)
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n >= len(s) {
					return "", 0, fmt.Errorf("bad \\%c escape", e)
				}
				v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
				if err != nil || v > 0x10FFFF {
					return "", 0, fmt.Errorf("bad \\%c escape", e)
				}
				sb.WriteRune(rune(v))
				i += n
			default:
				sb.WriteByte('\\')
				sb.WriteByte(e)
			}
		default:
			sb.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

func parseExprString(src string, pos int) (expr, error) {
	toks, err := (&lexer{src: src, base: pos}).all()
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if tk := p.peek(); tk.kind != 0 {
		return nil, &Error{Pos: tk.pos, Msg: fmt.Sprintf("unexpected %q", tk.text)}
	}
	return e, nil
}

// exprParser is a recursive-descent parser with Jinja's precedence, lowest
// first: conditional, or, and, not, comparison, + -, ~, * / // %, unary,
// then postfix (attribute, subscript, call), filters and tests.
type exprParser struct {
	toks  []token
	i     int
	depth int
}

func (p *exprParser) peek() token { return p.toks[p.i] }

func (p *exprParser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *exprParser) is(kind string, text string) bool {
	t := p.peek()
	return t.kind == kind[0] && t.text == text
}

func (p *exprParser) accept(kind, text string) bool {
	if p.is(kind, text) {
		p.next()
		return true
	}
	return false
}

func (p *exprParser) expect(text string) error {
	if !p.accept("o", text) {
		t := p.peek()
		return &Error{Pos: t.pos, Msg: fmt.Sprintf("want %q, found %q", text, t.text)}
	}
	return nil
}

func (p *exprParser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return &Error{Pos: p.peek().pos, Msg: "expression nested too deeply"}
	}
	return nil
}

func (p *exprParser) parseExpr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.accept("n", "if") {
		c := &condExpr{yes: e}
		if c.cond, err = p.parseOr(); err != nil {
			return nil, err
		}
		if p.accept("n", "else") {
			if c.no, err = p.parseExpr(); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	return e, nil
}

func (p *exprParser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.accept("n", "or") {
		var r expr
		r, err = p.parseAnd()
		l = &binaryExpr{"or", l, r}
	}
	return l, err
}

func (p *exprParser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	for err == nil && p.accept("n", "and") {
		var r expr
		r, err = p.parseNot()
		l = &binaryExpr{"and", l, r}
	}
	return l, err
}

func (p *exprParser) parseNot() (expr, error) {
	if p.accept("n", "not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.parseNot()
		return &unaryExpr{"not", x}, err
	}
	return p.parseCompare()
}

func (p *exprParser) parseCompare() (expr, error) {
	l, err := p.parseMath1()
	for err == nil {
		t := p.peek()
		var op string
		switch {
		case t.kind == 'o' && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">="):
			op = t.text
			p.next()
		case p.is("n", "in"):
			op = "in"
			p.next()
		case p.is("n", "not") && p.toks[p.i+1].kind == 'n' && p.toks[p.i+1].text == "in":
			op = "not in"
			p.next()
			p.next()
		default:
			return l, nil
		}
		var r expr
		r, err = p.parseMath1()
		l = &binaryExpr{op, l, r}
	}
	return l, err
}

func (p *exprParser) parseMath1() (expr, error) {
	l, err := p.parseConcat()
	for err == nil && (p.is("o", "+") || p.is("o", "-")) {
		op := p.next().text
		var r expr
		r, err = p.parseConcat()
		l = &binaryExpr{op, l, r}
	}
	return l, err
}

func (p *exprParser) parseConcat() (expr, error) {
	l, err := p.parseMath2()
	for err == nil && p.accept("o", "~") {
		var r expr
		r, err = p.parseMath2()
		l = &binaryExpr{"~", l, r}
	}
	return l, err
}

func (p *exprParser) parseMath2() (expr, error) {
	l, err := p.parseUnary()
	for err == nil && (p.is("o", "*") || p.is("o", "/") || p.is("o", "//") || p.is("o", "%")) {
		op := p.next().text
		var r expr
		r, err = p.parseUnary()
		l = &binaryExpr{op, l, r}
	}
	return l, err
}

func (p *exprParser) parseUnary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.is("o", "-") || p.is("o", "+") {
		op := p.next().text
		x, err := p.parseUnary()
		return &unaryExpr{op, x}, err
	}
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if x, err = p.parsePostfix(x); err != nil {
		return nil, err
	}
	return p.parseFilters(x)
}

func (p *exprParser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case 'n':
		switch t.text {
		case "true", "True":
			return &literal{true}, nil
		case "false", "False":
			return &literal{false}, nil
		case "none", "None":
			return &literal{nil}, nil
		}
		return &nameExpr{t.text}, nil
	case 's':
		s := t.text
		for p.peek().kind == 's' { // adjacent literals concatenate
			s += p.next().text
		}
		return &literal{s}, nil
	case 'i':
		v, err := strconv.ParseInt(strings.ReplaceAll(t.text, "_", ""), 10, 64)
		if err != nil {
			return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("bad integer %q", t.text)}
		}
		return &literal{v}, nil
	case 'f':
		v, err := strconv.ParseFloat(strings.ReplaceAll(t.text, "_", ""), 64)
		if err != nil {
			return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("bad number %q", t.text)}
		}
		return &literal{v}, nil
	case 'o':
		switch t.text {
		case "(":
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if p.is("o", ",") { // a tuple: treat as a list
				items := []expr{e}
				for p.accept("o", ",") && !p.is("o", ")") {
					item, err := p.parseExpr()
					if err != nil {
						return nil, err
					}
					items = append(items, item)
				}
				e = &listExpr{items}
			}
			return e, p.expect(")")
		case "[":
			l := &listExpr{}
			for !p.accept("o", "]") {
				item, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, item)
				if !p.accept("o", ",") {
					if err := p.expect("]"); err != nil {
						return nil, err
					}
					break
				}
			}
			return l, nil
		case "{":
			d := &dictExpr{}
			for !p.accept("o", "}") {
				k, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				d.keys, d.vals = append(d.keys, k), append(d.vals, v)
				if !p.accept("o", ",") {
					if err := p.expect("}"); err != nil {
						return nil, err
					}
					break
				}
			}
			return d, nil
		}
	}
	if t.kind == 0 {
		return nil, &Error{Pos: t.pos, Msg: "unexpected end of expression"}
	}
	return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("unexpected %q", t.text)}
}

func (p *exprParser) parsePostfix(x expr) (expr, error) {
	for {
		switch {
		case p.accept("o", "."):
			t := p.next()
			if t.kind != 'n' && t.kind != 'i' {
				return nil, &Error{Pos: t.pos, Msg: "want an attribute name after '.'"}
			}
			x = &attrExpr{x, t.text}
		case p.accept("o", "["):
			var parts [3]expr
			n := 0
			for {
				if !p.is("o", ":") && !p.is("o", "]") {
					e, err := p.parseExpr()
					if err != nil {
						return nil, err
					}
					parts[n] = e
				}
				if n < 2 && p.accept("o", ":") {
					n++
					continue
				}
				break
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			if n == 0 {
				if parts[0] == nil {
					return nil, &Error{Pos: p.peek().pos, Msg: "empty subscript"}
				}
				x = &indexExpr{x, parts[0]}
			} else {
				x = &sliceExpr{x, parts[0], parts[1], parts[2]}
			}
		case p.is("o", "("):
			args, kwNames, kwVals, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			x = &callExpr{x, args, kwNames, kwVals}
		default:
			return x, nil
		}
	}
}

// parseArgs parses "(a, b, k=v)".
func (p *exprParser) parseArgs() (args []expr, kwNames []string, kwVals []expr, err error) {
	if err = p.expect("("); err != nil {
		return
	}
	for !p.accept("o", ")") {
		if p.peek().kind == 'n' && p.toks[p.i+1].kind == 'o' && p.toks[p.i+1].text == "=" {
			kwNames = append(kwNames, p.next().text)
			p.next()
			var v expr
			if v, err = p.parseExpr(); err != nil {
				return
			}
			kwVals = append(kwVals, v)
		} else {
			var a expr
			if a, err = p.parseExpr(); err != nil {
				return
			}
			args = append(args, a)
		}
		if !p.accept("o", ",") {
			err = p.expect(")")
			return
		}
	}
	return
}

func (p *exprParser) parseFilters(x expr) (expr, error) {
	for {
		switch {
		case p.accept("o", "|"):
			t := p.next()
			if t.kind != 'n' {
				return nil, &Error{Pos: t.pos, Msg: "want a filter name after '|'"}
			}
			f := &filterExpr{x: x, name: t.text}
			if p.is("o", "(") {
				var err error
				if f.args, f.kwNames, f.kwVals, err = p.parseArgs(); err != nil {
					return nil, err
				}
			}
			x = f
		case p.accept("n", "is"):
			te := &testExpr{x: x, negate: p.accept("n", "not")}
			t := p.next()
			if t.kind != 'n' {
				return nil, &Error{Pos: t.pos, Msg: "want a test name after 'is'"}
			}
			te.name = t.text
			if p.is("o", "(") {
				args, _, _, err := p.parseArgs()
				if err != nil {
					return nil, err
				}
				te.args = args
			} else if k := p.peek().kind; k == 's' || k == 'i' || k == 'f' || (k == 'n' && !isKeyword(p.peek().text)) {
				// "x is divisibleby 3", "x is equalto 'a'"
				a, err := p.parsePrimary()
				if err != nil {
					return nil, err
				}
				te.args = []expr{a}
			}
			x = te
		default:
			return x, nil
		}
	}
}

func isKeyword(s string) bool {
	switch s {
	case "and", "or", "not", "in", "is", "if", "else", "for":
		return true
	}
	return false
}

// Error is a template parse or render error. Pos is the byte offset in the
// template source (-1 if unknown).
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string {
	if e.Pos < 0 {
		return "chat: template: " + e.Msg
	}
	return fmt.Sprintf("chat: template: offset %d: %s", e.Pos, e.Msg)
}
