package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestProblemForEveryKind checks that every error kind models declares has
// a row in the table: none is answered 500, each has its own type, and a
// wrapped kind is answered like the kind itself.
func TestProblemForEveryKind(t *testing.T) {
	types := map[string]error{}
	for _, kind := range models.Kinds {
		p := problemFor(fmt.Errorf("context: %w", kind))
		if p.Status == http.StatusInternalServerError || p.Status < 400 {
			t.Errorf("%v: got status %d, want a 4xx or 503", kind, p.Status)
		}
		if other, ok := types[p.Type]; ok && kind != models.ErrInvalid {
			t.Errorf("%v and %v share the problem type %s", kind, other, p.Type)
		}
		types[p.Type] = kind
		if p.Title == "" || p.Detail == "" {
			t.Errorf("%v: got title %q, detail %q, want both", kind, p.Title, p.Detail)
		}
	}
	if p := problemFor(errors.New("boom")); p.Status != 500 || strings.Contains(p.Detail, "boom") {
		t.Errorf("unknown error: got %d %q, want a 500 that hides the text", p.Status, p.Detail)
	}
}

// TestValidationTitles checks that a validation error is titled for where
// its fields are: query parameters (400) or a request body (422).
func TestValidationTitles(t *testing.T) {
	q := problemFor(models.Invalid("year", "bad"))
	b := problemFor(models.InvalidBody("/title", "must not be empty"))
	if q.Status != 400 || q.Title != "Invalid query parameter" || b.Status != 422 || b.Title != "Invalid request body" ||
		b.InvalidParams[0].Name != "/title" {
		t.Errorf("got %+v and %+v", q, b)
	}
	stale := problemFor(&models.StaleError{Current: 7})
	if stale.Status != 412 || stale.header.Get("ETag") != `"v7"` {
		t.Errorf("stale: got %d with ETag %q, want 412 with \"v7\"", stale.Status, stale.header.Get("ETag"))
	}
	if u := problemFor(models.Errorf(models.ErrUnauthorized, "the API key expired")); u.Status != 401 ||
		!strings.HasPrefix(u.header.Get("WWW-Authenticate"), "Bearer") || u.Detail != "the API key expired." {
		t.Errorf("unauthorized: got %+v", u)
	}
}
