//go:build cgo

package main

/*
#include <stdlib.h>
#include "bitnet.h"

int bitnet__call(bitnet_token_callback cb, const char *text, size_t len, void *user);
void bitnet__set_error(const char *msg, size_t n);
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/cgo"
	"unicode/utf8"
	"unsafe"

	"github.com/bitnet-go/bitnet"
)

// maxErrorBytes is the longest message bitnet.c's buffer keeps.
const maxErrorBytes = 2047

// setError stores err's message as the calling thread's last error. Go
// code called from C runs on the calling C thread, and so does the C call
// made here, which is what makes the message thread-local.
func setError(err error) {
	msg := err.Error()
	if len(msg) > maxErrorBytes {
		cut := maxErrorBytes
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	if msg == "" {
		msg = "bitnet: unknown error"
	}
	C.bitnet__set_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
}

// recovered turns a panic of an export into an error message, so that no
// Go panic crosses into C; it reports whether there was one.
func recovered(r any) bool {
	if r == nil {
		return false
	}
	setError(fmt.Errorf("bitnet: internal error: %v", r))
	return true
}

// modelOf returns the model of handle h; an invalid handle panics, which
// the export's recover reports.
func modelOf(h C.uintptr_t) *bitnet.Model {
	m, ok := cgo.Handle(h).Value().(*bitnet.Model)
	if !ok {
		panic(fmt.Sprintf("handle %d is not a bitnet model", uintptr(h)))
	}
	return m
}

//export bitnetgo_load
func bitnetgo_load(path *C.char, o *C.bitnet_load_options) (h C.uintptr_t) {
	defer func() {
		if recovered(recover()) {
			h = 0
		}
	}()
	var p string
	if path != nil {
		p = C.GoString(path)
	}
	m, err := bitnet.Load(p, loadOptions(o)...)
	if err != nil {
		setError(err)
		return 0
	}
	return C.uintptr_t(cgo.NewHandle(m))
}

// loadOptions maps the C load options (nil: the defaults) to Options;
// zero fields keep the defaults.
func loadOptions(o *C.bitnet_load_options) []bitnet.Option {
	if o == nil {
		return nil
	}
	opts := []bitnet.Option{bitnet.WithThreads(int(o.threads)), bitnet.WithContext(int(o.context)),
		bitnet.WithMaxSequences(int(o.max_sequences)), bitnet.WithMaxBatch(int(o.max_batch)),
		bitnet.WithKVBudget(int64(o.kv_budget))}
	if o.chat_template != nil {
		opts = append(opts, bitnet.WithChatTemplate(C.GoString(o.chat_template)))
	}
	return opts
}

//export bitnetgo_free
func bitnetgo_free(h C.uintptr_t) {
	defer func() { recovered(recover()) }()
	modelOf(h).Close()
	cgo.Handle(h).Delete()
}

//export bitnetgo_context_length
func bitnetgo_context_length(h C.uintptr_t) (n C.int64_t) {
	defer func() {
		if recovered(recover()) {
			n = -1
		}
	}()
	return C.int64_t(modelOf(h).ContextLength())
}

// errCancelled ends a generation whose callback returned nonzero.
var errCancelled = errors.New("bitnet: cancelled by the callback")

// generateOptions maps the C generation options (nil: greedy) and the
// callback to GenerateOptions.
func generateOptions(o *C.bitnet_generate_options, cb C.bitnet_token_callback, user unsafe.Pointer) (bitnet.GenerateOptions, error) {
	var g bitnet.GenerateOptions
	if o != nil {
		g = bitnet.GenerateOptions{MaxTokens: int(o.max_tokens), Temperature: float32(o.temperature), TopK: int(o.top_k),
			TopP: float32(o.top_p), MinP: float32(o.min_p), RepeatPenalty: float32(o.repeat_penalty), Seed: uint64(o.seed),
			IgnoreEOS: o.ignore_eos != 0}
		if o.n_stop > 0 && o.stop == nil {
			return g, fmt.Errorf("bitnet: options: stop is NULL but n_stop is %d", o.n_stop)
		}
		for i, s := range unsafe.Slice(o.stop, o.n_stop) {
			if s == nil {
				return g, fmt.Errorf("bitnet: options: stop[%d] is NULL", i)
			}
			g.Stop = append(g.Stop, C.GoString(s))
		}
	}
	if cb != nil {
		var buf []byte // reused: the callback may not keep the text
		g.OnText = func(s string) error {
			buf = append(append(buf[:0], s...), 0)
			if C.bitnet__call(cb, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(s)), user) != 0 {
				return errCancelled
			}
			return nil
		}
	}
	return g, nil
}

// finish maps a generation's outcome to a return code, storing the text
// in *text (when text is not NULL) unless it failed.
func finish(s string, err error, text **C.char) C.int {
	switch {
	case err == nil || errors.Is(err, errCancelled):
		if text != nil {
			*text = C.CString(s)
		}
		if err != nil {
			return C.BITNET_CANCELLED
		}
		return C.BITNET_OK
	}
	setError(err)
	return C.BITNET_ERROR
}

//export bitnetgo_generate
func bitnetgo_generate(h C.uintptr_t, prompt *C.char, o *C.bitnet_generate_options, cb C.bitnet_token_callback, user unsafe.Pointer, text **C.char) (rc C.int) {
	defer func() {
		if recovered(recover()) {
			rc = C.BITNET_ERROR
		}
	}()
	m := modelOf(h)
	if prompt == nil {
		setError(errors.New("bitnet: prompt is NULL"))
		return C.BITNET_ERROR
	}
	g, err := generateOptions(o, cb, user)
	if err != nil {
		setError(err)
		return C.BITNET_ERROR
	}
	s, err := m.Generate(context.Background(), C.GoString(prompt), g)
	return finish(s, err, text)
}

//export bitnetgo_chat
func bitnetgo_chat(h C.uintptr_t, msgs *C.bitnet_message, n C.size_t, o *C.bitnet_generate_options, cb C.bitnet_token_callback, user unsafe.Pointer, text **C.char) (rc C.int) {
	defer func() {
		if recovered(recover()) {
			rc = C.BITNET_ERROR
		}
	}()
	m := modelOf(h)
	if n > 0 && msgs == nil {
		setError(fmt.Errorf("bitnet: messages is NULL but n is %d", n))
		return C.BITNET_ERROR
	}
	cm := unsafe.Slice(msgs, n)
	gm := make([]bitnet.Message, len(cm))
	for i, msg := range cm {
		if msg.role == nil || msg.content == nil {
			setError(fmt.Errorf("bitnet: messages[%d]: role or content is NULL", i))
			return C.BITNET_ERROR
		}
		gm[i] = bitnet.Message{Role: C.GoString(msg.role), Content: C.GoString(msg.content)}
	}
	g, err := generateOptions(o, cb, user)
	if err != nil {
		setError(err)
		return C.BITNET_ERROR
	}
	s, err := m.Chat(context.Background(), gm, g)
	return finish(s, err, text)
}

//export bitnetgo_tokenize
func bitnetgo_tokenize(h C.uintptr_t, text *C.char, tokens *C.int32_t, capacity C.size_t) (n C.int64_t) {
	defer func() {
		if recovered(recover()) {
			n = -1
		}
	}()
	m := modelOf(h)
	if text == nil || (capacity > 0 && tokens == nil) {
		setError(fmt.Errorf("bitnet: tokenize: text is NULL, or tokens is NULL with cap %d", capacity))
		return -1
	}
	ids, err := m.Tokenize(C.GoString(text))
	if err != nil {
		setError(err)
		return -1
	}
	if capacity > 0 {
		copy(unsafe.Slice((*int32)(unsafe.Pointer(tokens)), capacity), ids)
	}
	return C.int64_t(len(ids))
}

//export bitnetgo_detokenize
func bitnetgo_detokenize(h C.uintptr_t, tokens *C.int32_t, n C.size_t) (s *C.char) {
	defer func() {
		if recovered(recover()) {
			s = nil
		}
	}()
	m := modelOf(h)
	if n > 0 && tokens == nil {
		setError(fmt.Errorf("bitnet: detokenize: tokens is NULL but n is %d", n))
		return nil
	}
	var ids []int32
	if n > 0 {
		ids = unsafe.Slice((*int32)(unsafe.Pointer(tokens)), n)
	}
	text, err := m.Detokenize(ids)
	if err != nil {
		setError(err)
		return nil
	}
	return C.CString(text)
}
