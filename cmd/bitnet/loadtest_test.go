package main

import (
	"strings"
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
