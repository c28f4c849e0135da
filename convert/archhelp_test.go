package convert

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/bitnet-go/bitnet/safetensors"
)

func openCk(t *testing.T, dir string) (*safetensors.Checkpoint, []string) {
	t.Helper()
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ti := range ck.Tensors {
		names = append(names, ti.Name)
	}
	return ck, names
}

func quantDequantizeF32(data []byte, out []float32) {
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
}

// rawTernary returns t·scale of o's source in source row order.
func rawTernary(t *testing.T, ck reader, o *outTensor) []float32 {
	t.Helper()
	p := &producer{ctx: context.Background(), ck: ck}
	tern, err := p.ternarize(o)
	if err != nil {
		t.Fatal(err)
	}
	tv := make([]int8, o.rows*o.cols)
	if err := tern.rows(0, tv); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(tv))
	for i, v := range tv {
		out[i] = float32(v) * tern.scale
	}
	return out
}
