// Package sample turns a vector of logits into the next token: greedy
// argmax, or a seeded random draw after repetition, presence and frequency
// penalties, top-k, top-p (nucleus), min-p and temperature.
//
// The filters run in the order of llama.cpp's default sampler chain:
//
//	penalties → top-k → top-p → min-p → temperature → softmax → draw
//
// so top-p and min-p see the probabilities at temperature 1, and top-p
// normalises over the tokens top-k kept. Ties between equal logits are
// broken by the lower token id everywhere, which makes every step a pure
// function of the logits, the history and the RNG state.
//
// A Sampler holds one sequence's state (its RNG and scratch buffers sized to
// the vocabulary) and is not safe for concurrent use; use one per sequence.
// Sample allocates nothing.
package sample
