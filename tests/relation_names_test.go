package tests

import (
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestRenameShowsOnPage renames an actor, a place and a source, and gives
// the actor an alias, each after a page showing them was read: the next
// page shows the new names at once. On PostgreSQL the page's names come
// from catalogs held in memory by dataset version (models/relation_catalog.go),
// so this is the test that a write through the server moves them.
func TestRenameShowsOnPage(t *testing.T) {
	const id = "csto-2019-10-battle-brotherhood"
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			find := func() eventDoc {
				t.Helper()
				for _, e := range b.events(t, "actor=crrf&limit=100").Data {
					if e.ID == id {
						return e
					}
				}
				t.Fatalf("%s not on the page of actor=crrf", id)
				return eventDoc{}
			}
			find() // the catalogs are read now, before the writes
			// Seeded records are at version 1.
			rename := func(path, body string) {
				t.Helper()
				b.write(t, "PATCH", path, admin, mergeType, body, "If-Match", `"v1"`).wantStatus(t, 200)
			}
			rename("/v1/actors/crrf", `{"name": "Renamed Reaction Force", "aliases": ["RRF-alias"]}`)
			e := find()
			if got := actorName(e, "crrf"); got != "Renamed Reaction Force" {
				t.Errorf("actor name on the page after the rename: %q", got)
			}
			r := b.get(t, "/v1/events?actor=crrf&limit=100")
			if !strings.Contains(string(r.body), "RRF-alias") {
				t.Errorf("the actor's new alias is not on the page")
			}
			rename("/v1/places/belarus", `{"name": "Renamed Belarus"}`)
			e = find()
			found := false
			for _, p := range e.Places {
				found = found || p.ID == "belarus" && p.Name == "Renamed Belarus"
			}
			if !found {
				t.Errorf("place names on the page after the rename: %+v", e.Places)
			}
			rename("/v1/sources/bohdan-2020-csto", `{"title": "Renamed source title", "author": "A. Renamed"}`)
			e = find()
			if len(e.Sources) == 0 || e.Sources[0].Title != "Renamed source title" || e.Sources[0].Author != "A. Renamed" {
				t.Errorf("sources on the page after the rename: %+v", e.Sources)
			}
			// The single event reads its relations the same way.
			var one eventDoc
			b.get(t, "/v1/events/"+id).decode(t, &one)
			if actorName(one, "crrf") != "Renamed Reaction Force" || len(one.Sources) == 0 || one.Sources[0].Title != "Renamed source title" {
				t.Errorf("the event after the renames: %+v %+v", one.Actors, one.Sources)
			}
		})
	}
}

func actorName(e eventDoc, id string) string {
	for _, a := range e.Actors {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}
