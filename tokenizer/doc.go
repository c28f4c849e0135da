// Package tokenizer turns text into token ids and back for the vocabularies
// stored in GGUF files (spec §5): byte-level BPE (tokenizer.ggml.model =
// "gpt2") and SentencePiece BPE ("llama").
//
// Byte-level encoding follows llama.cpp's llm_tokenizer_bpe_session (spec §5.2):
//
//  1. With parseSpecial, the text is first split at occurrences of control,
//     user-defined and unknown token texts, longest text first; those become
//     their ids directly.
//  2. Each remaining fragment is split into words by the pre-tokenizer named
//     by tokenizer.ggml.pre: the Llama-3 regex (llama-bpe, llama3, llama-v3,
//     and a missing key), llama.cpp's four-regex "default" cascade, the
//     GPT-2 regex (gpt-2), the Falcon cascades (falcon; falcon3 and
//     falcon_e), or Qwen2's regex (qwen2: Llama 3's with one digit per
//     piece). The regexes use lookahead, which Go's regexp lacks, so each
//     is a hand-written scanner over runes.
//  3. Each word's bytes are mapped through GPT-2's bytes_to_unicode table.
//     With ignore_merges (the Llama-3 family) a word that is itself a
//     vocabulary token is emitted as is.
//  4. Otherwise the word is merged by BPE: starting from single bytes, the
//     adjacent pair with the lowest merge rank is merged, leftmost first on
//     ties, until no listed pair remains. A final symbol that is not a token
//     is emitted as its bytes' single-byte tokens.
//
// SentencePiece encoding follows llama.cpp's llm_tokenizer_spm_session
// (spec §5.4): a space is prepended to the text (add_space_prefix) and to
// each fragment after a special token, spaces become '▁', the text is cut
// into UTF-8 characters, and the adjacent pair whose concatenation is a
// token with the highest score merges first (leftmost on ties). A final
// symbol that is no token becomes its bytes' <0xXX> tokens (byte fallback),
// or UNK where a byte has none. Decode drops the prefix space again.
//
// Decoding maps each token's text back to bytes. Control tokens render as
// nothing; a [Decoder] streams text without ever splitting a UTF-8 character.
//
// [LoadTiktoken] builds a [Vocab] from a tiktoken rank file (Llama 3's
// tokenizer.model), deriving the merge list the way Hugging Face's
// TikTokenConverter does; [FromGGUF] reads one from a GGUF file.
//
// A [Tokenizer] is immutable after [New] and safe for concurrent use by
// multiple goroutines. A [Decoder] is not.
package tokenizer
