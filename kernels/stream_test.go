package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/bitnet-go/bitnet/internal/bigmem"
	"github.com/bitnet-go/bitnet/internal/workpool"
)

func TestReadStreamEquivalence(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 4096+3)
	for i := range buf {
		buf[i] = byte(rng.IntN(256))
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{0, 8, 120, 128, 136, 256, 1024 + 56, 4096} {
			for off := range 4 {
				b := buf[off : off+n]
				var want uint64
				for i := 0; i < n; i += 8 {
					for k := range 8 {
						want += uint64(b[i+k]) << (8 * k)
					}
				}
				if got := ReadStream(b); got != want {
					t.Fatalf("n=%d off=%d: ReadStream = %#x, want %#x", n, off, got, want)
				}
			}
		}
	})
	defer func() {
		if recover() == nil {
			t.Fatal("ReadStream of 7 bytes did not panic")
		}
	}()
	ReadStream(buf[:7])
}

// poolTask adapts a func to workpool.Task for the benchmarks.
type poolTask func(lo, hi int)

func (f poolTask) Run(lo, hi, _ int) { f(lo, hi) }

// BenchmarkReadBandwidth measures, in one run, the machine's streaming read
// bandwidth and the decode kernels' share of it, with 1 and 2 workers on
// the persistent pool split as model/linear.go splits a decode step (rows
// in chunks of at least 16, about four chunks per worker). Every buffer is
// far larger than the last-level cache and in memory advised for huge
// pages, as the model loader allocates weights:
//
//	read     ReadStream over 256 MiB (the bound)
//	i2s      MatVecI2S over 24 copies of ffn_down (2560 × 6912, 106 MB)
//	tq2      MatVecTQ2 over 24 copies of the same shape as TQ2_0 (109 MB)
//	f16head  the f16 head mat-vec, 40000 × 2560 (205 MB)
//
// MB/s is the bandwidth reached; kernel MB/s ÷ read MB/s (same threads)
// is the fraction of the bound. Run with -benchtime 10x and -count 5.
func BenchmarkReadBandwidth(b *testing.B) {
	for _, threads := range []int{1, 2} {
		pool := workpool.New(threads)
		defer pool.Close()
		b.Run(fmt.Sprintf("read/threads=%d", threads), func(b *testing.B) { benchRead(b, pool) })
		b.Run(fmt.Sprintf("i2s/threads=%d", threads), func(b *testing.B) { benchI2SStream(b, pool) })
		b.Run(fmt.Sprintf("tq2/threads=%d", threads), func(b *testing.B) { benchTQ2Stream(b, pool) })
		b.Run(fmt.Sprintf("f16head/threads=%d", threads), func(b *testing.B) { benchF16Stream(b, pool) })
	}
}

func benchRead(b *testing.B, pool *workpool.Pool) {
	const size, chunk = 256 << 20, 1 << 20
	buf, free := bigmem.Bytes(size)
	defer free()
	for i := range buf {
		buf[i] = byte(i)
	}
	sums := make([]uint64, size/chunk)
	task := poolTask(func(lo, hi int) {
		for c := lo; c < hi; c++ {
			sums[c] = ReadStream(buf[c*chunk : (c+1)*chunk])
		}
	})
	b.SetBytes(size)
	for b.Loop() {
		pool.Do(size/chunk, 1, task)
	}
}

func benchI2SStream(b *testing.B, pool *workpool.Pool) {
	const rows, K, copies = 2560, 6912, 24
	rng := rand.New(rand.NewPCG(1, 1))
	w, q := i2sCase(rng, rows, K, 1, 0, "rand")
	buf, free := bigmem.Bytes(len(w) * copies)
	defer free()
	for c := range copies {
		copy(buf[c*len(w):], w)
	}
	out := make([]int32, rows)
	rb := K / 4
	var m []byte
	task := poolTask(func(lo, hi int) { MatVecI2S(out[lo:hi], m[lo*rb:hi*rb], q) })
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		for c := range copies {
			m = buf[c*len(w) : (c+1)*len(w)]
			pool.Do(rows, 16, task)
		}
	}
}

func benchTQ2Stream(b *testing.B, pool *workpool.Pool) {
	const rows, K, copies = 2560, 6912, 24
	rng := rand.New(rand.NewPCG(1, 1))
	w, q, da := tq2Case(rng, rows, K, 1, 0, "rand", "")
	buf, free := bigmem.Bytes(len(w) * copies)
	defer free()
	for c := range copies {
		copy(buf[c*len(w):], w)
	}
	out := make([]float32, rows)
	rb := K / 256 * 66
	var m []byte
	task := poolTask(func(lo, hi int) { MatVecTQ2(out[lo:hi], m[lo*rb:hi*rb], q, da) })
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		for c := range copies {
			m = buf[c*len(w) : (c+1)*len(w)]
			pool.Do(rows, 16, task)
		}
	}
}

func benchF16Stream(b *testing.B, pool *workpool.Pool) {
	const rows, K = 40000, 2560
	buf, free := bigmem.Bytes(rows * K * 2)
	defer free()
	w := unsafe.Slice((*uint16)(unsafe.Pointer(&buf[0])), rows*K)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range w {
		w[i] = F32ToF16(float32(rng.NormFloat64()) * 0.02)
	}
	x := make([]float32, K)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, rows)
	// model/forward.go runs the head as Do(vocab, 64, …).
	task := poolTask(func(lo, hi int) { MatMulF16(out[lo:hi], hi-lo, w[lo*K:hi*K], K, hi-lo, K, x, K, 1) })
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		pool.Do(rows, 64, task)
	}
}
