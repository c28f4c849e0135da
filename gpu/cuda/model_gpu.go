package cuda

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/kernels"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/quant"
)

// Model is a model uploaded to one GPU: the Config and Weights of a CPU
// *model.Model, with the I2_S projections repacked (repack.go) and fused
// ([q;k;v] and [gate;up]), the norms, the head and a RoPE table, in device
// memory for the life of the Model. Forward and ForwardBatch have the
// semantics of model.Model's. A Model runs one step at a time; its
// methods may be called from any goroutine, one at a time.
type Model struct {
	Config *model.Config
	Dev    *Device

	cpu     *model.Model // host weights (embedding rows) and configuration
	layers  []devLayer
	outNorm DevicePtr // (Dim) f32
	head    DevicePtr // (VocabSize, Dim) f16 or f32
	headF16 bool
	rope    DevicePtr // (SeqLen, NRot) f32 cos/sin pairs (kernels.RopeAngles)

	weightBytes int64 // device bytes of all the above
	allocs      []DevicePtr
}

// devLinear is one (possibly fused) I2_S projection on the device.
type devLinear struct {
	w       DevicePtr // (N, K/16) u32, repack.go layout
	beta    DevicePtr // (N) f32 per-row β
	oscale  DevicePtr // (N) f32 per-row output scale, 0 when all are 1
	bias    DevicePtr // (N) f32, 0 when there is none
	N, K    int
	segment []int // rows of each fused part (q, k, v or gate, up)
}

type devLayer struct {
	attnNorm, attnSubNorm, ffnNorm, ffnSubNorm DevicePtr // f32; sub-norms 0 when absent
	qkv, o, gateUp, down                       devLinear
}

// Options configure NewModel.
type Options struct {
	Device int // device ordinal (cuda:N)
}

// NewModel uploads m to device opt.Device. It fails with an error naming
// the tensor for weights the CUDA kernels do not handle (only I2_S
// projections run on the GPU), and with the sizes when the weights do not
// fit in free device memory. m must stay loaded while the Model is used
// (token embeddings are read from it on the host).
func NewModel(d *Driver, m *model.Model, opt Options) (*Model, error) {
	c := m.Config
	if err := checkSupported(m); err != nil {
		return nil, err
	}
	dev, err := OpenDevice(d, opt.Device)
	if err != nil {
		return nil, err
	}
	g := &Model{Config: c, Dev: dev, cpu: m}
	need := g.planWeightBytes()
	free, total, err := dev.MemInfo()
	if err != nil {
		dev.Close()
		return nil, err
	}
	if need > free {
		dev.Close()
		return nil, &FitError{What: "model weights", Need: need, Free: free, Total: total, Device: dev.Info,
			Detail: fmt.Sprintf("%d layers of I2_S projections plus a %s head of %d × %d", c.NLayers, headKind(m), c.VocabSize, c.Dim)}
	}
	if err := dev.Do(g.upload); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// FitError reports a model or state that does not fit in device memory.
type FitError struct {
	What        string
	Need        int64
	Free, Total int64
	Device      DeviceInfo
	Detail      string
}

func (e *FitError) Error() string {
	return fmt.Sprintf("cuda: %s need %.1f MiB on %s but only %.1f MiB of %.1f MiB are free (%s); use --device cpu, a smaller context or batch",
		e.What, mib(e.Need), e.Device, mib(e.Free), mib(e.Total), e.Detail)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// checkSupported rejects models whose tensors the kernels cannot run.
func checkSupported(m *model.Model) error {
	c := m.Config
	var bad []error
	for l := range m.Weights.Layers {
		L := &m.Weights.Layers[l]
		for _, lin := range []*model.Linear{&L.Q, &L.K, &L.V, &L.O, &L.Gate, &L.Up, &L.Down} {
			if lin.Type != gguf.TypeI2_S {
				bad = append(bad, fmt.Errorf("tensor %q has type %s (the CUDA kernels run I2_S projections only; convert the model to I2_S)", lin.Name, lin.Type))
			}
		}
		if len(bad) > 3 {
			break
		}
	}
	if c.HeadDim%32 != 0 || c.HeadDim > 256 {
		bad = append(bad, fmt.Errorf("head size %d is not a multiple of 32 up to 256", c.HeadDim))
	}
	if c.Dim%128 != 0 || c.QDim%128 != 0 || c.HiddenDim%128 != 0 {
		bad = append(bad, fmt.Errorf("dimensions %d/%d/%d are not multiples of 128", c.Dim, c.QDim, c.HiddenDim))
	}
	if len(bad) > 0 {
		return fmt.Errorf("cuda: model %s cannot run on the GPU: %w", c.Arch, errors.Join(bad...))
	}
	return nil
}

func headKind(m *model.Model) string { return m.Weights.Output.Type.String() }

// headF16Native reports whether the head is uploaded as stored (f16).
func (g *Model) headF16Native() bool {
	return g.cpu.Weights.Output.Type == gguf.TypeF16 && g.Config.Dim%8 == 0
}

// planWeightBytes is the device memory NewModel allocates.
func (g *Model) planWeightBytes() int64 {
	c := g.Config
	lin := func(N, K int) int64 { return int64(N)*int64(K)/4 + 3*4*int64(N) }
	per := lin(c.QDim+2*c.KVDim, c.Dim) + lin(c.Dim, c.QDim) + lin(2*c.HiddenDim, c.Dim) + lin(c.Dim, c.HiddenDim) +
		4*int64(2*c.Dim+c.QDim+c.HiddenDim)
	head := int64(c.VocabSize) * int64(c.Dim) * 4
	if g.headF16Native() {
		head /= 2
	}
	return int64(c.NLayers)*per + head + 4*int64(c.Dim) + 4*int64(c.SeqLen)*int64(c.NRot)
}

// upload runs on the owner goroutine: it allocates and fills every
// device tensor.
func (g *Model) upload() error {
	c, w := g.Config, g.cpu.Weights
	var scratch []uint32
	g.layers = make([]devLayer, c.NLayers)
	var err error
	for l := range w.Layers {
		L, D := &w.Layers[l], &g.layers[l]
		p := fmt.Sprintf("blk.%d.", l)
		for _, v := range []struct {
			dst *DevicePtr
			x   []float32
			n   string
		}{{&D.attnNorm, L.AttnNorm, "attn_norm"}, {&D.attnSubNorm, L.AttnSubNorm, "attn_sub_norm"},
			{&D.ffnNorm, L.FFNNorm, "ffn_norm"}, {&D.ffnSubNorm, L.FFNSubNorm, "ffn_sub_norm"}} {
			if *v.dst, err = g.uploadVec(v.x, p+v.n); err != nil {
				return err
			}
		}
		if D.qkv, err = g.uploadLinear([]*model.Linear{&L.Q, &L.K, &L.V}, p+"attn_qkv", &scratch); err != nil {
			return err
		}
		if D.o, err = g.uploadLinear([]*model.Linear{&L.O}, p+"attn_output", &scratch); err != nil {
			return err
		}
		if D.gateUp, err = g.uploadLinear([]*model.Linear{&L.Gate, &L.Up}, p+"ffn_gate_up", &scratch); err != nil {
			return err
		}
		if D.down, err = g.uploadLinear([]*model.Linear{&L.Down}, p+"ffn_down", &scratch); err != nil {
			return err
		}
	}
	if g.outNorm, err = g.uploadVec(w.OutputNorm, "output_norm"); err != nil {
		return err
	}
	if err := g.uploadHead(); err != nil {
		return err
	}
	// RoPE angles for every position, computed by the CPU's own function
	// so that the GPU rotates by bit-identical angles.
	tab := make([]float32, c.SeqLen*c.NRot)
	for p := range c.SeqLen {
		kernels.RopeAngles(tab[p*c.NRot:(p+1)*c.NRot], p, c.RopeBase, c.NRot, 1/c.RopeScale, w.RopeFreqs)
	}
	g.rope, err = g.uploadVec(tab, "rope table")
	return err
}

// allocWeight allocates n device bytes of weights, owned by g.
func (g *Model) allocWeight(n int64, what string) (DevicePtr, error) {
	p, err := g.Dev.alloc(n, what)
	if err != nil {
		return 0, err
	}
	g.allocs = append(g.allocs, p)
	g.weightBytes += n
	return p, nil
}

// uploadVec uploads a float32 vector (0 for a nil one).
func (g *Model) uploadVec(x []float32, what string) (DevicePtr, error) {
	if x == nil {
		return 0, nil
	}
	p, err := g.allocWeight(4*int64(len(x)), what)
	if err != nil {
		return 0, err
	}
	return p, g.Dev.uploadF32(p, x, what)
}

// uploadLinear repacks and uploads the I2_S projections parts, which
// share their input, as one fused matrix with per-row β, output scale
// (only when some is not 1) and bias (only when some part has one).
// *scratch is the reusable repack buffer.
func (g *Model) uploadLinear(parts []*model.Linear, what string, scratch *[]uint32) (devLinear, error) {
	K := parts[0].Cols
	dl := devLinear{K: K}
	for _, p := range parts {
		dl.N += p.Rows
		dl.segment = append(dl.segment, p.Rows)
	}
	words := dl.N * K / 16
	if cap(*scratch) < words {
		*scratch = make([]uint32, words)
	}
	buf := (*scratch)[:words]
	beta := make([]float32, dl.N)
	oscale := make([]float32, dl.N)
	var bias []float32
	anyScale := false
	row := 0
	for _, p := range parts {
		RepackI2S(buf[row*K/16:], p.Data, p.Rows, K)
		for n := range p.Rows {
			beta[row+n] = p.Beta
			oscale[row+n] = p.OutScale
		}
		anyScale = anyScale || p.OutScale != 1
		if p.Bias != nil {
			if bias == nil {
				bias = make([]float32, dl.N)
			}
			copy(bias[row:], p.Bias)
		}
		row += p.Rows
	}
	var err error
	if dl.w, err = g.allocWeight(4*int64(words), what); err != nil {
		return dl, err
	}
	if err := g.Dev.uploadU32(dl.w, buf, what); err != nil {
		return dl, err
	}
	if dl.beta, err = g.uploadVec(beta, what+" β"); err != nil {
		return dl, err
	}
	if anyScale {
		if dl.oscale, err = g.uploadVec(oscale, what+" scale"); err != nil {
			return dl, err
		}
	}
	if bias != nil {
		if dl.bias, err = g.uploadVec(bias, what+" bias"); err != nil {
			return dl, err
		}
	}
	return dl, nil
}

// uploadHead uploads the output matrix: f16 as stored, or float32 for
// every other type.
func (g *Model) uploadHead() error {
	c, out := g.Config, g.cpu.Weights.Output
	var err error
	g.headF16 = g.headF16Native()
	if g.headF16 {
		if g.head, err = g.allocWeight(int64(len(out.Data)), "head"); err != nil {
			return err
		}
		return g.Dev.upload(g.head, out.Data[:c.VocabSize*c.Dim*2], out.Name)
	}
	if g.head, err = g.allocWeight(int64(c.VocabSize)*int64(c.Dim)*4, "head"); err != nil {
		return err
	}
	rows := max(1, (64<<20)/(4*c.Dim)) // convert 64 MiB at a time
	buf := make([]float32, rows*c.Dim)
	for r0 := 0; r0 < c.VocabSize; r0 += rows {
		nr := min(rows, c.VocabSize-r0)
		for r := range nr {
			if err := quant.Dequantize(out.Type, out.Row(r0+r), buf[r*c.Dim:(r+1)*c.Dim]); err != nil {
				return fmt.Errorf("cuda: head %s row %d: %w", out.Name, r0+r, err)
			}
		}
		if err := g.Dev.uploadF32(g.head+DevicePtr(4*r0*c.Dim), buf[:nr*c.Dim], out.Name); err != nil {
			return err
		}
	}
	return nil
}

// WeightBytes is the device memory holding the weights, norms, head and
// RoPE table.
func (g *Model) WeightBytes() int64 { return g.weightBytes }

// Close frees the device memory and closes the device.
func (g *Model) Close() error {
	if g.Dev == nil {
		return nil
	}
	err := g.Dev.Close() // destroying the context frees every allocation
	g.Dev = nil
	return err
}

// embed writes token tok's embedding row, as float32, into out (host).
func (g *Model) embed(tok int32, out []float32) error {
	e := &g.cpu.Weights.TokenEmbd
	return quant.Dequantize(e.Type, e.Row(int(tok)), out)
}

// hostF32 views n float32s of pinned memory at p.
func hostF32(p unsafe.Pointer, n int) []float32 { return unsafe.Slice((*float32)(p), n) }

// hostI32 views n int32s of pinned memory at p.
func hostI32(p unsafe.Pointer, n int) []int32 { return unsafe.Slice((*int32)(p), n) }
