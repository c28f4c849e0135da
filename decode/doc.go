// Package decode is the per-token end of generation, shared by the
// single-sequence loop of package generate (bitnet run, bitnet chat) and
// the batching engine (bitnet serve): the context-length policy
// (CheckContext and the one ContextLengthError).
package decode
