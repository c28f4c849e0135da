package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func chatRun(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runChat(args, strings.NewReader(stdin), &out, &errOut, false, make(chan os.Signal))
	return out.String(), errOut.String(), err
}

// TestChatPipe: one user turn per line, each reply streamed and ended by a
// newline; the second turn prefills only its new tokens (the first turn
// stays cached; generate's TestChatPrefill checks the exact count).
func TestChatPipe(t *testing.T) {
	out, errOut, err := chatRun(t, "In the beginning\nAnd the earth\n", "--greedy", "-n", "8", "--verbose", "--system", "Thou art wise.", "--threads", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.HasSuffix(out, "\n") || len(out) < 4 {
		t.Errorf("stdout: %q, want two replies", out)
	}
	if !strings.Contains(errOut, "template: bitnet") {
		t.Errorf("kjv-tiny's template was not detected as bitnet: %s", errOut)
	}
	m := regexp.MustCompile(`prompt: (\d+) new tokens.*cached: (\d+)`).FindAllStringSubmatch(errOut, -1)
	if len(m) != 2 {
		t.Fatalf("want 2 turn reports, got %q", errOut)
	}
	fed1, _ := strconv.Atoi(m[0][1])
	cached1, _ := strconv.Atoi(m[0][2])
	fed2, _ := strconv.Atoi(m[1][1])
	// Turn 2 feeds the reply's last token, the <|eot_id|> that closes it
	// (the reply stopped at -n) and "User: And the earth<|eot_id|>Assistant: ",
	// not the system prompt and the first turn again.
	if fed2 >= fed1 || cached1 < fed1 {
		t.Errorf("turn 1 fed %d (cached %d after), turn 2 fed %d: the cache was not reused", fed1, cached1, fed2)
	}
}

func TestChatTranscript(t *testing.T) {
	in := `{"messages": [
		{"role": "system", "content": "Thou art wise."},
		{"role": "user", "content": "Who made the light?"},
		{"role": "assistant", "content": "God."},
		{"role": "user", "content": "And the darkness?"}]}`
	out, errOut, err := chatRun(t, in, "--greedy", "-n", "6")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var tr transcript
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("output is not a JSON transcript: %v\n%s", err, out)
	}
	if len(tr.Messages) != 5 || tr.Messages[2].Content != "God." || tr.Messages[4].Role != "assistant" {
		t.Errorf("transcript: %+v", tr.Messages)
	}
	// A bare array works too.
	out, _, err = chatRun(t, `[{"role": "user", "content": "Hi"}]`, "--greedy", "-n", "3")
	if err != nil || !strings.Contains(out, `"assistant"`) {
		t.Errorf("array transcript: %v %s", err, out)
	}
	if _, _, err := chatRun(t, `[{"role": "assistant", "content": "Hi"}]`); err == nil {
		t.Error("a transcript that starts with an assistant turn: no error")
	}
}

func TestChatCommands(t *testing.T) {
	file := filepath.Join(t.TempDir(), "chat.json")
	out, errOut, err := chatRun(t, "/help\nHi\n/save "+file+"\n/history\n/reset\n/history\n/exit\nnever\n", "--greedy", "-n", "3")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "/reset") || strings.Count(out, "user: Hi") != 1 {
		t.Errorf("stdout: %q", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var tr transcript
	if err := json.Unmarshal(b, &tr); err != nil || len(tr.Messages) != 2 || tr.Messages[0].Content != "Hi" {
		t.Errorf("/save wrote %s (%v)", b, err)
	}
	if _, _, err := chatRun(t, "/bogus\n"); err == nil {
		t.Error("/bogus in a pipe: no error")
	}
	if _, _, err := chatRun(t, "", "--chat-template", "nosuch"); err == nil {
		t.Error("--chat-template nosuch: no error")
	}
}

// signalWriter sends an interrupt on the first write: Ctrl-C while the
// answer streams.
type signalWriter struct {
	bytes.Buffer
	once sync.Once
	sigs chan os.Signal
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { w.sigs <- os.Interrupt })
	return w.Buffer.Write(p)
}

// TestChatInterrupt: Ctrl-C stops the current answer, not the session.
func TestChatInterrupt(t *testing.T) {
	sigs := make(chan os.Signal)
	out := &signalWriter{sigs: sigs}
	var errOut bytes.Buffer
	err := runChat([]string{"--greedy", "-n", "200", "--verbose"}, strings.NewReader("In the beginning\nAnd God said\n"), out, &errOut, false, sigs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "[stopped]") {
		t.Errorf("no [stopped] after Ctrl-C: %s", errOut.String())
	}
	if n := strings.Count(errOut.String(), "prompt: "); n != 2 {
		t.Errorf("%d turns ran, want 2: %s", n, errOut.String())
	}
}
