package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// TestRecordConditionalGet: the GET of a timeline, actor or place carries
// the record's version ETag (joined to the listing's) and answers
// If-None-Match with it; If-Modified-Since is ignored when If-None-Match
// is present (RFC 9110, 13.1.3), and decides alone otherwise; a write of
// the record moves the ETag.
func TestRecordConditionalGet(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			future := time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)
			for _, path := range []string{"/v1/actors/csto", "/v1/timelines/csto", "/v1/places/russia"} {
				first := b.get(t, path)
				etag := first.header.Get("ETag")
				if !strings.HasPrefix(etag, `"v1_`) {
					t.Fatalf("%s: got ETag %s, want the record's version joined to the listing's", path, etag)
				}
				for _, c := range []struct {
					name   string
					header http.Header
					want   int
				}{
					{"its ETag", http.Header{"If-None-Match": {etag}}, http.StatusNotModified},
					{"another ETag", http.Header{"If-None-Match": {`"v1_other"`}}, http.StatusOK},
					{"another ETag, If-Modified-Since ignored", http.Header{"If-None-Match": {`"v1_other"`},
						"If-Modified-Since": {future}}, http.StatusOK},
					{"If-Modified-Since alone", http.Header{"If-Modified-Since": {future}}, http.StatusNotModified},
				} {
					r := b.do(t, "GET", path, c.header)
					if r.status != c.want {
						t.Errorf("%s, %s: got %d, want %d", path, c.name, r.status, c.want)
					}
					if c.want == http.StatusNotModified && c.header.Get("If-None-Match") != "" && r.header.Get("ETag") != etag {
						t.Errorf("%s, %s: got ETag %s on the 304, want %s", path, c.name, r.header.Get("ETag"), etag)
					}
				}
			}
			key := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			before := b.get(t, "/v1/actors/csto").header.Get("ETag")
			b.write(t, "PATCH", "/v1/actors/csto", key, mergeType, `{"aliases": ["CSTO", "ODKB", "ОДКБ", "Tashkent Treaty"]}`,
				"If-Match", before).wantStatus(t, http.StatusOK)
			r := b.do(t, "GET", "/v1/actors/csto", http.Header{"If-None-Match": {before}})
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("ETag"), `"v2_`) {
				t.Errorf("after a PATCH: got %d with ETag %s, want 200 and version 2", r.status, r.header.Get("ETag"))
			}
		})
	}
}
