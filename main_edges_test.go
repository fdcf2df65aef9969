package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCacheMaxAgeWholeSeconds: Cache-Control counts whole seconds, so a
// CACHE_MAX_AGE below one second, or with a fraction of one, stops the
// start with a message naming it instead of sending max-age=0.
func TestCacheMaxAgeWholeSeconds(t *testing.T) {
	for _, v := range []string{"500ms", "999ms", "1500ms", "1.5s", "1ns"} {
		_, err := loadConfig(env(map[string]string{"CACHE_MAX_AGE": v}))
		if err == nil || !strings.Contains(err.Error(), "CACHE_MAX_AGE") || !strings.Contains(err.Error(), "whole number of seconds") {
			t.Errorf("CACHE_MAX_AGE=%s: got %v, want an error naming CACHE_MAX_AGE and whole seconds", v, err)
		}
	}
	for v, want := range map[string]time.Duration{"1s": time.Second, "90s": 90 * time.Second, "2m": 2 * time.Minute} {
		c, err := loadConfig(env(map[string]string{"CACHE_MAX_AGE": v}))
		if err != nil || c.cacheMaxAge != want {
			t.Errorf("CACHE_MAX_AGE=%s: got %v, %v; want %v", v, c.cacheMaxAge, err, want)
		}
	}
}

// TestMaxExportsBelowPool: MAX_EXPORTS must leave connections for the
// other requests.
func TestMaxExportsBelowPool(t *testing.T) {
	if _, err := loadConfig(env(map[string]string{"MAX_EXPORTS": "10"})); err == nil || !strings.Contains(err.Error(), "MAX_EXPORTS") {
		t.Errorf("MAX_EXPORTS=10 with a pool of 10: got %v, want an error naming MAX_EXPORTS", err)
	}
	c, err := loadConfig(env(map[string]string{"MAX_EXPORTS": "3", "DB_MAX_OPEN_CONNS": "8"}))
	if err != nil || c.maxExports != 3 {
		t.Errorf("MAX_EXPORTS=3 DB_MAX_OPEN_CONNS=8: got %d, %v; want 3", c.maxExports, err)
	}
}

// TestServerHeadersTooLarge: the real server lets the API answer headers
// over its limit with a 431 problem; only beyond the server's own, much
// larger limit does Go answer in plain text.
func TestServerHeadersTooLarge(t *testing.T) {
	base := "http://127.0.0.1:" + serveEmbedded(t, map[string]string{"RATE_LIMIT_RPS": "0"})
	for _, n := range []int{100 << 10, 900 << 10} {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/timelines", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", n))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%d bytes of headers: %v", n, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || res.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(body), "headers-too-large") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%d bytes of headers: got %d %s %q, want a 431 headers-too-large problem with the security headers",
				n, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
}
