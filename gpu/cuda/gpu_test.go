package cuda

// Tests that need an NVIDIA GPU. They skip with "no CUDA device: <reason>"
// elsewhere. On a GPU host without Go, build the test binary beforehand
// (docs/gpu.md):
//
//	CGO_ENABLED=0 go test -c -o cuda.test ./gpu/cuda
//	./cuda.test -test.run 'GPU|Driver' -test.v
//	BITNET_GPU_MODEL=2b4t.gguf ./cuda.test -test.run GPU -test.v
//	BITNET_GPU_MODEL=2b4t.gguf ./cuda.test -test.run '^$' -test.bench GPU -test.benchtime 64x

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/kvcache"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/sample"
)

// ModelEnv names the GGUF file the GPU tests and benchmarks use instead
// of the embedded kjv-tiny model (e.g. `bitnet synth --preset 2b4t`).
const ModelEnv = "BITNET_GPU_MODEL"

func gpuForTest(tb testing.TB) *Driver {
	tb.Helper()
	d, err := Load()
	if err != nil {
		tb.Skipf("no CUDA device: %v", err)
	}
	return d
}

// cpuModel loads $BITNET_GPU_MODEL or the embedded kjv-tiny model.
func cpuModel(tb testing.TB) *model.Model {
	tb.Helper()
	var f *gguf.File
	var err error
	if p := os.Getenv(ModelEnv); p != "" {
		f, err = gguf.Open(p)
	} else {
		f, err = defaultmodel.Open()
	}
	if err != nil {
		tb.Fatal(err)
	}
	m, err := model.Load(f, model.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close(); f.Close() })
	return m
}

func gpuModel(tb testing.TB, d *Driver, m *model.Model) *Model {
	tb.Helper()
	g, err := NewModel(d, m, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	tb.Logf("%s on %s (kernels for sm_%d): %.1f MiB of weights", m.Config.Arch, g.Dev.Info, g.Dev.Arch, mib(g.WeightBytes()))
	return g
}

// TestDriverSmoke exercises each binding once: context, allocation, pinned
// memory, copies both ways, a kernel launch and its result.
func TestDriverSmoke(t *testing.T) {
	d := gpuForTest(t)
	v, err := d.Version()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := OpenDevice(d, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	free, total, err := dev.MemInfo()
	if err != nil || free <= 0 || total < free {
		t.Fatalf("MemInfo() = %d, %d, %v", free, total, err)
	}
	t.Logf("driver %d, %s, NVRTC %s (%s), %.0f of %.0f MiB free", v, dev.Info, d.NVRTC.Version(), d.NVRTC.Path, mib(free), mib(total))
	const n = 1 << 20
	err = dev.Do(func() error {
		y, err := dev.alloc(4*n, "y")
		if err != nil {
			return err
		}
		defer dev.free(y)
		x, err := dev.alloc(4*n, "x")
		if err != nil {
			return err
		}
		defer dev.free(x)
		hp, err := dev.allocHost(4*n, "host")
		if err != nil {
			return err
		}
		defer d.cuMemFreeHost(hp)
		h := hostF32(hp, n)
		for i := range h {
			h[i] = float32(i)
		}
		if err := dev.htodAsync(x, hp, 4*n); err != nil {
			return err
		}
		if err := dev.htodAsync(y, hp, 4*n); err != nil {
			return err
		}
		dev.args().ptr(y).ptr(x).i32(n)
		if err := dev.launch("add_f32", 256, 1, 1, 256); err != nil {
			return err
		}
		clear(h)
		if err := dev.dtohAsync(hp, y, 4*n); err != nil {
			return err
		}
		if err := dev.sync(); err != nil {
			return err
		}
		for i, v := range h {
			if v != 2*float32(i) {
				t.Errorf("y[%d] = %v after y += x, want %v", i, v, 2*float32(i))
				break
			}
		}
		var e *Error
		_, err = dev.alloc(1<<62, "too much")
		if !errors.As(err, &e) || e.Code != ErrorOutOfMemory {
			t.Errorf("alloc(2^62) = %v, want CUDA_ERROR_OUT_OF_MEMORY", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// compare checks one row of GPU logits against the CPU's: the same
// top-1 token and cosine similarity at least 0.9999 (issue 8).
func compare(t *testing.T, what string, cpu, gpu []float32) {
	t.Helper()
	var dot, nc, ng float64
	for i := range cpu {
		dot += float64(cpu[i]) * float64(gpu[i])
		nc += float64(cpu[i]) * float64(cpu[i])
		ng += float64(gpu[i]) * float64(gpu[i])
	}
	cos := dot / math.Sqrt(nc*ng)
	tc, tg := sample.Greedy(cpu), sample.Greedy(gpu)
	if tc != tg || !(cos >= 0.9999) {
		t.Errorf("%s: top-1 cpu %d (%.4f) gpu %d (%.4f; cpu gives it %.4f), cosine %.6f (want same top-1, ≥ 0.9999)",
			what, tc, cpu[tc], tg, gpu[tg], cpu[tg], cos)
	}
}

func randomTokens(n, vocab int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 8))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(rng.IntN(vocab))
	}
	return out
}

// TestGPUForwardMatchesCPU runs a prompt (prefill in steps of 64: the GEMM
// and tiled-attention paths) and then greedy decoding past position 256
// (GEMV and split-K attention) on both engines, comparing every logits
// row and the generated tokens.
func TestGPUForwardMatchesCPU(t *testing.T) {
	d := gpuForTest(t)
	m := cpuModel(t)
	g := gpuModel(t, d, m)
	c := m.Config
	seqLen := min(c.SeqLen, 400)
	prompt := randomTokens(min(300, seqLen-40), c.VocabSize, 1)
	cs, err := m.NewState(seqLen, 64)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := g.NewState(StateOptions{SeqLen: seqLen, MaxBatch: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	for i := 0; i < len(prompt); i += 64 {
		chunk := prompt[i:min(i+64, len(prompt))]
		cl, err := m.Forward(cs, chunk, true)
		if err != nil {
			t.Fatal(err)
		}
		gl, err := g.Forward(gs, chunk, true)
		if err != nil {
			t.Fatal(err)
		}
		for r := range chunk {
			compare(t, "prefill position "+itoa(i+r), cl[r*c.VocabSize:(r+1)*c.VocabSize], gl[r*c.VocabSize:(r+1)*c.VocabSize])
		}
	}
	tokC, tokG := prompt[len(prompt)-1], prompt[len(prompt)-1]
	for i := 0; i < 32 && cs.Pos < seqLen; i++ {
		cl, err := m.Forward(cs, []int32{tokC}, false)
		if err != nil {
			t.Fatal(err)
		}
		gl, err := g.Forward(gs, []int32{tokG}, false)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "decode position "+itoa(cs.Pos-1), cl, gl)
		tokC, tokG = sample.Greedy(cl), sample.Greedy(gl)
		if tokC != tokG {
			t.Fatalf("greedy text diverges at step %d: cpu %d, gpu %d", i, tokC, tokG)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// TestGPUForwardBatchMatchesCPU runs mixed batches (a prefill chunk next to
// single decode rows) over shared pools on both engines.
func TestGPUForwardBatchMatchesCPU(t *testing.T) {
	d := gpuForTest(t)
	m := cpuModel(t)
	g := gpuModel(t, d, m)
	c := m.Config
	const seqLen, bs, blocks = 320, 16, 64
	cpool, err := kvcache.NewPool(m.KVConfig(bs, blocks, kvcache.F16))
	if err != nil {
		t.Fatal(err)
	}
	gpool, err := kvcache.NewPool(m.KVConfig(bs, blocks, kvcache.F16))
	if err != nil {
		t.Fatal(err)
	}
	cst, err := m.NewStateOpts(model.StateOptions{SeqLen: seqLen, MaxBatch: 64, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	gst, err := g.NewState(StateOptions{SeqLen: seqLen, MaxBatch: 64, Pool: gpool})
	if err != nil {
		t.Fatal(err)
	}
	defer gst.Close()
	cseq := []*kvcache.Seq{cpool.NewSeq(seqLen), cpool.NewSeq(seqLen), cpool.NewSeq(seqLen)}
	gseq := []*kvcache.Seq{gpool.NewSeq(seqLen), gpool.NewSeq(seqLen), gpool.NewSeq(seqLen)}
	toks := [][]int32{randomTokens(40, c.VocabSize, 2), randomTokens(1, c.VocabSize, 3), randomTokens(23, c.VocabSize, 4)}
	var cb, gb model.Batch
	for i, tk := range toks {
		for j, x := range tk {
			cb.Tokens, gb.Tokens = append(cb.Tokens, x), append(gb.Tokens, x)
			cb.Seqs, gb.Seqs = append(cb.Seqs, cseq[i]), append(gb.Seqs, gseq[i])
			last := j == len(tk)-1
			cb.Logits, gb.Logits = append(cb.Logits, last || j%7 == 0), append(gb.Logits, last || j%7 == 0)
		}
	}
	for step := range 20 {
		cl, err := m.ForwardBatch(cst, &cb)
		if err != nil {
			t.Fatal(err)
		}
		gl, err := g.ForwardBatch(gst, &gb)
		if err != nil {
			t.Fatal(err)
		}
		if len(cl) != len(gl) {
			t.Fatalf("step %d: %d logits on the CPU, %d on the GPU", step, len(cl), len(gl))
		}
		for r := 0; r < len(cl)/c.VocabSize; r++ {
			compare(t, "step "+itoa(step)+" output row "+itoa(r), cl[r*c.VocabSize:(r+1)*c.VocabSize], gl[r*c.VocabSize:(r+1)*c.VocabSize])
		}
		// Next: one decode row per sequence, the CPU's greedy token.
		next := make([]int32, 0, 3)
		seen := 0
		for r := range cb.Tokens {
			if cb.Logits[r] && (r == len(cb.Tokens)-1 || cb.Seqs[r+1] != cb.Seqs[r]) {
				next = append(next, sample.Greedy(cl[seen*c.VocabSize:(seen+1)*c.VocabSize]))
			}
			if cb.Logits[r] {
				seen++
			}
		}
		cb = model.Batch{Tokens: next, Seqs: cseq, Logits: []bool{true, true, true}}
		gb = model.Batch{Tokens: next, Seqs: gseq, Logits: []bool{true, true, true}}
	}
}

// TestGPUArgmaxAndAllocs checks device-side greedy selection against
// sample.Greedy, and that a decode step allocates nothing.
func TestGPUArgmaxAndAllocs(t *testing.T) {
	d := gpuForTest(t)
	m := cpuModel(t)
	g := gpuModel(t, d, m)
	gs, err := g.NewState(StateOptions{SeqLen: 128, MaxBatch: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	toks := randomTokens(8, m.Config.VocabSize, 5)
	logits, err := g.Forward(gs, toks, true)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int32, 8)
	for r := range want {
		want[r] = sample.Greedy(logits[r*m.Config.VocabSize : (r+1)*m.Config.VocabSize])
	}
	got, err := g.Argmax(gs)
	if err != nil {
		t.Fatal(err)
	}
	for r := range want {
		if got[r] != want[r] {
			t.Errorf("Argmax row %d = %d, want %d", r, got[r], want[r])
		}
	}
	gs.NoLogits = true
	tok := []int32{1}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := g.Forward(gs, tok, false); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Argmax(gs); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a decode step allocates %v times, want 0", allocs)
	}
}

// BenchmarkGPUDecode measures batch-1 greedy decoding (tokens/s), with the
// logits left on the device and the token picked by Argmax.
func BenchmarkGPUDecode(b *testing.B) {
	d := gpuForTest(b)
	m := cpuModel(b)
	g := gpuModel(b, d, m)
	gs, err := g.NewState(StateOptions{SeqLen: min(m.Config.SeqLen, 4096), MaxBatch: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer gs.Close()
	gs.NoLogits = true
	tok := []int32{1}
	n := 0
	for b.Loop() {
		if gs.Pos == gs.SeqLen {
			gs.Reset()
		}
		if _, err := g.Forward(gs, tok, false); err != nil {
			b.Fatal(err)
		}
		next, err := g.Argmax(gs)
		if err != nil {
			b.Fatal(err)
		}
		tok[0] = next[0]
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkGPUPrefill measures prompt processing of 512 tokens (tokens/s).
func BenchmarkGPUPrefill(b *testing.B) {
	d := gpuForTest(b)
	m := cpuModel(b)
	g := gpuModel(b, d, m)
	const p = 512
	gs, err := g.NewState(StateOptions{SeqLen: min(m.Config.SeqLen, p), MaxBatch: 512})
	if err != nil {
		b.Fatal(err)
	}
	defer gs.Close()
	toks := randomTokens(gs.SeqLen, m.Config.VocabSize, 6)
	n := 0
	for b.Loop() {
		gs.Reset()
		if _, err := g.Forward(gs, toks, false); err != nil {
			b.Fatal(err)
		}
		n += len(toks)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkGPUBatchedDecode measures decoding of 16 sequences at once
// (aggregate tokens/s).
func BenchmarkGPUBatchedDecode(b *testing.B) {
	d := gpuForTest(b)
	m := cpuModel(b)
	g := gpuModel(b, d, m)
	const nseq, seqLen, bs = 16, 1024, 16
	pool, err := kvcache.NewPool(m.KVConfig(bs, nseq*seqLen/bs, kvcache.F16))
	if err != nil {
		b.Fatal(err)
	}
	gs, err := g.NewState(StateOptions{SeqLen: min(seqLen, m.Config.SeqLen), MaxBatch: nseq, Pool: pool})
	if err != nil {
		b.Fatal(err)
	}
	defer gs.Close()
	gs.NoLogits = true
	batch := model.Batch{Tokens: make([]int32, nseq), Seqs: make([]*kvcache.Seq, nseq), Logits: make([]bool, nseq)}
	for i := range nseq {
		batch.Seqs[i] = pool.NewSeq(gs.SeqLen)
		batch.Tokens[i] = int32(i + 1)
		batch.Logits[i] = true
	}
	n := 0
	for b.Loop() {
		if batch.Seqs[0].Len() == gs.SeqLen {
			for _, s := range batch.Seqs {
				s.Free()
			}
		}
		if _, err := g.ForwardBatch(gs, &batch); err != nil {
			b.Fatal(err)
		}
		next, err := g.Argmax(gs)
		if err != nil {
			b.Fatal(err)
		}
		copy(batch.Tokens, next)
		n += nseq
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}
