// Package api is the HTTP layer: the routes, handlers, query parsing,
// cursors, middleware and renderers of the timeline service. It talks to
// storage only through the Store interface.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

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
	// CountEvents returns how many events match f, paging ignored: the
	// number an export of f sends as X-Total-Count.
	CountEvents(ctx context.Context, f models.EventFilter) (int, error)
	// FindEventByID returns ErrNotFound for an unknown id.
	FindEventByID(ctx context.Context, id string) (models.Event, error)
	CountEventsByYear(ctx context.Context, f models.EventFilter) ([]models.YearCount, int, error)
	// StreamEvents calls start with the number of matching events, then fn
	// with batches of them, all read in one snapshot.
	StreamEvents(ctx context.Context, f models.EventFilter, batch int, start func(total int) error,
		fn func([]models.Event) error) error
	// DatasetState identifies the current content, for ETags.
	DatasetState(ctx context.Context) (models.DatasetState, error)
	// CountFacets counts the events matching f by year, type, status,
	// actor, place and tag. A q SQLite cannot run is a ValidationError.
	CountFacets(ctx context.Context, f models.EventFilter) (models.Facets, error)
	// NamedIDs returns the ids each actor (kind "actor") or place ("place")
	// name answers to.
	NamedIDs(ctx context.Context, kind string, values []string) (map[string][]string, error)
	// FindActors, FindPlaces and FindTags return one page of the catalog
	// in id order, and whether more follow.
	FindActors(ctx context.Context, f models.CatalogFilter) ([]models.ActorUsage, bool, error)
	FindPlaces(ctx context.Context, f models.CatalogFilter) ([]models.PlaceUsage, bool, error)
	FindTags(ctx context.Context, f models.CatalogFilter) ([]models.TagUsage, bool, error)
	// FindActorByID and FindPlaceByID return ErrNotFound for an unknown id.
	FindActorByID(ctx context.Context, id string) (models.ActorUsage, error)
	FindPlaceByID(ctx context.Context, id string) (models.PlaceUsage, error)
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
	// Ready, when set, reports whether the process still takes new work.
	// While it returns false /readyz answers 503 without asking the
	// database: main turns it false on SIGTERM, so that load balancers stop
	// routing here before the listener closes. Nil means always ready.
	Ready func() bool
	// RateLimit is how many requests a second one client IP may send on
	// average, and RateBurst how many it may send at once; past that it is
	// answered 429. Zero RateLimit turns limiting off. Health probes and
	// /metrics are never limited.
	RateLimit float64
	RateBurst int
	// RateLimitLoopback limits clients on the loopback interface too. By
	// default a request whose connection and client address are both
	// loopback (a notebook on the same laptop) is never limited; main sets
	// this when RATE_LIMIT_RPS is given explicitly.
	RateLimitLoopback bool
	// WriteTimeout is the http.Server's WriteTimeout: how long a response,
	// or one chunk of a streamed one (see extendWriteDeadline), may take
	// to write. Zero means 60 seconds.
	WriteTimeout time.Duration
	// CacheMaxAge is the Cache-Control max-age of /v1 responses.
	CacheMaxAge time.Duration
	// MetricsMux, when set, gets GET /metrics instead of the router, which
	// then answers 404 there: main serves it on METRICS_ADDR, off the
	// public port.
	MetricsMux *http.ServeMux
	// MaxExports is how many streamed exports may run at once; one more
	// is answered 503. Each holds a database connection for as long as its
	// client reads, so it must stay below the pool size. Zero means half
	// the store's pool (at least one), or 4 for a store without a pool.
	MaxExports int
	// Readme is the README, whose examples /docs shows. Optional.
	Readme []byte
	// WriteRateLimit is how many writes a second one API key may send on
	// average, and WriteRateBurst how many at once; zero turns the limit
	// off. It is apart from the per-IP limit, which writes skip.
	WriteRateLimit float64
	WriteRateBurst int
	// ImportBodyLimit is the largest body POST /v1/timelines/{id}/import
	// takes; zero means DefaultImportBodyLimit.
	ImportBodyLimit int64
}

// DefaultCursorKey signs cursors when Config.CursorKey is empty. It is in
// the source for anyone to read: main refuses it against PostgreSQL unless
// told otherwise.
const DefaultCursorKey = "timeline-default-cursor-key"

// server holds the handlers' dependencies.
type server struct {
	store Store
	// writes is the store's write side; nil when the store has none, and
	// then every write answers 503.
	writes  WriteStore
	log     *slog.Logger
	spec    []byte
	cursors cursorCodec
	cache   cacheState
	ready   func() bool
	metrics *metrics
	// writeTimeout is how far extendWriteDeadline pushes the deadline.
	writeTimeout time.Duration
	// specJSON is spec converted to JSON, for /openapi.json.
	specJSON []byte
	// exports holds one token per running export; its capacity is the
	// most that may run at once.
	exports chan struct{}
	// corrupt is set once the store has reported a damaged database: it
	// does not heal by itself, so /readyz answers 503 from then on.
	corrupt atomic.Bool
	// pages renders the HTML pages (see pages.go).
	pages *pages
}

// storeFailed notes what a failed request says about the database.
func (s *server) storeFailed(err error) {
	if errors.Is(err, models.ErrCorrupt) && !s.corrupt.Swap(true) {
		s.log.Error("the database is corrupt; /readyz now answers 503 until the file is restored and the server restarted",
			"error", err)
	}
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
		key = []byte(DefaultCursorKey)
	}
	specJSON, err := specToJSON(cfg.Spec)
	if err != nil {
		return nil, err
	}
	s := &server{store: store, log: log, spec: cfg.Spec, specJSON: specJSON, cursors: cursorCodec{key: key}, ready: cfg.Ready,
		metrics: newMetrics(store, log), writeTimeout: cfg.WriteTimeout}
	s.cache = newCacheState(cfg.CacheMaxAge, cfg.Spec, key)
	s.writes, _ = store.(WriteStore)
	var writeLimit *rateLimiter
	if cfg.WriteRateLimit > 0 {
		writeLimit = newRateLimiter(cfg.WriteRateLimit, cfg.WriteRateBurst)
	}
	if s.writeTimeout <= 0 {
		s.writeTimeout = 60 * time.Second
	}
	s.exports = make(chan struct{}, exportSlots(store, cfg.MaxExports))

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	r.HandleMethodNotAllowed = false
	// Route on the path as sent: /%6detrics or /v1%2Fevents is no route
	// (404), so a proxy rule on /metrics or /v1/ cannot be dodged by
	// encoding a letter or a slash. Path parameters are still unescaped.
	r.UseRawPath = true
	r.UnescapePathValues = true
	// Outermost first: every response, the problems written below
	// included, gets an id, the security headers, a log line and metrics.
	r.Use(requestID(), securityHeaders(), accessLog(log), s.metrics.observe(), recovery(log), problems(log, s.storeFailed, s.problemAsPage), publicCORS())
	if cfg.RateLimit > 0 {
		r.Use(rateLimit(newRateLimiter(cfg.RateLimit, cfg.RateBurst), s.metrics, !cfg.RateLimitLoopback))
	}
	r.Use(limitQuery(), s.consistency())
	// Trailing slashes are redirected by noRoute rather than by gin, which
	// would answer before any middleware ran.
	r.RedirectTrailingSlash = false
	r.NoRoute(noBody(), handle(noRoute(r)))

	// Public reads: no authentication, no request body.
	public := r.Group("", noBody())
	public.GET("/healthz", handle(s.healthz))
	public.GET("/readyz", handle(s.readyz))
	public.GET("/openapi.yaml", handle(s.openAPI))
	public.GET("/openapi.json", handle(s.openAPIJSON))
	if cfg.MetricsMux != nil {
		cfg.MetricsMux.Handle("GET /metrics", s.metrics.handler)
	} else {
		public.GET("/metrics", handle(s.metricsEndpoint))
	}

	v1 := public.Group("/v1")
	v1.GET("/timelines", handle(s.listTimelines))
	v1.GET("/timelines/:id", handle(s.getTimeline))
	v1.GET("/events", handle(s.listEvents))
	v1.GET("/events.json", handle(s.listEventsAs(formatJSON)))
	v1.GET("/events.csv", handle(s.listEventsAs(formatCSV)))
	v1.GET("/events.ndjson", handle(s.listEventsAs(formatNDJSON)))
	v1.GET("/events/:id", handle(s.getEvent))
	v1.GET("/years", handle(s.listYears))
	v1.GET("/facets", handle(s.listFacets))
	v1.GET("/actors", handle(s.listActors))
	v1.GET("/actors/:id", handle(s.getActor))
	v1.GET("/places", handle(s.listPlaces))
	v1.GET("/places/:id", handle(s.getPlace))
	v1.GET("/tags", handle(s.listTags))
	v1.GET("/events/:id/revisions", handle(s.listRevisions))
	v1.GET("/events/:id/revisions/:n", handle(s.getRevision))
	v1.GET("/changes", handle(s.listChanges))
	v1.GET("/timelines/:id/feed.atom", handle(s.timelineAtom))
	// The pages for people (pages*.go), and /oembed, which describes
	// them to CMSs. HTML pages are not API operations: openapi.yaml
	// documents /oembed only.
	if err := s.preparePages(cfg.Readme); err != nil {
		return nil, err
	}
	public.GET("/", s.page(s.homePage))
	public.GET("/timelines/:id", s.page(s.timelinePage))
	public.GET("/events/:id", s.page(s.eventPage))
	public.GET("/embed/timelines/:id", s.embedPage)
	public.GET("/docs", s.page(s.docsPage))
	public.GET("/static/:hash/*path", handle(s.pages.assets.serve))
	public.GET("/oembed", handle(s.oEmbed))
	// Every GET also answers HEAD (monitors and `curl -I` use it): the same
	// handler, headers and status; net/http drops the body.
	for _, route := range r.Routes() {
		if route.Method == http.MethodGet {
			public.HEAD(route.Path, route.HandlerFunc)
		}
	}

	// Writes: an API key (401/403), its own rate limit, a body limit per
	// route, and Idempotency-Key on POST and PATCH.
	w := r.Group("/v1", s.authenticate(writeLimit))
	events, records := bodyLimit(maxEventBody), bodyLimit(maxRecordBody)
	once := s.idempotent()
	w.POST("/events", events, once, handle(s.createEvent))
	w.PUT("/events/:id", events, handle(s.replaceEvent))
	w.PATCH("/events/:id", events, once, handle(s.patchEvent))
	w.DELETE("/events/:id", records, handle(s.deleteEvent))
	w.POST("/timelines", records, once, handle(s.createRecord(timelineRecord())))
	w.PATCH("/timelines/:id", records, once, handle(s.patchRecord(timelineRecord())))
	w.DELETE("/timelines/:id", records, handle(s.deleteTimeline))
	w.POST("/actors", records, once, handle(s.createRecord(actorRecord())))
	w.PATCH("/actors/:id", records, once, handle(s.patchRecord(actorRecord())))
	w.POST("/places", records, once, handle(s.createRecord(placeRecord())))
	w.PATCH("/places/:id", records, once, handle(s.patchRecord(placeRecord())))
	w.POST("/sources", records, once, handle(s.createRecord(sourceRecord())))
	importLimit := cfg.ImportBodyLimit
	if importLimit <= 0 {
		importLimit = DefaultImportBodyLimit
	}
	w.POST("/timelines/:id/import", bodyLimit(importLimit), once, handle(s.importTimeline))
	w.PATCH("/sources/:id", records, once, handle(s.patchRecord(sourceRecord())))
	return r, nil
}

// exportSlots is how many exports may run at once: n when set, else half
// the store's connection pool, so that slow downloads never take every
// connection from the other requests.
func exportSlots(store Store, n int) int {
	if n > 0 {
		return n
	}
	if p, ok := store.(pooler); ok {
		if db, err := p.Pool(); err == nil && db.Stats().MaxOpenConnections > 0 {
			return max(1, db.Stats().MaxOpenConnections/2)
		}
	}
	return 4
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
	return writeJSONStatus(c, http.StatusOK, v)
}

// writeJSONStatus answers status with a JSON body.
func writeJSONStatus(c *gin.Context, status int, v any) error {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(status)
	return jsonEncode(c.Writer, v)
}
