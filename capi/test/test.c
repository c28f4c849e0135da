// test.c: the C ABI's test (run by .ci/lib.sh). Usage: test PROMPT N OUT
// writes the greedy continuation of PROMPT (N tokens) to OUT, for
// comparison with `bitnet run --greedy --no-echo -n N PROMPT`, and checks
// streaming order, cancellation, errors and two threads at once.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitnet.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #c, bitnet_last_error()); exit(1); } } while (0)

typedef struct { char buf[8192]; size_t len; int calls, stop_after; pthread_t thread; } sink;

static int collect(const char *text, size_t len, void *user) {
	sink *s = user;
	CHECK(pthread_equal(s->thread, pthread_self()));
	CHECK(strlen(text) == len && s->len + len < sizeof s->buf);
	memcpy(s->buf + s->len, text, len + 1);
	s->len += len;
	return ++s->calls == s->stop_after;
}

static bitnet_model *model;
static const char *prompt2 = "And the LORD said unto Moses,";

static char *greedy(const char *prompt, int n) {
	bitnet_generate_options o = {0};
	o.max_tokens = n;
	sink s = {.thread = pthread_self()};
	char *text = NULL;
	CHECK(bitnet_generate(model, prompt, &o, collect, &s, &text) == BITNET_OK);
	CHECK(text != NULL && strcmp(text, s.buf) == 0 && s.calls > 1);
	return text;
}

static void *thread_main(void *arg) { return greedy(arg, 16); }

int main(int argc, char **argv) {
	CHECK(argc == 4);
	CHECK(strcmp(bitnet_version(), BITNET_VERSION) == 0 && bitnet_abi_version() == BITNET_ABI_VERSION);
	CHECK(bitnet_model_load("/nonexistent/model.gguf", NULL) == NULL);
	CHECK(strstr(bitnet_last_error(), "/nonexistent/model.gguf") != NULL);
	model = bitnet_model_load(NULL, NULL);
	CHECK(model != NULL && bitnet_last_error()[0] == 0);

	char *text = greedy(argv[1], atoi(argv[2]));
	FILE *f = fopen(argv[3], "w");
	CHECK(f != NULL);
	fprintf(f, "%s\n", text);
	fclose(f);

	bitnet_generate_options o = {0};
	o.max_tokens = 32;
	sink s = {.thread = pthread_self(), .stop_after = 3};
	char *part = NULL;
	CHECK(bitnet_generate(model, argv[1], &o, collect, &s, &part) == BITNET_CANCELLED);
	CHECK(s.calls == 3 && strcmp(part, s.buf) == 0 && strncmp(text, part, strlen(part)) == 0);
	bitnet_string_free(part);
	bitnet_string_free(text);

	char *want[2] = {greedy(argv[1], 16), greedy(prompt2, 16)};
	pthread_t t[2];
	CHECK(pthread_create(&t[0], NULL, thread_main, argv[1]) == 0);
	CHECK(pthread_create(&t[1], NULL, thread_main, (void *)prompt2) == 0);
	for (int i = 0; i < 2; i++) {
		void *got;
		CHECK(pthread_join(t[i], &got) == 0);
		CHECK(strcmp(got, want[i]) == 0);
		bitnet_string_free(got);
		bitnet_string_free(want[i]);
	}

	int32_t ids[64];
	int64_t n = bitnet_tokenize(model, prompt2, ids, 64);
	CHECK(n > 0 && n <= 64 && bitnet_tokenize(model, prompt2, NULL, 0) == n);
	char *back = bitnet_detokenize(model, ids, (size_t)n);
	CHECK(back != NULL && strcmp(back, prompt2) == 0);
	bitnet_string_free(back);
	bitnet_message msgs[] = {{"user", "Who made the earth?"}};
	o.max_tokens = 8;
	CHECK(bitnet_chat(model, msgs, 1, &o, NULL, NULL, NULL) == BITNET_OK);
	bitnet_message bad[] = {{"robot", "hi"}};
	CHECK(bitnet_chat(model, bad, 1, &o, NULL, NULL, NULL) == BITNET_ERROR && strstr(bitnet_last_error(), "robot"));
	bitnet_free(model);

	for (int i = 0; i < 3; i++) { // repeated load/free, for the leak check
		model = bitnet_model_load(NULL, NULL);
		CHECK(model != NULL);
		bitnet_string_free(greedy(prompt2, 4));
		bitnet_free(model);
	}
	printf("capi test: ok\n");
	return 0;
}
