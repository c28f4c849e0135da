package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bitnet-go/bitnet/config"
)

// newFlags makes a flag set whose errors and help go to stderr.
func newFlags(name, argsUsage, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: bitnet %s %s\n\n%s\n\nFlags:\n", name, argsUsage, about)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and positional arguments in any order ("bitnet run
// PROMPT -n 10" and "bitnet run -n 10 PROMPT" both work); "--" ends flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag or just after "--".
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// A cmdDef names a command and gives its usage line and description.
type cmdDef struct{ name, args, about string }

// parseCmd makes d's flag set, lets declare add the flags, and parses args.
// It returns the declared flags and the positional arguments.
func parseCmd[F any](d cmdDef, declare func(*flag.FlagSet) F, args []string, stderr io.Writer) (F, []string, error) {
	fs := newFlags(d.name, d.args, d.about, stderr)
	f := declare(fs)
	pos, err := parse(fs, args)
	return f, pos, err
}

// binder is the flags of a command that reads the configuration.
type binder interface{ binding() *config.Binding }

// parseConfigured is parseCmd for a command that reads the configuration:
// it also loads the configuration from env ("KEY=value" strings), with
// precedence flags > env > file > defaults.
func parseConfigured[F binder](d cmdDef, declare func(*flag.FlagSet) F, args, env []string, stderr io.Writer) (F, []string, *config.Config, error) {
	f, pos, err := parseCmd(d, declare, args, stderr)
	if err != nil {
		return f, nil, nil, err
	}
	c, _, err := f.binding().Load(env)
	if err != nil {
		return f, nil, nil, configError(err)
	}
	return f, pos, c, nil
}

// configError makes a configuration error a usage error (exit 2) when a
// command-line flag caused part of it; file and environment errors stay
// runtime errors (exit 1).
func configError(err error) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ce *config.Error
		if errors.As(e, &ce) && ce.Source.Kind == config.FromFlag {
			return &usageError{err.Error()}
		}
	}
	return err
}

// configured lists each command that reads the configuration with the
// function that declares its flags; `config show --for NAME` declares the
// same flags, so it shows what the command would use.
var configured = map[string]func(fs *flag.FlagSet) *config.Binding{}

// registerConfigured records that the command name declares its flags with
// declare.
func registerConfigured[F binder](name string, declare func(*flag.FlagSet) F) {
	configured[name] = func(fs *flag.FlagSet) *config.Binding { return declare(fs).binding() }
}

// modelCmd is what the flags of every model-loading command share: the
// configuration binding (model.*, runtime.threads, runtime.kernels and the
// command's own keys) and --mmap.
type modelCmd struct {
	conf *config.Binding
	mmap *bool
}

func (m *modelCmd) binding() *config.Binding { return m.conf }

// bindModel binds the model keys and keys, with the command's defaults
// (see config.Bind), and adds --mmap.
func bindModel(fs *flag.FlagSet, cmd string, defaults map[string]string, keys ...string) modelCmd {
	return modelCmd{
		conf: config.Bind(fs, cmd, defaults, append(append([]string{}, modelKeys...), keys...)...),
		mmap: fs.Bool("mmap", false, "memory-map the model file instead of reading it into memory advised for huge pages (the default, faster on machines where 4 KiB file mappings limit bandwidth: see docs/performance.md)"),
	}
}

// model is the model setup of the configuration c.
func (m *modelCmd) model(c *config.Config) modelSetup { return modelConfig(c, *m.mmap) }

// printJSON writes v to w as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readStdin reads all of standard input; what names what is read, for the
// errors ("no prompt: give it as an argument or on standard input" when
// standard input is a terminal, hint being "give it as an argument").
func readStdin(what, hint string) (string, error) {
	if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		return "", usagef("no %s: %s or on standard input", what, hint)
	}
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		return "", fmt.Errorf("reading the %s from standard input: %w", what, err)
	}
	return string(b), nil
}

// withModel loads the model that the setup s names (err: the error of
// mapping it) and calls run with the model and s; the model is closed when
// run returns.
func withModel[S interface{ modelSetup() modelSetup }](s S, err error, withTokenizer bool, run func(*loaded, S) error) error {
	if err != nil {
		return err
	}
	l, err := s.modelSetup().load("", withTokenizer)
	if err != nil {
		return err
	}
	defer l.Close()
	return run(l, s)
}
