package chat

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// conversations are the golden cases: 1, 2 and 3 user turns, with and
// without a system prompt.
func conversations() []struct {
	name string
	msgs []Message
} {
	turns := []Message{
		{"user", "Hi"},
		{"assistant", "Hello! How can I help?"},
		{"user", "What is 2+2?"},
		{"assistant", " 4 "},
		{"user", "Thanks\nbye"},
	}
	var out []struct {
		name string
		msgs []Message
	}
	for _, sys := range []bool{false, true} {
		for n := 1; n <= 3; n++ {
			var msgs []Message
			name := fmt.Sprintf("%d-turn", n)
			if sys {
				msgs = append(msgs, Message{"system", "You are a helpful assistant."})
				name += "+system"
			}
			msgs = append(msgs, turns[:2*n-1]...)
			out = append(out, struct {
				name string
				msgs []Message
			}{name, msgs})
		}
	}
	return out
}

// TestGolden renders every conversation with the bitnet, llama3 and chatml
// templates (and the others) and compares with testdata/<name>.golden; run
// with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, name := range Builtins {
		tmpl, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		for _, c := range conversations() {
			for _, gen := range []bool{true, false} {
				text, err := tmpl.Render(c.msgs, gen)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&sb, "=== %s add_generation_prompt=%v\n%q\n", c.name, gen, text)
			}
		}
		path := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sb.String() != string(want) {
			t.Errorf("%s: rendering differs from %s (run go test -run TestGolden -update)\ngot:\n%s", name, path, sb.String())
		}
	}
}

// TestJinjaMatchesBuiltin renders the real templates (kjv-tiny's copy of
// the 2B-4T Hugging Face template, Meta-Llama-3-Instruct's, a ChatML one)
// with the Jinja evaluator and checks them against the built-ins. The
// 2B-4T template does not trim content, so contents here carry no outer
// whitespace.
func TestJinjaMatchesBuiltin(t *testing.T) {
	for file, name := range map[string]string{"kjv-tiny.jinja": "bitnet", "llama3.jinja": "llama3", "chatml.jinja": "chatml"} {
		src, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		j, err := Parse(string(src), "<|begin_of_text|>", "<|end_of_text|>")
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		b, _ := Builtin(name)
		for _, c := range conversations() {
			for i := range c.msgs {
				c.msgs[i].Content = strings.TrimSpace(c.msgs[i].Content)
			}
			for _, gen := range []bool{true, false} {
				got, err := j.Render(c.msgs, gen)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				want, _ := b.Render(c.msgs, gen)
				if got != want {
					t.Errorf("%s %s gen=%v:\n jinja   %q\n builtin %q", file, c.name, gen, got, want)
				}
			}
		}
	}
}

func TestBitnetExample(t *testing.T) {
	// spec §5.3's example text.
	b, _ := Builtin("bitnet")
	got, _ := b.Render([]Message{{"system", "You are a helpful assistant."}, {"user", "Hi"}}, true)
	want := "<|begin_of_text|>System: You are a helpful assistant.<|eot_id|>User: Hi<|eot_id|>Assistant: "
	if got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

func TestJinja(t *testing.T) {
	msgs := []Message{{"system", "S"}, {"user", "u1"}, {"assistant", "a1"}, {"user", "u2"}}
	tests := []struct{ src, want string }{
		{"a{{ 1 + 2 * 3 }}b", "a7b"},
		{"{{ 'x' ~ 1 ~ none }}", "x1None"},
		{"{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ 2.0 * 3 }}", "3 -4 1 3.5 6.0"},
		{"{{ messages | length }} {{ messages[0].role }} {{ messages[-1]['content'] }}", "4 system u2"},
		{"{% for m in messages %}{{ loop.index }}{{ m.role[0] }}{% if not loop.last %},{% endif %}{% endfor %}", "1s,2u,3a,4u"},
		{"{% for m in messages if m.role == 'user' %}{{ m.content }}{{ loop.length }}{% endfor %}", "u12u22"},
		{"{% for m in messages[1:] %}{{ m.content }}{% endfor %}", "u1a1u2"},
		{"{{ 'abcdef'[1:4] }}{{ 'abc'[::-1] }}{{ [1,2,3][-1] }}", "bcdcba3"},
		{"{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}", "4"},
		{"{% set x = 1 %}{% for i in range(3) %}{% set x = i %}{% endfor %}{{ x }}", "1"},
		{"{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% else %}{% set sys = 'none' %}{% endif %}{{ sys }}", "S"},
		{"{{ x is defined }} {{ x is not defined }} {{ messages is defined }} {{ none is none }}", "False True True True"},
		{"{{ x.y.z | default('d') }}{{ '' | default('e', true) }}", "de"},
		{"{{ '  hi  ' | trim }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'a b' | title }}|{{ 'X' | lower }}{{ 'y' | upper }}", "hi|Hello world|A B|xY"},
		{"{{ ' a '.strip() }}{{ 'abc'.startswith('ab') }}{{ 'a,b'.split(',') }}", "aTrue['a', 'b']"},
		{"{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(', ') }}", "u1, u2"},
		{"{{ messages | rejectattr('role', 'in', ['user', 'system']) | list | length }}", "1"},
		{`{{ {"a": [1, "x", none, true], "b": {"c": 1.5}} | tojson }}`, `{"a": [1, "x", null, true], "b": {"c": 1.5}}`},
		{`{{ {"a": 1} | tojson(indent=2) }}`, "{\n  \"a\": 1\n}"},
		{"{{ 'a' if false else 'b' }}{{ 'c' if true }}{{ 'd' if false }}", "bc"},
		{"{{ 'x' in 'xyz' }}{{ 2 not in [1, 2] }}{{ 'k' in {'k': 1} }}", "TrueFalseTrue"},
		{"{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"},
		{"{% for x in [] %}x{% else %}empty{% endfor %}", "empty"},
		{"{% if 0 %}a{% elif '' %}b{% elif [0] %}c{% else %}d{% endif %}", "c"},
		{"{{ \"q\\\"\\n\" }}", "q\"\n"},
		{"{# comment #}a{{- '  b' -}}  c", "a  bc"},
		{"  {%- if true -%}  x  {%- endif -%}  ", "x"},
		// trim_blocks and lstrip_blocks, as Hugging Face sets them.
		{"{% if true %}\nA\n  {% endif %}\nB", "A\nB"},
		{"x {% if true %}y{% endif %}", "x y"},
		{"  {{ 'v' }}\n", "  v\n"},
		{"{%+ if true %}a{% endif %}", "a"},
		{"{{ strftime_now('%d %b %Y') }}", "26 Jul 2024"},
		{"{% generation %}g{% endgeneration %}", "g"},
		{"{{ 3 is divisibleby 3 }}{{ 4 is odd }}{{ 'a' is string }}{{ messages is iterable }}", "TrueFalseTrueTrue"},
	}
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC) }
	for _, tt := range tests {
		tmpl, err := Parse(tt.src, "<s>", "</s>")
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got, err := tmpl.Render(msgs, false)
		if err != nil {
			t.Errorf("Render(%q): %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestJinjaErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"{{ x", "unclosed"},
		{"{% if x %}", "without {% endif %}"},
		{"{% for x in y %}", "without {% endfor %}"},
		{"{% endif %}", "unexpected {% endif %}"},
		{"{% macro f() %}{% endmacro %}", "unsupported statement"},
		{"{{ 1 + }}", "unexpected end"},
		{"{{ x | nosuch }}", "unsupported filter"},
		{"{{ raise_exception('Only user and assistant roles') }}", "raised: Only user and assistant roles"},
		{"{{ range(1000000) }}", "range() longer"},
		{"{{ 'x' * 100000000 }}", "exceeds"},
		{"{{ 1 / 0 }}", "division by zero"},
		{"{{ " + strings.Repeat("(", 500) + "1" + strings.Repeat(")", 500) + " }}", "nested too deeply"},
		{"{{ 'a' < 1 }}", "cannot compare"},
		{"{% set x.y = 1 %}", "not a namespace"},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.src, "", "")
		if err == nil {
			_, err = tmpl.Render([]Message{{"user", "u"}}, true)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "chat: template") {
			t.Errorf("%q: error %v, want one containing %q", tt.src, err, tt.want)
		}
	}
	_, err := Parse("{{ raise_exception('x') }}", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var e *raised
	tmpl, _ := Parse("{{ raise_exception('x') }}", "", "")
	if _, err := tmpl.Render(nil, false); !errors.As(err, &e) {
		t.Errorf("raise_exception: error %v", err)
	}
}

// FuzzChatTemplate parses and renders arbitrary templates: an error,
// never a panic, and bounded work.
func FuzzChatTemplate(f *testing.F) {
	for _, name := range []string{"kjv-tiny.jinja", "llama3.jinja", "chatml.jinja"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Add("{% for m in messages %}{{ m.content | trim }}{% if loop.last %}!{% endif %}{% endfor %}")
	f.Add("{% set ns = namespace(x=[]) %}{{ ns.x + [1] }}{{ 'ab'[::-1] }}{{ {'a': 1} | tojson }}")
	msgs := []Message{{"system", "s"}, {"user", "u <|eot_id|>"}, {"assistant", "a"}}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		tmpl, err := Parse(src, "<s>", "</s>")
		if err != nil {
			return
		}
		out, err := tmpl.Render(msgs, true)
		if err == nil && len(out) > maxOutput {
			t.Fatalf("output of %d bytes exceeds the limit", len(out))
		}
	})
}
