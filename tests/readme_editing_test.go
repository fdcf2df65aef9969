package tests

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestReadmeEditingWalkthrough replays the README's "Editing a timeline"
// section with the bodies and headers it shows, in its order, on both
// databases: create (201), correct with If-Match "v1" (200, "v2"), the bad
// write (422 naming the fields the README names), history, retraction with
// If-Match "v2" (204, "v3"), and the restore by PUT of revision 2's event
// with If-Match "v3". An edit of the README that a server would refuse
// fails here.
func TestReadmeEditingWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "\n## Editing a timeline")
	if start < 0 {
		t.Fatal(`README has no "## Editing a timeline" section`)
	}
	section = section[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	// The -d '…' bodies of the section's curl commands, in order.
	bodies := regexp.MustCompile(`(?s)-d '(\{.*?\})'`).FindAllStringSubmatch(section, -1)
	if len(bodies) < 3 {
		t.Fatalf("want the create, correct and bad-write bodies in the README's editing section, found %d", len(bodies))
	}
	create, patch, bad := bodies[0][1], bodies[1][1], bodies[2][1]
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(create), &created); err != nil || created.ID == "" {
		t.Fatalf("the README's create body is not JSON with an id: %v", err)
	}
	path := "/v1/events/" + created.ID
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)

			r := b.write(t, "POST", "/v1/events", key, jsonType, create, "Idempotency-Key", "7c1e-first-try")
			r.wantStatus(t, 201)
			if got := r.header.Get("Location"); got != path {
				t.Errorf("create: Location %q, want %q", got, path)
			}
			if got := r.etag(); got != `"v1"` {
				t.Errorf("create: ETag %s, want \"v1\" as the README shows", got)
			}
			r = b.write(t, "PATCH", path, key, mergeType, patch, "If-Match", `"v1"`)
			r.wantStatus(t, 200)
			if got := r.etag(); got != `"v2"` {
				t.Errorf("correct: ETag %s, want \"v2\"", got)
			}
			wantInvalid(t, "the README's bad write", b.write(t, "POST", "/v1/events", key, jsonType, bad), "/title", "/date", "/titel")

			var history struct {
				Data []struct{ Revision int }
			}
			if err := json.Unmarshal(b.get(t, path+"/revisions").body, &history); err != nil {
				t.Fatal(err)
			}
			if len(history.Data) != 2 || history.Data[0].Revision != 2 {
				t.Fatalf("history: %+v, want revisions 2 and 1, newest first", history.Data)
			}
			r = b.write(t, "DELETE", path, admin, "", "", "If-Match", `"v2"`)
			r.wantStatus(t, 204)
			if got := r.etag(); got != `"v3"` {
				t.Errorf("retract: ETag %s, want \"v3\"", got)
			}
			if got := b.get(t, path).status; got != 410 {
				t.Errorf("GET after retraction: %d, want 410", got)
			}
			var rev struct {
				Event json.RawMessage `json:"event"`
			}
			if err := json.Unmarshal(b.get(t, path+"/revisions/2").body, &rev); err != nil || len(rev.Event) == 0 {
				t.Fatalf("revision 2 has no event to restore from: %v", err)
			}
			b.write(t, "PUT", path, admin, jsonType, string(rev.Event), "If-Match", `"v3"`).wantStatus(t, 200)
			if got := b.get(t, path).status; got != 200 {
				t.Errorf("GET after restore: %d, want 200", got)
			}
		})
	}
}
