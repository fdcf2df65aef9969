package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

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
	// RetractedAt is when a retracted event was retracted (410 only).
	RetractedAt *time.Time `json:"retracted_at,omitempty"`
	// header holds response headers the problem needs (WWW-Authenticate,
	// the current ETag of a 412).
	header http.Header
}

// InvalidParam names one bad query parameter, or one bad field of a
// request body as a JSON Pointer, and why it was rejected.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Error implements error, so a handler can return a *Problem directly.
func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func notFound(detail string) *Problem {
	return &Problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: detail}
}

// problemKind is how one kind of error is answered.
type problemKind struct {
	kind   error
	status int
	slug   string // the problem type, an anchor in README.md
	title  string
	detail string // when the error carries no client-safe detail
}

// problemKinds is the one table from error kinds to problems. Every kind
// models declares is here (a test checks it), so none falls through to 500.
var problemKinds = []problemKind{
	{models.ErrNotFound, http.StatusNotFound, "not-found", "Not found", "The requested resource does not exist."},
	// A bare ErrInvalid, without the fields a *ValidationError names.
	{models.ErrInvalid, http.StatusUnprocessableEntity, "invalid-body", "Invalid request", "The request is invalid."},
	{models.ErrMalformed, http.StatusBadRequest, "malformed-body", "Malformed request body",
		"The request body is not a valid JSON document."},
	{models.ErrUnsupportedMediaType, http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		"The request body has a media type this operation does not take."},
	{models.ErrTooLarge, http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large",
		"The request body is larger than this operation takes."},
	{models.ErrConflict, http.StatusConflict, "conflict", "Conflict", "The write conflicts with the current state."},
	{models.ErrPreconditionRequired, http.StatusPreconditionRequired, "precondition-required", "Precondition required",
		"This write must name the version it changes: send If-Match with the ETag of a GET."},
	{models.ErrPreconditionFailed, http.StatusPreconditionFailed, "precondition-failed", "Precondition failed",
		"The resource changed since the version named in If-Match; its current ETag is in the ETag header."},
	{models.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized",
		"Writes need an API key: send Authorization: Bearer <key>."},
	{models.ErrForbidden, http.StatusForbidden, "forbidden", "Forbidden", "This API key does not allow this write."},
	{models.ErrGone, http.StatusGone, "gone", "Gone", "The resource was retracted."},
	{models.ErrIdempotencyInFlight, http.StatusConflict, "idempotency-in-flight", "Request in progress",
		"A request with this Idempotency-Key is still being processed; retry later."},
	{models.ErrIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
		"This Idempotency-Key was used with a different request."},
	// ErrCorrupt matches ErrUnavailable too: it comes first for its own words.
	{models.ErrCorrupt, http.StatusServiceUnavailable, "unavailable", "Service unavailable",
		"The database is damaged and cannot answer. The operators have been told; retry later."},
	{models.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable",
		"The database is unavailable or the query took too long. Retry later, or narrow the query."},
}

// validationProblem turns a validation error into a problem whose title
// fits where the fields are: 400 for query parameters, 422 for the fields
// of a request body (named by JSON Pointers).
func validationProblem(v *models.ValidationError) *Problem {
	p := &Problem{Type: problemBase + "invalid-parameter", Title: "Invalid query parameter", Status: http.StatusBadRequest}
	what := "Parameter"
	plural := "query parameters are invalid"
	if v.In == models.InBody {
		p.Type, p.Title, p.Status = problemBase+"invalid-body", "Invalid request body", http.StatusUnprocessableEntity
		what, plural = "Field", "fields of the request body are invalid"
	}
	for _, f := range v.Fields {
		p.InvalidParams = append(p.InvalidParams, InvalidParam{Name: f.Field, Reason: f.Reason})
	}
	if len(v.Fields) == 1 {
		p.Detail = sentence(fmt.Sprintf("%s %q: %s", what, v.Fields[0].Field, v.Fields[0].Reason))
	} else {
		p.Detail = fmt.Sprintf("%d %s; see invalid_params.", len(v.Fields), plural)
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
// sees. Internal detail never leaves the server: 5xx bodies are generic,
// and other kinds show only the detail models wrote for clients.
func problemFor(err error) *Problem {
	var p *Problem
	var v *models.ValidationError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &v):
		return validationProblem(v)
	case errors.Is(err, context.DeadlineExceeded):
		err = models.ErrUnavailable
	}
	for _, k := range problemKinds {
		if !errors.Is(err, k.kind) {
			continue
		}
		p := &Problem{Type: problemBase + k.slug, Title: k.title, Status: k.status, Detail: k.detail}
		if d := models.Detail(err); d != "" && k.status < 500 {
			p.Detail = sentence(d)
		}
		p.header = http.Header{}
		var stale *models.StaleError
		var gone *models.RetractedError
		switch {
		case errors.As(err, &stale):
			p.header.Set("ETag", versionETag(stale.Current))
		case errors.As(err, &gone):
			at := gone.RetractedAt.UTC()
			p.RetractedAt = &at
			p.Detail = fmt.Sprintf("The event %q was retracted at %s; its revisions remain at /v1/events/%s/revisions.",
				gone.ID, at.Format(time.RFC3339), gone.ID)
			p.header.Set("ETag", versionETag(gone.Version))
		case k.kind == models.ErrUnauthorized:
			p.header.Set("WWW-Authenticate", `Bearer realm="timeline"`)
		}
		return p
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
		err := h(c)
		if err != nil && retryRead(c, err) {
			err = h(c)
		}
		if err != nil {
			_ = c.Error(err)
		}
	}
}

// problems is the middleware that writes every error pushed on the context
// (by handle, NoRoute or recovery) as application/problem+json.
// failed, when not nil, sees every error before it is answered.
//
// asPage, when not nil, may answer the problem instead as an HTML page (for
// the pages' routes, whose readers are people); it reports whether it did.
func problems(log *slog.Logger, failed func(error), asPage func(*gin.Context, *Problem) bool) gin.HandlerFunc {
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
		if asPage != nil && asPage(c, p) {
			return
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
	for k, vs := range p.header {
		h[k] = vs
	}
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
