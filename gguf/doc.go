// Package gguf reads and writes GGUF files, the container format of ggml,
// llama.cpp and bitnet.cpp models (spec §1).
//
// A GGUF file is a header (magic "GGUF", version, tensor and metadata
// counts), a list of typed metadata key/value pairs, a table of tensor-info
// records (name, dims, ggml type, offset) and, after padding to the file's
// alignment, the tensor data. Every multi-byte value is little-endian.
// Versions 2 and 3 are read; version 3 is written.
//
// Reading. [Open] memory-maps a file read-only (falling back to ReadAt where
// mapping is unavailable), [FromBytes] parses an in-memory image without
// copying it (for go:embed'ed models), and [NewReader] parses any
// [io.ReaderAt]. All three validate the whole header before returning: type
// tags, string and array lengths (bounded by the bytes that remain before any
// allocation), duplicate keys and tensor names, dimensions, tensor types and
// that every tensor's bytes lie inside the file. A malformed file yields an
// error naming the file and the field or tensor at fault; it never panics.
//
// Tensor byte sizes follow bitnet.cpp's fork of ggml (spec §1.5, §2.1): type
// ids 36..39 mean I2_S, I8_S, TL1 and TL2, and I2_S and TL1 tensors take
// n_elements/4 + 32 bytes. Whether a type is acceptable for a given model is
// for the caller to decide.
//
// Writing. A [Writer] collects metadata and tensors and writes a version 3
// file with each tensor padded to the alignment; tensors may be produced by a
// callback while writing so that converters can stream. [Writer.WriteFile]
// writes a temporary file and renames it into place.
//
// A [File] is safe for concurrent use by multiple goroutines, except Close.
package gguf
