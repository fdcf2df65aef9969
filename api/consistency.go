package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// consistencyHeader carries a write's consistency token to the client, and
// the token back with a read that must see the write.
const consistencyHeader = "Timeline-Consistency"

// consistencyParam is the query parameter form of the token, for clients
// that cannot set headers (links, browsers' EventSource).
const consistencyParam = "consistency"

// tokenSource is implemented by a store that reads from replicas, as
// *models.Store does: its token is the primary's WAL position, 0 when
// there are no replicas.
type tokenSource interface {
	ConsistencyToken(ctx context.Context) (models.ConsistencyToken, error)
}

// consistency chooses, for each request, which database its reads may go
// to (see models.WithReadPolicy). A write reads the primary, and its
// success response carries the token of the primary's position after the
// commit. A read that presents a token, in the Timeline-Consistency
// header or the consistency parameter, is served by a replica only if it
// has replayed past the token; the parameter is removed before the
// handler sees it, so it neither trips the strict parameter check nor
// changes the ETag. Without replicas the policy changes nothing and no
// token is sent.
func (s *server) consistency() gin.HandlerFunc {
	tokens, _ := s.store.(tokenSource)
	return func(c *gin.Context) {
		r := c.Request
		if isWrite(r.Method) {
			c.Request = r.WithContext(models.WithReadPolicy(r.Context(), true, 0))
			if tokens == nil {
				c.Next()
				return
			}
			w := &tokenWriter{ResponseWriter: c.Writer, ctx: r.Context(), tokens: tokens}
			c.Writer = w
			c.Next()
			// A response without a body (204) has its header sent by
			// gin after the handlers, past the wrapper. A write that
			// failed has its problem written later, by the problems
			// middleware, while the status still reads 200: it gets
			// no token.
			if len(c.Errors) == 0 {
				w.addToken()
			}
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			// A read that carries a token must not be answered by an
			// HTTP cache (the browser's, a CDN) with a response stored
			// for a read without one: with max-age, it would never
			// reach us. The parameter is part of the URL, so of the
			// cache key, already.
			c.Writer.Header().Add("Vary", consistencyHeader)
		}
		raw, in, name := r.Header.Get(consistencyHeader), models.InQuery, consistencyHeader
		q := r.URL.Query()
		if q.Has(consistencyParam) {
			if raw == "" {
				raw, name = q.Get(consistencyParam), consistencyParam
			}
			// Kept for the links to further pages (pageLink), so that a
			// client that pages by following them keeps its token.
			c.Set(consistencyParam, q.Get(consistencyParam))
			q.Del(consistencyParam)
			r.URL.RawQuery = q.Encode()
			r.RequestURI = r.URL.RequestURI()
		}
		var after models.ConsistencyToken
		if raw != "" {
			t, err := models.ParseConsistencyToken(raw)
			if err != nil {
				verr := &models.ValidationError{In: in}
				verr.Add(name, "%s", err.Error())
				_ = c.Error(verr)
				c.Abort()
				return
			}
			after = t
		}
		c.Request = r.WithContext(models.WithReadPolicy(r.Context(), false, after))
		c.Next()
	}
}

// tokenWriter adds the consistency token to a write's 2xx response, just
// before its header goes out: after the handler's commit, so that the
// token covers the write.
type tokenWriter struct {
	gin.ResponseWriter
	ctx    context.Context
	tokens tokenSource
	done   bool
}

func (w *tokenWriter) addToken() {
	if w.done || w.ResponseWriter.Written() {
		return
	}
	w.done = true
	if st := w.Status(); st < http.StatusOK || st >= http.StatusMultipleChoices {
		return
	}
	// A failure here cannot undo the committed write; the client then
	// simply has no token, and its next read may be stale within the
	// replica lag bound.
	if t, err := w.tokens.ConsistencyToken(w.ctx); err == nil && t != 0 {
		w.Header().Set(consistencyHeader, t.String())
	}
}

// WriteHeaderNow adds the token before the header is sent.
func (w *tokenWriter) WriteHeaderNow() {
	w.addToken()
	w.ResponseWriter.WriteHeaderNow()
}

// Write adds the token before the first byte of the body.
func (w *tokenWriter) Write(b []byte) (int, error) {
	w.addToken()
	return w.ResponseWriter.Write(b)
}

// WriteString adds the token before the first byte of the body.
func (w *tokenWriter) WriteString(s string) (int, error) {
	w.addToken()
	return w.ResponseWriter.WriteString(s)
}

// retryRead reports whether a read that failed with err should run once
// more: the database was unavailable (not a statement timeout), nothing
// has been written yet, and a replica served the failed read. A replica
// that dies while a result is being read fails the request past the read
// router's own retry; the router then takes the replica out of rotation
// and the second run reads elsewhere. Reads are safe to repeat.
func retryRead(c *gin.Context, err error) bool {
	if isWrite(c.Request.Method) || c.Writer.Written() || !errors.Is(err, models.ErrUnavailable) ||
		errors.Is(err, models.ErrTimeout) {
		return false
	}
	return models.ReplicaFailed(c.Request.Context())
}

// pageLink is path with query, the link to a further page of what c
// reads: with the consistency parameter the request came with, so that a
// client paging by the links reads each page at least as fresh as the
// token, as it read the first (the middleware took the parameter away
// before the handler, so that it neither trips the parameter check nor
// binds the cursor).
func pageLink(c *gin.Context, path string, query url.Values) string {
	if token := c.GetString(consistencyParam); token != "" {
		query = cloneValues(query)
		query.Set(consistencyParam, token)
	}
	return path + canonicalQuery(query)
}
