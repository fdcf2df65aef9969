package api

import (
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzhttp"
)

// publicCORS lets any origin read the API: it is public and read-only, and
// holds no credentials. Preflights are answered, and the headers that
// paging, caching and exports rely on are exposed to scripts.
func publicCORS() gin.HandlerFunc {
	return cors.New(cors.Config{
		AllowAllOrigins: true,
		AllowMethods:    []string{http.MethodGet, http.MethodHead, http.MethodOptions},
		AllowHeaders:    []string{"Accept", "If-None-Match", "If-Modified-Since", "X-Request-ID"},
		ExposeHeaders: []string{"Link", "ETag", "Last-Modified", "X-Request-ID", headerTotalCount,
			"Content-Disposition", "Retry-After"},
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
