// Package safetensors reads Hugging Face safetensors checkpoints: a single
// model.safetensors file or shards listed by model.safetensors.index.json.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON mapping each tensor name to its dtype, shape and [begin, end) byte
// range inside the data section that follows, and the data section itself
// (row-major, little-endian). An optional "__metadata__" entry maps strings
// to strings.
//
// The header is validated completely before any tensor is read: its length is
// bounded (MaxHeaderSize) and checked against the file size before it is
// allocated, every dtype must be known, every shape's element count times the
// dtype size must equal the byte range, ranges must lie inside the data
// section and must not overlap, and names must be unique. A malformed file
// gives an error naming the file and the tensor or field at fault; it never
// panics.
//
// Tensor data is never loaded as a whole by this package: Reader returns an
// io.SectionReader over one tensor's bytes, so callers can stream a
// checkpoint much larger than memory one tensor, or one chunk, at a time.
package safetensors
