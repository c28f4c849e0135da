package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/internal/shareddata"
)

func runMain(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestTokenizeVocabOnly runs tokenize and detokenize on llama.cpp's
// ggml-vocab-llama-spm.gguf, which has no tensors.
func TestTokenizeVocabOnly(t *testing.T) {
	spm := shareddata.Path(t, "data", "tokenizer-tests", "ggml-vocab-llama-spm.gguf")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"tokenize", "-m", spm, "--ids", "Hello world"}, "1 15043 3186\n"},
		{[]string{"tokenize", "-m", spm, "--ids", "--no-bos", "Hello world"}, "15043 3186\n"},
		{[]string{"tokenize", "-m", spm, "--no-bos", "Hello world"}, " 15043 \" Hello\"\n  3186 \" world\"\n"},
		{[]string{"detokenize", "-m", spm, "1", "15043", "3186"}, "Hello world\n"},
		{[]string{"detokenize", "-m", spm, "--raw", "[1, 15043, 3186]"}, "Hello world"},
		{[]string{"detokenize", "-m", spm, "--special", "1,15043,2"}, "<s> Hello</s>\n"},
	}
	for _, tt := range tests {
		out, errOut, code := runMain(t, tt.args...)
		if code != 0 || out != tt.want {
			t.Errorf("bitnet %s = %q (exit %d, %s), want %q", strings.Join(tt.args, " "), out, code, errOut, tt.want)
		}
	}
}

// TestTokenizeFile: --file takes the text byte for byte, and detokenize
// gives it back (the kjv-tiny byte-level vocabulary, the embedded model).
func TestTokenizeFile(t *testing.T) {
	text := "In the beginning\n\n  God créa 🙂\r\n"
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, errOut, code := runMain(t, "tokenize", "--ids", "--no-bos", "--file", path)
	if code != 0 {
		t.Fatalf("tokenize: exit %d: %s", code, errOut)
	}
	back, errOut, code := runMain(t, "detokenize", "--raw", ids)
	if code != 0 || back != text {
		t.Errorf("detokenize(tokenize(file)) = %q (exit %d, %s), want %q", back, code, errOut, text)
	}
	withBOS, _, _ := runMain(t, "tokenize", "--ids", "--file", path)
	if !strings.HasPrefix(withBOS, "8000 ") {
		t.Errorf("tokenize --ids: %q, want BOS 8000 first", withBOS)
	}
	special, _, _ := runMain(t, "tokenize", "--ids", "--no-bos", "<|eot_id|>")
	plain, _, _ := runMain(t, "tokenize", "--ids", "--no-bos", "--no-special", "<|eot_id|>")
	if special != "8009\n" || plain == special {
		t.Errorf("tokenize <|eot_id|>: %q, with --no-special %q", special, plain)
	}
}

func TestTokenizeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"tokenize", "a", "b"},
		{"tokenize", "--file", "x", "a"},
		{"detokenize", "1", "x"},
	} {
		if _, _, code := runMain(t, args...); code != exitUsage {
			t.Errorf("bitnet %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
	if _, _, code := runMain(t, "detokenize", "99999999"); code != exitError {
		t.Errorf("detokenize of an id out of range: exit %d, want %d", code, exitError)
	}
}
