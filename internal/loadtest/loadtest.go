// Package loadtest drives an OpenAI-compatible server with concurrent
// streaming clients and measures what a user sees: errors, whether each
// stream is well formed, time to first token, inter-token latency and the
// aggregate generation rate. It speaks only the public API (SSE chunks of
// /v1/chat/completions or /v1/completions), so the same run works against
// bitnet serve, llama-server or any other compatible server.
//
// Traffic goes only to loopback addresses: the target host must be a
// loopback IP or resolve to one, and the dialer refuses any other address.
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Range is a uniform integer distribution [Min, Max].
type Range struct{ Min, Max int }

// ParseRange reads "N" or "MIN-MAX".
func ParseRange(s string) (Range, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return Range{}, fmt.Errorf("range %q: want N or MIN-MAX", s)
	}
	b := a
	if ok {
		if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return Range{}, fmt.Errorf("range %q: want N or MIN-MAX", s)
		}
	}
	if a < 1 || b < a {
		return Range{}, fmt.Errorf("range %q: want 1 <= MIN <= MAX", s)
	}
	return Range{a, b}, nil
}

func (r Range) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

func (r Range) pick(rng *rand.Rand) int { return r.Min + rng.IntN(r.Max-r.Min+1) }

// Config describes a run.
type Config struct {
	URL         string        // server base URL, e.g. http://127.0.0.1:8080 (a trailing /v1 is accepted)
	Endpoint    string        // "chat" (default) or "completions"
	Model       string        // model id; "" = the first of GET /v1/models
	APIKey      string        // sent as a bearer token when set
	Clients     int           // concurrent streaming clients (default 8)
	Requests    int           // requests per client (default 1 without Duration; 0 = unlimited with Duration)
	Duration    time.Duration // stop starting requests after this long (0 = no limit)
	PromptWords Range         // prompt length in words (default 16-64)
	MaxTokens   Range         // max_tokens per request (default 32-64)
	Temperature float64       // sampling temperature sent with each request (0 = greedy)
	Timeout     time.Duration // per request (default 5m)
	Seed        uint64        // prompt and length choices
	// HTTPClient overrides the client (tests); its transport should dial
	// loopback only, as the default one does.
	HTTPClient *http.Client
}

// Percentiles summarise a latency distribution in milliseconds.
type Percentiles struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Report is the outcome of a run.
type Report struct {
	URL              string         `json:"url"`
	Endpoint         string         `json:"endpoint"`
	Model            string         `json:"model"`
	Clients          int            `json:"clients"`
	RequestsPer      int            `json:"requests_per_client"`
	PromptWords      string         `json:"prompt_words"`
	MaxTokens        string         `json:"max_tokens"`
	Seconds          float64        `json:"seconds"`
	Requests         int            `json:"requests"`
	OK               int            `json:"ok"`
	Errors           int            `json:"errors"`
	ErrorKinds       map[string]int `json:"error_kinds,omitempty"`
	FirstError       string         `json:"first_error,omitempty"`
	WellFormed       int            `json:"well_formed_streams"`
	PromptTokens     int            `json:"prompt_tokens"`
	CompletionTokens int            `json:"completion_tokens"`
	TokensFromUsage  bool           `json:"tokens_from_usage"`
	TokensPerSec     float64        `json:"tokens_per_second"`
	RequestsPerSec   float64        `json:"requests_per_second"`
	TTFT             Percentiles    `json:"ttft"`
	ITL              Percentiles    `json:"inter_token_latency"`
}

// result is one request's outcome.
type result struct {
	err        string // error kind, "" when fine
	detail     string
	wellFormed bool
	ttft       time.Duration
	gaps       []time.Duration
	prompt     int
	completion int
	fromUsage  bool
}

func (c *Config) fill() error {
	if c.Endpoint == "" {
		c.Endpoint = "chat"
	}
	if c.Endpoint != "chat" && c.Endpoint != "completions" {
		return fmt.Errorf("endpoint %q: want chat or completions", c.Endpoint)
	}
	if c.Clients <= 0 {
		c.Clients = 8
	}
	if c.Requests < 0 {
		return fmt.Errorf("requests %d: want >= 0", c.Requests)
	}
	if c.Requests == 0 && c.Duration <= 0 {
		c.Requests = 1
	}
	if c.PromptWords.Min == 0 {
		c.PromptWords = Range{16, 64}
	}
	if c.MaxTokens.Min == 0 {
		c.MaxTokens = Range{32, 64}
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	return nil
}

// baseURL normalises the server URL to scheme://host[:port][/prefix]
// without a trailing /v1.
func baseURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server URL %q: want http or https", raw)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// CheckLoopback returns an error unless host is a loopback address or a
// name that resolves only to loopback addresses.
func CheckLoopback(ctx context.Context, host string) error {
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("load tests may only target loopback addresses; %s is not one", host)
		}
		return nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("load tests may only target loopback addresses; %s resolves to %s", host, a.IP)
		}
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%s resolves to no address", host)
	}
	return nil
}

// loopbackClient dials loopback addresses only, whatever a name resolves
// to at connect time.
func loopbackClient(conns int) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("refusing to connect to non-loopback address %s", address)
		}
		return nil
	}}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		IdleConnTimeout: 30 * time.Second, DisableCompression: true, ForceAttemptHTTP2: false}
	return &http.Client{Transport: tr}
}

// Run performs the load test described by cfg.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	base, err := baseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if err := CheckLoopback(ctx, base.Hostname()); err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = loopbackClient(cfg.Clients)
	}
	if cfg.Model == "" {
		cfg.Model = discoverModel(ctx, client, base, cfg.APIKey)
	}
	path := "/v1/chat/completions"
	if cfg.Endpoint == "completions" {
		path = "/v1/completions"
	}
	target := base.String() + path

	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	results := make(chan result, 1024)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
			for n := 0; cfg.Requests == 0 || n < cfg.Requests; n++ {
				if ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
					return
				}
				results <- one(ctx, client, target, &cfg, rng)
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	rep := &Report{URL: target, Endpoint: cfg.Endpoint, Model: cfg.Model, Clients: cfg.Clients, RequestsPer: cfg.Requests,
		PromptWords: cfg.PromptWords.String(), MaxTokens: cfg.MaxTokens.String(), ErrorKinds: map[string]int{}, TokensFromUsage: true}
	var ttft, gaps []time.Duration
	for r := range results {
		rep.Requests++
		if r.err != "" {
			rep.Errors++
			rep.ErrorKinds[r.err]++
			if rep.FirstError == "" {
				rep.FirstError = r.err + ": " + r.detail
			}
		} else {
			rep.OK++
		}
		if r.wellFormed {
			rep.WellFormed++
		}
		if r.ttft > 0 {
			ttft = append(ttft, r.ttft)
		}
		gaps = append(gaps, r.gaps...)
		rep.PromptTokens += r.prompt
		rep.CompletionTokens += r.completion
		if r.err == "" && !r.fromUsage {
			rep.TokensFromUsage = false
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if rep.Seconds > 0 {
		rep.TokensPerSec = float64(rep.CompletionTokens) / rep.Seconds
		rep.RequestsPerSec = float64(rep.Requests) / rep.Seconds
	}
	rep.TTFT = percentiles(ttft)
	rep.ITL = percentiles(gaps)
	if len(rep.ErrorKinds) == 0 {
		rep.ErrorKinds = nil
	}
	return rep, nil
}

func discoverModel(ctx context.Context, client *http.Client, base *url.URL, key string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", base.String()+"/v1/models", nil)
	if err != nil {
		return ""
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var ml struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ml) != nil || len(ml.Data) == 0 {
		return ""
	}
	return ml.Data[0].ID
}

var words = strings.Fields(`and the LORD said unto Moses behold I will send thee a land flowing with milk honey
in beginning God created heaven earth it came to pass those days that there went out decree from Caesar
blessed are meek for they shall inherit my shepherd not want he maketh me lie down green pastures
so loved world gave his only begotten son whosoever believeth him should perish but have everlasting life
people children of Israel house king David Jerusalem city temple priests prophet word spake saying`)

func prompt(rng *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(parts, " ")
}

// chunk is the subset of a streamed chunk the load test reads.
type chunk struct {
	Choices []struct {
		Text  string `json:"text"`
		Delta struct {
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// one runs one streaming request.
func one(ctx context.Context, client *http.Client, target string, cfg *Config, rng *rand.Rand) (r result) {
	body := map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true},
		"max_tokens": cfg.MaxTokens.pick(rng), "temperature": cfg.Temperature, "seed": rng.IntN(1 << 30)}
	if cfg.Model != "" {
		body["model"] = cfg.Model
	}
	text := prompt(rng, cfg.PromptWords.pick(rng))
	if cfg.Endpoint == "chat" {
		body["messages"] = []map[string]string{{"role": "user", "content": text}}
	} else {
		body["prompt"] = text
	}
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", target, bytes.NewReader(b))
	if err != nil {
		return result{err: "request", detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return result{err: "timeout", detail: err.Error()}
		}
		return result{err: "connect", detail: err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return result{err: "http_" + strconv.Itoa(resp.StatusCode), detail: strings.TrimSpace(string(msg))}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return result{err: "malformed", detail: "Content-Type " + ct}
	}
	return readStream(resp.Body, t0)
}

// readStream parses an SSE body and checks that it is well formed: every
// data line is a JSON chunk with choices (or the usage chunk), exactly one
// chunk carries a finish reason, no error event, and the stream ends with
// "data: [DONE]" and nothing after it.
func readStream(body io.Reader, t0 time.Time) (r result) {
	br := bufio.NewReaderSize(body, 64<<10)
	var last time.Time
	finishes, contentChunks := 0, 0
	done := false
	fail := func(kind, detail string) result {
		r.err, r.detail, r.wellFormed = kind, detail, false
		if r.completion == 0 {
			r.completion = contentChunks
		}
		return r
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" {
				break
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return fail("timeout", err.Error())
			}
			if err != io.EOF {
				return fail("stream_cut", err.Error())
			}
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, ":") {
			continue // event separator or comment (keep-alive)
		}
		if done {
			return fail("malformed", "data after [DONE]: "+line)
		}
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			if strings.HasPrefix(line, "event:") || strings.HasPrefix(line, "id:") || strings.HasPrefix(line, "retry:") {
				continue
			}
			return fail("malformed", "not an SSE data line: "+line)
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			done = true
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return fail("malformed", "bad JSON chunk: "+err.Error())
		}
		if len(c.Error) > 0 && string(c.Error) != "null" {
			return fail("stream_error", string(c.Error))
		}
		now := time.Now()
		if c.Usage != nil {
			r.prompt, r.completion, r.fromUsage = c.Usage.PromptTokens, c.Usage.CompletionTokens, true
		}
		if len(c.Choices) == 0 {
			if c.Usage == nil {
				return fail("malformed", "chunk without choices or usage")
			}
			continue
		}
		ch := c.Choices[0]
		text := ch.Text
		if ch.Delta.Content != nil {
			text = *ch.Delta.Content
		}
		if text != "" {
			contentChunks++
			if last.IsZero() {
				r.ttft = now.Sub(t0)
			} else {
				r.gaps = append(r.gaps, now.Sub(last))
			}
			last = now
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			finishes++
		}
	}
	if !done {
		return fail("stream_cut", "the stream ended without [DONE]")
	}
	if finishes != 1 {
		return fail("malformed", fmt.Sprintf("%d chunks carry a finish_reason, want 1", finishes))
	}
	if !r.fromUsage {
		r.completion = contentChunks
	}
	r.wellFormed = true
	return r
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(ds)))) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Percentiles{N: len(ds), P50: ms(rank(50)), P90: ms(rank(90)), P99: ms(rank(99)), Max: ms(ds[len(ds)-1]),
		Mean: ms(sum / time.Duration(len(ds)))}
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "target     %s (model %q)\n", r.URL, r.Model)
	per := strconv.Itoa(r.RequestsPer)
	if r.RequestsPer == 0 {
		per = "∞"
	}
	fmt.Fprintf(w, "load       %d clients × %s requests, prompt %s words, max_tokens %s\n", r.Clients, per, r.PromptWords, r.MaxTokens)
	fmt.Fprintf(w, "requests   %d: %d ok, %d errors; %d/%d streams well formed (ending in [DONE])\n", r.Requests, r.OK, r.Errors, r.WellFormed, r.Requests)
	if r.Errors > 0 {
		kinds := make([]string, 0, len(r.ErrorKinds))
		for k, n := range r.ErrorKinds {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(w, "errors     %s; first: %s\n", strings.Join(kinds, ", "), r.FirstError)
	}
	src := "usage"
	if !r.TokensFromUsage {
		src = "counted chunks"
	}
	fmt.Fprintf(w, "time       %.2f s, %.2f req/s\n", r.Seconds, r.RequestsPerSec)
	fmt.Fprintf(w, "tokens     prompt %d, generated %d (%s), %.1f tok/s aggregate\n", r.PromptTokens, r.CompletionTokens, src, r.TokensPerSec)
	fmt.Fprintf(w, "TTFT       p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)\n", r.TTFT.P50, r.TTFT.P90, r.TTFT.P99, r.TTFT.Max, r.TTFT.N)
	fmt.Fprintf(w, "ITL        p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.1f ms (n=%d)\n", r.ITL.P50, r.ITL.P90, r.ITL.P99, r.ITL.Max, r.ITL.N)
}
