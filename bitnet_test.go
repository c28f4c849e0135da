package bitnet_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet"
)

func load(t *testing.T, opts ...bitnet.Option) *bitnet.Model {
	t.Helper()
	m, err := bitnet.Load("", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var prompts = []string{
	"In the beginning God created",
	"And the LORD said unto Moses,",
	"Blessed are the",
	"The LORD is my shepherd;",
}

// TestConcurrentEqualsSequential: greedy text is the same whether the
// requests run one at a time or at once (batched by the engine).
func TestConcurrentEqualsSequential(t *testing.T) {
	m := load(t)
	ctx := context.Background()
	o := bitnet.GenerateOptions{MaxTokens: 32}
	want := make([]string, len(prompts))
	for i, p := range prompts {
		var err error
		if want[i], err = m.Generate(ctx, p, o); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]string, len(prompts))
	errs := make([]error, len(prompts))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Go(func() {
			<-start
			got[i], errs[i] = m.Generate(ctx, p, o)
		})
	}
	close(start)
	wg.Wait()
	for i := range prompts {
		if errs[i] != nil || got[i] != want[i] {
			t.Errorf("Generate(%q) at once = %q, %v; one at a time %q", prompts[i], got[i], errs[i], want[i])
		}
	}
}

// TestStreamEqualsGenerate: the pieces of Stream and of OnText join to
// Generate's text, in order.
func TestStreamEqualsGenerate(t *testing.T) {
	m := load(t)
	ctx := context.Background()
	o := bitnet.GenerateOptions{MaxTokens: 20}
	want, err := m.Generate(ctx, prompts[0], o)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	n := 0
	for piece, err := range m.Stream(ctx, prompts[0], o) {
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(piece)
		n++
	}
	if sb.String() != want || n < 2 {
		t.Errorf("Stream pieces (%d) join to %q, want %q in several pieces", n, sb.String(), want)
	}
	var cb strings.Builder
	o.OnText = func(s string) error { cb.WriteString(s); return nil }
	if got, err := m.Generate(ctx, prompts[0], o); err != nil || got != want || cb.String() != want {
		t.Errorf("Generate with OnText = %q, %v; OnText saw %q; want %q", got, err, cb.String(), want)
	}
}

// TestStopEarly: an OnText error, a Stream break and a cancelled context
// each stop the generation after what was emitted.
func TestStopEarly(t *testing.T) {
	m := load(t)
	stop := errors.New("enough")
	pieces := 0
	text, err := m.Generate(context.Background(), prompts[1], bitnet.GenerateOptions{MaxTokens: 64, OnText: func(string) error {
		if pieces++; pieces == 3 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) || pieces != 3 || text == "" {
		t.Errorf("OnText error after 3 pieces: text %q, %d pieces, err %v; want err %v", text, pieces, err, stop)
	}
	n := 0
	for range m.Stream(context.Background(), prompts[1], bitnet.GenerateOptions{MaxTokens: 64}) {
		if n++; n == 2 {
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	text, err = m.Generate(ctx, prompts[1], bitnet.GenerateOptions{MaxTokens: 64, OnText: func(string) error { cancel(); return nil }})
	if !errors.Is(err, context.Canceled) || text == "" {
		t.Errorf("cancelled after the first piece: %q, %v; want some text and context.Canceled", text, err)
	}
	if got, err := m.Generate(context.Background(), prompts[0], bitnet.GenerateOptions{MaxTokens: 4}); err != nil || got == "" {
		t.Errorf("Generate after stopped requests = %q, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	m := load(t, bitnet.WithContext(64))
	ctx := context.Background()
	long := strings.Repeat("And it came to pass ", 40)
	tests := []struct {
		name string
		call func() error
		is   error
		want string
	}{
		{"negative MaxTokens", func() error { _, err := m.Generate(ctx, "x", bitnet.GenerateOptions{MaxTokens: -1}); return err }, bitnet.ErrInvalid, "MaxTokens -1"},
		{"negative temperature", func() error {
			_, err := m.Generate(ctx, "x", bitnet.GenerateOptions{Temperature: -1})
			return err
		}, bitnet.ErrInvalid, "Temperature"},
		{"empty stop", func() error { _, err := m.Generate(ctx, "x", bitnet.GenerateOptions{Stop: []string{""}}); return err }, bitnet.ErrInvalid, "Stop[0]"},
		{"prompt too long", func() error { _, err := m.Generate(ctx, long, bitnet.GenerateOptions{}); return err }, bitnet.ErrContextLength, "context"},
		{"max tokens too many", func() error { _, err := m.Generate(ctx, "x", bitnet.GenerateOptions{MaxTokens: 64}); return err }, bitnet.ErrContextLength, "64"},
		{"no messages", func() error { _, err := m.Chat(ctx, nil, bitnet.GenerateOptions{}); return err }, bitnet.ErrInvalid, "no messages"},
		{"bad role", func() error {
			_, err := m.Chat(ctx, []bitnet.Message{{Role: "robot", Content: "hi"}}, bitnet.GenerateOptions{})
			return err
		}, bitnet.ErrInvalid, `messages[0]: role "robot"`},
		{"token out of range", func() error { _, err := m.Detokenize([]int32{1, -5}); return err }, bitnet.ErrInvalid, "token -5 at index 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %v containing %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.gguf")
	if err := os.WriteFile(bad, []byte("not a gguf file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		opts       []bitnet.Option
		want       string
	}{
		{"missing file", "/nonexistent/model.gguf", nil, "/nonexistent/model.gguf"},
		{"not gguf", bad, nil, "bad.gguf"},
		{"negative threads", "", []bitnet.Option{bitnet.WithThreads(-1)}, "WithThreads(-1)"},
		{"context too long", "", []bitnet.Option{bitnet.WithContext(1 << 20)}, "WithContext(1048576)"},
		{"unknown template", "", []bitnet.Option{bitnet.WithChatTemplate("nosuch")}, "nosuch"},
		{"budget too small", "", []bitnet.Option{bitnet.WithKVBudget(1)}, "KV budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := bitnet.Load(tt.path, tt.opts...)
			if err == nil {
				m.Close()
				t.Fatalf("Load(%q) succeeded, want an error naming %q", tt.path, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%q) error %q, want it to name %q", tt.path, err, tt.want)
			}
		})
	}
}

// TestClose: Close ends a running generation with ErrClosed, every call
// after it returns ErrClosed, and a second Close is harmless.
func TestClose(t *testing.T) {
	m, err := bitnet.Load("")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		_, err := m.Generate(context.Background(), prompts[0], bitnet.GenerateOptions{IgnoreEOS: true, OnText: func(string) error {
			once.Do(func() { close(started) })
			time.Sleep(time.Millisecond)
			return nil
		}})
		done <- err
	}()
	<-started
	m.Close()
	if err := <-done; !errors.Is(err, bitnet.ErrClosed) {
		t.Errorf("Generate running at Close: %v, want ErrClosed", err)
	}
	if _, err := m.Generate(context.Background(), "x", bitnet.GenerateOptions{}); !errors.Is(err, bitnet.ErrClosed) {
		t.Errorf("Generate after Close: %v, want ErrClosed", err)
	}
	if _, err := m.Tokenize("x"); !errors.Is(err, bitnet.ErrClosed) {
		t.Errorf("Tokenize after Close: %v, want ErrClosed", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestTokenizeRoundTrip(t *testing.T) {
	m := load(t)
	for _, p := range prompts {
		ids, err := m.Tokenize(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := m.Detokenize(ids); err != nil || got != p {
			t.Errorf("Detokenize(Tokenize(%q)) = %q, %v", p, got, err)
		}
	}
	if n := m.ContextLength(); n <= 0 {
		t.Errorf("ContextLength() = %d, want > 0", n)
	}
}
