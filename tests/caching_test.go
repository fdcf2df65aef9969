package tests

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConditionalGet: a strong ETag on every GET, 304 on a repeat, a new
// ETag when the data changes.
func TestConditionalGet(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, path := range []string{"/v1/events?year=2019", "/v1/events/csto-2002-activation", "/v1/timelines",
				"/v1/timelines/csto", "/v1/years", "/v1/events.csv?year=2019"} {
				r := b.get(t, path)
				r.wantStatus(t, http.StatusOK)
				etag := r.header.Get("ETag")
				// One event's ETag is its version ("v3"), which If-Match
				// takes back; listings have long digests.
				perEvent := strings.HasPrefix(etag, `"v`) && path == "/v1/events/csto-2002-activation"
				if !strings.HasPrefix(etag, `"`) || (len(etag) < 10 && !perEvent) {
					t.Fatalf("%s: got ETag %q, want a strong ETag", path, etag)
				}
				if cc := r.header.Get("Cache-Control"); cc != "public, max-age=60" {
					t.Errorf("%s: got Cache-Control %q, want public, max-age=60", path, cc)
				}
				lm, err := http.ParseTime(r.header.Get("Last-Modified"))
				if err != nil {
					t.Fatalf("%s: Last-Modified %q: %v", path, r.header.Get("Last-Modified"), err)
				}
				again := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {etag}})
				if again.status != http.StatusNotModified || len(again.body) != 0 || again.header.Get("ETag") != etag {
					t.Errorf("%s: repeat got %d, %d bytes, ETag %q; want 304, empty, %s", path, again.status, len(again.body), again.header.Get("ETag"), etag)
				}
				if r := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {`"other", ` + etag}}); r.status != http.StatusNotModified {
					t.Errorf("%s: a list containing the ETag got %d, want 304", path, r.status)
				}
				if r := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {`"stale"`}}); r.status != http.StatusOK {
					t.Errorf("%s: a stale ETag got %d, want 200", path, r.status)
				}
				ims := lm.Add(time.Second).Format(http.TimeFormat)
				if r := b.do(t, http.MethodGet, path, http.Header{"If-Modified-Since": {ims}}); r.status != http.StatusNotModified {
					t.Errorf("%s: If-Modified-Since after Last-Modified got %d, want 304", path, r.status)
				}
				if r := b.do(t, http.MethodGet, path, http.Header{"Accept": {"application/json;q=0.9"}}); r.header.Get("ETag") == etag && !perEvent {
					t.Errorf("%s: another Accept got the same ETag", path)
				}
			}
			before := b.get(t, "/v1/events?year=2019").header.Get("ETag")
			addEvent(t, b.store, "syn-new", "2019-05-01", "report")
			r := b.do(t, http.MethodGet, "/v1/events?year=2019", http.Header{"If-None-Match": {before}})
			if r.status != http.StatusOK || r.header.Get("ETag") == before {
				t.Errorf("after a change: got %d with ETag %q, want 200 with a new ETag", r.status, r.header.Get("ETag"))
			}
			// Errors are never cached.
			bad := b.get(t, "/v1/events?yaer=2019")
			if bad.header.Get("ETag") != "" || bad.header.Get("Cache-Control") != "no-store" {
				t.Errorf("400: got ETag %q, Cache-Control %q; want none and no-store", bad.header.Get("ETag"), bad.header.Get("Cache-Control"))
			}
		})
	}
}

// TestCompression: gzip when asked for, same content, an ETag of its own
// that If-None-Match still recognises.
func TestCompression(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		plain := b.do(t, http.MethodGet, "/v1/events?limit=100", http.Header{"Accept-Encoding": {"identity"}})
		req, _ := http.NewRequest(http.MethodGet, b.server.URL+"/v1/events?limit=100", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("got Content-Encoding %q, want gzip", res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(zr)
		if !bytes.Equal(body, plain.body) || len(raw) >= len(body)/2 {
			t.Errorf("got %d compressed bytes for %d, equal=%v; want the same body, at least halved", len(raw), len(body), bytes.Equal(body, plain.body))
		}
		gzETag := res.Header.Get("ETag")
		if gzETag == plain.header.Get("ETag") || !strings.HasSuffix(gzETag, `-gzip"`) {
			t.Errorf("got gzip ETag %q, plain %q; want a -gzip variant", gzETag, plain.header.Get("ETag"))
		}
		if r := b.do(t, http.MethodGet, "/v1/events?limit=100", http.Header{"If-None-Match": {gzETag}}); r.status != http.StatusNotModified {
			t.Errorf("If-None-Match with the gzip ETag got %d, want 304", r.status)
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("got Vary %q, want Accept-Encoding in it", res.Header.Get("Vary"))
		}
	})
}

// TestCORS: public reads from any origin, preflight answered, paging and
// caching headers exposed.
func TestCORS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		pre := b.do(t, http.MethodOptions, "/v1/events?year=2019", http.Header{
			"Origin": {"https://newsroom.example"}, "Access-Control-Request-Method": {"GET"},
			"Access-Control-Request-Headers": {"If-None-Match"},
		})
		if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "GET") ||
			!strings.Contains(strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")), "if-none-match") {
			t.Errorf("preflight: got %d %v", pre.status, pre.header)
		}
		r := b.do(t, http.MethodGet, "/v1/events?limit=2", http.Header{"Origin": {"https://newsroom.example"}})
		r.wantStatus(t, http.StatusOK)
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("got Access-Control-Allow-Origin %q, want *", r.header.Get("Access-Control-Allow-Origin"))
		}
		exposed := strings.ToLower(r.header.Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"link", "etag", "x-total-count", "x-request-id"} {
			if !strings.Contains(exposed, h) {
				t.Errorf("got Access-Control-Expose-Headers %q, want %s in it", exposed, h)
			}
		}
	})
}

// TestHead: every GET answers HEAD with the same status and headers and
// no body; an export's HEAD counts without streaming.
func TestHead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, path := range []string{"/healthz", "/readyz", "/openapi.yaml", "/v1/timelines", "/v1/events?year=2019",
			"/v1/events/csto-2002-activation", "/v1/years", "/v1/events.csv?year=2019", "/v1/events.ndjson", "/v1/facets"} {
			get := b.do(t, http.MethodGet, path, http.Header{"Accept-Encoding": {"identity"}})
			head := b.do(t, http.MethodHead, path, http.Header{"Accept-Encoding": {"identity"}})
			if head.status != get.status || len(head.body) != 0 {
				t.Errorf("HEAD %s: got %d with %d bytes, want %d with none", path, head.status, len(head.body), get.status)
			}
			for _, h := range []string{"Content-Type", "ETag", "Cache-Control", "X-Total-Count", "Content-Disposition"} {
				if head.header.Get(h) != get.header.Get(h) {
					t.Errorf("HEAD %s: got %s %q, GET has %q", path, h, head.header.Get(h), get.header.Get(h))
				}
			}
		}
		if r := b.do(t, http.MethodHead, "/v1/events/nope", nil); r.status != http.StatusNotFound {
			t.Errorf("HEAD of an unknown event: got %d, want 404", r.status)
		}
	})
}
