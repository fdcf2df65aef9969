package api

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// defaultCacheMaxAge is the Cache-Control max-age when none is configured.
const defaultCacheMaxAge = 60 * time.Second

// cacheState is what conditional requests need, computed once per router.
type cacheState struct {
	control  string   // the Cache-Control value
	revision [32]byte // the server's contract and cursor key
	// since is when this router was built: a response's Last-Modified is
	// never earlier, since a new binary (whose revision is in the ETag)
	// may answer differently for the same data.
	since time.Time
}

func newCacheState(maxAge time.Duration, spec, cursorKey []byte) cacheState {
	if maxAge <= 0 {
		maxAge = defaultCacheMaxAge
	}
	return cacheState{
		control:  fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())),
		revision: sha256.Sum256(append(append([]byte{}, spec...), cursorKey...)),
		since:    time.Now().UTC().Truncate(time.Second),
	}
}

// notModified gives a GET response its strong ETag and Last-Modified,
// derived from the dataset's version, sets Cache-Control, and answers
// If-None-Match or If-Modified-Since with 304 (reporting true). Handlers
// call it after validating their parameters, so that bad input is a 400
// whatever the database's state. The ETag covers the dataset version, the
// request URI, the Accept header and the server's revision, so it changes
// whenever the body could. If-Modified-Since is ignored when
// If-None-Match is present (RFC 9110, 13.1.3).
func (s *server) notModified(c *gin.Context) (bool, error) {
	return s.notModifiedAs(c, nil)
}

// notModifiedAs is notModified with the ETag etagOf makes of the listing
// ETag, when etagOf is not nil: the response carries it and If-None-Match
// is compared with it.
func (s *server) notModifiedAs(c *gin.Context, etagOf func(listing string) (string, error)) (bool, error) {
	st, err := s.store.DatasetState(c.Request.Context())
	if err != nil {
		return false, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%x|%d|%s|%s|%s", s.cache.revision[:8], st.Version, c.Request.URL.RequestURI(), c.GetHeader("Accept"),
		c.GetString(variantKey))
	etag := `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
	if etagOf != nil {
		if etag, err = etagOf(etag); err != nil {
			return false, err
		}
	}
	modified := lastModified(st.UpdatedAt, s.cache.since)
	// Last-Modified must not be later than the response's Date (RFC 9110,
	// section 8.8.2.1): a version dated ahead of the clock (see
	// models.Store.bumpVersion) is sent as now, but If-Modified-Since is
	// compared with its true date, so it is answered 200 until then.
	sent := modified
	if now := time.Now().UTC().Truncate(time.Second); now.Before(sent) {
		sent = now
	}

	header := c.Writer.Header()
	header.Set("ETag", etag)
	header.Set("Last-Modified", sent.Format(http.TimeFormat))
	header.Set("Cache-Control", s.cache.control)
	header.Add("Vary", "Accept")
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		if tag, ok := etagMatch(inm, etag); ok {
			header.Set("ETag", tag)
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return true, nil
		}
	} else if ims, err := http.ParseTime(c.GetHeader("If-Modified-Since")); err == nil && !modified.After(ims) {
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return true, nil
	}
	return false, nil
}

// lastModified is the Last-Modified of every response derived from the
// data: the later of the dataset's last change and the router's start, to
// the second. Both move whenever the ETag can: the dataset version gets a
// later second each time it grows, and a new binary starts a new router.
func lastModified(updated, since time.Time) time.Time {
	if t := updated.UTC().Truncate(time.Second); t.After(since) {
		return t
	}
	return since
}

// etagMatch reports whether an If-None-Match header matches etag, and with
// which of its tags. Weak comparison, as RFC 9110 prescribes for
// If-None-Match, and the compression middleware's "-gzip"/"-zstd" suffix
// is ignored, since a compressed body has the same content.
func etagMatch(header, etag string) (string, bool) {
	if strings.TrimSpace(header) == "*" {
		return etag, true
	}
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		bare := strings.TrimPrefix(tag, "W/")
		for _, suffix := range []string{`-gzip"`, `-zstd"`} {
			if strings.HasSuffix(bare, suffix) {
				bare = strings.TrimSuffix(bare, suffix) + `"`
			}
		}
		if bare == etag {
			return tag, true
		}
	}
	return "", false
}
