package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/bitnet-go/bitnet/config"
)

func init() {
	register(command{"config", "show the effective configuration or write a commented one (show, init)", cmdConfig})
}

func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stderr, "Usage:\n  bitnet config show [--config FILE] [--json] [--set key=value] [flags]\n  bitnet config init --preset %s [--force] [FILE]\n\nRun 'bitnet config show -h' or 'bitnet config init -h' for the flags.\n", strings.Join(config.Presets(), "|"))
		if len(args) == 0 {
			return usagef("missing subcommand (show or init)")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "show":
		return configShow(args[1:], os.Environ(), stdout, stderr)
	case "init":
		return configInit(args[1:], stdout, stderr)
	}
	return usagef("unknown subcommand %q (want show or init)", args[0])
}

// configShowDef is config show's usage (a function: the commands register
// in their init functions).
func configShowDef() cmdDef {
	return cmdDef{"config show", "[--for COMMAND] [--json] [flags]", "Print the effective configuration as TOML, each value followed by where it came from\n" +
		"(default, default (COMMAND), file:line, env VAR or flag). Precedence: flags > BITNET_* environment > file > defaults.\n" +
		"With --for COMMAND (" + strings.Join(configuredNames(), ", ") + ") it takes that command's flags and prints\n" +
		"exactly the keys the command reads and the values it would use; without, every key and its standard flag."}
}

// configShowFlags are config show's flags: --for, --json and those of the
// command it shows for (all keys' standard flags without --for).
type configShowFlags struct {
	conf   *config.Binding
	asJSON func() bool
}

func (f *configShowFlags) binding() *config.Binding { return f.conf }

// declareConfigShow declares the flags of config show --for name ("" = all
// keys).
func declareConfigShow(name string) func(fs *flag.FlagSet) *configShowFlags {
	return func(fs *flag.FlagSet) *configShowFlags {
		fs.String("for", "", "show the configuration of this `command`, taking its flags")
		f := &configShowFlags{}
		if declare, ok := configured[name]; ok {
			f.conf = declare(fs)
		} else {
			f.conf = config.Bind(fs, "config show", nil)
		}
		if fs.Lookup("json") == nil { // bench, crossval, doctor and perplexity have their own --json
			fs.Bool("json", false, "print JSON: one object per key with value, source, env and flag")
		}
		f.asJSON = func() bool { return fs.Lookup("json").Value.String() == "true" }
		return f
	}
}

// configuredNames lists the commands that read the configuration.
func configuredNames() []string {
	var out []string
	for n := range configured {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// showFor finds the --for argument before the flags are declared.
func showFor(args []string) (string, error) {
	for i, a := range args {
		if a == "--" {
			break
		}
		for _, p := range []string{"--for", "-for"} {
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return checkShowFor(v)
			}
			if a == p && i+1 < len(args) {
				return checkShowFor(args[i+1])
			}
		}
	}
	return "", nil
}

func checkShowFor(name string) (string, error) {
	if _, ok := configured[name]; !ok {
		return "", usagef("--for %q: want one of %s", name, strings.Join(configuredNames(), ", "))
	}
	return name, nil
}

// configShow prints the configuration that args and env ("KEY=value"
// strings) give.
func configShow(args, env []string, stdout, stderr io.Writer) error {
	name, err := showFor(args)
	if err != nil {
		return err
	}
	f, pos, err := parseCmd(configShowDef(), declareConfigShow(name), args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 && name == "" {
		return usagef("unexpected argument %q", pos[0])
	}
	c, p, err := f.conf.Load(env)
	if err != nil {
		return err
	}
	entries := f.conf.Entries(c, p)
	if f.asJSON() {
		return printJSON(stdout, entries)
	}
	printEntries(stdout, entries)
	return nil
}

// printEntries prints entries as TOML tables, each value followed by its
// source.
func printEntries(w io.Writer, entries []config.Entry) {
	table := ""
	width := 0
	for _, e := range entries {
		_, name, _ := strings.Cut(e.Key, ".")
		width = max(width, len(name)+3+len(e.TOML))
	}
	for _, e := range entries {
		t, name, _ := strings.Cut(e.Key, ".")
		if t != table {
			if table != "" {
				fmt.Fprintln(w)
			}
			table = t
			fmt.Fprintf(w, "[%s]\n", t)
		}
		kv := name + " = " + e.TOML
		fmt.Fprintf(w, "%-*s  # %s\n", width, kv, e.Source)
	}
}

func configInit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config init", "--preset NAME [--force] [FILE]", "Write a commented configuration file (default ./bitnet.toml) for a preset:\n"+
		"  laptop      one user, a few streams, modest KV budget\n"+
		"  server      all interfaces, API keys from a file, large batches, JSON logs\n"+
		"  low-memory  short context, q8 KV cache, small fixed KV budget\n"+
		"The file is written atomically and an existing file is kept unless --force.", stderr)
	preset := fs.String("preset", "", "preset `name`: "+strings.Join(config.Presets(), ", "))
	force := fs.Bool("force", false, "overwrite an existing file")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *preset == "" {
		return usagef("--preset is required (%s)", strings.Join(config.Presets(), ", "))
	}
	c, err := config.Preset(*preset)
	if err != nil {
		return usagef("%v", err)
	}
	path := "bitnet.toml"
	switch len(pos) {
	case 0:
	case 1:
		path = pos[0]
	default:
		return usagef("expected at most one FILE, got %d", len(pos))
	}
	if err := config.WriteFile(path, config.Template(c, *preset), *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (preset %s); check it with: bitnet config show --config %s\n", path, *preset, path)
	return nil
}
