package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// Per-resource entity tags. Every event, timeline, actor and place has a
// row version that each write increments in its own statement; its ETag is
// that version, a strong validator: two representations with the same
// version are the same bytes (up to the Content-Encoding, which the
// compression middleware marks with a suffix that ifMatchVersion ignores).
// Unlike the listing ETags of caching.go, which move with the whole
// dataset, these move only when the resource does, so a client can send one
// back in If-Match to say which version its edit is based on.

// versionETag is the ETag of a resource at version v.
func versionETag(v int64) string { return `"v` + strconv.FormatInt(v, 10) + `"` }

// ifMatchVersion reads If-Match: the version a write is based on. Without
// the header it is ErrPreconditionRequired. A value that is no version of
// this service (or "*", which would overwrite whatever is there) can
// never match, and reads as version -1, so the write fails with 412.
func ifMatchVersion(c *gin.Context) (int64, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		return 0, models.ErrPreconditionRequired
	}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		if strings.HasPrefix(tag, "W/") {
			continue // a weak tag never matches in If-Match (RFC 9110, 13.1.1)
		}
		for _, suffix := range []string{`-gzip"`, `-zstd"`} {
			if strings.HasSuffix(tag, suffix) {
				tag = strings.TrimSuffix(tag, suffix) + `"`
			}
		}
		if !strings.HasPrefix(tag, `"v`) || !strings.HasSuffix(tag, `"`) || len(tag) < 4 {
			continue
		}
		digits := tag[2 : len(tag)-1]
		if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			digits = digits[:i] // "v3_<listing ETag>" of a record's GET
		}
		v, err := strconv.ParseInt(digits, 10, 64)
		if err == nil && v > 0 {
			return v, nil
		}
	}
	return -1, nil
}

// resourceNotModified sets a single resource's validators (its version's
// ETag and when it last changed) and answers If-None-Match, or else
// If-Modified-Since, with 304, reporting true. The ETag does not vary
// with Accept: the resource has one representation.
func (s *server) resourceNotModified(c *gin.Context, version int64, updated time.Time) bool {
	etag := versionETag(version)
	h := c.Writer.Header()
	h.Set("ETag", etag)
	if !updated.IsZero() {
		h.Set("Last-Modified", updated.UTC().Format(http.TimeFormat))
	}
	h.Set("Cache-Control", s.cache.control)
	h.Add("Vary", "Accept")
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		if tag, ok := etagMatch(inm, etag); ok {
			h.Set("ETag", tag)
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return true
		}
	} else if ims, err := http.ParseTime(c.GetHeader("If-Modified-Since")); err == nil && !updated.IsZero() &&
		!updated.UTC().Truncate(time.Second).After(ims) {
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return true
	}
	return false
}

// recordNotModified is notModified for the GET of a timeline, actor or
// place: its ETag is its own version, which If-Match takes back, joined to
// the dataset's listing ETag, because the body also counts the record's
// events and must not be cached past a change of those. An unknown id
// gets the listing ETag; the handler answers 404.
func (s *server) recordNotModified(c *gin.Context, table, id string) (bool, error) {
	if s.writes == nil {
		return s.notModified(c)
	}
	return s.notModifiedAs(c, func(listing string) (string, error) {
		v, err := s.writes.FindVersion(c.Request.Context(), table, id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return listing, nil
		case err != nil:
			return "", err
		}
		return `"v` + strconv.FormatInt(v.Version, 10) + "_" + strings.Trim(listing, `"`) + `"`, nil
	})
}
