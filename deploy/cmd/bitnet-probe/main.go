// Command bitnet-probe is the container health check of the bitnet image:
// it sends GET to a URL of the local bitnet serve and exits 0 when the
// answer is 2xx, 1 otherwise. The image is FROM scratch (no shell, no
// curl), and bitnet itself has no probe subcommand, so this static binary
// of a few MiB is what the Dockerfile's HEALTHCHECK and the OCI config run.
//
// Usage:
//
//	bitnet-probe [-timeout 2s] [URL]
//
// URL defaults to http://127.0.0.1:8080/health; it must be a loopback
// address, since a health check only asks its own container.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// DefaultURL is the liveness route of bitnet serve on the image's port.
const DefaultURL = "http://127.0.0.1:8080/health"

func main() {
	timeout := flag.Duration("timeout", 2*time.Second, "give up after this long")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: bitnet-probe [-timeout 2s] [URL (default %s)]\n", DefaultURL)
		flag.PrintDefaults()
	}
	flag.Parse()
	target := DefaultURL
	switch flag.NArg() {
	case 0:
	case 1:
		target = flag.Arg(0)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err := probe(target, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "bitnet-probe:", err)
		os.Exit(1)
	}
}

// probe returns nil when GET target answers 2xx within timeout.
func probe(target string, timeout time.Duration) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("URL %q: %w", target, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("URL %q: scheme %q, expected http", target, u.Scheme)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("URL %q: host %q is not a loopback address", target, u.Hostname())
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: status %d, expected 2xx", target, resp.StatusCode)
	}
	return nil
}
