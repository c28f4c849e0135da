package main

import (
	"bytes"
	"fmt"
	"strings"
)

// asm accumulates the text of one Go assembly file. Instructions gather in
// a block until a blank line, a label or verbatim text ends it; the block
// is then written with its operands aligned one space after the longest
// mnemonic of the block, and trailing comments aligned after the longest
// line, the way asmfmt lays out hand-written Go assembly.
type asm struct {
	out bytes.Buffer
	blk []asmLine
}

// asmLine is one line of a block: an instruction (op, args, optional
// comment) or, with macro set, a macro call written as it is.
type asmLine struct {
	op, args, comment string
	macro             bool
}

// in appends the instruction op with its operands to the current block and
// returns the line so that a comment can be attached to it.
func (a *asm) in(op string, args ...string) *asmLine {
	a.blk = append(a.blk, asmLine{op: op, args: strings.Join(args, ", ")})
	return &a.blk[len(a.blk)-1]
}

// macro appends a call of a #define'd macro, e.g. "REDUCE4(Z0, Z1, Z2, Z3)".
// Macro calls take no part in the alignment.
func (a *asm) macro(name string, args ...string) {
	a.blk = append(a.blk, asmLine{op: name + "(" + strings.Join(args, ", ") + ")", macro: true})
}

// text ends the block and writes s (whole lines) verbatim.
func (a *asm) text(s string) {
	a.flush()
	a.out.WriteString(s)
}

// blank ends the block with an empty line.
func (a *asm) blank() { a.text("\n") }

// label ends the block and writes the label l on its own line.
func (a *asm) label(l string) { a.text(l + ":\n") }

// flush writes the current block.
func (a *asm) flush() {
	width := 0
	for _, l := range a.blk {
		if !l.macro && l.args != "" {
			width = max(width, len(l.op))
		}
	}
	lines := make([]string, len(a.blk))
	ccol := 0
	for i, l := range a.blk {
		switch {
		case l.macro || l.args == "":
			lines[i] = l.op
		default:
			lines[i] = fmt.Sprintf("%-*s %s", width, l.op, l.args)
		}
		if l.comment != "" {
			ccol = max(ccol, len(lines[i]))
		}
	}
	for i, l := range a.blk {
		a.out.WriteString("\t" + lines[i])
		if l.comment != "" {
			fmt.Fprintf(&a.out, "%*s// %s", ccol-len(lines[i])+1, "", l.comment)
		}
		a.out.WriteByte('\n')
	}
	a.blk = a.blk[:0]
}

// bytes ends the block and returns the text so far.
func (a *asm) bytes() []byte {
	a.flush()
	return a.out.Bytes()
}

// fn is the Go declaration of one assembly function: every parameter is a
// pointer or an int (8 bytes on amd64), so parameter i is at 8i(FP), and
// the result, if any, is a float32 after them.
type fn struct {
	name   string
	params []string // "k *int8", in order
	ret    string   // "" or "float32"
}

// arg returns the frame reference of parameter name, e.g. "ldk+8(FP)". It
// panics on a name the declaration lacks: a bug in the generator.
func (f fn) arg(name string) string {
	for i, p := range f.params {
		if strings.Fields(p)[0] == name {
			return fmt.Sprintf("%s+%d(FP)", name, 8*i)
		}
	}
	panic(fmt.Sprintf("asmgen: %s has no parameter %q", f.name, name))
}

// result returns the frame reference of the float32 result.
func (f fn) result() string {
	if f.ret != "float32" {
		panic(fmt.Sprintf("asmgen: %s has no float32 result", f.name))
	}
	return fmt.Sprintf("ret+%d(FP)", 8*len(f.params))
}

// begin starts function f: a blank line, the "// func" line with the Go
// signature, the rest of the doc comment (whole "//" lines, may be empty)
// and the TEXT line with the frame size go vet's asmdecl checks.
func (a *asm) begin(f fn, doc string) {
	sig := "func " + f.name + "(" + strings.Join(f.params, ", ") + ")"
	args := 8 * len(f.params)
	if f.ret != "" {
		sig += " " + f.ret
		args += 4
	}
	a.text("\n// " + sig + "\n" + doc)
	a.text(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-%d\n", f.name, args))
}

// mem is the memory operand off(base), written (base) when off is 0.
func mem(off int, base string) string {
	if off == 0 {
		return "(" + base + ")"
	}
	return fmt.Sprintf("%d(%s)", off, base)
}

// imm is the immediate $n.
func imm(n int) string { return fmt.Sprintf("$%d", n) }

// vreg names vector register n of kind "Z", "Y" or "X".
func vreg(kind string, n int) string { return fmt.Sprintf("%s%d", kind, n) }

// rowPointers loads base parameter b into register r0 and the row pointers
// r0 + i·ld·size into rs[i-1], ld being parameter ld (AX is scratch): one
// LEAQ with a scaled index for a single extra row, else ld·size once in AX
// and a chain of LEAQs.
func (a *asm) rowPointers(f fn, b, r0, ld string, size int, rs ...string) {
	a.in("MOVQ", f.arg(b), r0)
	if len(rs) == 0 {
		return
	}
	a.in("MOVQ", f.arg(ld), "AX")
	if len(rs) == 1 {
		a.in("LEAQ", fmt.Sprintf("(%s)(AX*%d)", r0, size), rs[0])
		return
	}
	if size > 1 {
		shift := map[int]int{2: 1, 4: 2, 8: 3}[size]
		a.in("SHLQ", imm(shift), "AX")
	}
	prev := r0
	for _, r := range rs {
		a.in("LEAQ", fmt.Sprintf("(%s)(AX*1)", prev), r)
		prev = r
	}
}
