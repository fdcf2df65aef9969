package api

import (
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzhttp"
)

// publicCORS lets any origin read the API, and write with an API key: the
// key travels in Authorization, never in a cookie, so no origin gains
// anything a script could not send itself. Preflights are answered, and
// the headers that paging, caching, exports and writes rely on are exposed
// to scripts.
func publicCORS() gin.HandlerFunc {
	return cors.New(cors.Config{
		AllowAllOrigins: true,
		AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{"Accept", "If-None-Match", "If-Modified-Since", "X-Request-ID", "Authorization",
			"Content-Type", "If-Match", "Idempotency-Key"},
		ExposeHeaders: []string{"Link", "ETag", "Last-Modified", "X-Request-ID", headerTotalCount,
			"Content-Disposition", "Retry-After", "Location", "WWW-Authenticate", "Idempotent-Replayed", "Accept-Patch"},
		MaxAge: 24 * time.Hour,
	})
}

// Compress wraps the router with gzip (and zstd) compression for clients
// that ask for it, on bodies of 1 KiB or more. A compressed response's
// ETag gets a "-gzip" suffix, as a strong validator must change with the
// encoding; caching accepts either form in If-None-Match. Streamed exports
// are compressed chunk by chunk as they flush.
func Compress(h http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.SuffixETag("-gzip"))
	if err != nil {
		return nil, err
	}
	return wrap(h), nil
}
