// Package chat turns conversations into prompts: chat templates, built-in
// and Jinja, and the multi-turn bookkeeping that lets a KV cache survive
// from one turn to the next (spec §5.3).
//
// Built-in templates (Builtin) cover the formats BitNet models use: bitnet
// (BitNet-b1.58-2B-4T's "Role: content<|eot_id|>" turns), llama3, chatml,
// falcon3 and raw. Detect chooses one from a model's
// tokenizer.chat_template, falling back to rendering the template itself
// with a Jinja evaluator (Parse) that covers the subset real chat templates
// use, with Hugging Face's settings (trim_blocks and lstrip_blocks on, no
// autoescape).
//
// Templates render to Segments: markup, in which special-token texts
// become special tokens, and message content, which is encoded as plain
// text. Encode adds exactly one BOS. A Conversation keeps the token
// sequence of a chat so that each turn only appends tokens.
package chat
