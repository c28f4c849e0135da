package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func newBound(t *testing.T, name string, defaults map[string]string, keys ...string) (*flag.FlagSet, *Binding) {
	t.Helper()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs, Bind(fs, name, defaults, keys...)
}

// TestBindPrecedenceByProvenance: a flag given with the default's value
// still beats the environment and the file; a command default is reported
// as "default (NAME)" and loses to every other layer.
func TestBindPrecedenceByProvenance(t *testing.T) {
	file := writeTemp(t, "b.toml", "[scheduler]\nmax_batch = 8\n[generation]\nmax_tokens = 7\n")
	fs, b := newBound(t, "chat", map[string]string{"generation.max_tokens": "512"}, "scheduler.max_batch", "generation.max_tokens", "telemetry.metrics")
	if err := fs.Parse([]string{"--config", file, "--max-batch", "64", "--metrics=false"}); err != nil {
		t.Fatal(err)
	}
	c, p, err := b.Load([]string{"BITNET_SCHEDULER_MAX_BATCH=32"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Scheduler.MaxBatch != 64 || p.Source("scheduler.max_batch").String() != "flag --max-batch" {
		t.Errorf("max_batch %d from %s: the flag at the default value must win", c.Scheduler.MaxBatch, p.Source("scheduler.max_batch"))
	}
	if c.Generation.MaxTokens != 7 || !strings.HasPrefix(p.Source("generation.max_tokens").String(), "file ") {
		t.Errorf("max_tokens %d from %s: the file must beat the command default", c.Generation.MaxTokens, p.Source("generation.max_tokens"))
	}
	if c.Telemetry.Metrics {
		t.Error("--metrics=false ignored")
	}

	fs, b = newBound(t, "chat", map[string]string{"generation.max_tokens": "512"}, "generation.max_tokens", "telemetry.metrics")
	if err := fs.Parse([]string{"--metrics"}); err != nil {
		t.Fatal(err)
	}
	c, p, err = b.Load(nil)
	if err != nil || c.Generation.MaxTokens != 512 || p.Source("generation.max_tokens").String() != "default (chat)" || !c.Telemetry.Metrics {
		t.Errorf("command default: %v %d from %s, metrics %v", err, c.Generation.MaxTokens, p.Source("generation.max_tokens"), c.Telemetry.Metrics)
	}
	if got := len(b.Entries(c, p)); got != 2 {
		t.Errorf("Entries lists %d keys, want the 2 the command reads", got)
	}
}

func TestBindSetAndAlias(t *testing.T) {
	fs, b := newBound(t, "bench", nil, "runtime.threads", "model.head")
	b.Alias("t", "runtime.threads")
	if err := fs.Parse([]string{"-t", "3", "--set", "model.head=q8"}); err != nil {
		t.Fatal(err)
	}
	c, p, err := b.Load(nil)
	if err != nil || c.Runtime.Threads != 3 || p.Source("runtime.threads").String() != "flag -t" || c.Model.Head != "q8" || p.Source("model.head").String() != "flag --set" {
		t.Errorf("alias/set: %v threads %d from %s, head %s from %s", err, c.Runtime.Threads, p.Source("runtime.threads"), c.Model.Head, p.Source("model.head"))
	}
	fs, _ = newBound(t, "bench", nil, "runtime.threads")
	err = fs.Parse([]string{"--set", "server.addr=h:1"})
	if err == nil || !strings.Contains(err.Error(), "bench does not read server.addr") {
		t.Errorf("--set of a key the command does not read: %v", err)
	}
	// Keys the command does not read are still checked in env and file.
	fs, b = newBound(t, "bench", nil, "runtime.threads")
	_ = fs.Parse(nil)
	if _, _, err := b.Load([]string{"BITNET_SERVER_ADDR=nohost"}); err == nil || !strings.Contains(err.Error(), "server.addr") {
		t.Errorf("unread key not checked: %v", err)
	}
}
