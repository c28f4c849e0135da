package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/engine"
)

// apiError is an error with an HTTP status and OpenAI's error fields.
type apiError struct {
	Status  int
	Type    string // invalid_request_error, authentication_error, rate_limit_error, server_error
	Code    string // machine-readable: model_not_found, context_length_exceeded, …
	Param   string // the offending request field, or ""
	Message string
	Retry   int // Retry-After seconds, 0 = none
}

func (e *apiError) Error() string { return e.Message }

// errorBody is OpenAI's error JSON: {"error": {...}}.
type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_value", Param: param, Message: fmt.Sprintf(format, args...)}
}

// errClientGone marks a request whose client disconnected; nothing can be
// written and the metrics record status 499.
var errClientGone = errors.New("client closed the request")

// statusClientClosed is nginx's convention for a request the client
// abandoned; it only appears in metrics and logs.
const statusClientClosed = 499

// toAPIError maps any error from the request path (decoding, validation,
// the engine) to the status and error fields sent to the client. It is the
// one place where engine errors become HTTP statuses.
func toAPIError(err error) *apiError {
	var ae *apiError
	var cle *decode.ContextLengthError
	var ire *engine.InvalidRequestError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &cle):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "context_length_exceeded", Param: string(cle.Field),
			Message: "This model's maximum context length is " + strconv.Itoa(cle.Context) + " tokens: " + cle.Error() + "."}
	case errors.As(err, &ire):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_value", Message: ire.Msg}
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
			Message: fmt.Sprintf("the request body exceeds the limit of %d bytes", mbe.Limit)}
	case errors.Is(err, engine.ErrOverloaded):
		return &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "rate_limit_exceeded", Retry: 1,
			Message: "the server is busy: the request queue is full; retry later"}
	case errors.Is(err, engine.ErrDraining), errors.Is(err, engine.ErrClosed), errors.Is(err, errShuttingDown):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "server_shutting_down", Retry: 5,
			Message: "the server is shutting down"}
	case errors.Is(err, engine.ErrStalled):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "stalled", Retry: 1,
			Message: "the response stopped: the client did not read it in time"}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "timeout", Retry: 1,
			Message: "the request did not finish within the server's request timeout"}
	case errors.Is(err, context.Canceled), errors.Is(err, errClientGone):
		return &apiError{Status: statusClientClosed, Type: "invalid_request_error", Code: "request_cancelled", Message: "the request was cancelled"}
	default:
		return &apiError{Status: http.StatusInternalServerError, Type: "server_error", Code: "internal_error", Message: "internal error: " + err.Error()}
	}
}

func (e *apiError) body() errorBody {
	b := errorBody{Error: errorObject{Message: e.Message, Type: e.Type}}
	if e.Param != "" {
		p := e.Param
		b.Error.Param = &p
	}
	if e.Code != "" {
		c := e.Code
		b.Error.Code = &c
	}
	return b
}

// writeError sends err as OpenAI's error JSON with its status. It must be
// called before anything else was written; once a stream has started, use
// sseWriter.fail instead.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	info := infoFrom(r.Context())
	if ae.Status == statusClientClosed {
		info.setStatus(statusClientClosed)
		info.logger.Debug("client went away before the response", "err", err)
		return
	}
	lvl := slog.LevelInfo
	if ae.Status >= 500 {
		lvl = slog.LevelError
	}
	info.logger.Log(r.Context(), lvl, "request failed", "status", ae.Status, "code", ae.Code, "err", err.Error())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if ae.Retry > 0 {
		h.Set("Retry-After", strconv.Itoa(ae.Retry))
	}
	if ae.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="bitnet"`)
	}
	w.WriteHeader(ae.Status)
	_ = json.NewEncoder(w).Encode(ae.body())
}

var errShuttingDown = errors.New("server: shutting down")
