package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// TestAliasChangeReadAtOnce renames an actor and swaps one of its aliases
// for a new one, in turn through the API and through the store's
// SaveActor called on its own (the tools' and the seed's way in), each
// time after a read that loaded the names (on PostgreSQL, into the
// relation catalogs held by dataset version). The reads made right after
// show the change in every representation: the event's JSON and the
// NDJSON export carry exactly the new aliases, the CSV the new name, the
// actor filter finds the event by the new alias and not by the dropped
// one, and full-text search (the stored search text) likewise.
func TestAliasChangeReadAtOnce(t *testing.T) {
	const id, actor = "csto-2019-10-battle-brotherhood", "crrf"
	ctx := context.Background()
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			patch := func(t *testing.T, a models.Actor) {
				t.Helper()
				v, err := b.store.FindVersion(ctx, models.TableActors, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := json.Marshal(map[string]any{"name": a.Name, "aliases": a.Aliases})
				b.write(t, "PATCH", "/v1/actors/"+a.ID, admin, mergeType, string(body),
					"If-Match", fmt.Sprintf(`"v%d"`, v.Version)).wantStatus(t, http.StatusOK)
			}
			save := func(t *testing.T, a models.Actor) {
				t.Helper()
				a.Kind = "body"
				if res, err := b.store.SaveActor(ctx, a); err != nil || res != models.Updated {
					t.Fatalf("SaveActor: got %v, %v, want Updated", res, err)
				}
			}
			rounds := []struct {
				way     string
				write   func(*testing.T, models.Actor)
				alias   string // replaces dropped
				dropped string
			}{
				{"SaveActor", save, "Zephyrone", "KSOR"},
				{"PATCH", patch, "Zephyrtwo", "Zephyrone"},
				{"SaveActor", save, "Zephyrthree", "Zephyrtwo"},
			}
			for i, r := range rounds {
				name := fmt.Sprintf("Rapid Force round %d", i)
				aliases := []string{"CRRF", r.alias}
				// Read first, so that the names are held (catalogs, caches).
				b.get(t, "/v1/events/"+id).wantStatus(t, http.StatusOK)
				b.search(t, "actor="+actor)
				r.write(t, models.Actor{ID: actor, Name: name, Aliases: aliases})

				var one struct {
					Actors []struct {
						ID, Name string
						Aliases  []string
					}
				}
				b.get(t, "/v1/events/"+id).decode(t, &one)
				got := map[string]any{}
				for _, a := range one.Actors {
					if a.ID == actor {
						got = map[string]any{"name": a.Name, "aliases": a.Aliases}
					}
				}
				want := map[string]any{"name": name, "aliases": aliases}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("round %d (%s): the event's %s (-want +got):\n%s", i, r.way, actor, diff)
				}
				nd := b.get(t, "/v1/events.ndjson?actor="+actor)
				nd.wantStatus(t, http.StatusOK)
				for _, line := range strings.Split(strings.TrimSpace(string(nd.body)), "\n") {
					if strings.Contains(line, `"`+r.dropped+`"`) || strings.Contains(line, `"id":"`+id+`"`) &&
						!strings.Contains(line, `"aliases":["CRRF","`+r.alias+`"]`) {
						t.Errorf("round %d (%s): NDJSON line without the new aliases %v: %s", i, r.way, aliases, line)
					}
				}
				_, rows := b.csvRows(t, "/v1/events.csv?actor="+actor, nil)
				found := false
				for _, row := range rows {
					if row["id"] == id {
						found = true
						if !slices.Contains(strings.Split(row["actors"], "; "), name) {
							t.Errorf("round %d (%s): CSV actors %q, want %q among them", i, r.way, row["actors"], name)
						}
					}
				}
				if !found {
					t.Errorf("round %d (%s): %s not in the CSV of actor=%s", i, r.way, id, actor)
				}
				if got := b.search(t, "actor="+r.alias); !slices.Contains(got, id) {
					t.Errorf("round %d (%s): actor=%s: got %v, want %s among them", i, r.way, r.alias, got, id)
				}
				if got := b.search(t, "actor="+r.dropped); len(got) != 0 {
					t.Errorf("round %d (%s): actor=%s after dropping it: got %v, want nothing", i, r.way, r.dropped, got)
				}
				if got := b.search(t, q(r.alias)); !slices.Contains(got, id) {
					t.Errorf("round %d (%s): q=%s: got %v, want %s among them", i, r.way, r.alias, got, id)
				}
				if got := b.search(t, q(r.dropped)); slices.Contains(got, id) {
					t.Errorf("round %d (%s): q=%s after dropping it: got %v, want no %s", i, r.way, r.dropped, got, id)
				}
				var text string
				if err := b.store.DB().Raw("SELECT search_text FROM events WHERE id = ?", id).Row().Scan(&text); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(text, strings.ToLower(r.alias)) || strings.Contains(text, strings.ToLower(r.dropped)) ||
					!strings.Contains(text, strings.ToLower(name)) {
					t.Errorf("round %d (%s): search text %q, want %q and %q and not %q", i, r.way, text,
						strings.ToLower(name), strings.ToLower(r.alias), strings.ToLower(r.dropped))
				}
			}
		})
	}
}
