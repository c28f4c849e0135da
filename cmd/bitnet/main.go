// Command bitnet runs BitNet b1.58 language models.
//
// Usage:
//
//	bitnet <command> [flags] [arguments]
//
// Commands:
//
//	run         generate text from a prompt (the embedded kjv-tiny model when -m is absent)
//	inspect     print a GGUF file's metadata, tensors and architecture
//	logits      write the logits of a token sequence as float32
//	perplexity  score held-out text or token ids
//	crossval    compare against a reference set (shared/crossval format)
//	chat, tokenize, detokenize, convert, doctor, validate, config, …
//	version     print the version
//
// "bitnet help" lists every command. Exit codes: 0 success; 1 a runtime
// error (bad file, I/O, model error); 2 a usage error (bad flags or
// arguments); 3 crossval outside tolerance. doctor exits 1 on warnings and
// 2 on failures.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1
	exitUsage     = 2
	exitTolerance = 3
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// registry holds every subcommand; each command's file registers itself in
// an init function, so adding a command touches no other file.
var registry []command

func register(c command) { registry = append(registry, c) }

// order is the order of the usage listing; commands not named here follow
// alphabetically.
var order = []string{"run", "chat", "serve", "bench", "inspect", "tokenize", "detokenize", "logits", "perplexity", "crossval", "convert", "synth", "validate", "doctor", "config", "version"}

func commands() []command {
	rank := func(name string) int {
		for i, n := range order {
			if n == name {
				return i
			}
		}
		return len(order)
	}
	cs := append([]command(nil), registry...)
	sort.SliceStable(cs, func(i, j int) bool {
		ri, rj := rank(cs[i].name), rank(cs[j].name)
		if ri != rj {
			return ri < rj
		}
		return cs[i].name < cs[j].name
	})
	return cs
}

func init() {
	register(command{"version", "print the version", func(_ []string, stdout, _ io.Writer) error {
		fmt.Fprintln(stdout, "bitnet", version)
		return nil
	}})
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "bitnet runs BitNet b1.58 (ternary) language models.\n\nUsage:\n  bitnet <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'bitnet <command> -h' for a command's flags. Without -m, commands use the embedded kjv-tiny model.\n")
	fmt.Fprintf(w, "Exit codes: 0 ok, 1 error, 2 usage error, 3 crossval outside tolerance.\n")
}

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError marks errors caused by the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// errTolerance marks a crossval run outside tolerance.
var errTolerance = errors.New("outside tolerance")

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue *usageError
		var coded interface{ ExitCode() int }
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &coded):
			fmt.Fprintf(stderr, "bitnet %s: %v\n", name, oneLine(err))
			return coded.ExitCode()
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "bitnet %s: %v\nRun 'bitnet %s -h' for usage.\n", name, err, name)
			return exitUsage
		case errors.Is(err, errTolerance):
			fmt.Fprintf(stderr, "bitnet %s: %v\n", name, err)
			return exitTolerance
		default:
			fmt.Fprintf(stderr, "bitnet %s: %v\n", name, oneLine(err))
			return exitError
		}
	}
	fmt.Fprintf(stderr, "bitnet: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

// oneLine keeps multi-line errors (such as a list of tensor problems)
// readable while making the first line say what is wrong.
func oneLine(err error) string { return strings.TrimSpace(err.Error()) }
