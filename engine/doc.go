// Package engine serves many generation requests on one model with
// continuous batching.
//
// One goroutine, the scheduler loop, owns every sequence and the KV pool.
// Requests arrive through Submit, which never blocks: it returns a channel
// of Events or ErrOverloaded when the queue is full. Between forward steps
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
package engine
