package kvcache

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
)

// Seq is one sequence's view of the pool: its block table and length.
type Seq struct {
	pool   *Pool
	blocks []int32  // block ids in position order
	hashes []uint64 // prefix hash at the end of each full block (0: not computed)
	n      int      // positions stored
	shared int      // leading blocks attached from the index (never written)
}

// NewSeq starts an empty sequence. maxLen sizes its block table so that
// appending never allocates; it is not a limit.
func (p *Pool) NewSeq(maxLen int) *Seq {
	nb := (maxLen + p.cfg.BlockSize - 1) / p.cfg.BlockSize
	return &Seq{pool: p, blocks: make([]int32, 0, nb), hashes: make([]uint64, 0, nb)}
}

// Len is the number of positions stored.
func (s *Seq) Len() int { return s.n }

// Blocks is the block table (read-only).
func (s *Seq) Blocks() []int32 { return s.blocks }

// Pool returns the pool the sequence lives in.
func (s *Seq) Pool() *Pool { return s.pool }

// Reserve makes room for n more positions, taking blocks from the pool. On
// ErrNoSpace nothing is taken.
func (s *Seq) Reserve(n int) error {
	bs := s.pool.cfg.BlockSize
	need := (s.n+n+bs-1)/bs - len(s.blocks)
	if need <= 0 {
		return nil
	}
	if need > s.pool.Available() {
		return fmt.Errorf("%w: need %d more blocks of %d positions, %d available", ErrNoSpace, need, bs, s.pool.Available())
	}
	for range need {
		b, _ := s.pool.alloc()
		s.blocks = append(s.blocks, b)
		s.hashes = append(s.hashes, 0)
	}
	return nil
}

// Store writes the keys and values of position pos (which must be reserved
// and not in a shared block) for one layer.
func (s *Seq) Store(layer, pos int, k, v []float32) {
	bs := s.pool.cfg.BlockSize
	bi := pos / bs
	if bi < s.shared {
		panic("kvcache: write into a shared block")
	}
	s.pool.store(s.blocks[bi], layer, pos%bs, k, v)
}

// Advance records that positions up to n are now stored (after every layer
// of a forward step wrote them).
func (s *Seq) Advance(n int) {
	if n < s.n || n > len(s.blocks)*s.pool.cfg.BlockSize {
		panic(fmt.Sprintf("kvcache: Advance(%d) with %d stored and %d reserved", n, s.n, len(s.blocks)*s.pool.cfg.BlockSize))
	}
	s.n = n
}

// Truncate keeps the first n positions and returns the blocks past them to
// the pool. When n falls inside a block that other sequences share or that
// the index holds, the kept rows are first copied to a private block (copy
// on write), so shared contents never change. That copy needs one free
// block; without one Truncate returns ErrNoSpace and changes nothing.
func (s *Seq) Truncate(n int) error {
	if n < 0 || n > s.n {
		panic(fmt.Sprintf("kvcache: Truncate(%d) with %d stored", n, s.n))
	}
	p, bs := s.pool, s.pool.cfg.BlockSize
	keep, r := (n+bs-1)/bs, n%bs
	var fresh int32 = -1
	if r != 0 && s.hashes[keep-1] != 0 {
		if b := s.blocks[keep-1]; p.ref[b] > 1 || keep-1 < s.shared {
			var ok bool
			if fresh, ok = p.alloc(); !ok {
				return fmt.Errorf("%w: truncating into a shared block needs one free block", ErrNoSpace)
			}
			p.copyRows(fresh, b, r)
		}
	}
	for i := keep; i < len(s.blocks); i++ {
		p.release(s.blocks[i])
	}
	s.blocks, s.hashes = s.blocks[:keep], s.hashes[:keep]
	if r != 0 && s.hashes[keep-1] != 0 {
		if fresh >= 0 {
			p.release(s.blocks[keep-1])
			s.blocks[keep-1] = fresh
		} else {
			p.unindex(s.blocks[keep-1])
		}
		s.hashes[keep-1] = 0
	}
	s.shared = min(s.shared, n/bs)
	s.n = n
	return nil
}

// Free returns every block to the pool. The sequence is empty afterwards
// and may be reused.
func (s *Seq) Free() {
	for _, b := range s.blocks {
		s.pool.release(b)
	}
	s.blocks, s.hashes = s.blocks[:0], s.hashes[:0]
	s.n, s.shared = 0, 0
}

// blockHash chains the hash of a block's tokens onto the previous block's.
func (p *Pool) blockHash(prev uint64, tokens []int32) uint64 {
	var h maphash.Hash
	h.SetSeed(p.seed)
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], prev)
	h.Write(buf[:])
	for _, t := range tokens {
		binary.LittleEndian.PutUint32(buf[:4], uint32(t))
		h.Write(buf[:4])
	}
	return h.Sum64() | 1 // never 0, which means "not indexed"
}

// AttachPrefix reuses indexed blocks that hold a prefix of tokens. It must
// be called on an empty sequence. At least one token is always left to
// compute (the caller needs logits for the last one), so at most
// (len(tokens)−1)/BlockSize blocks attach. It returns the number of
// positions now stored.
func (s *Seq) AttachPrefix(tokens []int32) int {
	if s.n != 0 || len(s.blocks) != 0 {
		panic("kvcache: AttachPrefix on a non-empty sequence")
	}
	p, bs := s.pool, s.pool.cfg.BlockSize
	var prev uint64
	for bi := 0; (bi+1)*bs <= len(tokens)-1; bi++ {
		blk := tokens[bi*bs : (bi+1)*bs]
		h := p.blockHash(prev, blk)
		b, ok := p.index[h]
		if !ok || !slices.Equal(p.tokens[b], blk) {
			break
		}
		p.retain(b)
		s.blocks = append(s.blocks, b)
		s.hashes = append(s.hashes, h)
		s.shared++
		s.n += bs
		prev = h
	}
	return s.n
}

// Publish indexes the sequence's full blocks so later sequences can share
// them; tokens are the sequence's tokens from position 0 (at least Len()).
func (s *Seq) Publish(tokens []int32) {
	p, bs := s.pool, s.pool.cfg.BlockSize
	var prev uint64
	for bi := 0; (bi+1)*bs <= s.n && (bi+1)*bs <= len(tokens); bi++ {
		if s.hashes[bi] != 0 {
			prev = s.hashes[bi]
			continue
		}
		blk := tokens[bi*bs : (bi+1)*bs]
		h := p.blockHash(prev, blk)
		s.hashes[bi] = h
		b := s.blocks[bi]
		if _, taken := p.index[h]; !taken && p.hash[b] == 0 {
			p.index[h] = b
			p.hash[b] = h
			p.tokens[b] = append(p.tokens[b][:0], blk...)
		}
		prev = h
	}
}
