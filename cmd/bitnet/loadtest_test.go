package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

func TestLoadtestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"loadtest"}, exitUsage, "URL"},
		{[]string{"loadtest", "http://10.0.0.1:8080"}, exitUsage, "loopback"},
		{[]string{"loadtest", "--max-tokens", "0", "http://127.0.0.1:1"}, exitUsage, "--max-tokens"},
		{[]string{"loadtest", "--endpoint", "embeddings", "http://127.0.0.1:1"}, exitUsage, "--endpoint"},
		{[]string{"loadtest", "-c", "0", "http://127.0.0.1:1"}, exitUsage, "-c"},
		{[]string{"loadtest", "-n", "0", "http://127.0.0.1:1"}, exitUsage, "-n"},
		{[]string{"loadtest", "-n", "1", "-c", "1", "http://127.0.0.1:1"}, exitError, "1 of 1 requests failed"},
	} {
		code, _, errOut := bitnet(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("bitnet %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// syncBuf is a goroutine-safe buffer for a server's standard error.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
