// Package config merges bitnet's configuration from its sources and checks
// it: built-in defaults (or a preset), a TOML file, BITNET_* environment
// variables and command-line flags, in rising precedence
// (flags > env > file > defaults).
//
// The configuration is one typed tree, Config, with a table per concern:
// model, runtime, generation, server, memory, scheduler, thresholds and
// telemetry. Every leaf has a dotted key ("server.addr"), an environment
// variable (BITNET_SERVER_ADDR: the key upper-cased, dots as underscores)
// and usually a standard flag (--addr). Load returns the effective Config
// and a Provenance that says, for every key, which source set it: "default",
// "file bitnet.toml:12", "env BITNET_SERVER_ADDR" or "flag --addr".
//
// Nothing is accepted loosely: an unknown key in the file, an unknown
// BITNET_ variable, a value of the wrong type or out of range, and settings
// that contradict each other are errors (*Error) that name the key and the
// source; Load reports all of them at once.
//
// The file format is a strict subset of TOML 1.0 read by a small parser in
// this package (see toml.go for what is accepted and why there is no
// third-party dependency). Template writes a commented file for a preset;
// WriteFile installs it atomically.
//
// Using it from a command:
//
//	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
//	file := fs.String("config", "", "configuration file")
//	config.Define(fs, "model.path", "server.addr", "runtime.threads")
//	_ = fs.Parse(args)
//	cfg, prov, err := config.Load(*file, os.Environ(), config.FlagsFrom(fs, nil))
//
// The package imports only the standard library.
package config
