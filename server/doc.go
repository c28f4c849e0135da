// Package server is the OpenAI-compatible HTTP front end of an engine: it
// turns JSON requests into engine.Requests, relays the engine's events as
// one JSON response or a server-sent-event stream, and maps every error
// to OpenAI's error JSON and an HTTP status (toAPIError, writeError).
//
// # Routes
//
//	POST /v1/chat/completions  chat messages, rendered by the chat template
//	POST /v1/completions       a text or token-id prompt
//	GET  /v1/models, /v1/models/{id}
//	GET  /health               liveness
//	GET  /ready                503 while draining
//	GET  /metrics              Prometheus
//
// # Contract with the engine
//
// The server validates the request's fields and calls engine.Submit; the
// engine alone owns admission: the queue bound (engine.ErrOverloaded, sent
// as 429 with Retry-After), the context-length check (a
// *decode.ContextLengthError, sent as 400 context_length_exceeded with the
// blamed field as "param") and request checks (engine.InvalidRequestError).
// The server installs no hooks on the engine and keeps no queue of its
// own. Request timings (queue, prefill and decode spans, time to first
// token, thresholds) come from the engine.Timings on each Event, batch
// annotations from Event.Step, and the per-step histograms from
// engine.Stats. The engine's finish (a decode.Finish) becomes OpenAI's
// finish_reason through Finish.Reason. A reader that stops taking events
// has its sequence cancelled by the engine (engine.ErrStalled, 503).
//
// # Gauges for inference gateways and autoscalers (KEDA)
//
//	bitnet_requests_waiting      requests queued in the engine, not yet admitted (Stats.Queued)
//	bitnet_requests_running      sequences admitted (Stats.Active)
//	bitnet_kv_cache_usage_ratio  KV blocks referenced by a sequence over all blocks, 0 to 1
//
// Shutdown turns /ready to 503, drains HTTP, then drains and closes the
// engine.
package server
