package crossval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/shareddata"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
)

// TestKJVPerplexity checks the held-out perplexity of every kjv-tiny file
// against the PyTorch figure and bitnet.cpp's, both within 1%.
func TestKJVPerplexity(t *testing.T) {
	if testing.Short() {
		t.Skip("perplexity over the held-out set takes a few seconds")
	}
	dir := filepath.Join(shareddata.Path(t), "models", "kjv-tiny")
	var ref struct {
		Heldout struct {
			TokensFile string  `json:"tokens_file"`
			Window     int     `json:"window"`
			Perplexity float64 `json:"perplexity"`
			BitnetCpp  struct {
				I2S  float64 `json:"i2_s"`
				TQ20 float64 `json:"tq2_0"`
			} `json:"bitnet_cpp_perplexity"`
		} `json:"heldout"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "reference", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	var tokens []int32
	b, err = os.ReadFile(filepath.Join(dir, "reference", ref.Heldout.TokensFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tokens); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file      string
		bitnetCpp float64
	}{
		{"kjv-tiny-i2_s.gguf", ref.Heldout.BitnetCpp.I2S},
		{"kjv-tiny-tq2_0.gguf", ref.Heldout.BitnetCpp.TQ20},
		{"kjv-tiny-tq1_0.gguf", 0}, // no bitnet.cpp figure recorded
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := gguf.Open(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.Load(f, model.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			res, err := Perplexity(m, tokens, ref.Heldout.Window, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: perplexity %.4f over %d windows (%d predictions); PyTorch %.4f, bitnet.cpp %.4f",
				tc.file, res.Perplexity, res.Windows, res.Predictions, ref.Heldout.Perplexity, tc.bitnetCpp)
			if d := math.Abs(res.Perplexity/ref.Heldout.Perplexity - 1); d > 0.01 {
				t.Errorf("perplexity %.4f is %.2f%% from PyTorch's %.4f (limit 1%%)", res.Perplexity, 100*d, ref.Heldout.Perplexity)
			}
			if tc.file == "kjv-tiny-i2_s.gguf" {
				// The q8 KV cache (serve --kv-type q8) must cost under 0.1%.
				q8, err := PerplexityKV(m, tokens, ref.Heldout.Window, kvcache.Q8, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("q8 KV cache: perplexity %.4f (f16 %.4f)", q8.Perplexity, res.Perplexity)
				if d := math.Abs(q8.Perplexity/res.Perplexity - 1); d > 0.001 {
					t.Errorf("q8 KV cache changes perplexity by %.3f%% (limit 0.1%%)", 100*d)
				}
			}
			if tc.bitnetCpp > 0 {
				if d := math.Abs(res.Perplexity/tc.bitnetCpp - 1); d > 0.01 {
					t.Errorf("perplexity %.4f is %.2f%% from bitnet.cpp's %.4f (limit 1%%)", res.Perplexity, 100*d, tc.bitnetCpp)
				}
			}
		})
	}
}
