// Package convert turns Hugging Face BitNet checkpoints into GGUF files
// (spec §2.4–2.8, §3, §5): the 2B-4T family (BitNetForCausalLM, bf16 master
// weights or 2-bit packed weights with a weight_scale), 1bitLLM's
// BitnetForCausalLM and ternary-trained LlamaForCausalLM checkpoints.
//
// Projection weights are ternarised exactly as bitnet.cpp's converters do
// (absmean, spec §4.1) and written as I2_S, TQ2_0, TQ1_0, F16 or F32; the
// token embedding and an untied head are written as F16 (F32 for --type f32)
// and norms as F32, as in the official files. Metadata keys, their order,
// tensor names and tokenizer arrays follow the files made by bitnet.cpp's
// toolchain, so that a converted kjv-tiny equals the reference GGUF.
//
// Conversion streams: Plan (a pure function of the configuration and the
// checkpoint's tensor table) decides every output tensor and metadata key;
// Convert then produces each tensor from its source in chunks while the GGUF
// writer copies it to a temporary file beside the output, so that memory
// holds at most one chunk of one tensor. The temporary file is renamed onto
// the output only when everything (and the optional verification) succeeded;
// on any error or cancellation it is removed.
package convert
