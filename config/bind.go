package config

import (
	"flag"
	"fmt"
	"sort"
	"strings"
)

// A Binding is the configuration of one command: the keys it reads, their
// flags on its flag set (with --config and --set), and the command's own
// defaults where they differ from Default. A command declares its
// configuration flags with Bind and reads one *Config with Load; `bitnet
// config show --for NAME` builds the same Binding, so it reports exactly the
// values, and their sources, that the command would use.
type Binding struct {
	name     string
	keys     []string
	reads    map[string]bool
	flagKeys map[string]string // flag name → key
	fs       *flag.FlagSet
	file     *string
	sets     *setList
	base     *Config
	baseProv *Provenance
}

// Bind declares on fs --config FILE, the repeatable --set key=value (for
// the given keys only) and the standard flag of each key that has one. With
// no keys the command reads every key. defaults holds the command's own
// default of some keys, written as a flag value would be; `config show`
// reports them as "default (CMD)". cmd names the command in those sources
// and in errors. Bind panics on an unknown key or an invalid default: bugs
// in the caller.
func Bind(fs *flag.FlagSet, cmd string, defaults map[string]string, keys ...string) *Binding {
	if len(keys) == 0 {
		keys = Keys()
	}
	b := &Binding{name: cmd, keys: keys, reads: map[string]bool{}, flagKeys: map[string]string{}, fs: fs,
		base: Default(), baseProv: &Provenance{}}
	b.setDefaults(defaults)
	b.file = fs.String("config", "", "TOML configuration `file` (default $"+FileEnv+"); flags > BITNET_* variables > file > defaults (docs/configuration.md)")
	b.sets = &setList{b: b}
	fs.Var(b.sets, "set", "set a configuration `key=value` this command reads (repeatable), e.g. --set "+keys[0]+"=…")
	for _, k := range keys {
		f := fieldByKey[k]
		if f == nil {
			panic(fmt.Sprintf("config: Bind(%q): no such key", k))
		}
		b.reads[k] = true
		if f.flag != "" {
			defineFlag(fs, f, f.flag, literal(f.ptr(b.base)))
			b.flagKeys[f.flag] = k
		}
	}
	return b
}

// setDefaults applies the command's own defaults to b.base.
func (b *Binding) setDefaults(defaults map[string]string) {
	names := make([]string, 0, len(defaults))
	for k := range defaults {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f := fieldByKey[k]
		if f == nil {
			panic(fmt.Sprintf("config: Bind: default for unknown key %q", k))
		}
		v := defaults[k]
		if err := assign(b.base, b.baseProv, f, Source{Kind: FromDefault, Name: b.name}, func(p any) error { return setString(p, v) }); err != nil {
			panic(fmt.Sprintf("config: Bind: default %s=%q: %v", k, v, err))
		}
	}
}

// Alias adds name as a second flag for key, which b reads (bench's -t for
// --threads). It panics when b does not read key.
func (b *Binding) Alias(name, key string) {
	f := fieldByKey[key]
	if f == nil || !b.reads[key] {
		panic(fmt.Sprintf("config: Alias(%q, %q): the binding does not read the key", name, key))
	}
	defineFlag(b.fs, f, name, literal(f.ptr(b.base)))
	b.flagKeys[name] = key
}

// Keys returns the keys the command reads, in the order given to Bind.
func (b *Binding) Keys() []string { return append([]string{}, b.keys...) }

// Reads reports whether the command reads key.
func (b *Binding) Reads(key string) bool { return b.reads[key] }

// Load returns the command's effective configuration after its flag set was
// parsed: its defaults, then the file (--config, else $BITNET_CONFIG from
// env), then the BITNET_* variables of env, then the flags given on the
// command line (flags > env > file > defaults, decided per key by where each
// value came from). Every key of the file and env is checked, read by the
// command or not; errors are as Load's.
func (b *Binding) Load(env []string) (*Config, *Provenance, error) {
	flags := append(FlagsFrom(b.fs, b.flagKeys), b.sets.items...)
	return loadOver(b.base, b.baseProv, *b.file, env, flags)
}

// Entries is c.Entries for the keys the command reads.
func (b *Binding) Entries(c *Config, p *Provenance) []Entry {
	return c.Entries(p, b.keys...)
}

// setList is the repeatable --set flag of a Binding.
type setList struct {
	b     *Binding
	items []Flag
}

func (s *setList) String() string { return "" }
func (s *setList) Set(v string) error {
	f, err := ParseSet(v)
	if err != nil {
		return err
	}
	if !s.b.reads[f.Key] {
		return fmt.Errorf("config: --set %q: %s does not read %s (it reads %s)", v, s.b.name, f.Key, strings.Join(s.b.keys, ", "))
	}
	s.items = append(s.items, f)
	return nil
}
