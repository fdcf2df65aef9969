package api

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Bounds on a request as a whole. Reads take no body, so anything beyond a
// few stray bytes is refused before a handler runs (writes have their own
// limit per route, see bodyLimit), and so is a query string longer than
// any valid query can be.
const (
	maxBodyBytes  = 1024
	maxQueryBytes = 8192
)

// Header limits. MaxHeaderBytes is what the API accepts: a request whose
// request line and header fields are larger is answered with a 431
// problem. Go's HTTP server answers a larger request itself, in plain
// text, before any handler runs; so the server is to be built with
// ServerMaxHeaderBytes, well above MaxHeaderBytes, and only requests beyond
// that (a megabyte of headers) get Go's own answer.
const (
	MaxHeaderBytes       = 64 << 10
	ServerMaxHeaderBytes = 1 << 20
)

// securityHeaders sets the headers that suit a JSON API on every response:
// no content sniffing, and a policy under which a browser that renders a
// response anyway (an error page, a redirect body) may load, run or frame
// nothing.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		c.Next()
	}
}

// limitQuery refuses a request whose query string is larger than any
// operation can use, or malformed: 414 and 400 problems, answered before
// the query is parsed or the database asked.
func limitQuery() gin.HandlerFunc {
	return func(c *gin.Context) {
		if n := headerBytes(c.Request); n > MaxHeaderBytes {
			c.Header("Connection", "close")
			_ = c.Error(&Problem{Type: problemBase + "headers-too-large", Title: "Request header fields too large",
				Status: http.StatusRequestHeaderFieldsTooLarge,
				Detail: "The request line and header fields have " + strconv.Itoa(n) + " bytes; at most " +
					strconv.Itoa(MaxHeaderBytes) + " are accepted."})
			c.Abort()
			return
		}
		if n := len(c.Request.URL.RawQuery); n > maxQueryBytes {
			_ = c.Error(&Problem{Type: problemBase + "uri-too-long", Title: "URI too long", Status: http.StatusRequestURITooLong,
				Detail: "The query string has " + strconv.Itoa(n) + " bytes; at most " + strconv.Itoa(maxQueryBytes) + " are accepted."})
			c.Abort()
			return
		}
		if name, reason := malformedQuery(c.Request.URL.RawQuery); reason != "" {
			// net/url would drop the pair silently: a filter the client
			// meant would be ignored.
			_ = c.Error(models.Invalid(name, "%s", reason))
			c.Abort()
			return
		}
		c.Next()
	}
}

// noBody refuses a body on the routes that take none (the reads): 413.
func noBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if bodyTooLarge(c.Request) {
			// Whatever is left of the body is not read: the server closes
			// the connection rather than drain it.
			c.Header("Connection", "close")
			_ = c.Error(&Problem{Type: problemBase + "body-too-large", Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
				Detail: "This operation takes no request body; at most " + strconv.Itoa(maxBodyBytes) + " bytes are tolerated."})
			c.Abort()
			return
		}
		c.Next()
	}
}

// headerBytes is the size of a request's head as sent over HTTP/1.1: its
// request line and every field line with its CRLF.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(v) + 4
		}
	}
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2 // net/http moves Host out of Header
	}
	return n
}

// malformedQuery finds the first name=value pair of a raw query string
// that url.ParseQuery would skip, or that has no name, and says why.
func malformedQuery(raw string) (name, reason string) {
	if _, err := url.ParseQuery(raw); err == nil && !strings.HasPrefix(raw, "=") && !strings.Contains(raw, "&=") {
		return "", ""
	}
	for _, pair := range strings.Split(raw, "&") {
		key, value, _ := strings.Cut(pair, "=")
		if key == "" && pair != "" {
			return strings.ToValidUTF8(pair[:min(len(pair), 64)], "?"), "a parameter without a name"
		}
		name, err := url.QueryUnescape(key)
		if err != nil || len(name) > 64 {
			name = strings.ToValidUTF8(key[:min(len(key), 64)], "?")
		}
		switch {
		case strings.Contains(pair, ";"):
			return name, "contains ';': separate parameters with '&', and write a ';' in a value as %3B"
		case err != nil:
			return name, "its name has a malformed %-escape"
		}
		if _, err := url.QueryUnescape(value); err != nil {
			return name, "its value has a malformed %-escape; write a '%' as %25"
		}
	}
	return "?", "the query string is malformed"
}

// bodyTooLarge reports whether r carries more than maxBodyBytes of body. A
// body of unknown length (chunked) is read up to one byte past the cap.
func bodyTooLarge(r *http.Request) bool {
	switch {
	case r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0:
		return false
	case r.ContentLength > maxBodyBytes:
		return true
	case r.ContentLength > 0:
		return false
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, maxBodyBytes+1))
	return n > maxBodyBytes
}
