package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ok.Close()
	tests := []struct {
		url, wantErr string
	}{
		{ok.URL + "/health", ""},
		{ok.URL + "/ready", "status 503"},
		{"https://127.0.0.1:1/health", `scheme "https"`},
		{"http://192.0.2.1:8080/health", "not a loopback"},
		{"http://127.0.0.1:1/health", "connect"},
		{"http://[::1", "URL"},
	}
	for _, tc := range tests {
		err := probe(tc.url, time.Second)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("probe(%s) = %v, want nil", tc.url, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("probe(%s) = %v, want an error containing %q", tc.url, err, tc.wantErr)
		}
	}
}
