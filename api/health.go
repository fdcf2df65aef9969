package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

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

// readyz says whether the database answers.
func (s *server) readyz(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	if err := s.store.Ping(c.Request.Context()); err != nil {
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
