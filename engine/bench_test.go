package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/tokenizer"
)

// BenchmarkBatchedDecode measures aggregate generation speed with 1 and 16
// concurrent greedy streams on the model named by BITNET_BENCH_MODEL (for
// example a `bitnet synth --preset 2b4t` file), skipping without it:
//
//	BITNET_BENCH_MODEL=/tmp/2b4t.gguf go test ./engine -run '^$' -bench BatchedDecode -benchtime 1x
//
// BITNET_BENCH_HEAD=q8 runs the int8 head.
func BenchmarkBatchedDecode(b *testing.B) {
	path := os.Getenv("BITNET_BENCH_MODEL")
	if path == "" {
		b.Skip("set BITNET_BENCH_MODEL to a GGUF file")
	}
	f, err := gguf.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := model.Load(f, model.Options{HeadQ8: os.Getenv("BITNET_BENCH_HEAD") == "q8"})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizer.FromGGUF(f, tokenizer.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, streams := range []int{1, 16} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			e, err := New(m, tok, Config{MaxBatch: 64, Context: 512, MaxSeqs: 32})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			const gen = 64
			for b.Loop() {
				var wg sync.WaitGroup
				t0 := time.Now()
				for i := range streams {
					prompt := tok.Encode(fmt.Sprintf("Stream %d: and it came to pass", i), true, false)
					ch, err := e.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: gen, IgnoreEOG: true, TopLogprobs: -1})
					if err != nil {
						b.Fatal(err)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range ch {
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(streams*gen)/time.Since(t0).Seconds(), "tok/s")
			}
		})
	}
}
