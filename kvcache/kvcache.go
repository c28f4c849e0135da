// Package kvcache stores the attention keys and values of many sequences in
// fixed-size blocks drawn from one pool with a byte budget.
//
// A block holds BlockSize consecutive positions of one sequence for every
// layer. A sequence owns a table of block ids; its position p lives in block
// table[p/BlockSize] at row p%BlockSize. Blocks whose positions are all
// filled can be shared: once a sequence has computed a full block, the block
// is indexed by the hash of the tokens from the start of the sequence to the
// block's end, and a later sequence with the same token prefix (a shared
// system prompt, say) attaches it instead of recomputing it. Shared blocks
// are never written again, because a sequence only appends to its last,
// unshared block. Blocks no sequence uses stay cached in the index until the
// pool needs them (least recently released first).
//
// Storage is binary16 (F16, as llama.cpp's default cache) or int8 with one
// float32 scale per token and KV head (Q8: scale = max|x|/127, round half
// to even), which halves the memory again.
//
// A Pool is not safe for concurrent use: one goroutine (the engine's
// scheduler, or a single-sequence State) owns it. Reads during a forward
// pass may come from many goroutines while nothing writes.
package kvcache

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"

	"github.com/bitnet-go/bitnet/quant"
)

// Type is the element type of the cache.
type Type int

const (
	F16 Type = iota // binary16
	Q8              // int8 with a float32 scale per token and KV head
)

func (t Type) String() string {
	if t == Q8 {
		return "q8"
	}
	return "f16"
}

// ParseType reads "f16" or "q8".
func ParseType(s string) (Type, error) {
	switch s {
	case "f16":
		return F16, nil
	case "q8":
		return Q8, nil
	}
	return 0, fmt.Errorf("kvcache: unknown KV type %q (want f16 or q8)", s)
}

// Config is the shape of a pool.
type Config struct {
	Layers    int  // transformer layers
	KVHeads   int  // KV heads per layer
	HeadDim   int  // values per head
	BlockSize int  // positions per block
	Blocks    int  // blocks in the pool
	Type      Type // element type
}

// KVDim is KVHeads·HeadDim.
func (c Config) KVDim() int { return c.KVHeads * c.HeadDim }

// BlockBytes is the memory of one block (keys and values, all layers).
func (c Config) BlockBytes() int64 {
	per := int64(c.Layers) * int64(c.BlockSize) * int64(c.KVDim())
	if c.Type == Q8 {
		return 2 * (per + int64(c.Layers)*int64(c.BlockSize)*int64(c.KVHeads)*4)
	}
	return 2 * 2 * per
}

// BlocksForBudget returns how many blocks fit in budget bytes.
func (c Config) BlocksForBudget(budget int64) int {
	return int(budget / c.BlockBytes())
}

// ErrNoSpace is returned when the pool has no free block left.
var ErrNoSpace = errors.New("kvcache: out of KV blocks")

// Pool is the block store.
type Pool struct {
	cfg Config

	k16, v16 []uint16  // (Blocks, Layers, BlockSize, KVDim), F16 only
	k8, v8   []int8    // (Blocks, Layers, BlockSize, KVDim), Q8 only
	ks, vs   []float32 // (Blocks, Layers, BlockSize, KVHeads), Q8 only

	ref    []int32  // (Blocks) sequences using each block
	hash   []uint64 // (Blocks) prefix hash of a full, indexed block; 0 if none
	free   []int32  // blocks with ref 0 and no index entry
	cached lruList  // blocks with ref 0 still in the index, oldest first
	index  map[uint64]int32
	seed   maphash.Seed
	tokens [][]int32 // (Blocks) the tokens of an indexed block, to rule out hash collisions
}

// NewPool allocates every block up front.
func NewPool(cfg Config) (*Pool, error) {
	if cfg.Layers <= 0 || cfg.KVHeads <= 0 || cfg.HeadDim <= 0 || cfg.BlockSize <= 0 || cfg.Blocks <= 0 {
		return nil, fmt.Errorf("kvcache: invalid configuration %+v", cfg)
	}
	n := cfg.Blocks * cfg.Layers * cfg.BlockSize * cfg.KVDim()
	p := &Pool{cfg: cfg, ref: make([]int32, cfg.Blocks), hash: make([]uint64, cfg.Blocks),
		index: map[uint64]int32{}, seed: maphash.MakeSeed(), tokens: make([][]int32, cfg.Blocks)}
	switch cfg.Type {
	case F16:
		p.k16, p.v16 = make([]uint16, n), make([]uint16, n)
	case Q8:
		ns := cfg.Blocks * cfg.Layers * cfg.BlockSize * cfg.KVHeads
		p.k8, p.v8 = make([]int8, n), make([]int8, n)
		p.ks, p.vs = make([]float32, ns), make([]float32, ns)
	default:
		return nil, fmt.Errorf("kvcache: unknown type %d", cfg.Type)
	}
	p.free = make([]int32, cfg.Blocks)
	for i := range p.free {
		p.free[i] = int32(cfg.Blocks - 1 - i) // pop from the end: block 0 first
	}
	p.cached.init(cfg.Blocks)
	return p, nil
}

// Config returns the pool's shape.
func (p *Pool) Config() Config { return p.cfg }

// Stats counts blocks by state.
type Stats struct {
	Blocks int // total
	Used   int // referenced by at least one sequence
	Cached int // unreferenced but kept for prefix reuse
	Free   int // neither
}

// Stats reports block usage.
func (p *Pool) Stats() Stats {
	return Stats{Blocks: p.cfg.Blocks, Cached: p.cached.len, Free: len(p.free), Used: p.cfg.Blocks - p.cached.len - len(p.free)}
}

// Available is the number of blocks a new allocation may take (free plus
// evictable cached blocks).
func (p *Pool) Available() int { return len(p.free) + p.cached.len }

// alloc takes a block: a free one, else the least recently released cached one.
func (p *Pool) alloc() (int32, bool) {
	var b int32
	if n := len(p.free); n > 0 {
		b = p.free[n-1]
		p.free = p.free[:n-1]
	} else if p.cached.len > 0 {
		b = p.cached.popFront()
		p.unindex(b)
	} else {
		return -1, false
	}
	p.ref[b] = 1
	return b, true
}

func (p *Pool) unindex(b int32) {
	if h := p.hash[b]; h != 0 {
		if p.index[h] == b {
			delete(p.index, h)
		}
		p.hash[b] = 0
		p.tokens[b] = p.tokens[b][:0]
	}
}

// release drops one reference to b.
func (p *Pool) release(b int32) {
	p.ref[b]--
	if p.ref[b] > 0 {
		return
	}
	if p.hash[b] != 0 {
		p.cached.pushBack(b)
	} else {
		p.free = append(p.free, b)
	}
}

// retain adds a reference to an indexed block, taking it off the cached list.
func (p *Pool) retain(b int32) {
	if p.ref[b] == 0 {
		p.cached.remove(b)
	}
	p.ref[b]++
}

// offset is the element index of (block, layer, row) in the K/V arrays.
func (p *Pool) offset(b int32, layer, row int) int {
	c := &p.cfg
	return ((int(b)*c.Layers+layer)*c.BlockSize + row) * c.KVDim()
}

// scaleOffset is the index of (block, layer, row) in the Q8 scale arrays.
func (p *Pool) scaleOffset(b int32, layer, row int) int {
	c := &p.cfg
	return ((int(b)*c.Layers+layer)*c.BlockSize + row) * c.KVHeads
}

// KeysF16 returns the keys of one block and layer, (BlockSize, KVDim).
func (p *Pool) KeysF16(b int32, layer int) []uint16 {
	o := p.offset(b, layer, 0)
	return p.k16[o : o+p.cfg.BlockSize*p.cfg.KVDim()]
}

// ValuesF16 returns the values of one block and layer, (BlockSize, KVDim).
func (p *Pool) ValuesF16(b int32, layer int) []uint16 {
	o := p.offset(b, layer, 0)
	return p.v16[o : o+p.cfg.BlockSize*p.cfg.KVDim()]
}

// KeysQ8 returns the int8 keys (BlockSize, KVDim) and their scales
// (BlockSize, KVHeads) of one block and layer.
func (p *Pool) KeysQ8(b int32, layer int) ([]int8, []float32) {
	o, so := p.offset(b, layer, 0), p.scaleOffset(b, layer, 0)
	return p.k8[o : o+p.cfg.BlockSize*p.cfg.KVDim()], p.ks[so : so+p.cfg.BlockSize*p.cfg.KVHeads]
}

// ValuesQ8 is KeysQ8 for values.
func (p *Pool) ValuesQ8(b int32, layer int) ([]int8, []float32) {
	o, so := p.offset(b, layer, 0), p.scaleOffset(b, layer, 0)
	return p.v8[o : o+p.cfg.BlockSize*p.cfg.KVDim()], p.vs[so : so+p.cfg.BlockSize*p.cfg.KVHeads]
}

// store writes one position's keys and values (KVDim each) in layer.
func (p *Pool) store(b int32, layer, row int, k, v []float32) {
	c := &p.cfg
	o := p.offset(b, layer, row)
	kd := c.KVDim()
	if c.Type == F16 {
		dk, dv := p.k16[o:o+kd], p.v16[o:o+kd]
		for i := range kd {
			dk[i] = quant.F32ToF16(k[i])
			dv[i] = quant.F32ToF16(v[i])
		}
		return
	}
	so := p.scaleOffset(b, layer, row)
	for h := range c.KVHeads {
		p.ks[so+h] = quantizeHead(p.k8[o+h*c.HeadDim:o+(h+1)*c.HeadDim], k[h*c.HeadDim:(h+1)*c.HeadDim])
		p.vs[so+h] = quantizeHead(p.v8[o+h*c.HeadDim:o+(h+1)*c.HeadDim], v[h*c.HeadDim:(h+1)*c.HeadDim])
	}
}

// copyRows copies rows [0, r) of every layer from block src to block dst.
func (p *Pool) copyRows(dst, src int32, r int) {
	c := &p.cfg
	for l := range c.Layers {
		do, so := p.offset(dst, l, 0), p.offset(src, l, 0)
		n := r * c.KVDim()
		if c.Type == F16 {
			copy(p.k16[do:do+n], p.k16[so:so+n])
			copy(p.v16[do:do+n], p.v16[so:so+n])
			continue
		}
		copy(p.k8[do:do+n], p.k8[so:so+n])
		copy(p.v8[do:do+n], p.v8[so:so+n])
		dso, sso := p.scaleOffset(dst, l, 0), p.scaleOffset(src, l, 0)
		copy(p.ks[dso:dso+r*c.KVHeads], p.ks[sso:sso+r*c.KVHeads])
		copy(p.vs[dso:dso+r*c.KVHeads], p.vs[sso:sso+r*c.KVHeads])
	}
}

// quantizeHead stores x as int8 with scale max|x|/127 and returns the scale.
func quantizeHead(dst []int8, x []float32) float32 {
	var m float32
	for _, v := range x {
		m = max(m, float32(math.Abs(float64(v))))
	}
	if m == 0 {
		clear(dst)
		return 0
	}
	inv := 127 / m
	for i, v := range x {
		dst[i] = int8(math.RoundToEven(float64(v * inv)))
	}
	return m / 127
}

// lruList is an intrusive doubly linked list over block ids.
type lruList struct {
	prev, next []int32
	in         []bool
	head, tail int32
	len        int
}

func (l *lruList) init(n int) {
	l.prev, l.next, l.in = make([]int32, n), make([]int32, n), make([]bool, n)
	l.head, l.tail = -1, -1
}

func (l *lruList) pushBack(b int32) {
	l.prev[b], l.next[b], l.in[b] = l.tail, -1, true
	if l.tail >= 0 {
		l.next[l.tail] = b
	} else {
		l.head = b
	}
	l.tail = b
	l.len++
}

func (l *lruList) remove(b int32) {
	if !l.in[b] {
		return
	}
	if l.prev[b] >= 0 {
		l.next[l.prev[b]] = l.next[b]
	} else {
		l.head = l.next[b]
	}
	if l.next[b] >= 0 {
		l.prev[l.next[b]] = l.prev[b]
	} else {
		l.tail = l.prev[b]
	}
	l.in[b] = false
	l.len--
}

func (l *lruList) popFront() int32 {
	b := l.head
	l.remove(b)
	return b
}
