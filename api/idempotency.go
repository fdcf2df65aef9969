package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// idempotencyHeader is the request header of the IETF httpapi draft.
const idempotencyHeader = "Idempotency-Key"

// IdempotencyStore keeps the responses of idempotent requests.
type IdempotencyStore interface {
	// BeginIdempotent returns nil when the caller runs the request, or the
	// stored response; ErrIdempotencyMismatch or ErrIdempotencyInFlight.
	BeginIdempotent(ctx context.Context, keyID, idemKey, fingerprint string) (*models.IdempotentResponse, error)
	FinishIdempotent(ctx context.Context, keyID, idemKey string, r models.IdempotentResponse) error
	AbandonIdempotent(ctx context.Context, keyID, idemKey string) error
	SweepIdempotency(ctx context.Context, now time.Time) (int64, error)
}

// replayedHeaders are the response headers a replay repeats.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "Cache-Control", "Accept-Patch"}

// teeWriter copies what a handler writes, for the idempotency record.
type teeWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) WriteString(s string) (int, error) {
	w.buf.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

// idempotent makes a POST or PATCH with an Idempotency-Key happen once:
// the first response (any but a 5xx) is stored with a fingerprint of the
// request and replayed to every retry of the same request with the same
// key by the same API key, for 24 hours. The response of a write that
// commits is stored in the write's transaction, so that a crash between
// the commit and the answer cannot make a retry write twice; a response
// that wrote nothing (a 4xx, a dry run, an unchanged write) is stored
// after it.
func (s *server) idempotent() gin.HandlerFunc {
	return func(c *gin.Context) {
		ik := c.GetHeader(idempotencyHeader)
		if ik == "" {
			c.Next()
			return
		}
		if len(ik) > 255 || !printableKey(ik) {
			_ = c.Error(&Problem{Type: problemBase + "invalid-header", Title: "Invalid header", Status: http.StatusBadRequest,
				Detail: "Idempotency-Key must be 1 to 255 printable ASCII characters."})
			c.Abort()
			return
		}
		h := sha256.New()
		for _, part := range []string{c.Request.Method, c.Request.URL.RequestURI(), c.GetHeader("Content-Type"), c.GetHeader("If-Match")} {
			io.WriteString(h, part+"\n")
		}
		// The body is hashed as it is read, and kept for the handler in
		// memory when small, else in a temporary file: memory does not
		// grow with an import of many megabytes.
		body, err := spoolBody(c.Request.Body, h, spoolInMemory)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				c.Header("Connection", "close")
				err = models.Errorf(models.ErrTooLarge, "the request body is larger than the %d bytes this operation takes", tooLarge.Limit)
			}
			_ = c.Error(err)
			c.Abort()
			return
		}
		defer body.Close()
		c.Request.Body = body
		fingerprint := hex.EncodeToString(h.Sum(nil))
		keyID := writeKey(c, "", "").ID
		ctx := context.WithoutCancel(c.Request.Context())

		stored, err := s.writes.BeginIdempotent(c.Request.Context(), keyID, ik, fingerprint)
		if err != nil {
			_ = c.Error(err)
			c.Abort()
			return
		}
		if stored != nil {
			for k, vs := range stored.Header {
				c.Writer.Header()[k] = vs
			}
			c.Header("Idempotent-Replayed", "true")
			c.Status(stored.Status)
			_, _ = c.Writer.Write(stored.Body)
			c.Abort()
			return
		}
		// A write the handler makes records its response in its own
		// transaction (see respondInTx); anything else is recorded below.
		claim := &models.IdempotentWrite{KeyID: keyID, Key: ik}
		c.Set(idempotentWriteKey, claim)
		c.Request = c.Request.WithContext(models.WithIdempotentWrite(c.Request.Context(), claim))
		tee := &teeWriter{ResponseWriter: c.Writer}
		c.Writer = tee
		c.Next()
		c.Writer = tee.ResponseWriter
		if claim.Recorded() {
			return // committed with the write, even if the answer failed after
		}
		if len(c.Errors) > 0 && !tee.Written() {
			p := problemFor(c.Errors.Last().Err)
			if p.Status < 500 {
				c.Writer = tee
				writeProblem(c, p)
				c.Writer = tee.ResponseWriter
			}
		}
		status := tee.Status()
		if !tee.Written() || status >= 500 {
			// Nothing or a failure to answer: a retry runs again.
			if err := s.writes.AbandonIdempotent(ctx, keyID, ik); err != nil {
				s.log.Warn("idempotency key not released", "request_id", c.GetString(requestIDKey), "error", err)
			}
			return
		}
		rec := models.IdempotentResponse{Status: status, Header: map[string][]string{}, Body: tee.buf.Bytes()}
		for _, k := range replayedHeaders {
			if vs := tee.Header().Values(k); len(vs) > 0 {
				rec.Header[k] = vs
			}
		}
		if err := s.writes.FinishIdempotent(ctx, keyID, ik, rec); err != nil {
			s.log.Error("idempotent response not stored", "request_id", c.GetString(requestIDKey), "error", err)
		}
	}
}

func printableKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < ' ' || r > '~' {
			return false
		}
	}
	return true
}

// RunIdempotencySweep deletes expired idempotency records every interval
// until ctx ends.
func RunIdempotencySweep(ctx context.Context, store IdempotencyStore, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := store.SweepIdempotency(ctx, now); err != nil {
				log.Warn("idempotency sweep failed", "error", err)
			} else if n > 0 {
				log.Info("idempotency records expired", "deleted", n)
			}
		}
	}
}
