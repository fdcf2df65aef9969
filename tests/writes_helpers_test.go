package tests

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// newKey creates an API key in b's database and returns its secret form.
func (b *backend) newKey(t *testing.T, scope, timeline string, expires time.Duration) string {
	t.Helper()
	_, secret, err := b.store.CreateAPIKey(context.Background(), "test "+scope, scope, timeline, expires)
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return secret
}

// write sends a request with a body; header pairs follow ("If-Match", `"v1"`).
func (b *backend) write(t *testing.T, method, path, key, contentType, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.server.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// etag is a response's ETag without the compression suffix.
func (r response) etag() string {
	e := r.header.Get("ETag")
	for _, s := range []string{"-gzip", "-zstd"} {
		e = strings.Replace(e, s+`"`, `"`, 1)
	}
	return e
}

const jsonType = "application/json"
const mergeType = "application/merge-patch+json"

// newEventBody is a valid event in the seed's timeline: it passes the
// editorial rules too.
func newEventBody(id, title string) string {
	idField := ""
	if id != "" {
		idField = `"id": "` + id + `", `
	}
	return `{` + idField + `"timeline": "csto", "title": "` + title + `", "date": "2020-05-26", "type": "statement",
		"status": "occurred", "actors": [{"id": "csto", "role": "speaker"}], "places": [{"id": "russia"}],
		"tags": ["test-tag"], "sources": [{"source_id": "bohdan-2020-csto", "quote": "` + lavrovQuote + `"}]}`
}

// binaryEventBody is newEventBody for a server started as the built
// binary, whose vocabulary is the seed's alone (no test-tag).
func binaryEventBody(id, title string) string {
	return strings.Replace(newEventBody(id, title), `"tags": ["test-tag"]`, `"tags": ["biosecurity"]`, 1)
}

// lavrovQuote is verbatim in the seed's source text, gives the date of
// newEventBody (May) and names its place (Russia), as the editorial rules
// require of every write.
const lavrovQuote = "On May 26, Russian Foreign Minister Lavrov declared that"

// deskSource saves the source desk-notes, whose text and publication date
// are unknown: the editorial rules then check its quotes for the date and
// the places they give, but not verbatim in a text and not against a
// publication date.
func (b *backend) deskSource(t testing.TB) {
	t.Helper()
	if _, err := b.store.SaveSource(context.Background(), models.Source{ID: "desk-notes", Title: "Desk notes"}); err != nil {
		t.Fatalf("save desk-notes: %v", err)
	}
}

// wantInvalid fails unless r is a 422 naming every pointer of want.
func wantInvalid(t *testing.T, what string, r response, want ...string) {
	t.Helper()
	p := wantProblem(t, what, r, http.StatusUnprocessableEntity, "invalid-body")
	got := map[string]bool{}
	for _, f := range p.InvalidParams {
		got[f.Name] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("%s: got invalid_params %+v, want %s among them", what, p.InvalidParams, w)
		}
	}
}
