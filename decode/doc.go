// Package decode is the per-token end of generation, shared by the
// single-sequence loop of package generate (bitnet run, bitnet chat) and
// the batching engine (bitnet serve): the context-length policy
// (CheckContext and the one ContextLengthError), and Stream, which turns
// each step's logits into the next token and its finished text: sampling,
// end of generation, the token limit, detokenizing with UTF-8 holdback,
// stop strings and logprobs, ending with one typed Finish.
package decode
