package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// problemBase is where each problem type is documented.
const problemBase = "https://github.com/csto-timeline/timeline/blob/main/README.md#"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail"`
	Instance      string         `json:"instance,omitempty"`
	InvalidParams []InvalidParam `json:"invalid_params,omitempty"`
}

// InvalidParam names one bad query parameter and why it was rejected.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Error implements error, so a handler can return a *Problem directly.
func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func notFound(detail string) *Problem {
	return &Problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: detail}
}

// invalidParams turns a validation error from parameter parsing into a 400.
func invalidParams(v *models.ValidationError) *Problem {
	p := &Problem{Type: problemBase + "invalid-parameter", Title: "Invalid query parameter", Status: http.StatusBadRequest}
	for _, f := range v.Fields {
		p.InvalidParams = append(p.InvalidParams, InvalidParam{Name: f.Field, Reason: f.Reason})
	}
	if len(v.Fields) == 1 {
		p.Detail = sentence(fmt.Sprintf("Parameter %q: %s", v.Fields[0].Field, v.Fields[0].Reason))
	} else {
		p.Detail = fmt.Sprintf("%d query parameters are invalid; see invalid_params.", len(v.Fields))
	}
	return p
}

// sentence ends s with a full stop unless it already ends with punctuation.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	return s + "."
}

// problemFor maps any error a handler returns to the problem the client
// sees. Internal detail never leaves the server: 5xx bodies are generic.
func problemFor(err error) *Problem {
	var p *Problem
	var v *models.ValidationError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &v):
		return invalidParams(v)
	case errors.Is(err, models.ErrNotFound):
		return notFound("The requested resource does not exist.")
	case errors.Is(err, models.ErrCorrupt):
		return &Problem{Type: problemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The database is damaged and cannot answer. The operators have been told; retry later."}
	case errors.Is(err, models.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return &Problem{Type: problemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The database is unavailable or the query took too long. Retry later, or narrow the query."}
	}
	return &Problem{Type: problemBase + "internal", Title: "Internal server error", Status: http.StatusInternalServerError,
		Detail: "The server failed to answer. The error has been logged with this request's id."}
}

// handler is a gin handler that returns its error instead of writing it.
type handler func(c *gin.Context) error

// handle adapts a handler to gin: the one place where errors become
// responses.
func handle(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			_ = c.Error(err)
		}
	}
}

// problems is the middleware that writes every error pushed on the context
// (by handle, NoRoute or recovery) as application/problem+json.
// failed, when not nil, sees every error before it is answered.
func problems(log *slog.Logger, failed func(error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors.Last().Err
		if failed != nil {
			failed(err)
		}
		if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
			// The client went away; nobody is left to answer.
			c.Status(499)
			return
		}
		p := problemFor(err)
		if p.Status >= 500 {
			log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(requestIDKey),
				"route", c.FullPath(), "status", p.Status, "error", err)
		}
		if p.Status == http.StatusServiceUnavailable {
			c.Header("Retry-After", "5")
		}
		writeProblem(c, p)
	}
}

// writeProblem answers with p. Its instance is the request's id, the key
// to the server's logs of this occurrence.
func writeProblem(c *gin.Context, p *Problem) {
	p.Instance = requestURN(c)
	h := c.Writer.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Cache-Control", "no-store")
	c.Render(p.Status, problemJSON{p})
}

// problemJSON renders a problem with its own media type.
type problemJSON struct{ p *Problem }

func (r problemJSON) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonEncode(w, r.p)
}

func (r problemJSON) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
}
