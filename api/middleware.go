package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const requestIDKey = "request_id"

// requestID gives every request an id, returned as X-Request-ID. A
// client-supplied id is kept when it is short and printable.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !printableID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

// requestURN is the request's id as a URI, the instance of its problems.
func requestURN(c *gin.Context) string {
	return "urn:request:" + url.PathEscape(c.GetString(requestIDKey))
}

func printableID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r < '!' || r > '~' {
			return false
		}
	}
	return true
}

// accessLog logs one structured line a request: the route pattern, not the
// raw path or query string, so no client-supplied text (an id, a search
// term, a cursor) is logged verbatim. Handlers record how many records they
// sent with c.Set("rows", n).
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("request_id", c.GetString(requestIDKey)),
			slog.String("method", methodLabel(c.Request.Method)),
			slog.String("route", routeLabel(c)),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
			slog.Int("rows", c.GetInt("rows")),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.String("client_ip", c.ClientIP()),
		)
	}
}

// extendWriteDeadline gives a streamed response another write timeout from
// now. The server's WriteTimeout bounds a whole response; a long export
// calls this before each chunk so that it is cut off only when one chunk
// stalls, not when the whole export takes long.
func (s *server) extendWriteDeadline(c *gin.Context) error {
	return http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(s.writeTimeout))
}

// recovery turns a panic into a logged 500 problem.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r) // a deliberately broken connection, see export
				}
				log.Error("panic", "request_id", c.GetString(requestIDKey), "panic", fmt.Sprint(r))
				if !c.Writer.Written() {
					writeProblem(c, problemFor(fmt.Errorf("panic: %v", r)))
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// noRoute answers a request no route matched: a redirect to the same path
// without its trailing slash when that path is a route, a 404 otherwise.
// It runs behind the middleware, so a redirect carries the same headers,
// log line and metrics as any other response.
func noRoute(r *gin.Engine) handler {
	return func(c *gin.Context) error {
		p := c.Request.URL.Path
		// A path sent with needless escapes (RawPath set) is never
		// redirected to a route: /v1%2Fevents/ must not lead to /v1/events.
		if trimmed := strings.TrimSuffix(p, "/"); c.Request.URL.RawPath == "" && trimmed != p && trimmed != "" &&
			matchesRoute(r.Routes(), c.Request.Method, trimmed) {
			u := *c.Request.URL
			u.Path, u.RawPath = trimmed, ""
			c.Redirect(http.StatusMovedPermanently, u.RequestURI())
			return nil
		}
		return notFound("There is no resource at this path. See /openapi.yaml for the routes.")
	}
}

// matchesRoute reports whether path is served by one of routes for method.
func matchesRoute(routes gin.RoutesInfo, method, path string) bool {
	segs := strings.Split(path, "/")
	for _, rt := range routes {
		if rt.Method != method {
			continue
		}
		pattern := strings.Split(rt.Path, "/")
		if len(pattern) != len(segs) {
			continue
		}
		ok := true
		for i, p := range pattern {
			switch {
			case strings.HasPrefix(p, ":"):
				ok = ok && segs[i] != ""
			default:
				ok = ok && p == segs[i]
			}
		}
		if ok {
			return true
		}
	}
	return false
}
