package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a strict parser for the subset of TOML 1.0 that a
// configuration file needs: [table] headers, key = value pairs with bare,
// quoted or dotted keys, basic and literal strings, integers, floats,
// booleans, arrays of those scalars (on one or several lines, with a
// trailing comma and comments), and # comments. Everything else TOML has
// (multi-line strings, inline tables, arrays of tables, dates and times) is
// rejected with an error that names the line, never silently misread.
//
// We write it ourselves rather than import a TOML or YAML module because the
// subset is small (a few hundred lines), the config package must import only
// the standard library (style guide §b), and a parser we own can report
// errors as file:line in exactly the form the rest of the package uses.

// tomlKV is one key = value pair of a TOML document.
type tomlKV struct {
	key  string // full dotted key, table prefix included: "server.addr"
	val  any    // string, int64, float64, bool or []any of those
	line int    // 1-based line of the key
}

// tomlError is a syntax error at a line.
type tomlError struct {
	line int
	msg  string
}

func (e *tomlError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// maxTOMLBytes bounds the documents parseTOML accepts (style guide §a.11).
const maxTOMLBytes = 1 << 20

// parseTOML parses src. It returns every pair it could read and every
// syntax error, one per offending line: after an error it resumes at the
// next line.
func parseTOML(src []byte) ([]tomlKV, []*tomlError) {
	if len(src) > maxTOMLBytes {
		return nil, []*tomlError{{1, fmt.Sprintf("file is %d bytes; the limit is %d", len(src), maxTOMLBytes)}}
	}
	p := &tomlParser{src: string(src), line: 1, defined: map[string]int{}, tables: map[string]int{}}
	if !utf8.ValidString(p.src) {
		return nil, []*tomlError{{1, "file is not valid UTF-8"}}
	}
	p.parse()
	return p.kvs, p.errs
}

type tomlParser struct {
	src     string
	pos     int
	line    int
	prefix  string         // current table, "" at top level
	defined map[string]int // key → line it was set
	tables  map[string]int // table → line of its header
	kvs     []tomlKV
	errs    []*tomlError
}

// syntaxError is panicked inside the parser and recovered per line.
type syntaxError struct{ msg string }

func (p *tomlParser) fail(format string, args ...any) {
	panic(syntaxError{fmt.Sprintf(format, args...)})
}

func (p *tomlParser) parse() {
	for p.pos < len(p.src) {
		func() {
			defer func() {
				if r := recover(); r != nil {
					se, ok := r.(syntaxError)
					if !ok {
						panic(r)
					}
					p.errs = append(p.errs, &tomlError{p.line, se.msg})
					p.skipLine()
				}
			}()
			p.statement()
		}()
	}
}

// skipLine moves past the rest of the current line.
func (p *tomlParser) skipLine() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		p.pos++
		if c == '\n' {
			p.line++
			return
		}
	}
}

func (p *tomlParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// skipSpace skips spaces and tabs.
func (p *tomlParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// endOfLine accepts optional whitespace, an optional comment and a newline
// (or the end of the input).
func (p *tomlParser) endOfLine() {
	p.skipSpace()
	if p.peek() == '#' {
		p.comment()
	}
	switch {
	case p.pos >= len(p.src):
	case p.src[p.pos] == '\n':
		p.pos++
		p.line++
	case strings.HasPrefix(p.src[p.pos:], "\r\n"):
		p.pos += 2
		p.line++
	default:
		p.fail("unexpected %q after the value (want a newline or a # comment)", p.rest())
	}
}

// comment consumes a # comment up to, not including, the newline.
func (p *tomlParser) comment() {
	for p.pos < len(p.src) && p.src[p.pos] != '\n' {
		c := p.src[p.pos]
		if c < 0x20 && c != '\t' && !(c == '\r' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n') || c == 0x7f {
			p.fail("control character %#02x in a comment", c)
		}
		p.pos++
	}
}

// rest returns the remainder of the line, for messages.
func (p *tomlParser) rest() string {
	s := p.src[p.pos:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, "\r")
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

func (p *tomlParser) statement() {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return
	}
	switch c := p.peek(); {
	case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7f:
		p.fail("control character U+%04X is not allowed here", c)
	case c == '#' || c == '\n' || c == '\r':
		p.endOfLine()
	case c == '[':
		p.table()
	default:
		p.keyValue()
	}
}

func (p *tomlParser) table() {
	p.pos++ // '['
	if p.peek() == '[' {
		p.fail("arrays of tables ([[...]]) are not supported")
	}
	p.skipSpace()
	parts := p.key()
	p.skipSpace()
	if p.peek() != ']' {
		p.fail("expected ] to close the table header, found %q", p.rest())
	}
	p.pos++
	name := strings.Join(parts, ".")
	if l, ok := p.tables[name]; ok {
		p.fail("table [%s] is defined twice (first at line %d)", name, l)
	}
	if l, ok := p.defined[name]; ok {
		p.fail("table [%s] was already set as a value at line %d", name, l)
	}
	p.tables[name] = p.line
	p.prefix = name
	p.endOfLine()
}

func (p *tomlParser) keyValue() {
	line := p.line
	parts := p.key()
	p.skipSpace()
	if p.peek() != '=' {
		p.fail("expected = after key %q, found %q", strings.Join(parts, "."), p.rest())
	}
	p.pos++
	p.skipSpace()
	v := p.value()
	full := strings.Join(parts, ".")
	if p.prefix != "" {
		full = p.prefix + "." + full
	}
	if l, ok := p.defined[full]; ok {
		p.fail("key %s is set twice (first at line %d)", full, l)
	}
	if l, ok := p.tables[full]; ok {
		p.fail("key %s is also a table (line %d)", full, l)
	}
	p.endOfLine()
	p.defined[full] = line
	p.kvs = append(p.kvs, tomlKV{full, v, line})
}

// key parses a possibly dotted key.
func (p *tomlParser) key() []string {
	var parts []string
	for {
		p.skipSpace()
		var part string
		switch c := p.peek(); {
		case c == '"':
			part = p.basicString()
		case c == '\'':
			part = p.literalString()
		case isBare(c):
			start := p.pos
			for p.pos < len(p.src) && isBare(p.src[p.pos]) {
				p.pos++
			}
			part = p.src[start:p.pos]
		default:
			p.fail("expected a key, found %q", p.rest())
		}
		parts = append(parts, part)
		p.skipSpace()
		if p.peek() != '.' {
			return parts
		}
		p.pos++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value parses one value; arrays may span lines.
func (p *tomlParser) value() any {
	switch c := p.peek(); {
	case c == '"':
		return p.basicString()
	case c == '\'':
		return p.literalString()
	case c == '[':
		return p.array()
	case c == '{':
		p.fail("inline tables ({...}) are not supported; use a [table] header")
	case c == 0 || c == '\n' || c == '\r' || c == '#':
		p.fail("missing value after =")
	}
	start := p.pos
	for p.pos < len(p.src) && (isBare(p.src[p.pos]) || strings.IndexByte("+.:", p.src[p.pos]) >= 0) {
		p.pos++
	}
	tok := p.src[start:p.pos]
	if tok == "" {
		p.fail("unexpected %q where a value should be", p.rest())
	}
	return p.scalar(tok)
}

// scalar interprets a bare token: a boolean, an integer or a float.
func (p *tomlParser) scalar(tok string) any {
	switch tok {
	case "true":
		return true
	case "false":
		return false
	case "inf", "+inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan", "+nan", "-nan":
		return math.NaN()
	}
	if strings.ContainsAny(tok, ":") || len(tok) >= 10 && tok[4] == '-' && tok[7] == '-' {
		p.fail("dates and times are not supported (%s); quote the value as a string", tok)
	}
	digits := strings.TrimLeft(tok, "+-")
	if digits == "" || digits[0] < '0' || digits[0] > '9' {
		p.fail("invalid value %q (strings must be quoted)", tok)
	}
	if !underscoresOK(digits) {
		p.fail("invalid number %q: an underscore must sit between two digits", tok)
	}
	clean := strings.ReplaceAll(tok, "_", "")
	if len(digits) > 1 && digits[0] == '0' {
		switch digits[1] {
		case 'x', 'o', 'b':
			if tok[0] == '+' || tok[0] == '-' {
				p.fail("invalid number %q: a hexadecimal, octal or binary integer has no sign", tok)
			}
			v, err := strconv.ParseInt(clean, 0, 64)
			if err != nil {
				p.fail("invalid integer %q: %v", tok, numErr(err))
			}
			return v
		}
	}
	isFloat := strings.ContainsAny(digits, ".eE")
	intPart := strings.ReplaceAll(digits, "_", "")
	if i := strings.IndexAny(intPart, ".eE"); i >= 0 {
		intPart = intPart[:i]
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		p.fail("invalid number %q: leading zeros are not allowed", tok)
	}
	if !isFloat {
		v, err := strconv.ParseInt(clean, 10, 64)
		if err != nil {
			p.fail("invalid integer %q: %v", tok, numErr(err))
		}
		return v
	}
	// A '.' must have a digit on both sides (TOML: "1." and ".5" are invalid).
	if i := strings.IndexByte(clean, '.'); i >= 0 {
		if i == 0 || clean[i-1] < '0' || clean[i-1] > '9' || i+1 >= len(clean) || clean[i+1] < '0' || clean[i+1] > '9' {
			p.fail("invalid float %q: a decimal point needs digits on both sides", tok)
		}
	}
	v, err := strconv.ParseFloat(clean, 64)
	if err != nil || strings.ContainsAny(clean, "xXpP") {
		p.fail("invalid float %q", tok)
	}
	return v
}

func numErr(err error) string {
	if ne, ok := err.(*strconv.NumError); ok {
		return ne.Err.Error()
	}
	return err.Error()
}

// underscoresOK reports whether every '_' in s sits between two digits.
func underscoresOK(s string) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && (i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1])) {
			return false
		}
	}
	return true
}

// array parses [v, v, ...], which may span lines and hold comments.
func (p *tomlParser) array() []any {
	p.pos++ // '['
	out := []any{}
	for {
		p.skipArraySpace()
		if p.peek() == ']' {
			p.pos++
			return out
		}
		if p.peek() == 0 {
			p.fail("unterminated array")
		}
		if p.peek() == '[' {
			p.fail("arrays of arrays are not supported")
		}
		out = append(out, p.value())
		p.skipArraySpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return out
		default:
			p.fail("expected , or ] in the array, found %q", p.rest())
		}
	}
}

// skipArraySpace skips whitespace, newlines and comments inside an array.
func (p *tomlParser) skipArraySpace() {
	for {
		p.skipSpace()
		switch {
		case p.peek() == '#':
			p.comment()
		case p.peek() == '\n':
			p.pos++
			p.line++
		case strings.HasPrefix(p.src[p.pos:], "\r\n"):
			p.pos += 2
			p.line++
		default:
			return
		}
	}
}

func (p *tomlParser) basicString() string {
	if strings.HasPrefix(p.src[p.pos:], `"""`) {
		p.fail("multi-line strings are not supported")
	}
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			p.fail("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String()
		case c == '\n' || c == '\r':
			p.fail("unterminated string (a basic string ends on its line)")
		case c == '\\':
			p.pos++
			b.WriteString(p.escape())
			continue
		case c < 0x20 && c != '\t' || c == 0x7f:
			p.fail("control character %#02x in a string; escape it", c)
		}
		b.WriteByte(c)
		p.pos++
	}
}

// escape decodes the escape sequence after a backslash.
func (p *tomlParser) escape() string {
	if p.pos >= len(p.src) {
		p.fail("unterminated string")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'b':
		return "\b"
	case 't':
		return "\t"
	case 'n':
		return "\n"
	case 'f':
		return "\f"
	case 'r':
		return "\r"
	case '"':
		return `"`
	case '\\':
		return `\`
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if p.pos+n > len(p.src) {
			p.fail("short \\%c escape", c)
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) {
			p.fail("invalid escape \\%c%s", c, p.src[p.pos:p.pos+n])
		}
		p.pos += n
		return string(rune(v))
	}
	p.fail("invalid escape \\%c", c)
	return ""
}

func (p *tomlParser) literalString() string {
	if strings.HasPrefix(p.src[p.pos:], `'''`) {
		p.fail("multi-line strings are not supported")
	}
	p.pos++
	start := p.pos
	for {
		if p.pos >= len(p.src) {
			p.fail("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == '\'':
			s := p.src[start:p.pos]
			p.pos++
			return s
		case c == '\n' || c == '\r':
			p.fail("unterminated string (a literal string ends on its line)")
		case c < 0x20 && c != '\t' || c == 0x7f:
			p.fail("control character %#02x in a string", c)
		}
		p.pos++
	}
}

// tomlQuote formats s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
