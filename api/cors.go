package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzhttp"
)

// publicCORS lets any origin read the API, and write with an API key: the
// key travels in Authorization, never in a cookie, so no origin gains
// anything a script could not send itself. Preflights are answered, and
// the headers that paging, caching, exports, writes and read-your-writes
// (the consistency token, sent and received) rely on are exposed to
// scripts.
func publicCORS() gin.HandlerFunc {
	return cors.New(cors.Config{
		AllowAllOrigins: true,
		AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{"Accept", "If-None-Match", "If-Modified-Since", "X-Request-ID", "Prefer", "Authorization",
			"Content-Type", "If-Match", "Idempotency-Key", consistencyHeader},
		ExposeHeaders: []string{"Link", "ETag", "Last-Modified", "X-Request-ID", headerTotalCount,
			"Content-Disposition", "Retry-After", "Preference-Applied", "Location", "WWW-Authenticate",
			"Idempotent-Replayed", "Accept-Patch", consistencyHeader},
		MaxAge: 24 * time.Hour,
	})
}

// Compress wraps the router with gzip (and zstd) compression for clients
// that ask for it, on bodies of 1 KiB or more. A compressed response's
// ETag gets a "-gzip" suffix, as a strong validator must change with the
// encoding; caching accepts either form in If-None-Match. Streamed exports
// are compressed chunk by chunk as they flush.
//
// A HEAD gets exactly the headers of the GET (Content-Encoding and the
// suffixed ETag included): gzhttp leaves HEAD alone, so it is shown the
// request as a GET and the router sees the HEAD again behind it. Handlers
// write a HEAD's body as for a GET (an export its first batch), which
// decides the encoding; net/http discards it.
func Compress(h http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.SuffixETag("-gzip"))
	if err != nil {
		return nil, err
	}
	restoreHead := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(headKey{}) != nil {
			r.Method = http.MethodHead
		}
		h.ServeHTTP(w, r)
	})
	compressed := wrap(restoreHead)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.WithContext(context.WithValue(r.Context(), headKey{}, true))
			r.Method = http.MethodGet
		}
		compressed.ServeHTTP(w, r)
	}), nil
}

// headKey marks, in a request's context, a HEAD shown to gzhttp as a GET.
type headKey struct{}
