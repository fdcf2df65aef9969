package tests

import (
	"net/http"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestEditOpening: every write to an existing resource (PUT, PATCH,
// DELETE of events and records) opens the same way: a key outside its
// scope or timeline is a 403 before anything else, and then a missing
// If-Match is a 428, before the body is read.
func TestEditOpening(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			writer := b.newKey(t, models.ScopeEventsWrite, "", 0)
			bound := b.newKey(t, models.ScopeEventsWrite, "csto", 0)
			const ev = "/v1/events/csto-2002-activation"
			for _, c := range []struct {
				method, path, contentType string
				forbidden                 string // a key the route refuses
			}{
				{"PUT", ev, jsonType, ""},
				{"PATCH", ev, mergeType, ""},
				{"DELETE", ev, "", writer},
				{"PATCH", "/v1/actors/csto", mergeType, bound},
				{"PATCH", "/v1/places/russia", mergeType, bound},
				{"PATCH", "/v1/sources/bohdan-2020-csto", mergeType, bound},
				{"PATCH", "/v1/timelines/csto", mergeType, writer},
				{"DELETE", "/v1/timelines/csto", "", writer},
			} {
				what := c.method + " " + c.path
				if c.forbidden != "" {
					wantProblem(t, what+" out of scope", b.write(t, c.method, c.path, c.forbidden, c.contentType, "{"), http.StatusForbidden, "forbidden")
				}
				wantProblem(t, what+" without If-Match", b.write(t, c.method, c.path, admin, c.contentType, "{"),
					http.StatusPreconditionRequired, "precondition-required")
			}
		})
	}
}
