package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// SourceKind says which layer a value came from.
type SourceKind int

const (
	FromDefault SourceKind = iota // the built-in default (or a preset)
	FromFile                      // the configuration file
	FromEnv                       // an environment variable
	FromFlag                      // a command-line flag
)

// Source is where one value came from, precise enough to find and fix it.
type Source struct {
	Kind SourceKind
	Name string // file path, environment variable or flag name (without dashes); "" for defaults
	Line int    // line in the file, for FromFile
}

// String formats s as "default", "file bitnet.toml:12",
// "env BITNET_SERVER_ADDR" or "flag --addr".
func (s Source) String() string {
	switch s.Kind {
	case FromFile:
		if s.Line > 0 {
			return fmt.Sprintf("file %s:%d", s.Name, s.Line)
		}
		return "file " + s.Name
	case FromEnv:
		return "env " + s.Name
	case FromFlag:
		return "flag " + flagSpelling(s.Name)
	}
	if s.Name != "" {
		return "default (" + s.Name + ")"
	}
	return "default"
}

func flagSpelling(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// Provenance records the source of every key's effective value.
type Provenance struct {
	sources map[string]Source
}

// Source returns where key's value came from (the default for keys never set).
func (p *Provenance) Source(key string) Source {
	if p == nil {
		return Source{}
	}
	return p.sources[key]
}

func (p *Provenance) set(key string, s Source) {
	if p.sources == nil {
		p.sources = map[string]Source{}
	}
	p.sources[key] = s
}

// Error is one invalid setting: an unknown key, a malformed value or a value
// out of range. Load returns all of them, joined with errors.Join.
type Error struct {
	Key    string // the configuration key, "" when the key itself is unknown or unreadable
	Source Source // where the setting was found
	Value  string // for a flag, the value as typed ("" otherwise)
	Msg    string // what is wrong, lower case, no final period
}

func (e *Error) Error() string {
	src := e.Source.String()
	if e.Source.Kind == FromFlag && e.Value != "" {
		src += " " + e.Value
	}
	if e.Key == "" {
		return fmt.Sprintf("config: %s: %s", src, e.Msg)
	}
	return fmt.Sprintf("config: %s: %s: %s", src, e.Key, e.Msg)
}

// Flag is one configuration value given on the command line.
type Flag struct {
	Name  string // the flag as typed, without dashes ("addr", "m", "set")
	Key   string // the configuration key it sets ("server.addr")
	Value string // the value as typed; lists are comma-separated
	list  []string
	isSet bool // list is authoritative (a repeatable flag)
}

// FileEnv is the environment variable naming the configuration file when
// Load's file argument is empty.
const FileEnv = "BITNET_CONFIG"

// ignoredEnv lists BITNET_ variables that are not configuration keys but
// are read elsewhere; Load neither applies nor rejects them.
var ignoredEnv = map[string]bool{
	FileEnv:                  true,
	"BITNET_NVRTC_PATH":      true, // gpu/cuda: NVRTC library override
	"BITNET_CUDA_PATH":       true, // gpu/cuda: driver library override
	"BITNET_CUDA_CACHE":      true, // gpu/cuda: PTX cache directory
	"BITNET_GPU_MODEL":       true, // gpu/cuda tests: model for the device checks
	"BITNET_REQUIRE_NVRTC":   true, // CI: fail instead of skip without NVRTC
	"BITNET_REQUIRE_KERNELS": true, // CI: fail instead of skip without a kernel set
	"BITNET_BENCH_MODEL":     true, // engine benchmark: model file
	"BITNET_BENCH_HEAD":      true, // engine benchmark: head type
}

// ignoredEnvPrefixes are prefixes of variables used internally between
// processes (the converter's RSS test child).
var ignoredEnvPrefixes = []string{"BITNET_CONVERT_CHILD_"}

func ignoredEnvVar(name string) bool {
	if ignoredEnv[name] {
		return true
	}
	for _, p := range ignoredEnvPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Load builds the effective configuration: defaults, then the file (path
// file, or $BITNET_CONFIG when file is ""; none when both are empty), then
// the BITNET_* variables of env ("KEY=value" strings as os.Environ returns
// them), then flags. A later layer overrides an earlier one. Unknown keys,
// unknown BITNET_ variables, malformed or out-of-range values and
// contradictory settings are errors naming the key and the source; Load
// reports all of them, joined, and then returns a nil Config.
func Load(file string, env []string, flags []Flag) (*Config, *Provenance, error) {
	return load(Default(), file, env, flags)
}

// LoadPreset is Load with the named preset (see Presets) as its lowest layer
// in place of the defaults.
func LoadPreset(preset, file string, env []string, flags []Flag) (*Config, *Provenance, error) {
	c, err := Preset(preset)
	if err != nil {
		return nil, nil, err
	}
	return load(c, file, env, flags)
}

func load(base *Config, file string, env []string, flags []Flag) (*Config, *Provenance, error) {
	return loadOver(base, &Provenance{}, file, env, flags)
}

// loadOver is load from base, whose values came from baseProv (missing keys:
// the defaults).
func loadOver(base *Config, baseProv *Provenance, file string, env []string, flags []Flag) (*Config, *Provenance, error) {
	c := base.Clone()
	prov := &Provenance{}
	for k, s := range baseProv.sources {
		prov.set(k, s)
	}
	var errs []error
	envMap := environ(env)
	if file == "" {
		file = envMap[FileEnv]
	}
	if file != "" {
		errs = append(errs, applyFile(c, prov, file)...)
	}
	errs = append(errs, applyEnv(c, prov, env)...)
	errs = append(errs, applyFlags(c, prov, flags)...)
	errs = append(errs, crossCheck(c, prov)...)
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return c, prov, nil
}

func environ(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// assign checks and stores one value, recording its source.
func assign(c *Config, prov *Provenance, f *field, src Source, set func(p any) error) error {
	p := f.ptr(c)
	old := deref(p)
	if err := set(p); err != nil {
		restore(p, old)
		return &Error{Key: f.key, Source: src, Msg: err.Error()}
	}
	if f.check != nil {
		if err := f.check(deref(p)); err != nil {
			restore(p, old)
			return &Error{Key: f.key, Source: src, Msg: err.Error()}
		}
	}
	prov.set(f.key, src)
	return nil
}

// restore puts the previous value back after a rejected setting, so a later
// valid layer still sees a consistent tree.
func restore(p any, old any) {
	switch p := p.(type) {
	case *string:
		*p = old.(string)
	case *int:
		*p = old.(int)
	case *int64:
		*p = old.(int64)
	case *float64:
		*p = old.(float64)
	case *bool:
		*p = old.(bool)
	case *[]string:
		*p = old.([]string)
	case *time.Duration:
		*p = old.(time.Duration)
	case *ByteSize:
		*p = old.(ByteSize)
	case *KVBudget:
		*p = old.(KVBudget)
	default:
		panic(fmt.Sprintf("config: no field type %T", p))
	}
}

func applyFile(c *Config, prov *Provenance, path string) []error {
	src := Source{Kind: FromFile, Name: path}
	b, err := os.ReadFile(path)
	if err != nil {
		return []error{&Error{Source: src, Msg: fmt.Sprintf("cannot read the configuration file: %v", unwrapPath(err))}}
	}
	kvs, synErrs := parseTOML(b)
	var errs []error
	for _, e := range synErrs {
		errs = append(errs, &Error{Source: Source{Kind: FromFile, Name: path, Line: e.line}, Msg: "syntax: " + e.msg})
	}
	for _, kv := range kvs {
		s := Source{Kind: FromFile, Name: path, Line: kv.line}
		f := fieldByKey[kv.key]
		if f == nil {
			errs = append(errs, &Error{Source: s, Msg: fmt.Sprintf("unknown key %s%s", kv.key, suggest(kv.key, Keys()))})
			continue
		}
		v := kv.val
		if err := assign(c, prov, f, s, func(p any) error { return setValue(p, v) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func applyEnv(c *Config, prov *Provenance, env []string) []error {
	byName := map[string]*field{}
	var names []string
	for i := range fields {
		f := &fields[i]
		byName[EnvName(f.key)] = f
		names = append(names, EnvName(f.key))
		for _, a := range f.alias {
			byName[a] = f
		}
	}
	// Apply aliases first so that the canonical name wins; report a clash.
	type setting struct{ name, val string }
	var aliases, canon []setting
	seen := map[string]bool{}
	var errs []error
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "BITNET_") || ignoredEnvVar(name) || seen[name] {
			continue
		}
		seen[name] = true
		f := byName[name]
		if f == nil {
			errs = append(errs, &Error{Source: Source{Kind: FromEnv, Name: name}, Msg: "unknown configuration variable" + suggest(name, names)})
			continue
		}
		if EnvName(f.key) == name {
			canon = append(canon, setting{name, val})
		} else {
			aliases = append(aliases, setting{name, val})
		}
	}
	envMap := environ(env)
	for _, s := range append(aliases, canon...) {
		f := byName[s.name]
		if EnvName(f.key) != s.name {
			if v, ok := envMap[EnvName(f.key)]; ok && v != s.val {
				errs = append(errs, &Error{Key: f.key, Source: Source{Kind: FromEnv, Name: s.name},
					Msg: fmt.Sprintf("contradicts %s=%q; unset one of them", EnvName(f.key), v)})
				continue
			}
		}
		val := s.val
		if err := assign(c, prov, f, Source{Kind: FromEnv, Name: s.name}, func(p any) error { return setString(p, val) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func applyFlags(c *Config, prov *Provenance, flags []Flag) []error {
	var errs []error
	for _, fl := range flags {
		f := fieldByKey[fl.Key]
		src := Source{Kind: FromFlag, Name: fl.Name}
		if f == nil {
			errs = append(errs, &Error{Source: src, Msg: fmt.Sprintf("unknown key %q%s", fl.Key, suggest(fl.Key, Keys()))})
			continue
		}
		fl := fl
		if err := assign(c, prov, f, src, func(p any) error {
			if lp, ok := p.(*[]string); ok && fl.isSet {
				*lp = append([]string{}, fl.list...)
				return nil
			}
			return setString(p, fl.Value)
		}); err != nil {
			if ce, ok := err.(*Error); ok && !f.secret {
				ce.Value = fl.Value
			}
			errs = append(errs, err)
		}
	}
	return errs
}

// crossCheck reports settings that are valid alone but contradict each other.
func crossCheck(c *Config, prov *Provenance) []error {
	var errs []error
	if c.Memory.Context > 0 && c.Generation.MaxTokens > c.Memory.Context {
		errs = append(errs, &Error{Key: "generation.max_tokens", Source: prov.Source("generation.max_tokens"),
			Msg: fmt.Sprintf("%d exceeds memory.context = %d (%s)", c.Generation.MaxTokens, c.Memory.Context, prov.Source("memory.context"))})
	}
	return errs
}

// Validate checks every value of c and the relations between them, as Load
// does for the values it reads; use it for a Config built or changed in
// code. The errors name the key and, from p (which may be nil), the source.
func (c *Config) Validate(p *Provenance) error {
	var errs []error
	for i := range fields {
		f := &fields[i]
		if f.check == nil {
			continue
		}
		if err := f.check(deref(f.ptr(c))); err != nil {
			errs = append(errs, &Error{Key: f.key, Source: p.Source(f.key), Msg: err.Error()})
		}
	}
	if p == nil {
		p = &Provenance{}
	}
	errs = append(errs, crossCheck(c, p)...)
	return errors.Join(errs...)
}

// ParseSet parses a --set argument "key=value" into a Flag.
func ParseSet(arg string) (Flag, error) {
	k, v, ok := strings.Cut(arg, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Flag{}, fmt.Errorf("config: --set %q: want key=value", arg)
	}
	if fieldByKey[k] == nil {
		return Flag{}, fmt.Errorf("config: --set %q: unknown key %s%s", arg, k, suggest(k, Keys()))
	}
	return Flag{Name: "set", Key: k, Value: v}, nil
}

// FlagsFrom returns the configuration settings among the flags of fs that
// were set on the command line (flag.FlagSet.Visit), in the order they were
// defined. keys maps a flag name to its configuration key; a nil map means
// the standard names (FlagName). Flags not in the map are ignored. A flag
// whose Value is a flag.Getter returning []string (a repeatable flag) gives
// its items as a list; any other flag gives Value.String(), and lists are then
// split at commas.
func FlagsFrom(fs *flag.FlagSet, keys map[string]string) []Flag {
	if keys == nil {
		keys = map[string]string{}
		for _, f := range fields {
			if f.flag != "" {
				keys[f.flag] = f.key
			}
		}
	}
	var out []Flag
	fs.Visit(func(f *flag.Flag) {
		key, ok := keys[f.Name]
		if !ok {
			return
		}
		fl := Flag{Name: f.Name, Key: key, Value: f.Value.String()}
		if g, ok := f.Value.(flag.Getter); ok {
			if l, ok := g.Get().([]string); ok {
				fl.list, fl.isSet = append([]string{}, l...), true
			}
		}
		out = append(out, fl)
	})
	return out
}

// Define adds the standard flag of each key to fs (e.g. --addr for
// server.addr), with the key's help and its environment variable in the usage
// text. The flags hold raw strings; read them back with FlagsFrom(fs, nil)
// and pass them to Load, which parses and checks them. List keys get a
// repeatable flag. Define panics on a key that is unknown or has no standard
// flag, a bug in the caller.
func Define(fs *flag.FlagSet, keys ...string) {
	def := Default()
	for _, k := range keys {
		f := fieldByKey[k]
		if f == nil || f.flag == "" {
			panic(fmt.Sprintf("config: Define(%q): no such key or no standard flag", k))
		}
		defineFlag(fs, f, f.flag, literal(f.ptr(def)))
	}
}

// defineFlag adds the flag name for field f to fs, with def as the default
// shown in its usage.
func defineFlag(fs *flag.FlagSet, f *field, name, def string) {
	usage := fmt.Sprintf("%s (%s, env %s, default %s)", f.help, f.key, EnvName(f.key), def)
	switch f.ptr(Default()).(type) {
	case *[]string:
		fs.Var(&listFlag{}, name, usage+"; repeatable")
	case *bool:
		fs.Var(&rawFlag{isBool: true}, name, usage)
	default:
		fs.Var(&rawFlag{}, name, usage)
	}
}

// rawFlag holds a flag's text until Load parses it. A boolean key's flag
// may be given alone (--metrics means --metrics=true).
type rawFlag struct {
	s      string
	isBool bool
}

func (r *rawFlag) String() string     { return r.s }
func (r *rawFlag) Set(s string) error { r.s = s; return nil }
func (r *rawFlag) IsBoolFlag() bool   { return r.isBool }

// listFlag collects the values of a repeatable flag.
type listFlag struct{ items []string }

func (l *listFlag) String() string     { return strings.Join(l.items, ",") }
func (l *listFlag) Set(s string) error { l.items = append(l.items, s); return nil }
func (l *listFlag) Get() any           { return l.items }

// suggest returns " (did you mean X?)" for the closest candidate to s, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= max(2, len(s)/4) {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Entry is one key's effective value, for `config show`.
type Entry struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`  // JSON form: strings for durations and sizes; "***" items for secrets
	TOML   string `json:"-"`      // the value as a TOML literal
	Source string `json:"source"` // Source.String()
	Env    string `json:"env"`
	Flag   string `json:"flag,omitempty"`
}

// Entries lists the given keys of c (every key when none is given) in file
// order with their values and sources. Secret values (API keys) are masked.
func (c *Config) Entries(p *Provenance, keys ...string) []Entry {
	only := map[string]bool{}
	for _, k := range keys {
		only[k] = true
	}
	out := make([]Entry, 0, len(fields))
	for _, f := range fields {
		if len(keys) > 0 && !only[f.key] {
			continue
		}
		ptr := f.ptr(c)
		e := Entry{Key: f.key, Value: jsonValue(ptr), TOML: literal(ptr), Source: p.Source(f.key).String(), Env: EnvName(f.key)}
		if f.flag != "" {
			e.Flag = flagSpelling(f.flag)
		}
		if f.secret {
			if l, ok := ptr.(*[]string); ok {
				masked := make([]string, len(*l))
				for i := range masked {
					masked[i] = "***"
				}
				e.Value = masked
				e.TOML = literal(&masked)
			}
		}
		out = append(out, e)
	}
	return out
}

// Tables returns the table names in file order.
func Tables() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		t, _, _ := strings.Cut(f.key, ".")
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
