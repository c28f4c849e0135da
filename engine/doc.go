// Package engine serves many generation requests on one model with
// continuous batching.
//
// One goroutine, the scheduler loop, owns every sequence and the KV pool.
// Requests arrive through Submit, which never blocks: it returns a channel
// of Events, or an error before anything is queued. Between forward steps
// the loop admits queued requests whose KV blocks fit the budget, drops
// sequences whose context was cancelled (returning their blocks at once),
// and plans the next step with plan, a pure function: every decoding
// sequence contributes one row, and prompts are prefilled in chunks that
// fill the remaining rows, so a long prompt never stalls running streams.
// The whole step is one model.ForwardBatch call, so each layer's weights
// are read once per step however many sequences are active.
//
// Sequences whose prompts share full KV blocks (a common system prompt)
// share those blocks (kvcache prefix sharing).
//
// # Admission
//
// The engine alone decides what it accepts. Submit checks the request
// (InvalidRequestError), the context length (decode.CheckContext, which
// returns the one *decode.ContextLengthError and names the field to blame,
// prompt or max_tokens) and the queue bound: one counter holds every
// request submitted and not yet admitted, and a request that would take it
// past Config.MaxQueue gets ErrOverloaded. Stats.Queued is that counter.
//
// # Timings
//
// Every Event carries the request's Timings known when it was sent:
// Queued (Submit), Admitted (KV blocks reserved), FirstToken and, on the
// final event, Finished. They come from time.Now, so they hold the
// monotonic clock and Queued <= Admitted <= FirstToken <= Finished. Token
// events also carry the StepInfo of the forward step that produced them.
// Per-step sizes and durations are counted in Stats.StepRows and
// Stats.StepSeconds; the engine calls no hooks.
//
// # Event buffer and back-pressure
//
// Each request's channel holds Config.EventBuffer events (default 16)
// plus one slot kept for the final event. The loop never blocks on a
// reader: a sequence whose reader has left EventBuffer events untaken
// gets no rows in the next steps — it waits, its KV blocks kept, while the
// other sequences go on — and resumes when the reader catches up. No event
// is ever dropped. A reader that leaves the buffer full for longer than
// Config.StallTimeout (default 30 s) has its sequence cancelled: the
// final event carries ErrStalled after the buffered tokens, the KV blocks
// return to the pool, and Stats.Stalled counts it.
package engine
