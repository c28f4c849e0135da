package engine

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/model"
)

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

// loop is the scheduler goroutine: intake, retire, admit, plan, one
// forward step, accept; repeat.
func (e *Engine) loop() {
	defer close(e.done)
	defer e.step.Close() // only the loop uses the stepper
	s := newScheduler(e)
	for {
		if !s.intake() {
			return
		}
		now := time.Now()
		s.retire(now)
		s.admit()
		if len(s.active) == 0 {
			s.rejectUnfit()
			continue
		}
		if s.planStep(now) == 0 {
			// Every active sequence waits for its reader.
			s.waitReaders()
			continue
		}
		logits, step, err := s.forward()
		if err != nil {
			s.failStep(err)
			continue
		}
		s.acceptStep(logits, step)
		s.publish()
	}
}

// scheduler is the loop goroutine's state.
type scheduler struct {
	e         *Engine
	waiting   []*sequence // taken from the intake channel, not admitted (counted in e.queued)
	active    []*sequence // admitted: prefilling or decoding
	steps     int64
	start     int // plan's round-robin offset
	lastBatch int
	rows      []int  // per active sequence: rows in the next step
	work      []int  // per active sequence: tokens not yet in the KV cache
	decode    []bool // per active sequence: past its prompt
	batch     model.Batch
	sampled   []acceptJob
	stepRows  Histogram
	stepSecs  Histogram
	idle      *time.Timer // waitReaders' poll
}

// readerPoll is how often the loop looks again when every active sequence
// waits for its reader.
const readerPoll = time.Millisecond

func newScheduler(e *Engine) *scheduler {
	n := e.cfg.MaxSeqs
	t := time.NewTimer(readerPoll)
	t.Stop()
	return &scheduler{e: e, rows: make([]int, 0, n), work: make([]int, 0, n), decode: make([]bool, 0, n),
		stepRows: newHistogram(stepRowBounds), stepSecs: newHistogram(stepSecondBounds), idle: t}
}

// publish stores the stats snapshot Engine.Stats returns.
func (s *scheduler) publish() {
	s.e.stats.Store(&Stats{Active: len(s.active), LastBatch: s.lastBatch, KV: s.e.pool.Stats(), Steps: s.steps,
		StepRows: s.stepRows.clone(), StepSeconds: s.stepSecs.clone()})
}

// intake moves the requests that have arrived into waiting, blocking while
// nothing is queued or running. It reports false once Close was called:
// every request has then been failed with ErrClosed.
func (s *scheduler) intake() bool {
	if len(s.waiting) == 0 && len(s.active) == 0 {
		s.publish()
		select {
		case q := <-s.e.incoming:
			s.waiting = append(s.waiting, q)
		case <-s.e.closed:
			s.failAll(ErrClosed)
			return false
		}
	}
	for more := true; more; {
		select {
		case q := <-s.e.incoming:
			s.waiting = append(s.waiting, q)
		default:
			more = false
		}
	}
	select {
	case <-s.e.closed:
		s.failAll(ErrClosed)
		return false
	default:
		return true
	}
}

// failAll ends every request, queued or running, with err.
func (s *scheduler) failAll(err error) {
	for _, q := range s.waiting {
		q.finish(decode.FinishNone, err)
	}
	for _, q := range s.active {
		q.finish(decode.FinishNone, err)
	}
	for {
		select {
		case q := <-s.e.incoming:
			q.finish(decode.FinishNone, err)
		default:
			s.waiting, s.active = nil, nil
			s.publish()
			return
		}
	}
}

// retire ends cancelled requests (their blocks return at once) and the
// sequences whose reader left the event buffer full past StallTimeout.
func (s *scheduler) retire(now time.Time) {
	s.waiting = dropCancelled(s.waiting)
	s.active = dropCancelled(s.active)
	kept := s.active[:0]
	for _, q := range s.active {
		if q.full(now) && q.stalledOut(now) {
			s.e.stalled.Add(1)
			q.finish(decode.FinishNone, ErrStalled)
			continue
		}
		kept = append(kept, q)
	}
	clear(s.active[len(kept):])
	s.active = kept
}

// admit moves waiting requests to active in arrival order while sequence
// slots and KV blocks allow.
func (s *scheduler) admit() {
	for len(s.waiting) > 0 && len(s.active) < s.e.cfg.MaxSeqs {
		if !s.e.admit(s.waiting[0]) {
			break
		}
		s.e.queued.Add(-1)
		s.active = append(s.active, s.waiting[0])
		s.waiting = s.waiting[1:]
	}
}

// rejectUnfit runs when nothing is active: if a request still waits, it
// needs more blocks than the pool holds in total and never fits.
func (s *scheduler) rejectUnfit() {
	s.publish()
	if len(s.waiting) == 0 {
		return
	}
	q := s.waiting[0]
	s.waiting = s.waiting[1:]
	cfg := s.e.pool.Config()
	q.finish(decode.FinishNone, fmt.Errorf("engine: the request needs more KV cache than the budget holds (%d blocks of %d tokens)", cfg.Blocks, cfg.BlockSize))
}

// waitReaders waits for a reader to make room, a new request or Close,
// whichever comes first (the loop re-checks all three).
func (s *scheduler) waitReaders() {
	s.publish()
	s.idle.Reset(readerPoll)
	select {
	case q := <-s.e.incoming:
		s.waiting = append(s.waiting, q)
	case <-s.e.closed:
	case <-s.idle.C:
	}
	s.idle.Stop()
}

// planStep fills rows (see plan) for the next step and the batch that
// carries it out, and returns the number of rows. A sequence whose event
// buffer is full gets none.
func (s *scheduler) planStep(now time.Time) int {
	n := len(s.active)
	s.rows, s.work, s.decode = s.rows[:n], s.work[:n], s.decode[:n]
	for i, q := range s.active {
		s.work[i], s.decode[i] = q.pending(), q.decoding()
		if q.full(now) {
			s.work[i] = 0
		}
	}
	total := plan(s.work, s.decode, s.e.cfg.MaxBatch, s.e.cfg.PrefillChunk, s.start, s.rows)
	s.start++
	b := &s.batch
	b.Tokens, b.Seqs, b.Logits = b.Tokens[:0], b.Seqs[:0], b.Logits[:0]
	for i, q := range s.active {
		from, tokens := q.kv.Len(), q.gen.History()
		for r := range s.rows[i] {
			b.Tokens = append(b.Tokens, tokens[from+r])
			b.Seqs = append(b.Seqs, q.kv)
			b.Logits = append(b.Logits, r == s.rows[i]-1 && from+s.rows[i] == len(tokens))
		}
	}
	return total
}

// forward runs the planned step and records its size and duration.
func (s *scheduler) forward() ([]float32, StepInfo, error) {
	info := StepInfo{Rows: len(s.batch.Tokens), Seqs: len(s.active), Start: time.Now()}
	logits, err := s.e.forward(&s.batch)
	info.End = time.Now()
	s.steps++
	s.lastBatch = info.Rows
	s.stepRows.observe(float64(info.Rows))
	s.stepSecs.observe(info.End.Sub(info.Start).Seconds())
	return logits, info, err
}

// failStep fails the sequences of a step that failed as a whole; the
// others keep going.
func (s *scheduler) failStep(err error) {
	kept := s.active[:0]
	for i, q := range s.active {
		if s.rows[i] > 0 {
			q.finish(decode.FinishNone, err)
		} else {
			kept = append(kept, q)
		}
	}
	clear(s.active[len(kept):])
	s.active = kept
	s.publish()
}

// acceptStep samples for every sequence whose last pending token was
// computed: in parallel (sampling over a large vocabulary takes
// milliseconds), then finished sequences are retired here on the loop
// goroutine.
func (s *scheduler) acceptStep(logits []float32, step StepInfo) {
	V := s.e.m.Config.VocabSize
	s.sampled = s.sampled[:0]
	for i, q := range s.active {
		if s.rows[i] == 0 || q.kv.Len() < len(q.gen.History()) {
			continue
		}
		if !q.published {
			q.kv.Publish(q.req.Prompt)
			q.published = true
		}
		n := len(s.sampled)
		s.sampled = append(s.sampled, acceptJob{s: q, logits: logits[n*V : (n+1)*V]})
	}
	s.e.acceptAll(s.sampled, step)
	kept := s.active[:0]
	j := 0
	for _, q := range s.active {
		if j < len(s.sampled) && s.sampled[j].s == q {
			a := &s.sampled[j]
			j++
			if a.finish != decode.FinishNone || a.err != nil {
				q.finish(a.finish, a.err)
				continue
			}
		}
		kept = append(kept, q)
	}
	clear(s.active[len(kept):])
	s.active = kept
}

// acceptJob is one sequence's sampling after a step.
type acceptJob struct {
	s      *sequence
	logits []float32
	finish decode.Finish // FinishNone: the sequence goes on
	err    error
}

// acceptAll runs accept for every job, spread over GOMAXPROCS goroutines
// when there are several.
func (e *Engine) acceptAll(jobs []acceptJob, step StepInfo) {
	run := func(a *acceptJob) { a.finish, a.err = a.s.accept(a.logits, step) }
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
	s.times.Admitted = time.Now()
	return true
}

func dropCancelled(seqs []*sequence) []*sequence {
	kept := seqs[:0]
	for _, s := range seqs {
		if err := s.ctx.Err(); err != nil {
			s.finish(decode.FinishNone, err)
			continue
		}
		kept = append(kept, s)
	}
	clear(seqs[len(kept):])
	return kept
}
