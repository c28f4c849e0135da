// The public C entry points of bitnet.h. Each clears the calling thread's
// error message, then calls its Go export (exports.go), whose prototype
// takes no const; handles are cgo.Handle values kept in a malloc'd struct,
// so that C never holds a Go pointer.

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet.h"
#include "_cgo_export.h"

struct bitnet_model {
	uintptr_t handle; /* cgo.Handle of the Go *bitnet.Model; never 0 */
};

// The message buffer of each thread, made on the thread's first error and
// freed when the thread exits: pthread-specific rather than _Thread_local,
// because the Go runtime marks the library STATIC_TLS, and a dlopen()ed
// library (Python's ctypes) gets too little static TLS for a buffer.
#define ERROR_BYTES 2048
static pthread_key_t error_key;
static pthread_once_t error_once = PTHREAD_ONCE_INIT;

static void make_error_key(void) { pthread_key_create(&error_key, free); }

static char *error_buffer(int create) {
	pthread_once(&error_once, make_error_key);
	char *b = pthread_getspecific(error_key);
	if (b == NULL && create && (b = calloc(1, ERROR_BYTES)) != NULL && pthread_setspecific(error_key, b) != 0) {
		free(b);
		b = NULL;
	}
	return b;
}

static void clear_error(void) {
	char *b = error_buffer(0);
	if (b != NULL) {
		b[0] = 0;
	}
}

void bitnet__set_error(const char *msg, size_t n) {
	char *b = error_buffer(1);
	if (b == NULL) {
		return; // out of memory: the call still reports failure by its result
	}
	if (n >= ERROR_BYTES) {
		n = ERROR_BYTES - 1;
	}
	memcpy(b, msg, n);
	b[n] = 0;
}

int bitnet__call(bitnet_token_callback cb, const char *text, size_t len, void *user) {
	return cb(text, len, user);
}

const char *bitnet_last_error(void) {
	const char *b = error_buffer(0);
	return b != NULL ? b : "";
}

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
	clear_error();
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
	clear_error();
	if (m == NULL) {
		return;
	}
	bitnetgo_free(m->handle);
	free(m);
}

int64_t bitnet_context_length(bitnet_model *m) {
	clear_error();
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_context_length(h) : -1;
}

int bitnet_generate(bitnet_model *m, const char *prompt, const bitnet_generate_options *opts,
                    bitnet_token_callback cb, void *user, char **text) {
	clear_error();
	if (text != NULL) {
		*text = NULL;
	}
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_generate(h, (char *)prompt, (bitnet_generate_options *)opts, cb, user, text) : BITNET_ERROR;
}

int bitnet_chat(bitnet_model *m, const bitnet_message *msgs, size_t n, const bitnet_generate_options *opts,
                bitnet_token_callback cb, void *user, char **text) {
	clear_error();
	if (text != NULL) {
		*text = NULL;
	}
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_chat(h, (bitnet_message *)msgs, n, (bitnet_generate_options *)opts, cb, user, text) : BITNET_ERROR;
}

int64_t bitnet_tokenize(bitnet_model *m, const char *text, int32_t *tokens, size_t cap) {
	clear_error();
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_tokenize(h, (char *)text, tokens, cap) : -1;
}

char *bitnet_detokenize(bitnet_model *m, const int32_t *tokens, size_t n) {
	clear_error();
	uintptr_t h = handle_of(m);
	return h ? bitnetgo_detokenize(h, (int32_t *)tokens, n) : NULL;
}

void bitnet_string_free(char *s) { free(s); }
