package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/engine"
	"github.com/bitnet-go/bitnet/sample"
)

// Sampling defaults for fields a request omits: OpenAI's documented
// defaults, not the CLI's (bitnet run uses temperature 0.8, top-k 40 …).
const (
	DefaultTemperature = 1.0
	DefaultTopP        = 1.0
	maxStops           = 16
	maxTopLogprobsChat = 20
	maxLogprobsText    = 5
)

type kind int

const (
	kindChat kind = iota
	kindText
)

// job is one validated generation request.
type job struct {
	kind         kind
	req          engine.Request
	stream       bool
	includeUsage bool
	logprobs     bool
	promptParam  string
	maxParam     string
}

// readBody applies the body limit and decodes JSON into v.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	return decodeJSON(r, v)
}

func (s *Server) checkModel(model string) error {
	if model != "" && model != s.cfg.ModelID {
		return modelNotFound(model)
	}
	return nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeError(w, r, errShuttingDown)
		return
	}
	defer s.inflight.Done()
	var req chatRequest
	if err := s.readBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	j, err := s.chatJob(&req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.run(w, r, j, req.Model, req.User)
}

func (s *Server) chatJob(req *chatRequest) (*job, error) {
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, badRequest("messages", "'messages' must hold at least one message")
	}
	msgs := make([]chat.Message, 0, len(req.Messages))
	for i, m := range req.Messages {
		role := m.Role
		switch role {
		case "system", "user", "assistant":
		case "developer":
			role = "system"
		case "":
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "messages[%d] has no role", i)
		default:
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "messages[%d]: role %q is not supported (system, developer, user, assistant)", i, m.Role)
		}
		if !m.Content.Set && role != "assistant" {
			return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "messages[%d] has no content", i)
		}
		msgs = append(msgs, chat.Message{Role: role, Content: m.Content.Text})
	}
	segs, err := s.tmpl.Segments(msgs, true)
	if err != nil {
		return nil, badRequest("messages", "the chat template cannot render these messages: %v", err)
	}
	prompt := chat.Encode(s.tok, segs)
	maxTok := req.MaxCompletionTokens
	param := "max_completion_tokens"
	if maxTok == nil {
		maxTok, param = req.MaxTokens, "max_tokens"
	}
	j := &job{kind: kindChat, promptParam: "messages"}
	defMax := s.eng.Config().Context - len(prompt)
	if s.cfg.DefaultMaxTokens > 0 {
		defMax = min(defMax, s.cfg.DefaultMaxTokens)
	}
	if err := s.fillCommon(j, &req.commonParams, prompt, maxTok, param, defMax); err != nil {
		return nil, err
	}
	j.req.TopLogprobs = -1
	if req.Logprobs != nil && *req.Logprobs {
		j.logprobs = true
		j.req.TopLogprobs = 0
		if req.TopLogprobs != nil {
			if *req.TopLogprobs < 0 || *req.TopLogprobs > maxTopLogprobsChat {
				return nil, badRequest("top_logprobs", "'top_logprobs' must be between 0 and %d, got %d", maxTopLogprobsChat, *req.TopLogprobs)
			}
			j.req.TopLogprobs = int(*req.TopLogprobs)
		}
	} else if req.TopLogprobs != nil && *req.TopLogprobs > 0 {
		return nil, badRequest("top_logprobs", "'top_logprobs' requires 'logprobs' to be true")
	}
	return j, nil
}

func (s *Server) handleCompletion(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeError(w, r, errShuttingDown)
		return
	}
	defer s.inflight.Done()
	var req completionRequest
	if err := s.readBody(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	j, err := s.textJob(&req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.run(w, r, j, req.Model, req.User)
}

func (s *Server) textJob(req *completionRequest) (*job, error) {
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	if !req.Prompt.Set {
		return nil, badRequest("prompt", "'prompt' is required")
	}
	if req.Echo {
		return nil, badRequest("echo", "'echo' is not supported")
	}
	if req.BestOf != nil && *req.BestOf != 1 {
		return nil, badRequest("best_of", "'best_of' must be 1: only one completion per request is supported")
	}
	if req.Suffix != nil && *req.Suffix != "" {
		return nil, badRequest("suffix", "'suffix' is not supported")
	}
	var prompt []int32
	if req.Prompt.IsText {
		prompt = s.tok.Encode(req.Prompt.Text, s.tok.AddBOS(), true)
	} else {
		prompt = req.Prompt.Tokens
	}
	if len(prompt) == 0 {
		return nil, badRequest("prompt", "'prompt' is empty")
	}
	j := &job{kind: kindText, promptParam: "prompt"}
	defMax := min(DefaultCompletionTokens, s.eng.Config().Context-len(prompt))
	if err := s.fillCommon(j, &req.commonParams, prompt, req.MaxTokens, "max_tokens", defMax); err != nil {
		return nil, err
	}
	j.req.TopLogprobs = -1
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > maxLogprobsText {
			return nil, badRequest("logprobs", "'logprobs' must be between 0 and %d, got %d", maxLogprobsText, *req.Logprobs)
		}
		j.logprobs = true
		j.req.TopLogprobs = int(*req.Logprobs)
	}
	return j, nil
}

// fillCommon validates the shared fields and fills j.req.
func (s *Server) fillCommon(j *job, p *commonParams, prompt []int32, maxTok *int64, maxParam string, defMax int) error {
	if p.N != nil && *p.N != 1 {
		return badRequest("n", "'n' must be 1: only one choice per request is supported, got %d", *p.N)
	}
	// The context-length check is the engine's (Submit); defMax may be
	// below 1 when the prompt fills the context, and then 1 lets Submit
	// blame the prompt.
	n := max(1, defMax)
	j.maxParam = maxParam
	if maxTok != nil {
		if *maxTok < 1 {
			return badRequest(maxParam, "'%s' must be at least 1, got %d", maxParam, *maxTok)
		}
		n = int(min(*maxTok, math.MaxInt32))
	}
	sp := sample.Params{Temperature: DefaultTemperature, TopP: DefaultTopP}
	if t := p.Temperature; t != nil {
		if *t < 0 || *t > 2 {
			return badRequest("temperature", "'temperature' must be between 0 and 2, got %g", *t)
		}
		sp.Temperature = float32(*t)
	}
	if tp := p.TopP; tp != nil {
		if *tp < 0 || *tp > 1 {
			return badRequest("top_p", "'top_p' must be between 0 and 1, got %g", *tp)
		}
		sp.TopP = float32(*tp)
		if *tp == 0 {
			// The smallest set reaching probability 0 is the top token;
			// the sampler's TopP <= 0 would mean "off" instead.
			sp.TopP, sp.TopK = 0, 1
		}
	}
	if v := p.PresencePenalty; v != nil {
		if *v < -2 || *v > 2 {
			return badRequest("presence_penalty", "'presence_penalty' must be between -2 and 2, got %g", *v)
		}
		sp.PresencePenalty = float32(*v)
	}
	if v := p.FrequencyPenalty; v != nil {
		if *v < -2 || *v > 2 {
			return badRequest("frequency_penalty", "'frequency_penalty' must be between -2 and 2, got %g", *v)
		}
		sp.FrequencyPenalty = float32(*v)
	}
	if p.Seed != nil {
		sp.Seed = uint64(*p.Seed)
	} else {
		sp.Seed = rand.Uint64()
	}
	if err := sp.Validate(); err != nil {
		return badRequest("", "%v", err)
	}
	var stops []string
	for _, st := range p.Stop {
		if st != "" {
			stops = append(stops, st)
		}
	}
	if len(stops) > maxStops {
		return badRequest("stop", "at most %d stop sequences are supported, got %d", maxStops, len(stops))
	}
	if p.Stream != nil {
		j.stream = *p.Stream
	}
	if p.StreamOptions != nil {
		if !j.stream {
			return badRequest("stream_options", "'stream_options' is only allowed when 'stream' is true")
		}
		j.includeUsage = p.StreamOptions.IncludeUsage
	}
	j.req = engine.Request{Prompt: prompt, MaxTokens: n, Sampling: sp, Stop: stops}
	return nil
}

// contextErr names the request field to blame for a context-length error:
// the prompt (or messages) when the prompt alone is too long, else the
// max_tokens field the request used.
func (j *job) contextErr(cle *decode.ContextLengthError) error {
	ae := toAPIError(cle)
	ae.Param = j.promptParam
	if cle.Field == decode.FieldMaxTokens && j.maxParam != "" {
		ae.Param = j.maxParam
	}
	return ae
}

// run submits j and writes the response, streamed or whole.
func (s *Server) run(w http.ResponseWriter, r *http.Request, j *job, model, user string) {
	ctx, cancel := s.requestContext(r)
	defer cancel()
	j.req.ID = infoFrom(ctx).id
	s.annotate(ctx, j, user)
	ch, err := s.eng.Submit(ctx, j.req)
	if err != nil {
		var cle *decode.ContextLengthError
		if errors.As(err, &cle) {
			err = j.contextErr(cle)
		}
		s.metrics.finished.WithLabelValues("rejected").Inc()
		writeError(w, r, err)
		return
	}
	out := s.newOutput(w, r, j)
	g := s.relay(ctx, cancel, ch, out)
	s.conclude(r, j, out, g)
}

// requestContext is the generation's lifetime: the client's, bounded by
// RequestTimeout when set, and cancellable when the client stops reading.
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	if s.cfg.RequestTimeout > 0 {
		return context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	}
	return context.WithCancel(r.Context())
}

// annotate records the request's shape in the access log and the span.
func (s *Server) annotate(ctx context.Context, j *job, user string) {
	info := infoFrom(ctx)
	info.add(slog.Int("prompt_tokens", len(j.req.Prompt)), slog.Int("max_tokens", j.req.MaxTokens), slog.Bool("stream", j.stream))
	if user != "" {
		info.add(slog.String("user", user))
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("gen_ai.request.model", s.cfg.ModelID),
		attribute.Int("gen_ai.request.max_tokens", j.req.MaxTokens),
		attribute.Int("gen_ai.usage.input_tokens", len(j.req.Prompt)), attribute.Bool("bitnet.stream", j.stream))
}

// generation is what relay learned from a request's events.
type generation struct {
	finish   decode.Finish
	usage    engine.Usage
	times    engine.Timings
	err      error // the engine's, or errClientGone
	writeErr error // the first failed write to the client
}

// relay reads the engine's events to the end, writing each piece to out,
// and observes the token metrics and spans from the events' timings.
func (s *Server) relay(ctx context.Context, cancel context.CancelFunc, ch <-chan engine.Event, out output) generation {
	var g generation
	tr := s.newTrace(ctx)
	var lastTok time.Time
	for ev := range ch {
		now := time.Now()
		if n := len(ev.Tokens); n > 0 {
			if g.times.FirstToken.IsZero() {
				s.metrics.ttft.Observe(ev.Timings.FirstToken.Sub(ev.Timings.Queued).Seconds())
			} else if !lastTok.IsZero() {
				gap := now.Sub(lastTok).Seconds() / float64(n)
				for range n {
					s.metrics.itl.Observe(gap)
				}
			}
			lastTok = now
			tr.tokens(ev, n)
		}
		g.times = ev.Timings
		if g.writeErr == nil && (ev.Text != "" || len(ev.Logprobs) > 0) {
			g.writeErr = out.piece(ev.Text, ev.Logprobs)
		}
		if ev.Done {
			g.finish, g.usage, g.err = ev.Finish, ev.Usage, ev.Err
		}
		if g.writeErr != nil {
			// The client stopped reading: cancel, so that the engine
			// drops the sequence and frees its KV blocks at its next
			// step, and drain the channel it closes then.
			cancel()
		}
	}
	if g.err == nil && g.writeErr != nil {
		g.err = errClientGone
	}
	if g.err == nil && g.finish == decode.FinishNone {
		g.err = errors.New("engine: the request ended without a final event")
	}
	tr.end(g.times, g.err)
	return g
}

// conclude counts a finished generation and writes its end: the finish
// chunk and usage, or the error.
func (s *Server) conclude(r *http.Request, j *job, out output, g generation) {
	info := infoFrom(r.Context())
	u := g.usage
	s.metrics.promptTokens.Add(float64(u.PromptTokens))
	s.metrics.cachedTokens.Add(float64(u.CachedTokens))
	s.metrics.genTokens.Add(float64(u.CompletionTokens))
	info.add(slog.Int("completion_tokens", u.CompletionTokens), slog.Int("cached_tokens", u.CachedTokens))
	root := trace.SpanFromContext(r.Context())
	root.SetAttributes(attribute.Int("gen_ai.usage.output_tokens", u.CompletionTokens))
	if err := g.err; err != nil {
		reason := "error"
		if errors.Is(err, context.Canceled) || errors.Is(err, errClientGone) {
			reason = "cancelled"
			if r.Context().Err() != nil || g.writeErr != nil {
				err = errClientGone
			}
		} else if errors.Is(err, context.DeadlineExceeded) {
			reason = "timeout"
		} else if errors.Is(err, engine.ErrStalled) {
			reason = "stalled"
		}
		s.metrics.finished.WithLabelValues(reason).Inc()
		info.add(slog.String("finish", reason))
		out.fail(err)
		return
	}
	t := g.times
	s.checkThresholds(r.Context(), t.FirstToken.Sub(t.Queued), u.CompletionTokens, t.Finished.Sub(t.FirstToken))
	reason := g.finish.Reason() // OpenAI's finish_reason
	s.metrics.finished.WithLabelValues(reason).Inc()
	info.add(slog.String("finish", reason), slog.String("finish_detail", g.finish.String()))
	root.SetAttributes(attribute.StringSlice("gen_ai.response.finish_reasons", []string{reason}))
	out.finish(reason, u)
}

// reqTrace makes a request's queue, prefill and decode spans from the
// engine's timings: queue from Queued to Admitted, prefill to FirstToken,
// decode to Finished, with one "step" event per batched step that gave
// the request a token. The spans get explicit timestamps.
type reqTrace struct {
	s       *Server
	ctx     context.Context
	decode  trace.Span
	ntokens int
}

func (s *Server) newTrace(ctx context.Context) *reqTrace {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return &reqTrace{}
	}
	return &reqTrace{s: s, ctx: ctx}
}

// span records a span of the request from start to end.
func (t *reqTrace) span(name string, start, end time.Time, attrs ...attribute.KeyValue) {
	_, sp := t.s.tracer.Start(t.ctx, name, trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	sp.End(trace.WithTimestamp(end))
}

func (t *reqTrace) tokens(ev engine.Event, n int) {
	if t.s == nil {
		return
	}
	t.ntokens += n
	if t.decode == nil {
		tm := ev.Timings
		t.span("queue", tm.Queued, tm.Admitted)
		t.span("prefill", tm.Admitted, tm.FirstToken, attribute.Int("bitnet.prompt_tokens", ev.Usage.PromptTokens))
		_, t.decode = t.s.tracer.Start(t.ctx, "decode", trace.WithTimestamp(tm.FirstToken))
	}
	st := ev.Step
	t.decode.AddEvent("step", trace.WithTimestamp(st.End), trace.WithAttributes(
		attribute.Int("bitnet.batch.rows", st.Rows), attribute.Int("bitnet.batch.sequences", st.Seqs),
		attribute.Int64("bitnet.step.duration_us", st.End.Sub(st.Start).Microseconds())))
}

// end closes the request's last span at tm.Finished: decode, or, for a
// request that never produced a token, its queue span.
func (t *reqTrace) end(tm engine.Timings, err error) {
	if t.s == nil {
		return
	}
	sp := t.decode
	if sp == nil {
		end := tm.Finished
		if end.IsZero() {
			end = time.Now()
		}
		start := tm.Queued
		if start.IsZero() {
			start = end
		}
		_, sp = t.s.tracer.Start(t.ctx, "queue", trace.WithTimestamp(start))
		tm.Finished = end
	} else {
		sp.SetAttributes(attribute.Int("bitnet.completion_tokens", t.ntokens))
	}
	if err != nil {
		sp.RecordError(err)
		sp.SetStatus(codesError, err.Error())
		trace.SpanFromContext(t.ctx).SetStatus(codesError, err.Error())
	}
	if tm.Finished.IsZero() {
		tm.Finished = time.Now()
	}
	sp.End(trace.WithTimestamp(tm.Finished))
}

// output writes a generation's response.
type output interface {
	piece(text string, lps []decode.TokenLogprob) error
	finish(reason string, u engine.Usage)
	fail(err error)
}

func (s *Server) newOutput(w http.ResponseWriter, r *http.Request, j *job) output {
	base := respBase{s: s, j: j, id: newID(), created: time.Now().Unix()}
	if j.kind == kindChat {
		base.id = "chatcmpl-" + base.id
	} else {
		base.id = "cmpl-" + base.id
	}
	if j.stream {
		return &streamOut{respBase: base, w: w, r: r, rc: http.NewResponseController(w)}
	}
	return &wholeOut{respBase: base, w: w, r: r}
}

type respBase struct {
	s       *Server
	j       *job
	id      string
	created int64
	offset  int // text_offset of the next token (completions logprobs)
}

func usageOf(u engine.Usage) *usageJSON {
	uj := &usageJSON{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.PromptTokens + u.CompletionTokens}
	if u.CachedTokens > 0 {
		uj.PromptTokensDetails = &promptTokenDetails{CachedTokens: u.CachedTokens}
	}
	return uj
}

func bytesOf(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func (b *respBase) chatLogprobs(lps []decode.TokenLogprob) []chatTokenLogprob {
	out := make([]chatTokenLogprob, 0, len(lps))
	for _, lp := range lps {
		p := b.s.tok.Piece(lp.Token)
		c := chatTokenLogprob{Token: string(p), Logprob: float64(lp.Logprob), Bytes: bytesOf(p), TopLogprobs: []chatTopLogprob{}}
		for _, t := range lp.Top {
			tp := b.s.tok.Piece(t.Token)
			c.TopLogprobs = append(c.TopLogprobs, chatTopLogprob{Token: string(tp), Logprob: float64(t.Logprob), Bytes: bytesOf(tp)})
		}
		out = append(out, c)
	}
	return out
}

func (b *respBase) textLogprobs(lps []decode.TokenLogprob, into *textLogprobs) {
	for _, lp := range lps {
		p := b.s.tok.Piece(lp.Token)
		into.Tokens = append(into.Tokens, string(p))
		into.TokenLogprobs = append(into.TokenLogprobs, float64(lp.Logprob))
		top := map[string]float64{}
		for _, t := range lp.Top {
			top[string(b.s.tok.Piece(t.Token))] = float64(t.Logprob)
		}
		into.TopLogprobs = append(into.TopLogprobs, top)
		into.TextOffset = append(into.TextOffset, b.offset)
		b.offset += len(p)
	}
}

// wholeOut collects the text and writes one JSON response.
type wholeOut struct {
	respBase
	w    http.ResponseWriter
	r    *http.Request
	text strings.Builder
	clp  []chatTokenLogprob
	tlp  textLogprobs
}

func (o *wholeOut) piece(text string, lps []decode.TokenLogprob) error {
	o.text.WriteString(text)
	if o.j.logprobs && len(lps) > 0 {
		if o.j.kind == kindChat {
			o.clp = append(o.clp, o.chatLogprobs(lps)...)
		} else {
			o.textLogprobs(lps, &o.tlp)
		}
	}
	return nil
}

func (o *wholeOut) finish(reason string, u engine.Usage) {
	text := o.text.String()
	if o.j.kind == kindChat {
		ch := chatChoice{Index: 0, Message: &assistantMsg{Role: "assistant", Content: &text}, FinishReason: &reason}
		if o.j.logprobs {
			ch.Logprobs = &chatLogprobs{Content: o.clp}
			if ch.Logprobs.Content == nil {
				ch.Logprobs.Content = []chatTokenLogprob{}
			}
		}
		writeJSON(o.w, http.StatusOK, chatCompletion{ID: o.id, Object: "chat.completion", Created: o.created, Model: o.s.cfg.ModelID,
			SystemFingerprint: o.s.fingerprint(), Choices: []chatChoice{ch}, Usage: usageOf(u)})
		return
	}
	ch := textChoice{Text: text, Index: 0, FinishReason: &reason}
	if o.j.logprobs {
		ch.Logprobs = &o.tlp
	}
	writeJSON(o.w, http.StatusOK, textCompletion{ID: o.id, Object: "text_completion", Created: o.created, Model: o.s.cfg.ModelID,
		SystemFingerprint: o.s.fingerprint(), Choices: []textChoice{ch}, Usage: usageOf(u)})
}

func (o *wholeOut) fail(err error) { writeError(o.w, o.r, err) }

func (s *Server) fingerprint() string { return "bitnet-" + s.cfg.Version }

// streamOut writes server-sent events: one chunk per piece of text,
// a final chunk with the finish reason, an optional usage chunk, then
// "data: [DONE]". Headers go out with the first event, so that a request
// that fails before generating (a queue timeout, say) still gets its real
// status. Each write has its own deadline; a failed write ends the request.
type streamOut struct {
	respBase
	w       http.ResponseWriter
	r       *http.Request
	rc      *http.ResponseController
	started bool
}

func (o *streamOut) start() error {
	if o.started {
		return nil
	}
	o.started = true
	h := o.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	o.w.WriteHeader(http.StatusOK)
	if o.j.kind == kindChat {
		empty := ""
		return o.send(o.chatChunk(&assistantMsg{Role: "assistant", Content: &empty}, nil, nil))
	}
	return nil
}

func (o *streamOut) write(b []byte) error {
	if err := o.rc.SetWriteDeadline(time.Now().Add(o.s.cfg.WriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := o.w.Write(b); err != nil {
		return err
	}
	if err := o.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

func (o *streamOut) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf := make([]byte, 0, len(b)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, b...)
	buf = append(buf, "\n\n"...)
	return o.write(buf)
}

func (o *streamOut) chatChunk(delta *assistantMsg, lp *chatLogprobs, finish *string) *chatCompletion {
	c := &chatCompletion{ID: o.id, Object: "chat.completion.chunk", Created: o.created, Model: o.s.cfg.ModelID,
		SystemFingerprint: o.s.fingerprint(), Choices: []chatChoice{{Index: 0, Delta: delta, Logprobs: lp, FinishReason: finish}}}
	return c
}

func (o *streamOut) textChunk(text string, lp *textLogprobs, finish *string) *textCompletion {
	return &textCompletion{ID: o.id, Object: "text_completion", Created: o.created, Model: o.s.cfg.ModelID,
		SystemFingerprint: o.s.fingerprint(), Choices: []textChoice{{Text: text, Index: 0, Logprobs: lp, FinishReason: finish}}}
}

func (o *streamOut) piece(text string, lps []decode.TokenLogprob) error {
	if err := o.start(); err != nil {
		return err
	}
	if o.j.kind == kindChat {
		var lp *chatLogprobs
		if o.j.logprobs && len(lps) > 0 {
			lp = &chatLogprobs{Content: o.chatLogprobs(lps)}
		}
		return o.send(o.chatChunk(&assistantMsg{Content: &text}, lp, nil))
	}
	var lp *textLogprobs
	if o.j.logprobs && len(lps) > 0 {
		lp = &textLogprobs{}
		o.textLogprobs(lps, lp)
	}
	return o.send(o.textChunk(text, lp, nil))
}

func (o *streamOut) finish(reason string, u engine.Usage) {
	if err := o.start(); err != nil {
		return
	}
	var err error
	if o.j.kind == kindChat {
		err = o.send(o.chatChunk(&assistantMsg{}, nil, &reason))
	} else {
		err = o.send(o.textChunk("", nil, &reason))
	}
	if err == nil && o.j.includeUsage {
		if o.j.kind == kindChat {
			err = o.send(&chatCompletion{ID: o.id, Object: "chat.completion.chunk", Created: o.created, Model: o.s.cfg.ModelID,
				SystemFingerprint: o.s.fingerprint(), Choices: []chatChoice{}, Usage: usageOf(u)})
		} else {
			err = o.send(&textCompletion{ID: o.id, Object: "text_completion", Created: o.created, Model: o.s.cfg.ModelID,
				SystemFingerprint: o.s.fingerprint(), Choices: []textChoice{}, Usage: usageOf(u)})
		}
	}
	if err == nil {
		_ = o.write([]byte("data: [DONE]\n\n"))
	}
}

// fail reports err: with its real status before the stream started, as
// one SSE error event after (a client that went away gets nothing).
func (o *streamOut) fail(err error) {
	if !o.started {
		writeError(o.w, o.r, err)
		return
	}
	ae := toAPIError(err)
	info := infoFrom(o.r.Context())
	if ae.Status == statusClientClosed {
		info.logger.Debug("client went away mid-stream")
		return
	}
	info.logger.Warn("stream ended with an error", "code", ae.Code, "err", err.Error())
	_ = o.send(ae.body())
}

// checkThresholds warns about a finished request that missed a configured
// performance threshold: time to first token above MaxTTFT, or decoding
// (tokens after the first, over the time since it) slower than MinGenTokS.
func (s *Server) checkThresholds(ctx context.Context, ttft time.Duration, tokens int, decode time.Duration) {
	if max := s.cfg.MaxTTFT; max > 0 && ttft > max {
		s.metrics.violations.WithLabelValues("max_ttft").Inc()
		s.cfg.Logger.WarnContext(ctx, "time to first token above the threshold", "ttft", ttft.Round(time.Millisecond), "max_ttft", max)
	}
	if min := s.cfg.MinGenTokS; min > 0 && tokens > 1 && decode > 0 {
		if rate := float64(tokens-1) / decode.Seconds(); rate < min {
			s.metrics.violations.WithLabelValues("min_gen_tok_s").Inc()
			s.cfg.Logger.WarnContext(ctx, "generation speed below the threshold", "gen_tok_s", rate, "min_gen_tok_s", min)
		}
	}
}
