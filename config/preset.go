package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// presets are the starting points `bitnet config init --preset` writes. Each
// changes the defaults only where its situation calls for it.
var presets = []struct {
	name, about string
	apply       func(c *Config)
}{
	{"laptop", "one user on a laptop or desktop: a few concurrent streams, modest KV budget, no metrics endpoint", func(c *Config) {
		c.Memory.KVBudget = KVBudget{Percent: 25}
		c.Scheduler.MaxSeqs = 8
		c.Scheduler.MaxQueue = 32
		c.Telemetry.Metrics = false
	}},
	{"server", "a dedicated machine serving many clients: all interfaces, API keys from a file, large batches, JSON logs, warnings on slow generation", func(c *Config) {
		c.Server.Addr = "0.0.0.0:8080"
		c.Server.APIKeyFile = "/etc/bitnet/api-keys"
		c.Server.RequestTimeout = 5 * time.Minute
		c.Server.ShutdownTimeout = 60 * time.Second
		c.Memory.KVBudget = KVBudget{Percent: 60}
		c.Scheduler.MaxBatch = 128
		c.Scheduler.MaxSeqs = 256
		c.Scheduler.MaxQueue = 1024
		c.Thresholds.MinGenTokS = 5
		c.Thresholds.MaxTTFT = 2 * time.Second
		c.Telemetry.LogFormat = "json"
		c.Telemetry.Metrics = true
	}},
	{"low-memory", "small machines and containers: short context, q8 KV cache, a fixed small KV budget, one or two streams", func(c *Config) {
		c.Memory.Context = 2048
		c.Memory.KVType = "q8"
		c.Memory.KVBudget = KVBudget{Bytes: 256 << 20}
		c.Scheduler.MaxBatch = 16
		c.Scheduler.MaxSeqs = 2
		c.Scheduler.MaxQueue = 8
		c.Telemetry.Metrics = false
	}},
}

// Presets returns the preset names: laptop, server, low-memory.
func Presets() []string {
	out := make([]string, len(presets))
	for i, p := range presets {
		out[i] = p.name
	}
	return out
}

// Preset returns the defaults changed as the named preset says.
func Preset(name string) (*Config, error) {
	for _, p := range presets {
		if p.name == name {
			c := Default()
			p.apply(c)
			return c, nil
		}
	}
	return nil, fmt.Errorf("config: unknown preset %q (want %s)", name, strings.Join(Presets(), ", "))
}

// Template renders c as a commented TOML file: a header, then each table
// and each key with its help, environment variable, flag and default. Keys
// whose value equals the default are written commented out, so the file
// shows every knob but pins only what the preset chose. Load reads the file
// back to c.
func Template(c *Config, preset string) []byte {
	var b bytes.Buffer
	def := Default()
	about := ""
	for _, p := range presets {
		if p.name == preset {
			about = p.about
		}
	}
	fmt.Fprintf(&b, "# bitnet configuration")
	if preset != "" {
		fmt.Fprintf(&b, ", preset %q", preset)
	}
	b.WriteString("\n")
	if about != "" {
		fmt.Fprintf(&b, "# %s.\n", about)
	}
	b.WriteString(`#
# Precedence: command-line flags > BITNET_* environment variables > this file > defaults.
# Keys written as comments hold the default; uncomment and edit to change them.
# Check the result with "bitnet config show --config FILE"; see docs/configuration.md.
`)
	table := ""
	for _, f := range fields {
		t, name, _ := strings.Cut(f.key, ".")
		if t != table {
			table = t
			fmt.Fprintf(&b, "\n[%s]\n", t)
		}
		val, dval := literal(f.ptr(c)), literal(f.ptr(def))
		fmt.Fprintf(&b, "\n# %s\n# env %s", f.help, EnvName(f.key))
		if f.flag != "" {
			fmt.Fprintf(&b, ", flag %s", flagSpelling(f.flag))
		}
		fmt.Fprintf(&b, ", default %s\n", dval)
		if val == dval {
			fmt.Fprintf(&b, "# %s = %s\n", name, val)
		} else {
			fmt.Fprintf(&b, "%s = %s\n", name, val)
		}
	}
	return b.Bytes()
}

// ErrExists is returned (wrapped) by WriteFile when the file exists and
// overwrite is false.
var ErrExists = errors.New("config: file exists")

// WriteFile writes data to path atomically: to a temporary file in the same
// directory, synced, then moved into place, so a reader sees the old file or
// the new one, never a part. Without overwrite an existing path is left alone
// and the error wraps ErrExists. A new file gets mode 0644.
func WriteFile(path string, data []byte, overwrite bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("config: writing %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("config: writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("config: writing %s: %w", path, err)
	}
	if overwrite {
		if err = os.Rename(name, path); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		return nil
	}
	// Link fails if path exists, so no check-then-rename race; fall back
	// to that race only where hard links are unsupported.
	if lerr := os.Link(name, path); lerr == nil {
		os.Remove(name)
		return nil
	} else if errors.Is(lerr, fs.ErrExist) {
		err = fmt.Errorf("%w: %s (use --force to overwrite)", ErrExists, path)
		return err
	}
	if _, serr := os.Lstat(path); serr == nil {
		err = fmt.Errorf("%w: %s (use --force to overwrite)", ErrExists, path)
		return err
	}
	if err = os.Rename(name, path); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
