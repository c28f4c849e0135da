/*
 * bitnet.h: the C ABI of the bitnet engine (libbitnet), built from the Go
 * package github.com/bitnet-go/bitnet/capi with
 *
 *     go build -buildmode=c-shared -o libbitnet.so ./capi
 *     go build -buildmode=c-archive -o libbitnet.a ./capi
 *
 * docs/library.md describes the rules in full. In short:
 *
 *  - Threads: every function may be called from any thread. Calls on one
 *    model from several threads at once are batched into the same forward
 *    steps. A token callback runs on the thread that called
 *    bitnet_generate or bitnet_chat, before that call returns.
 *    bitnet_free must not run while another call on the same model runs.
 *  - Memory: the library never keeps a pointer the caller passed in past
 *    the call. Strings it returns (*text of bitnet_generate and
 *    bitnet_chat, bitnet_detokenize) are the caller's, freed with
 *    bitnet_string_free. The text passed to a callback is valid only
 *    during that callback. bitnet_version and bitnet_last_error return
 *    library-owned strings (see each).
 *  - Errors: a failing call returns NULL, -1 or BITNET_ERROR and sets a
 *    message for bitnet_last_error on the calling thread. Every call
 *    clears that message first.
 */
#ifndef BITNET_H
#define BITNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* BITNET_VERSION is the library version (Go: bitnet.Version). */
#define BITNET_VERSION "0.1.0"
/* BITNET_ABI_VERSION changes whenever a declaration here changes
 * incompatibly. */
#define BITNET_ABI_VERSION 1

/* Return codes of bitnet_generate and bitnet_chat. */
#define BITNET_OK 0         /* generation ended (end of text, a stop string or max_tokens) */
#define BITNET_CANCELLED 1  /* the callback returned nonzero */
#define BITNET_ERROR (-1)   /* see bitnet_last_error */

/* bitnet_model is an opaque handle to a loaded model and its engine. */
typedef struct bitnet_model bitnet_model;

/* bitnet_load_options sizes a model's engine. Zero in any field means
 * its default; a NULL pointer means all defaults. */
typedef struct bitnet_load_options {
	int32_t threads;           /* forward-pass threads; 0 = one per CPU */
	int32_t context;           /* tokens per sequence; 0 = the model's training context */
	int32_t max_sequences;     /* requests generating at once; 0 = 16 */
	int32_t max_batch;         /* token rows per forward step; 0 = 64 */
	int64_t kv_budget;         /* KV-cache bytes; 0 = room for max_sequences/4 contexts */
	const char *chat_template; /* built-in name, "jinja" or Jinja text; NULL = the model's */
} bitnet_load_options;

/* bitnet_generate_options control one generation. The all-zero struct
 * (or NULL) is greedy decoding until end of text or a full context. */
typedef struct bitnet_generate_options {
	int32_t max_tokens;       /* most tokens to generate; 0 = until the context is full */
	float temperature;        /* 0 = greedy (deterministic) */
	int32_t top_k;            /* 0 = off */
	float top_p;              /* 0 or 1 = off */
	float min_p;              /* 0 = off */
	float repeat_penalty;     /* 0 or 1 = off */
	uint64_t seed;            /* sampler seed */
	const char *const *stop;  /* n_stop stop strings; the text ends before the first */
	size_t n_stop;
	int32_t ignore_eos;       /* nonzero: keep going past end-of-text tokens */
} bitnet_generate_options;

/* bitnet_message is one chat turn: role is "system", "user" or
 * "assistant". */
typedef struct bitnet_message {
	const char *role;
	const char *content;
} bitnet_message;

/* bitnet_token_callback receives each piece of generated text (len bytes
 * of whole UTF-8 characters, NUL-terminated, valid only during the call)
 * and the user pointer given to bitnet_generate. Returning nonzero
 * cancels the generation. */
typedef int (*bitnet_token_callback)(const char *text, size_t len, void *user);

/* bitnet_version returns BITNET_VERSION of the library (a static string). */
const char *bitnet_version(void);

/* bitnet_abi_version returns BITNET_ABI_VERSION of the library. */
int bitnet_abi_version(void);

/* bitnet_last_error returns the message of the last failed call on this
 * thread, or "" when the last call succeeded. The string belongs to the
 * library, is valid until the next call on this thread, and is cut at
 * 2047 bytes. */
const char *bitnet_last_error(void);

/* bitnet_model_load loads the GGUF model at path, or the embedded default
 * model when path is NULL or "", and starts its engine. It returns NULL on
 * error. Free the model with bitnet_free. */
bitnet_model *bitnet_model_load(const char *path, const bitnet_load_options *opts);

/* bitnet_free stops the model's engine and frees it. NULL is ignored. */
void bitnet_free(bitnet_model *model);

/* bitnet_context_length returns the tokens one request may hold (prompt
 * plus generated), or -1 on error. */
int64_t bitnet_context_length(bitnet_model *model);

/* bitnet_generate continues prompt. Each piece of text goes to callback
 * (may be NULL) as soon as it is complete. When text is not NULL, *text
 * receives the whole generated text (NUL-terminated, free it with
 * bitnet_string_free) on BITNET_OK and BITNET_CANCELLED, and NULL on
 * BITNET_ERROR. */
int bitnet_generate(bitnet_model *model, const char *prompt, const bitnet_generate_options *opts,
                    bitnet_token_callback callback, void *user, char **text);

/* bitnet_chat renders n messages with the model's chat template and
 * generates the assistant's reply, as bitnet_generate does. */
int bitnet_chat(bitnet_model *model, const bitnet_message *messages, size_t n,
                const bitnet_generate_options *opts, bitnet_token_callback callback, void *user, char **text);

/* bitnet_tokenize encodes text as bitnet_generate does and returns the
 * number of tokens; the first min(that, cap) are written to tokens (which
 * may be NULL when cap is 0). It returns -1 on error. */
int64_t bitnet_tokenize(bitnet_model *model, const char *text, int32_t *tokens, size_t cap);

/* bitnet_detokenize returns the text of n tokens (free it with
 * bitnet_string_free), or NULL on error. */
char *bitnet_detokenize(bitnet_model *model, const int32_t *tokens, size_t n);

/* bitnet_string_free frees a string the library returned. NULL is
 * ignored. */
void bitnet_string_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_H */
