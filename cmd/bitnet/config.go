package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bitnet-go/bitnet/config"
)

func init() {
	register(command{"config", "show the effective configuration or write a commented one (show, init)", cmdConfig})
}

// setFlags is the repeatable --set key=value flag.
type setFlags []config.Flag

func (s *setFlags) String() string { return "" }
func (s *setFlags) Set(v string) error {
	f, err := config.ParseSet(v)
	if err != nil {
		return err
	}
	*s = append(*s, f)
	return nil
}

// configFlags adds --config, --set and the standard flag of each key to fs,
// and returns the function that, after fs is parsed, loads the configuration
// with precedence flags > BITNET_* environment > file > defaults. A command
// adopts the configuration by calling it with the keys it honours.
func configFlags(fs *flag.FlagSet, keys ...string) func() (*config.Config, *config.Provenance, error) {
	file := fs.String("config", "", "configuration `file` (TOML; default $"+config.FileEnv+")")
	var sets setFlags
	fs.Var(&sets, "set", "set any configuration `key=value` (repeatable), e.g. --set server.addr=:9000")
	config.Define(fs, keys...)
	return func() (*config.Config, *config.Provenance, error) {
		flags := append(config.FlagsFrom(fs, nil), sets...)
		return config.Load(*file, os.Environ(), flags)
	}
}

// keysWithFlags lists every key that has a standard flag.
func keysWithFlags() []string {
	var out []string
	for _, k := range config.Keys() {
		if config.FlagName(k) != "" {
			out = append(out, k)
		}
	}
	return out
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
		return configShow(args[1:], stdout, stderr)
	case "init":
		return configInit(args[1:], stdout, stderr)
	}
	return usagef("unknown subcommand %q (want show or init)", args[0])
}

func configShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config show", "[flags]", "Print the effective configuration as TOML, each value followed by where it came from\n(default, file:line, env VAR or flag). Precedence: flags > BITNET_* environment > file > defaults.\nEvery configuration flag below is accepted, so the effect of a command line can be previewed.", stderr)
	asJSON := fs.Bool("json", false, "print JSON: one object per key with value, source, env and flag")
	load := configFlags(fs, keysWithFlags()...)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	c, p, err := load()
	if err != nil {
		return err
	}
	entries := c.Entries(p)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
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
				fmt.Fprintln(stdout)
			}
			table = t
			fmt.Fprintf(stdout, "[%s]\n", t)
		}
		kv := name + " = " + e.TOML
		fmt.Fprintf(stdout, "%-*s  # %s\n", width, kv, e.Source)
	}
	return nil
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
