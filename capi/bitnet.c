// The public C entry points of bitnet.h. Each clears the calling thread's
// error message, then calls its Go export (exports.go), whose prototype
// takes no const; handles are cgo.Handle values kept in a malloc'd struct,
// so that C never holds a Go pointer.

#include <stdlib.h>
#include <string.h>

#include "bitnet.h"
#include "_cgo_export.h"

struct bitnet_model {
	uintptr_t handle; /* cgo.Handle of the Go *bitnet.Model; never 0 */
};

static _Thread_local char last_error[2048];

void bitnet__set_error(const char *msg, size_t n) {
	if (n >= sizeof last_error) {
		n = sizeof last_error - 1;
	}
	memcpy(last_error, msg, n);
	last_error[n] = 0;
}

int bitnet__call(bitnet_token_callback cb, const char *text, size_t len, void *user) {
	return cb(text, len, user);
}

const char *bitnet_last_error(void) { return last_error; }

const char *bitnet_version(void) { return BITNET_VERSION; }

int bitnet_abi_version(void) { return BITNET_ABI_VERSION; }

static uintptr_t handle_of(bitnet_model *m) {
	if (m == NULL) {
		static const char msg[] = "bitnet: model is NULL";
		bitnet__set_error(msg, sizeof msg - 1);
		return 0;
	}
	return m->handle;
}

bitnet_model *bitnet_model_load(const char *path, const bitnet_load_options *opts) {
	last_error[0] = 0;
	bitnet_model *m = malloc(sizeof *m);
	if (m == NULL) {
		static const char msg[] = "bitnet: out of memory";
		bitnet__set_error(msg, sizeof msg - 1);
		return NULL;
	}
	m->handle = bitnetgo_load((char *)path, (bitnet_load_options *)opts);
	if (m->handle == 0) {
		free(m);
		return NULL;
	}
	return m;
}

void bitnet_free(bitnet_model *m) {
	last_error[0] = 0;
	if (m == NULL) {
		return;
	}
	bitnetgo_free(m->handle);
	free(m);
}

int64_t bitnet_context_length(bitnet_model *m) {
	last_error[0] = 0;
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_context_length(h) : -1;
}

int bitnet_generate(bitnet_model *m, const char *prompt, const bitnet_generate_options *opts,
                    bitnet_token_callback cb, void *user, char **text) {
	last_error[0] = 0;
	if (text != NULL) {
		*text = NULL;
	}
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_generate(h, (char *)prompt, (bitnet_generate_options *)opts, cb, user, text) : BITNET_ERROR;
}

int bitnet_chat(bitnet_model *m, const bitnet_message *msgs, size_t n, const bitnet_generate_options *opts,
                bitnet_token_callback cb, void *user, char **text) {
	last_error[0] = 0;
	if (text != NULL) {
		*text = NULL;
	}
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_chat(h, (bitnet_message *)msgs, n, (bitnet_generate_options *)opts, cb, user, text) : BITNET_ERROR;
}

int64_t bitnet_tokenize(bitnet_model *m, const char *text, int32_t *tokens, size_t cap) {
	last_error[0] = 0;
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_tokenize(h, (char *)text, tokens, cap) : -1;
}

char *bitnet_detokenize(bitnet_model *m, const int32_t *tokens, size_t n) {
	last_error[0] = 0;
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_detokenize(h, (int32_t *)tokens, n) : NULL;
}

void bitnet_string_free(char *s) { free(s); }
