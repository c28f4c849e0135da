package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/bitnet-go/bitnet/internal/loadtest"
)

func init() {
	register(command{"loadtest", "drive an OpenAI-compatible server with concurrent streams", cmdLoadtest})
}

func cmdLoadtest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("loadtest", "[flags] URL", `Run N concurrent streaming clients against the OpenAI-compatible server at URL
(e.g. http://127.0.0.1:8080; bitnet serve, llama-server or any other), M requests
each or for --duration, and report errors, well-formed streams, time to first
token, inter-token latency and aggregate tokens per second. URL must be a
loopback address. Exit status 1 when any request failed.`, stderr)
	clients := fs.Int("c", 8, "concurrent clients")
	requests := fs.Int("n", 4, "requests per client (0 with --duration: until the duration ends)")
	duration := fs.Duration("duration", 0, "stop starting requests after this long (e.g. 30m); 0 = no limit")
	endpoint := fs.String("endpoint", "chat", "API: chat (/v1/chat/completions) or completions (/v1/completions)")
	modelID := fs.String("model", "", "model id to request (default: the first of GET /v1/models)")
	apiKey := fs.String("api-key", "", "bearer `key` (default: env BITNET_API_KEY)")
	promptWords := fs.String("prompt-words", "16-64", "prompt length in words: N or MIN-MAX (uniform)")
	maxTokens := fs.String("max-tokens", "32-64", "max_tokens per request: N or MIN-MAX (uniform)")
	temp := fs.Float64("temperature", 0.8, "sampling temperature sent with each request")
	timeout := fs.Duration("timeout", 5*time.Minute, "per-request timeout")
	seed := fs.Uint64("seed", 1, "seed for prompts and lengths")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one URL argument, got %d", len(pos))
	}
	if *clients < 1 {
		return usagef("-c %d: want at least 1", *clients)
	}
	if *requests < 0 || (*requests == 0 && *duration <= 0) {
		return usagef("-n %d: want at least 1, or 0 with --duration", *requests)
	}
	pw, err := loadtest.ParseRange(*promptWords)
	if err != nil {
		return usagef("--prompt-words: %v", err)
	}
	mt, err := loadtest.ParseRange(*maxTokens)
	if err != nil {
		return usagef("--max-tokens: %v", err)
	}
	if *endpoint != "chat" && *endpoint != "completions" {
		return usagef("--endpoint %q: want chat or completions", *endpoint)
	}
	key := *apiKey
	if key == "" {
		key = os.Getenv("BITNET_API_KEY")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := loadtest.Run(ctx, loadtest.Config{URL: pos[0], Endpoint: *endpoint, Model: *modelID, APIKey: key,
		Clients: *clients, Requests: *requests, Duration: *duration, PromptWords: pw, MaxTokens: mt,
		Temperature: *temp, Timeout: *timeout, Seed: *seed})
	if err != nil {
		return usagef("%v", err)
	}
	if *asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(stdout)
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d of %d requests failed", rep.Errors, rep.Requests)
	}
	if rep.Requests == 0 {
		return errors.New("no request was made")
	}
	return nil
}
