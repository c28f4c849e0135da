package server

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bitnet-go/bitnet/engine"
)

// metrics holds the Prometheus families of one Server, in a registry of
// its own (several servers in one process, as in tests, do not collide).
type metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	inflight     prometheus.Gauge
	promptTokens prometheus.Counter
	cachedTokens prometheus.Counter
	genTokens    prometheus.Counter
	finished     *prometheus.CounterVec
	ttft         prometheus.Histogram
	violations   *prometheus.CounterVec
	itl          prometheus.Histogram
}

// latencyBuckets span 1 ms to ~16 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 15)

func newMetrics(s *Server) *metrics {
	const ns = "bitnet"
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
		Help: "HTTP requests by endpoint and status code (499: the client went away)."}, []string{"endpoint", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "request_duration_seconds",
		Help: "HTTP request duration by endpoint, streams until their last byte.", Buckets: latencyBuckets}, []string{"endpoint"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "requests_in_flight",
		Help: "HTTP requests being served."})
	m.promptTokens = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "prompt_tokens_total",
		Help: "Prompt tokens of finished generation requests."})
	m.cachedTokens = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "prompt_cached_tokens_total",
		Help: "Prompt tokens reused from shared KV blocks (prefix cache hits)."})
	m.genTokens = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "generated_tokens_total",
		Help: "Generated (completion) tokens."})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "generations_total",
		Help: "Finished generation requests by finish reason (stop, length, cancelled, timeout, stalled, error, rejected)."}, []string{"reason"})
	m.violations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "threshold_violations_total",
		Help: "Requests that missed a configured performance threshold (min_gen_tok_s, max_ttft)."}, []string{"threshold"})
	m.ttft = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "time_to_first_token_seconds",
		Help: "Time from submission (queueing included) to the first generated token.", Buckets: latencyBuckets})
	m.itl = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "inter_token_latency_seconds",
		Help: "Time between consecutive generated tokens of one request.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15)})

	eng := s.eng
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: name, Help: help}, f)
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help: "Build and model information; the value is always 1.",
		ConstLabels: prometheus.Labels{"version": s.cfg.Version, "goversion": runtime.Version(), "model": s.cfg.ModelID,
			"kv_type": s.cfg.KVType, "context": strconv.Itoa(eng.Config().Context)}})
	buildInfo.Set(1)
	loadTime := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "model_load_seconds",
		Help: "Time taken to load the model at startup."})
	loadTime.Set(s.cfg.ModelLoadTime.Seconds())

	m.reg.MustRegister(m.requests, m.duration, m.inflight, m.promptTokens, m.cachedTokens, m.genTokens, m.finished,
		m.ttft, m.violations, m.itl, buildInfo, loadTime, newStepCollector(eng),
		gauge("queue_depth", "Requests waiting for admission.", func() float64 { return float64(eng.Stats().Queued) }),
		gauge("active_sequences", "Sequences being prefilled or decoded.", func() float64 { return float64(eng.Stats().Active) }),
		gauge("last_batch_size", "Rows in the latest forward step.", func() float64 { return float64(eng.Stats().LastBatch) }),
		gauge("kv_blocks_used", "KV cache blocks referenced by a sequence.", func() float64 { return float64(eng.Stats().KV.Used) }),
		gauge("kv_blocks_free", "KV cache blocks neither used nor cached.", func() float64 { return float64(eng.Stats().KV.Free) }),
		gauge("kv_blocks_cached", "Unreferenced KV blocks kept for prefix reuse (evictable).", func() float64 { return float64(eng.Stats().KV.Cached) }),
		gauge("kv_blocks_total", "KV cache blocks in the pool.", func() float64 { return float64(eng.Stats().KV.Blocks) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "stalled_sequences_total",
			Help: "Sequences the engine cancelled because their reader left the event buffer full past the stall timeout."},
			func() float64 { return float64(eng.Stats().Stalled) }),
		// Inference-gateway / KEDA signals, read from the engine's state.
		gauge("requests_waiting", "Requests queued in the engine, not yet admitted.", func() float64 { return float64(eng.Stats().Queued) }),
		gauge("requests_running", "Sequences admitted by the engine (prefilling or decoding).", func() float64 { return float64(eng.Stats().Active) }),
		gauge("kv_cache_usage_ratio", "KV cache blocks referenced by a sequence over all blocks (0-1).", func() float64 {
			kv := eng.Stats().KV
			if kv.Blocks == 0 {
				return 0
			}
			return float64(kv.Used) / float64(kv.Blocks)
		}),
		gauge("ready", "1 while the server accepts requests, 0 while draining.", func() float64 {
			if s.draining.Load() {
				return 0
			}
			return 1
		}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) request(endpoint string, status int, dur time.Duration) {
	m.requests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(endpoint).Observe(dur.Seconds())
}

// stepCollector exports the engine's per-step histograms (Stats.StepRows,
// Stats.StepSeconds) at scrape time: the engine counts, the server reads.
type stepCollector struct {
	eng        *engine.Engine
	rows, secs *prometheus.Desc
}

func newStepCollector(eng *engine.Engine) *stepCollector {
	return &stepCollector{eng: eng,
		rows: prometheus.NewDesc("bitnet_batch_size", "Rows (tokens of all sequences) per batched forward step.", nil, nil),
		secs: prometheus.NewDesc("bitnet_step_duration_seconds", "Duration of one batched forward step.", nil, nil)}
}

func (c *stepCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.rows; ch <- c.secs }

func (c *stepCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.eng.Stats()
	ch <- constHistogram(c.rows, st.StepRows)
	ch <- constHistogram(c.secs, st.StepSeconds)
}

// constHistogram turns an engine histogram (counts per bucket) into
// Prometheus's cumulative form.
func constHistogram(d *prometheus.Desc, h engine.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, b := range h.Bounds {
		cum += h.Counts[i]
		buckets[b] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Count, h.Sum, buckets)
}
