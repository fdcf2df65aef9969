// Package api is the HTTP layer: the routes, handlers, query parsing,
// cursors, middleware and renderers of the timeline service. It talks to
// storage only through the Store interface.
package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Store is what the API needs from storage. *models.Store implements it.
type Store interface {
	Ping(ctx context.Context) error
	ListTimelines(ctx context.Context) ([]models.Timeline, error)
	FindTimelineByID(ctx context.Context, id string) (models.Timeline, error)
	// FindEvents returns ErrUnavailable when the database cannot answer.
	FindEvents(ctx context.Context, f models.EventFilter) ([]models.Event, bool, error)
	// FindEventByID returns ErrNotFound for an unknown id.
	FindEventByID(ctx context.Context, id string) (models.Event, error)
	CountEventsByYear(ctx context.Context, f models.EventFilter) ([]models.YearCount, int, error)
}

var _ Store = (*models.Store)(nil)

// Config configures the HTTP layer.
type Config struct {
	Logger *slog.Logger
	// Spec is the OpenAPI document served at /openapi.yaml.
	Spec []byte
	// CursorKey signs paging cursors. Instances behind one load balancer
	// must share it.
	CursorKey []byte
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed.
	// Empty trusts none.
	TrustedProxies []string
}

// server holds the handlers' dependencies.
type server struct {
	store   Store
	log     *slog.Logger
	spec    []byte
	cursors cursorCodec
}

// New returns the router with every route of the service. Keep this list
// next to openapi.yaml: a test checks that they match.
func New(store Store, cfg Config) (*gin.Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key := cfg.CursorKey
	if len(key) == 0 {
		key = []byte("timeline-default-cursor-key")
	}
	s := &server{store: store, log: log, spec: cfg.Spec, cursors: cursorCodec{key: key}}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	r.HandleMethodNotAllowed = false
	r.Use(requestID(), accessLog(log), recovery(log), problems(log))
	r.NoRoute(handle(func(c *gin.Context) error {
		return notFound("There is no resource at this path. See /openapi.yaml for the routes.")
	}))

	r.GET("/healthz", handle(s.healthz))
	r.GET("/readyz", handle(s.readyz))
	r.GET("/openapi.yaml", handle(s.openAPI))

	v1 := r.Group("/v1")
	v1.GET("/timelines", handle(s.listTimelines))
	v1.GET("/timelines/:id", handle(s.getTimeline))
	v1.GET("/events", handle(s.listEvents))
	v1.GET("/events/:id", handle(s.getEvent))
	v1.GET("/years", handle(s.listYears))
	return r, nil
}

// jsonEncode writes v as JSON without HTML escaping: quotes from sources
// keep their "&" and "<" as written.
func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSON answers 200 with a JSON body.
func writeJSON(c *gin.Context, v any) error {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(http.StatusOK)
	return jsonEncode(c.Writer, v)
}
