package chat

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Values of the evaluator, modelled on Python's: nil (None), bool, int64,
// float64, string, []value (list), *dict (an insertion-ordered dict),
// *namespace, undefined, and callables.
type value = any

// undefined is a missing variable, attribute or key. It renders as "", is
// false, and any attribute or key of it is again undefined (lenient where
// jinja2 would raise, so templates that probe optional fields work).
type undefined struct{}

// dict is an insertion-ordered string-keyed mapping.
type dict struct {
	keys []string
	m    map[string]value
}

func newDict() *dict { return &dict{m: map[string]value{}} }

func (d *dict) set(k string, v value) {
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.m[k] = v
}

// namespace is the mutable object that namespace() returns.
type namespace struct{ d *dict }

// builtin is a global function or bound method.
type builtin func(args []value, kw map[string]value) (value, error)

// Limits that keep a hostile template's work and output bounded.
const (
	maxOutput     = 1 << 20 // bytes rendered
	maxIterations = 1 << 20 // loop iterations in one render
	maxRangeLen   = 1 << 16 // items of range()
)

// evaluator renders one template.
type evaluator struct {
	scopes []map[string]value
	out    strings.Builder
	steps  int
}

func errorf(format string, args ...any) error {
	return &Error{Pos: -1, Msg: fmt.Sprintf(format, args...)}
}

// raised is the error of raise_exception(), which a template uses to reject
// a conversation it cannot render.
type raised struct{ msg string }

func (e *raised) Error() string { return "chat: template raised: " + e.msg }

func (ev *evaluator) lookup(name string) value {
	for i := len(ev.scopes) - 1; i >= 0; i-- {
		if v, ok := ev.scopes[i][name]; ok {
			return v
		}
	}
	if g, ok := globals[name]; ok {
		return g
	}
	return undefined{}
}

func (ev *evaluator) write(s string) error {
	if ev.out.Len()+len(s) > maxOutput {
		return errorf("output exceeds %d bytes", maxOutput)
	}
	ev.out.WriteString(s)
	return nil
}

func (ev *evaluator) exec(body []node) error {
	for _, n := range body {
		switch n := n.(type) {
		case textNode:
			if err := ev.write(n.text); err != nil {
				return err
			}
		case outputNode:
			v, err := ev.eval(n.expr)
			if err != nil {
				return err
			}
			if err := ev.write(str(v)); err != nil {
				return err
			}
		case *ifNode:
			done := false
			for i, c := range n.conds {
				v, err := ev.eval(c)
				if err != nil {
					return err
				}
				if truth(v) {
					if err := ev.exec(n.bodies[i]); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done && len(n.bodies) > len(n.conds) {
				if err := ev.exec(n.bodies[len(n.conds)]); err != nil {
					return err
				}
			}
		case *forNode:
			if err := ev.execFor(n); err != nil {
				return err
			}
		case *setNode:
			v, err := ev.eval(n.value)
			if err != nil {
				return err
			}
			if n.attr == "" {
				ev.scopes[len(ev.scopes)-1][n.name] = v
				continue
			}
			ns, ok := ev.lookup(n.name).(*namespace)
			if !ok {
				return errorf("cannot set attribute %q of %s: not a namespace", n.attr, n.name)
			}
			ns.d.set(n.attr, v)
		}
	}
	return nil
}

func (ev *evaluator) execFor(n *forNode) error {
	it, err := ev.eval(n.iter)
	if err != nil {
		return err
	}
	items, err := iterate(it)
	if err != nil {
		return err
	}
	scope := map[string]value{}
	ev.scopes = append(ev.scopes, scope)
	defer func() { ev.scopes = ev.scopes[:len(ev.scopes)-1] }()
	bind := func(item value) error {
		if len(n.vars) == 1 {
			scope[n.vars[0]] = item
			return nil
		}
		parts, ok := item.([]value)
		if !ok || len(parts) != len(n.vars) {
			return errorf("cannot unpack %s into %d loop variables", typeName(item), len(n.vars))
		}
		for i, name := range n.vars {
			scope[name] = parts[i]
		}
		return nil
	}
	if n.filter != nil {
		var kept []value
		for _, item := range items {
			if err := bind(item); err != nil {
				return err
			}
			v, err := ev.eval(n.filter)
			if err != nil {
				return err
			}
			if truth(v) {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return ev.exec(n.elseBody)
	}
	for i, item := range items {
		if ev.steps++; ev.steps > maxIterations {
			return errorf("more than %d loop iterations", maxIterations)
		}
		if err := bind(item); err != nil {
			return err
		}
		loop := newDict()
		loop.set("index", int64(i+1))
		loop.set("index0", int64(i))
		loop.set("revindex", int64(len(items)-i))
		loop.set("revindex0", int64(len(items)-i-1))
		loop.set("first", i == 0)
		loop.set("last", i == len(items)-1)
		loop.set("length", int64(len(items)))
		var prev, next value = undefined{}, undefined{}
		if i > 0 {
			prev = items[i-1]
		}
		if i+1 < len(items) {
			next = items[i+1]
		}
		loop.set("previtem", prev)
		loop.set("nextitem", next)
		scope["loop"] = loop
		if err := ev.exec(n.body); err != nil {
			return err
		}
	}
	return nil
}

// iterate returns the items a for loop visits: list items, a dict's keys,
// a string's characters.
func iterate(v value) ([]value, error) {
	switch v := v.(type) {
	case []value:
		return v, nil
	case *dict:
		items := make([]value, len(v.keys))
		for i, k := range v.keys {
			items[i] = k
		}
		return items, nil
	case string:
		var items []value
		for _, r := range v {
			items = append(items, string(r))
		}
		return items, nil
	case undefined, nil:
		return nil, nil
	}
	return nil, errorf("%s is not iterable", typeName(v))
}

func (ev *evaluator) eval(e expr) (value, error) {
	switch e := e.(type) {
	case *literal:
		return e.v, nil
	case *nameExpr:
		return ev.lookup(e.name), nil
	case *listExpr:
		l := make([]value, 0, len(e.items))
		for _, it := range e.items {
			v, err := ev.eval(it)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case *dictExpr:
		d := newDict()
		for i := range e.keys {
			k, err := ev.eval(e.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := ev.eval(e.vals[i])
			if err != nil {
				return nil, err
			}
			d.set(str(k), v)
		}
		return d, nil
	case *attrExpr:
		x, err := ev.eval(e.x)
		if err != nil {
			return nil, err
		}
		return getAttr(x, e.name), nil
	case *indexExpr:
		x, err := ev.eval(e.x)
		if err != nil {
			return nil, err
		}
		i, err := ev.eval(e.index)
		if err != nil {
			return nil, err
		}
		return getItem(x, i), nil
	case *sliceExpr:
		return ev.evalSlice(e)
	case *callExpr:
		fn, err := ev.eval(e.fn)
		if err != nil {
			return nil, err
		}
		args, kw, err := ev.evalArgs(e.args, e.kwNames, e.kwVals)
		if err != nil {
			return nil, err
		}
		f, ok := fn.(builtin)
		if !ok {
			return nil, errorf("%s is not callable", typeName(fn))
		}
		return f(args, kw)
	case *filterExpr:
		x, err := ev.eval(e.x)
		if err != nil {
			return nil, err
		}
		args, kw, err := ev.evalArgs(e.args, e.kwNames, e.kwVals)
		if err != nil {
			return nil, err
		}
		return applyFilter(e.name, x, args, kw)
	case *testExpr:
		x, err := ev.eval(e.x)
		if err != nil {
			return nil, err
		}
		args, _, err := ev.evalArgs(e.args, nil, nil)
		if err != nil {
			return nil, err
		}
		ok, err := applyTest(e.name, x, args)
		return ok != e.negate, err
	case *unaryExpr:
		x, err := ev.eval(e.x)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "not":
			return !truth(x), nil
		case "-":
			switch x := x.(type) {
			case int64:
				return -x, nil
			case float64:
				return -x, nil
			}
			return nil, errorf("bad operand for unary -: %s", typeName(x))
		}
		return x, nil
	case *binaryExpr:
		return ev.evalBinary(e)
	case *condExpr:
		c, err := ev.eval(e.cond)
		if err != nil {
			return nil, err
		}
		if truth(c) {
			return ev.eval(e.yes)
		}
		if e.no == nil {
			return undefined{}, nil
		}
		return ev.eval(e.no)
	}
	return nil, errorf("internal: unknown expression %T", e)
}

func (ev *evaluator) evalArgs(args []expr, kwNames []string, kwVals []expr) ([]value, map[string]value, error) {
	var vals []value
	for _, a := range args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, nil, err
		}
		vals = append(vals, v)
	}
	var kw map[string]value
	for i, name := range kwNames {
		v, err := ev.eval(kwVals[i])
		if err != nil {
			return nil, nil, err
		}
		if kw == nil {
			kw = map[string]value{}
		}
		kw[name] = v
	}
	return vals, kw, nil
}

func (ev *evaluator) evalSlice(e *sliceExpr) (value, error) {
	x, err := ev.eval(e.x)
	if err != nil {
		return nil, err
	}
	var bounds [3]*int64
	for i, part := range []expr{e.lo, e.hi, e.step} {
		if part == nil {
			continue
		}
		v, err := ev.eval(part)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		n, ok := v.(int64)
		if !ok {
			return nil, errorf("slice indices must be integers, not %s", typeName(v))
		}
		bounds[i] = &n
	}
	var items []value
	_, isStr := x.(string)
	switch x := x.(type) {
	case []value:
		items = x
	case string:
		runes := []rune(x)
		items = make([]value, len(runes))
		for i, r := range runes {
			items[i] = string(r)
		}
	case undefined:
		return undefined{}, nil
	default:
		return nil, errorf("%s cannot be sliced", typeName(x))
	}
	idx := pySlice(len(items), bounds)
	out := make([]value, 0, len(idx))
	for _, i := range idx {
		out = append(out, items[i])
	}
	if isStr {
		var sb strings.Builder
		for _, v := range out {
			sb.WriteString(v.(string))
		}
		return sb.String(), nil
	}
	return out, nil
}

// pySlice returns the indices that Python's s[lo:hi:step] selects from a
// sequence of length n.
func pySlice(n int, b [3]*int64) []int {
	step := int64(1)
	if b[2] != nil {
		step = *b[2]
	}
	if step == 0 {
		step = 1
	}
	clamp := func(p *int64, def int64) int64 {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += int64(n)
		}
		if step > 0 {
			return max(0, min(v, int64(n)))
		}
		return max(-1, min(v, int64(n)-1))
	}
	var idx []int
	if step > 0 {
		lo, hi := clamp(b[0], 0), clamp(b[1], int64(n))
		for i := lo; i < hi; i += step {
			idx = append(idx, int(i))
		}
	} else {
		lo, hi := clamp(b[0], int64(n)-1), clamp(b[1], -1)
		for i := lo; i > hi; i += step {
			idx = append(idx, int(i))
		}
	}
	return idx
}

func (ev *evaluator) evalBinary(e *binaryExpr) (value, error) {
	l, err := ev.eval(e.l)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "and":
		if !truth(l) {
			return l, nil
		}
		return ev.eval(e.r)
	case "or":
		if truth(l) {
			return l, nil
		}
		return ev.eval(e.r)
	}
	r, err := ev.eval(e.r)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "<", ">", "<=", ">=":
		c, err := compare(l, r)
		if err != nil {
			return nil, err
		}
		return map[string]bool{"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[e.op], nil
	case "in", "not in":
		ok, err := contains(r, l)
		return ok != (e.op == "not in"), err
	case "~":
		s := str(l) + str(r)
		if len(s) > maxOutput {
			return nil, errorf("string exceeds %d bytes", maxOutput)
		}
		return s, nil
	}
	return arith(e.op, l, r)
}

func arith(op string, l, r value) (value, error) {
	switch op {
	case "+":
		switch lv := l.(type) {
		case string:
			if rv, ok := r.(string); ok {
				if len(lv)+len(rv) > maxOutput {
					return nil, errorf("string exceeds %d bytes", maxOutput)
				}
				return lv + rv, nil
			}
		case []value:
			if rv, ok := r.([]value); ok {
				if len(lv)+len(rv) > maxRangeLen {
					return nil, errorf("list exceeds %d items", maxRangeLen)
				}
				return append(append([]value{}, lv...), rv...), nil
			}
		}
	case "*":
		if s, ok := l.(string); ok {
			if n, ok := r.(int64); ok {
				if n < 0 {
					n = 0
				}
				if int64(len(s))*n > maxOutput {
					return nil, errorf("string exceeds %d bytes", maxOutput)
				}
				return strings.Repeat(s, int(n)), nil
			}
		}
	}
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if b, ok := l.(bool); ok {
		li, lInt = boolInt(b), true
	}
	if b, ok := r.(bool); ok {
		ri, rInt = boolInt(b), true
	}
	if lInt && rInt {
		switch op {
		case "+":
			return li + ri, nil
		case "-":
			return li - ri, nil
		case "*":
			return li * ri, nil
		case "/":
			if ri == 0 {
				return nil, errorf("division by zero")
			}
			return float64(li) / float64(ri), nil
		case "//", "%":
			if ri == 0 {
				return nil, errorf("division by zero")
			}
			q, m := li/ri, li%ri
			if m != 0 && (m < 0) != (ri < 0) {
				q, m = q-1, m+ri
			}
			if op == "//" {
				return q, nil
			}
			return m, nil
		}
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if lok && rok {
		switch op {
		case "+":
			return lf + rf, nil
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, errorf("division by zero")
			}
			return lf / rf, nil
		case "//":
			if rf == 0 {
				return nil, errorf("division by zero")
			}
			return math.Floor(lf / rf), nil
		case "%":
			if rf == 0 {
				return nil, errorf("division by zero")
			}
			return lf - math.Floor(lf/rf)*rf, nil
		}
	}
	return nil, errorf("unsupported operand types for %s: %s and %s", op, typeName(l), typeName(r))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func toFloat(v value) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case bool:
		return float64(boolInt(v)), true
	}
	return 0, false
}

func equal(a, b value) bool {
	if af, ok := toFloat(a); ok {
		bf, ok := toFloat(b)
		return ok && af == bf
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case nil:
		return b == nil
	case undefined:
		_, ok := b.(undefined)
		return ok
	case []value:
		b, ok := b.([]value)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case *dict:
		b, ok := b.(*dict)
		if !ok || len(a.keys) != len(b.keys) {
			return false
		}
		for k, v := range a.m {
			if bv, ok := b.m[k]; !ok || !equal(v, bv) {
				return false
			}
		}
		return true
	}
	return a == b
}

func compare(a, b value) (int, error) {
	if af, ok := toFloat(a); ok {
		if bf, ok := toFloat(b); ok {
			switch {
			case af < bf:
				return -1, nil
			case af > bf:
				return 1, nil
			}
			return 0, nil
		}
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.Compare(as, bs), nil
		}
	}
	return 0, errorf("cannot compare %s and %s", typeName(a), typeName(b))
}

func contains(container, item value) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, errorf("'in <string>' requires a string, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case []value:
		for _, v := range c {
			if equal(v, item) {
				return true, nil
			}
		}
		return false, nil
	case *dict:
		s, ok := item.(string)
		if !ok {
			return false, nil
		}
		_, found := c.m[s]
		return found, nil
	case *namespace:
		return contains(c.d, item)
	case undefined, nil:
		return false, nil
	}
	return false, errorf("%s is not a container", typeName(container))
}

func truth(v value) bool {
	switch v := v.(type) {
	case nil, undefined:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0
	case string:
		return v != ""
	case []value:
		return len(v) > 0
	case *dict:
		return len(v.keys) > 0
	}
	return true
}

func typeName(v value) string {
	switch v.(type) {
	case nil:
		return "none"
	case undefined:
		return "undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	case []value:
		return "list"
	case *dict:
		return "dict"
	case *namespace:
		return "namespace"
	case builtin:
		return "function"
	}
	return fmt.Sprintf("%T", v)
}

// str converts v to text as Jinja's {{ }} does (Python's str; "" for
// undefined).
func str(v value) string {
	switch v := v.(type) {
	case undefined:
		return ""
	case string:
		return v
	}
	return repr(v, false)
}

// repr is Python's repr (quoted strings) or, with top false, str.
func repr(v value, quote bool) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case undefined:
		return ""
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e16 {
			return strconv.FormatFloat(v, 'f', 1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		if !quote {
			return v
		}
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(v) + "'"
	case []value:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = repr(x, true)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *dict:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = repr(k, true) + ": " + repr(v.m[k], true)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *namespace:
		return "<Namespace " + repr(v.d, true) + ">"
	}
	return "<" + typeName(v) + ">"
}

func getAttr(x value, name string) value {
	switch x := x.(type) {
	case *dict:
		if v, ok := x.m[name]; ok {
			return v
		}
		return dictMethod(x, name)
	case *namespace:
		if v, ok := x.d.m[name]; ok {
			return v
		}
	case string:
		return stringMethod(x, name)
	}
	return undefined{}
}

func getItem(x, i value) value {
	switch x := x.(type) {
	case *dict:
		if v, ok := x.m[str(i)]; ok {
			if _, isStr := i.(string); isStr {
				return v
			}
		}
	case *namespace:
		return getItem(x.d, i)
	case []value:
		if n, ok := i.(int64); ok {
			if n < 0 {
				n += int64(len(x))
			}
			if n >= 0 && n < int64(len(x)) {
				return x[n]
			}
		}
	case string:
		if n, ok := i.(int64); ok {
			r := []rune(x)
			if n < 0 {
				n += int64(len(r))
			}
			if n >= 0 && n < int64(len(r)) {
				return string(r[n])
			}
		}
	}
	return undefined{}
}

func argString(args []value, i int, def string) string {
	if i < len(args) {
		if s, ok := args[i].(string); ok {
			return s
		}
	}
	return def
}

func stringMethod(s, name string) value {
	switch name {
	case "strip", "lstrip", "rstrip":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			cut := argString(args, 0, "")
			f := map[string]func(string, string) string{"strip": strings.Trim, "lstrip": strings.TrimLeft, "rstrip": strings.TrimRight}[name]
			if cut == "" {
				f2 := map[string]func(string) string{"strip": strings.TrimSpace, "lstrip": trimLeftSpace, "rstrip": trimRightSpace}[name]
				return f2(s), nil
			}
			return f(s, cut), nil
		})
	case "upper":
		return builtin(func([]value, map[string]value) (value, error) { return strings.ToUpper(s), nil })
	case "lower":
		return builtin(func([]value, map[string]value) (value, error) { return strings.ToLower(s), nil })
	case "title":
		return builtin(func([]value, map[string]value) (value, error) { return title(s), nil })
	case "capitalize":
		return builtin(func([]value, map[string]value) (value, error) { return capitalize(s), nil })
	case "startswith", "endswith":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			f := strings.HasPrefix
			if name == "endswith" {
				f = strings.HasSuffix
			}
			if len(args) == 1 {
				if l, ok := args[0].([]value); ok {
					for _, x := range l {
						if xs, ok := x.(string); ok && f(s, xs) {
							return true, nil
						}
					}
					return false, nil
				}
			}
			return f(s, argString(args, 0, "")), nil
		})
	case "split":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			var parts []string
			if sep := argString(args, 0, ""); sep != "" {
				parts = strings.Split(s, sep)
			} else {
				parts = strings.Fields(s)
			}
			out := make([]value, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		})
	case "replace":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			return replace(s, argString(args, 0, ""), argString(args, 1, ""))
		})
	case "count":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			return int64(strings.Count(s, argString(args, 0, ""))), nil
		})
	case "find":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			return int64(strings.Index(s, argString(args, 0, ""))), nil
		})
	}
	return undefined{}
}

func replace(s, old, new string) (value, error) {
	if old != "" && int64(strings.Count(s, old))*int64(len(new)) > maxOutput {
		return nil, errorf("string exceeds %d bytes", maxOutput)
	}
	if old == "" && int64(len(s)+1)*int64(len(new)) > maxOutput {
		return nil, errorf("string exceeds %d bytes", maxOutput)
	}
	return strings.ReplaceAll(s, old, new), nil
}

func trimLeftSpace(s string) string  { return strings.TrimLeftFunc(s, unicode.IsSpace) }
func trimRightSpace(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

func dictMethod(d *dict, name string) value {
	switch name {
	case "items":
		return builtin(func([]value, map[string]value) (value, error) {
			out := make([]value, len(d.keys))
			for i, k := range d.keys {
				out[i] = []value{k, d.m[k]}
			}
			return out, nil
		})
	case "keys":
		return builtin(func([]value, map[string]value) (value, error) {
			out := make([]value, len(d.keys))
			for i, k := range d.keys {
				out[i] = k
			}
			return out, nil
		})
	case "values":
		return builtin(func([]value, map[string]value) (value, error) {
			out := make([]value, len(d.keys))
			for i, k := range d.keys {
				out[i] = d.m[k]
			}
			return out, nil
		})
	case "get":
		return builtin(func(args []value, _ map[string]value) (value, error) {
			if len(args) == 0 {
				return nil, errorf("get() needs a key")
			}
			if v, ok := d.m[str(args[0])]; ok {
				return v, nil
			}
			if len(args) > 1 {
				return args[1], nil
			}
			return nil, nil
		})
	}
	return undefined{}
}

// capitalize is Python's str.capitalize: first character upper, the rest
// lower.
func capitalize(s string) string {
	r, w := utf8.DecodeRuneInString(s)
	if w == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + strings.ToLower(s[w:])
}

// title is Python's str.title.
func title(s string) string {
	var sb strings.Builder
	prevLetter := false
	for _, r := range s {
		if prevLetter {
			sb.WriteRune(unicode.ToLower(r))
		} else {
			sb.WriteRune(unicode.ToTitle(r))
		}
		prevLetter = unicode.IsLetter(r)
	}
	return sb.String()
}

var globals map[string]value

func init() {
	globals = map[string]value{
		"raise_exception": builtin(func(args []value, _ map[string]value) (value, error) {
			msg := "error"
			if len(args) > 0 {
				msg = str(args[0])
			}
			return nil, &raised{msg}
		}),
		"namespace": builtin(func(_ []value, kw map[string]value) (value, error) {
			ns := &namespace{newDict()}
			keys := make([]string, 0, len(kw))
			for k := range kw {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				ns.d.set(k, kw[k])
			}
			return ns, nil
		}),
		"range": builtin(func(args []value, _ map[string]value) (value, error) {
			var b [3]int64
			b[2] = 1
			ints := make([]int64, len(args))
			for i, a := range args {
				n, ok := a.(int64)
				if !ok {
					return nil, errorf("range() wants integers, not %s", typeName(a))
				}
				ints[i] = n
			}
			switch len(ints) {
			case 1:
				b[1] = ints[0]
			case 2, 3:
				copy(b[:], ints)
			default:
				return nil, errorf("range() takes 1 to 3 arguments")
			}
			if b[2] == 0 {
				return nil, errorf("range() step must not be zero")
			}
			var out []value
			for i := b[0]; (b[2] > 0 && i < b[1]) || (b[2] < 0 && i > b[1]); i += b[2] {
				if len(out) >= maxRangeLen {
					return nil, errorf("range() longer than %d", maxRangeLen)
				}
				out = append(out, i)
			}
			return out, nil
		}),
		"strftime_now": builtin(func(args []value, _ map[string]value) (value, error) {
			return strftime(now(), argString(args, 0, "")), nil
		}),
	}
}

// now is the clock of strftime_now; tests replace it.
var now = time.Now

// strftime formats t with the C directives templates use.
func strftime(t time.Time, f string) string {
	var sb strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			sb.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'd':
			fmt.Fprintf(&sb, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&sb, "%2d", t.Day())
		case 'm':
			fmt.Fprintf(&sb, "%02d", int(t.Month()))
		case 'Y':
			fmt.Fprintf(&sb, "%d", t.Year())
		case 'y':
			fmt.Fprintf(&sb, "%02d", t.Year()%100)
		case 'b':
			sb.WriteString(t.Month().String()[:3])
		case 'B':
			sb.WriteString(t.Month().String())
		case 'a':
			sb.WriteString(t.Weekday().String()[:3])
		case 'A':
			sb.WriteString(t.Weekday().String())
		case 'H':
			fmt.Fprintf(&sb, "%02d", t.Hour())
		case 'M':
			fmt.Fprintf(&sb, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&sb, "%02d", t.Second())
		case '%':
			sb.WriteByte('%')
		default:
			sb.WriteByte('%')
			sb.WriteByte(f[i])
		}
	}
	return sb.String()
}

func applyFilter(name string, x value, args []value, kw map[string]value) (value, error) {
	switch name {
	case "trim":
		return strings.TrimSpace(str(x)), nil
	case "upper":
		return strings.ToUpper(str(x)), nil
	case "lower":
		return strings.ToLower(str(x)), nil
	case "capitalize":
		return capitalize(str(x)), nil
	case "title":
		return title(str(x)), nil
	case "string":
		return str(x), nil
	case "safe", "e", "escape", "forceescape":
		// Chat templates render without autoescape.
		return x, nil
	case "length", "count":
		switch x := x.(type) {
		case string:
			return int64(utf8.RuneCountInString(x)), nil
		case []value:
			return int64(len(x)), nil
		case *dict:
			return int64(len(x.keys)), nil
		case undefined, nil:
			return int64(0), nil
		}
		return nil, errorf("%s has no length", typeName(x))
	case "first", "last":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undefined{}, nil
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "list":
		return iterate(x)
	case "reverse":
		if s, ok := x.(string); ok {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		}
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		out := make([]value, len(items))
		for i, v := range items {
			out[len(items)-1-i] = v
		}
		return out, nil
	case "join":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		total := 0
		for i, v := range items {
			parts[i] = str(v)
			total += len(parts[i])
		}
		if total > maxOutput {
			return nil, errorf("string exceeds %d bytes", maxOutput)
		}
		return strings.Join(parts, argString(args, 0, "")), nil
	case "default", "d":
		var def value = ""
		if len(args) > 0 {
			def = args[0]
		}
		boolean := len(args) > 1 && truth(args[1])
		if _, undef := x.(undefined); undef || (boolean && !truth(x)) {
			return def, nil
		}
		return x, nil
	case "replace":
		return replace(str(x), argString(args, 0, ""), argString(args, 1, ""))
	case "int":
		switch v := x.(type) {
		case int64:
			return v, nil
		case float64:
			return int64(v), nil
		case bool:
			return boolInt(v), nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return int64(0), nil
			}
			return n, nil
		}
		return int64(0), nil
	case "float":
		if f, ok := toFloat(x); ok {
			return f, nil
		}
		if s, ok := x.(string); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
				return f, nil
			}
		}
		return 0.0, nil
	case "abs":
		switch v := x.(type) {
		case int64:
			if v < 0 {
				return -v, nil
			}
			return v, nil
		case float64:
			return math.Abs(v), nil
		}
		return nil, errorf("abs of %s", typeName(x))
	case "items":
		d, ok := x.(*dict)
		if !ok {
			return nil, errorf("items of %s", typeName(x))
		}
		return dictMethod(d, "items").(builtin)(nil, nil)
	case "tojson":
		indent := -1
		if v, ok := kw["indent"].(int64); ok {
			indent = int(v)
		} else if len(args) > 0 {
			if v, ok := args[0].(int64); ok {
				indent = int(v)
			}
		}
		var sb strings.Builder
		if err := writeJSON(&sb, x, indent, 0); err != nil {
			return nil, err
		}
		return sb.String(), nil
	case "selectattr", "rejectattr", "select", "reject":
		return filterItems(name, x, args)
	case "map":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		out := make([]value, 0, len(items))
		for _, it := range items {
			if attr, ok := kw["attribute"].(string); ok {
				v := getAttr(it, attr)
				if _, undef := v.(undefined); undef {
					if def, ok := kw["default"]; ok {
						v = def
					}
				}
				out = append(out, v)
				continue
			}
			if len(args) == 0 {
				return nil, errorf("map() needs a filter name or attribute=")
			}
			v, err := applyFilter(str(args[0]), it, args[1:], nil)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "indent":
		width := 4
		if len(args) > 0 {
			if n, ok := args[0].(int64); ok && n >= 0 && n < 1000 {
				width = int(n)
			}
		}
		first := len(args) > 1 && truth(args[1])
		if v, ok := kw["first"]; ok {
			first = truth(v)
		}
		pad := strings.Repeat(" ", width)
		lines := strings.Split(str(x), "\n")
		for i := range lines {
			if (i > 0 || first) && lines[i] != "" {
				lines[i] = pad + lines[i]
			}
		}
		s := strings.Join(lines, "\n")
		if len(s) > maxOutput {
			return nil, errorf("string exceeds %d bytes", maxOutput)
		}
		return s, nil
	}
	return nil, errorf("unsupported filter %q", name)
}

// filterItems implements select, reject, selectattr and rejectattr.
func filterItems(name string, x value, args []value) (value, error) {
	items, err := iterate(x)
	if err != nil {
		return nil, err
	}
	byAttr := strings.HasSuffix(name, "attr")
	keep := strings.HasPrefix(name, "select")
	var attr string
	if byAttr {
		if len(args) == 0 {
			return nil, errorf("%s() needs an attribute", name)
		}
		attr, args = str(args[0]), args[1:]
	}
	var out []value
	for _, it := range items {
		v := it
		if byAttr {
			v = getAttr(it, attr)
		}
		var ok bool
		if len(args) == 0 {
			ok = truth(v)
		} else {
			if ok, err = applyTest(str(args[0]), v, args[1:]); err != nil {
				return nil, err
			}
		}
		if ok == keep {
			out = append(out, it)
		}
	}
	return out, nil
}

func applyTest(name string, x value, args []value) (bool, error) {
	arg := func() value {
		if len(args) > 0 {
			return args[0]
		}
		return undefined{}
	}
	switch name {
	case "defined":
		_, undef := x.(undefined)
		return !undef, nil
	case "undefined":
		_, undef := x.(undefined)
		return undef, nil
	case "none":
		return x == nil, nil
	case "string":
		_, ok := x.(string)
		return ok, nil
	case "number":
		switch x.(type) {
		case int64, float64:
			return true, nil
		}
		return false, nil
	case "integer":
		_, ok := x.(int64)
		return ok, nil
	case "float":
		_, ok := x.(float64)
		return ok, nil
	case "boolean":
		_, ok := x.(bool)
		return ok, nil
	case "true":
		return x == true, nil
	case "false":
		return x == false, nil
	case "mapping":
		switch x.(type) {
		case *dict, *namespace:
			return true, nil
		}
		return false, nil
	case "sequence", "iterable":
		switch x.(type) {
		case []value, string, *dict:
			return true, nil
		}
		return false, nil
	case "callable":
		_, ok := x.(builtin)
		return ok, nil
	case "equalto", "eq", "==", "sameas":
		return equal(x, arg()), nil
	case "ne", "!=":
		return !equal(x, arg()), nil
	case "in":
		return contains(arg(), x)
	case "even", "odd":
		n, ok := x.(int64)
		if !ok {
			return false, errorf("%s test of %s", name, typeName(x))
		}
		return (n%2 == 0) == (name == "even"), nil
	case "divisibleby":
		n, ok1 := x.(int64)
		d, ok2 := arg().(int64)
		if !ok1 || !ok2 || d == 0 {
			return false, errorf("divisibleby needs non-zero integers")
		}
		return n%d == 0, nil
	case "lower":
		s, ok := x.(string)
		return ok && s == strings.ToLower(s), nil
	case "upper":
		s, ok := x.(string)
		return ok && s == strings.ToUpper(s), nil
	case "gt", "ge", "lt", "le", ">", ">=", "<", "<=":
		c, err := compare(x, arg())
		if err != nil {
			return false, err
		}
		switch name {
		case "gt", ">":
			return c > 0, nil
		case "ge", ">=":
			return c >= 0, nil
		case "lt", "<":
			return c < 0, nil
		}
		return c <= 0, nil
	}
	return false, errorf("unsupported test %q", name)
}

// writeJSON writes v as JSON the way Hugging Face's tojson filter does
// (Python's json.dumps with ensure_ascii=False: separators ", " and ": ";
// with indent, one item per line).
func writeJSON(sb *strings.Builder, v value, indent, depth int) error {
	if depth > maxParseDepth {
		return errorf("tojson: value nested too deeply")
	}
	if sb.Len() > maxOutput {
		return errorf("output exceeds %d bytes", maxOutput)
	}
	nl := func(d int) {
		if indent >= 0 {
			sb.WriteByte('\n')
			sb.WriteString(strings.Repeat(" ", min(indent*d, 1<<12)))
		}
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	switch v := v.(type) {
	case nil, undefined:
		sb.WriteString("null")
	case bool:
		sb.WriteString(strconv.FormatBool(v))
	case int64:
		sb.WriteString(strconv.FormatInt(v, 10))
	case float64:
		sb.WriteString(repr(v, false))
	case string:
		b, _ := json.Marshal(v)
		// json.Marshal escapes <, > and & as HTML; Python does not.
		s := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029").Replace(string(b))
		sb.WriteString(s)
	case []value:
		if len(v) == 0 {
			sb.WriteString("[]")
			return nil
		}
		sb.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				sb.WriteString(sep)
			}
			nl(depth + 1)
			if err := writeJSON(sb, x, indent, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		sb.WriteByte(']')
	case *dict, *namespace:
		d, ok := v.(*dict)
		if !ok {
			d = v.(*namespace).d
		}
		if len(d.keys) == 0 {
			sb.WriteString("{}")
			return nil
		}
		sb.WriteByte('{')
		for i, k := range d.keys {
			if i > 0 {
				sb.WriteString(sep)
			}
			nl(depth + 1)
			if err := writeJSON(sb, k, indent, depth+1); err != nil {
				return err
			}
			sb.WriteString(": ")
			if err := writeJSON(sb, d.m[k], indent, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		sb.WriteByte('}')
	default:
		return errorf("tojson: cannot encode %s", typeName(v))
	}
	return nil
}
