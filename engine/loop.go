package engine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitnet-go/bitnet/model"
)

var errNonFinite = errors.New("engine: the model produced no finite logits")

// plan decides how many rows each active sequence contributes to the next
// step. work[i] is sequence i's pending tokens and decode[i] whether it is
// past its prompt. Every decoding sequence gets one row, taken in turn from
// start so that more decoders than rows share the steps fairly; prompts
// then fill the remaining rows, at most chunk tokens each, in order. rows
// receives the counts; the total is returned.
func plan(work []int, decode []bool, maxRows, chunk, start int, rows []int) int {
	n := len(work)
	total := 0
	for i := range rows[:n] {
		rows[i] = 0
	}
	for k := range n {
		i := (start + k) % n
		if decode[i] && work[i] > 0 && total < maxRows {
			rows[i] = 1
			total++
		}
	}
	for i := range n {
		if decode[i] || total >= maxRows {
			continue
		}
		take := min(work[i], chunk, maxRows-total)
		rows[i] = take
		total += take
	}
	return total
}

// loop is the scheduler goroutine.
func (e *Engine) loop() {
	defer close(e.done)
	defer e.step.Close() // only the loop uses the stepper
	var waiting, active []*sequence
	var steps int64
	rows := make([]int, 0, e.cfg.MaxSeqs)
	work := make([]int, 0, e.cfg.MaxSeqs)
	decode := make([]bool, 0, e.cfg.MaxSeqs)
	batch := &model.Batch{}
	var sampled []acceptJob
	start := 0
	lastBatch := 0

	publish := func() {
		e.stats.Store(&Stats{Queued: len(waiting) + len(e.incoming), Active: len(active), LastBatch: lastBatch, KV: e.pool.Stats(), Steps: steps})
	}
	failAll := func(err error) {
		for _, s := range waiting {
			s.finish("", err)
		}
		for _, s := range active {
			s.finish("", err)
		}
		for {
			select {
			case s := <-e.incoming:
				s.finish("", err)
			default:
				waiting, active = nil, nil
				publish()
				return
			}
		}
	}

	for {
		// Intake: block when idle, otherwise take what has arrived.
		if len(waiting) == 0 && len(active) == 0 {
			publish()
			select {
			case s := <-e.incoming:
				waiting = append(waiting, s)
			case <-e.closed:
				failAll(ErrClosed)
				return
			}
		}
		// Take only what the next admission round could use; the rest stays
		// in the channel, whose capacity is the queue bound (MaxQueue).
	intake:
		for len(waiting) < max(1, e.cfg.MaxSeqs-len(active)) {
			select {
			case s := <-e.incoming:
				waiting = append(waiting, s)
			default:
				break intake
			}
		}
		select {
		case <-e.closed:
			failAll(ErrClosed)
			return
		default:
		}

		// Drop cancelled requests; their blocks return at once.
		waiting = dropCancelled(waiting)
		active = dropCancelled(active)

		// Admit in arrival order while sequences and KV blocks allow.
		for len(waiting) > 0 && len(active) < e.cfg.MaxSeqs {
			if !e.admit(waiting[0]) {
				break
			}
			active = append(active, waiting[0])
			waiting = waiting[1:]
		}
		if len(active) == 0 {
			publish()
			if len(waiting) > 0 {
				// Nothing fits yet and nothing runs: the head request
				// needs more blocks than the pool has in total.
				s := waiting[0]
				waiting = waiting[1:]
				s.finish("", fmt.Errorf("engine: the request needs more KV cache than the budget holds (%d blocks of %d tokens)", e.pool.Config().Blocks, e.pool.Config().BlockSize))
			}
			continue
		}

		// Plan and run one step.
		rows, work, decode = rows[:len(active)], work[:len(active)], decode[:len(active)]
		for i, s := range active {
			work[i], decode[i] = s.pending(), s.decoding()
		}
		total := plan(work, decode, e.cfg.MaxBatch, e.cfg.PrefillChunk, start, rows)
		start++
		batch.Tokens, batch.Seqs, batch.Logits = batch.Tokens[:0], batch.Seqs[:0], batch.Logits[:0]
		for i, s := range active {
			if rows[i] == 0 {
				continue
			}
			from := s.kv.Len()
			for r := range rows[i] {
				batch.Tokens = append(batch.Tokens, s.tokens[from+r])
				batch.Seqs = append(batch.Seqs, s.kv)
				batch.Logits = append(batch.Logits, r == rows[i]-1 && from+rows[i] == len(s.tokens))
			}
		}
		t0 := time.Now()
		logits, err := e.forward(batch)
		steps++
		lastBatch = total
		if e.OnStep != nil {
			e.OnStep(total, len(active), time.Since(t0))
		}
		if err != nil {
			// The step failed as a whole: fail the sequences in it, keep going.
			kept := active[:0]
			for i, s := range active {
				if rows[i] > 0 {
					s.finish("", err)
				} else {
					kept = append(kept, s)
				}
			}
			active = kept
			publish()
			continue
		}

		// Sample for every sequence whose last pending token was computed:
		// in parallel (sampling over a large vocabulary takes milliseconds),
		// then finished sequences are retired here on the loop goroutine.
		V := e.m.Config.VocabSize
		sampled = sampled[:0]
		for i, s := range active {
			if rows[i] == 0 || s.kv.Len() < len(s.tokens) {
				continue
			}
			if !s.published {
				s.kv.Publish(s.tokens[:len(s.req.Prompt)])
				s.published = true
			}
			sampled = append(sampled, acceptJob{s: s, logits: logits[len(sampled)*V : (len(sampled)+1)*V]})
		}
		e.acceptAll(sampled)
		kept := active[:0]
		j := 0
		for i, s := range active {
			if j < len(sampled) && sampled[j].s == s && rows[i] > 0 {
				a := &sampled[j]
				j++
				if a.done {
					s.finish(a.finish, a.err)
					continue
				}
			}
			kept = append(kept, s)
		}
		active = kept
		publish()
	}
}

// acceptJob is one sequence's sampling after a step.
type acceptJob struct {
	s      *sequence
	logits []float32
	done   bool
	finish string
	err    error
}

// acceptAll runs accept for every job, spread over GOMAXPROCS goroutines
// when there are several.
func (e *Engine) acceptAll(jobs []acceptJob) {
	run := func(a *acceptJob) { a.done, a.finish, a.err = a.s.accept(e, a.logits) }
	workers := min(len(jobs), runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range jobs {
			run(&jobs[i])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(jobs); i = int(next.Add(1)) - 1 {
				run(&jobs[i])
			}
		}()
	}
	wg.Wait()
}

// forward runs one step, turning a panic into an error so that one bad
// step fails its sequences, not the server.
func (e *Engine) forward(b *model.Batch) (logits []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("engine: forward step panicked: %v", r)
		}
	}()
	return e.step.ForwardBatch(b)
}

// admit gives s its KV sequence: shared prefix blocks plus blocks for the
// rest of the prompt and every token it may generate, so that a running
// sequence never runs out of cache. It reports false (taking nothing) when
// the pool cannot hold that now.
func (e *Engine) admit(s *sequence) bool {
	total := len(s.req.Prompt) + s.req.MaxTokens
	s.kv = e.pool.NewSeq(total)
	s.cached = s.kv.AttachPrefix(s.req.Prompt)
	if err := s.kv.Reserve(total - s.cached); err != nil {
		s.kv.Free()
		s.cached = 0
		return false
	}
	s.admitted = time.Now()
	return true
}

func dropCancelled(seqs []*sequence) []*sequence {
	kept := seqs[:0]
	for _, s := range seqs {
		if err := s.ctx.Err(); err != nil {
			s.finish("", err)
			continue
		}
		kept = append(kept, s)
	}
	clear(seqs[len(kept):])
	return kept
}
