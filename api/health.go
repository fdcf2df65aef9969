package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// readyTimeout bounds the readiness check's ping, so that /readyz answers
// within seconds even when the database hangs instead of refusing.
const readyTimeout = 2 * time.Second

type healthBody struct {
	Status string `json:"status"`
}

// healthz says the process is alive. It never touches the database.
func (s *server) healthz(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	return writeJSON(c, healthBody{Status: "ok"})
}

// readyz says whether this instance should get traffic: not while it shuts
// down, and only while the database answers within readyTimeout.
func (s *server) readyz(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	if s.ready != nil && !s.ready() {
		return &Problem{Type: problemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The server is shutting down."}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	err := s.store.Ping(ctx)
	if err != nil {
		s.storeFailed(err)
	}
	if s.corrupt.Load() {
		return &Problem{Type: problemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The database file is corrupt: restore it from a backup and restart the server."}
	}
	if err != nil {
		s.log.Warn("readiness check failed", "error", err)
		return &Problem{Type: problemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The database does not answer."}
	}
	return writeJSON(c, healthBody{Status: "ok"})
}

// openAPI serves the API contract.
func (s *server) openAPI(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", s.spec)
	return nil
}
