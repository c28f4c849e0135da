// Package model implements the BitNet b1.58 architectures on the CPU: it
// reads a model's hyperparameters from GGUF metadata (Config), binds its
// tensors as read-only views of the file (Weights), and runs the forward pass
// over a batch of tokens with a KV cache (State, Model.Forward).
//
// Supported general.architecture values (spec §3):
//
//   - "bitnet-b1.58" and its alias "bitnet-25": BitNet-b1.58-2B-4T — relu²
//     FFN, attention and FFN sub-norms, NeoX RoPE, tied head.
//   - "bitnet": 1bitLLM bitnet_b1_58 — like the above with SiLU (relu² when
//     bitnet.hidden_activation = "relu2"), optional per-projection scales.
//   - "llama" with ternary projections (Llama3-8B-1.58, Falcon3-1.58bit):
//     no sub-norms, SiLU, normal (adjacent-pair) RoPE, separate output.weight.
//
// forward.go reads top to bottom in the order of the specification.
package model
