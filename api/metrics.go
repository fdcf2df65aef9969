package api

import (
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus metrics of one router. Each router has its own
// registry, so that building many routers (as tests do) never registers a
// metric twice.
type metrics struct {
	registry     *prometheus.Registry
	handler      http.Handler
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	rowsReturned *prometheus.CounterVec
	rowsExported *prometheus.CounterVec
	rateLimited  prometheus.Counter
}

// pooler is implemented by a store that can show its connection pool, as
// *models.Store does; its statistics are then exported too.
type pooler interface {
	Pool() (*sql.DB, error)
}

func newMetrics(store Store, log *slog.Logger) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "timeline", Name: "http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "timeline", Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route", "status"}),
		rowsReturned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "timeline", Name: "rows_returned_total",
			Help: "Records (events, timelines, year counts) sent in responses, by route pattern.",
		}, []string{"route"}),
		rowsExported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "timeline", Name: "rows_exported_total",
			Help: "Events written by streamed exports, by format.",
		}, []string{"format"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "timeline", Name: "rate_limited_total",
			Help: "Requests refused with 429 because their client exceeded the rate limit.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.rowsReturned, m.rowsExported, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if p, ok := store.(pooler); ok {
		if db, err := p.Pool(); err == nil {
			reg.MustRegister(collectors.NewDBStatsCollector(db, "timeline"))
		}
	}
	if r, ok := store.(replicaReporter); ok && r.Replicas() != nil {
		reg.MustRegister(newReplicaCollector(r))
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m
}

// observe counts every request and its duration under its route pattern
// (never the raw path, which would make one series per id).
func (m *metrics) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := routeLabel(c)
		status := strconv.Itoa(c.Writer.Status())
		method := methodLabel(c.Request.Method)
		m.requests.WithLabelValues(method, route, status).Inc()
		m.duration.WithLabelValues(method, route, status).Observe(time.Since(start).Seconds())
		if n := c.GetInt("rows"); n > 0 {
			m.rowsReturned.WithLabelValues(route).Add(float64(n))
		}
	}
}

// countRowsExported adds n events written by a streamed export in format
// (csv, ndjson, …) to timeline_rows_exported_total. Call it as rows are
// flushed, so a scrape during a long export sees progress.
func (s *server) countRowsExported(format string, n int) {
	s.metrics.rowsExported.WithLabelValues(format).Add(float64(n))
}

// metricsEndpoint serves the Prometheus metrics.
func (s *server) metricsEndpoint(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	s.metrics.handler.ServeHTTP(c.Writer, c.Request)
	return nil
}

func routeLabel(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// methodLabel keeps the method label to a fixed set: a client can send any
// token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
