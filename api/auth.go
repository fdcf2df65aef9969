package api

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// writeDeadline bounds a write once its client has gone.
const writeDeadline = 30 * time.Second

// apiKeyKey holds the authenticated models.APIKey of a write.
const apiKeyKey = "api_key"

// authenticate admits a write with a valid API key (Authorization: Bearer)
// and refuses any other with 401; a key past its write rate gets 429. It
// logs every write once, at info, with the key's id (never the key), the
// action and the resource id the handler recorded.
func (s *server) authenticate(limit *rateLimiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.writes == nil {
			_ = c.Error(models.ErrUnavailable)
			c.Abort()
			return
		}
		h := strings.TrimSpace(c.GetHeader("Authorization"))
		scheme, token, _ := strings.Cut(h, " ")
		var err error
		var key models.APIKey
		switch {
		case h == "":
			err = models.Errorf(models.ErrUnauthorized, "writes need an API key: send Authorization: Bearer <key>")
		case !strings.EqualFold(scheme, "Bearer"):
			err = models.Errorf(models.ErrUnauthorized, "send the API key with the Bearer scheme: Authorization: Bearer <key>")
		default:
			key, err = s.writes.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		}
		if err != nil {
			_ = c.Error(err)
			c.Abort()
			return
		}
		c.Set(apiKeyKey, key)
		// A write that has arrived is finished even if its client hangs
		// up: the retry then finds it done (and, with Idempotency-Key,
		// gets its response) instead of racing a half-cancelled one.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), writeDeadline)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		if limit != nil {
			if ok, wait := limit.allow(key.ID); !ok {
				c.Header("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
				s.metrics.rateLimited.Inc()
				_ = c.Error(&Problem{Type: problemBase + "rate-limited", Title: "Too many requests", Status: http.StatusTooManyRequests,
					Detail: "This API key has sent too many writes. Retry after the number of seconds in Retry-After."})
				c.Abort()
				return
			}
		}
		c.Next()
		status := c.Writer.Status()
		if len(c.Errors) > 0 && !c.Writer.Written() {
			status = problemFor(c.Errors.Last().Err).Status // written later, by problems
		}
		s.log.LogAttrs(context.WithoutCancel(c.Request.Context()), slog.LevelInfo, "write",
			slog.String("request_id", c.GetString(requestIDKey)),
			slog.String("key_id", key.ID),
			slog.String("action", c.GetString(writeActionKey)),
			slog.String("resource", c.GetString(writeResourceKey)),
			slog.Int("status", status),
		)
	}
}

// Context keys a write handler fills for the write log.
const (
	writeActionKey   = "write_action"
	writeResourceKey = "write_resource"
)

// writeKey returns the request's API key and records what it does.
func writeKey(c *gin.Context, action, resource string) models.APIKey {
	c.Set(writeActionKey, action)
	c.Set(writeResourceKey, resource)
	key, _ := c.Get(apiKeyKey)
	k, _ := key.(models.APIKey)
	return k
}

// bodyLimit caps the request body of a route at n bytes: a declared
// length past it is refused at once, and a body of unknown length fails
// to read past it (see readObject).
func bodyLimit(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			c.Header("Connection", "close")
			_ = c.Error(models.Errorf(models.ErrTooLarge, "the request body has %d bytes; this operation takes at most %d",
				c.Request.ContentLength, n))
			c.Abort()
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}
