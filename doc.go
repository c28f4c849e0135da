// Package bitnet is the library entry point of the engine: load a BitNet
// b1.58 GGUF model (or the embedded kjv-tiny model) with Load, then
// Generate, Stream, Chat, Tokenize and Detokenize on the Model, from as
// many goroutines as you like: concurrent requests share the forward steps
// of one continuous-batching engine. Close releases the model.
//
// The C ABI (capi, libbitnet.so and bitnet.h) and the Python module
// (python/bitnet.py) are built on this package; docs/library.md describes
// all three.
package bitnet
