package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// TestNames: an actor or place answers to its id and to every name and
// alias, in any case and script.
func TestNames(t *testing.T) {
	events := oracleEvents(t)
	cases := []struct{ query, sameAs string }{
		{"actor=ODKB", "actor=csto"},
		{"actor=" + url.QueryEscape("ОДКБ"), "actor=csto"},
		{"actor=" + url.QueryEscape("одкб"), "actor=csto"},
		{"actor=CSTO", "actor=csto"},
		{"actor=" + url.QueryEscape("Collective Security Treaty Organization"), "actor=csto"},
		{"actor=" + url.QueryEscape("  collective   security treaty ORGANIZATION "), "actor=csto"},
		{"actor=Lavrov,Zas", "actor=sergey-lavrov,stanislav-zas"},
		{"actor=" + url.QueryEscape("Сергей Лавров"), "actor=sergey-lavrov"},
		{"actor=Russian%20Federation", "actor=russia"},
		{"place=Kyrgyz%20Republic", "place=kyrgyzstan"},
		{"place=Kyrgyz+Republic", "place=kyrgyzstan"},
		{"place=" + url.QueryEscape("кыргызстан"), "place=kyrgyzstan"},
		{"place=Nur-Sultan", "place=astana"},
		{"place=" + url.QueryEscape("Kyrgyz–Tajik border"), "place=kyrgyz-tajik-border"},
		{"place=" + url.QueryEscape("Kyrgyz-Tajik border"), "place=kyrgyz-tajik-border"},
		{"place=Moscow", "place=moscow"},
		{"actor=ODKB&place=Bishkek&year=2019", "actor=csto&place=bishkek&year=2019"},
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range cases {
			want := b.search(t, c.sameAs)
			if len(want) == 0 {
				t.Fatalf("?%s: no events; the case proves nothing", c.sameAs)
			}
			if diff := cmp.Diff(want, b.search(t, c.query)); diff != "" {
				t.Errorf("?%s (-?%s +got):\n%s", c.query, c.sameAs, diff)
			}
			if diff := cmp.Diff(oracleFilter(t, events, c.query), b.search(t, c.query)); diff != "" {
				t.Errorf("?%s (-oracle +got):\n%s", c.query, diff)
			}
		}
		for _, query := range []string{"actor=nobody", "actor=" + url.QueryEscape("Никто"), "place=Atlantis", "actor=bishkek",
			// Metonyms are not aliases (seed/EDITORIAL.md): Moscow is the city, not the state.
			"actor=Moscow", "actor=" + url.QueryEscape("Moscow-led bloc")} {
			if got := b.search(t, query); len(got) != 0 {
				t.Errorf("?%s: got %v, want nothing", query, got)
			}
		}
		// Exports count and stream by name alike.
		for _, query := range []string{"actor=ODKB", "place=Kyrgyz%20Republic&" + q("summit or skirmish") + "&sort=relevance"} {
			r := b.get(t, "/v1/events.ndjson?"+query)
			r.wantStatus(t, http.StatusOK)
			lines := strings.Count(string(r.body), "\n")
			want := len(b.search(t, query))
			if lines != want || r.header.Get("X-Total-Count") != fmt.Sprint(want) {
				t.Errorf("/v1/events.ndjson?%s: got %d lines, X-Total-Count %s, want %d", query, lines, r.header.Get("X-Total-Count"), want)
			}
		}
		// /v1/years and /v1/facets resolve names the same way.
		var y1, y2 struct{ Meta struct{ Events int } }
		b.get(t, "/v1/years?actor=ODKB").decode(t, &y1)
		b.get(t, "/v1/years?actor=csto").decode(t, &y2)
		if y1.Meta.Events != y2.Meta.Events || y1.Meta.Events == 0 {
			t.Errorf("/v1/years: actor=ODKB counts %d events, actor=csto %d", y1.Meta.Events, y2.Meta.Events)
		}
	})
}

// TestNamesFollowEdits: renaming an actor or place changes what its names
// find, in filters and in search, for events saved before the change.
func TestNamesFollowEdits(t *testing.T) {
	ctx := context.Background()
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			before := b.search(t, "actor=csto")
			if got := b.search(t, "actor=Tashkent%20Treaty"); len(got) != 0 {
				t.Fatalf("actor=Tashkent Treaty before the edit: got %v, want nothing", got)
			}
			csto := models.Actor{ID: "csto", Name: "Collective Security Treaty Organization", Kind: "organization",
				Aliases: []string{"CSTO", "Tashkent Treaty"}}
			if _, err := b.store.SaveActor(ctx, csto); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, b.search(t, "actor=Tashkent%20Treaty")); diff != "" {
				t.Errorf("actor=Tashkent Treaty after adding the alias (-actor=csto +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, b.search(t, q(`"tashkent treaty"`))); diff != "" {
				t.Errorf(`q="tashkent treaty" after adding the alias (-actor=csto +got):\n%s`, diff)
			}
			if got := b.search(t, "actor=ODKB"); len(got) != 0 {
				t.Errorf("actor=ODKB after dropping the alias: got %v, want nothing", got)
			}
			if got := b.search(t, q("ОДКБ")); slices.Contains(got, "csto-2002-activation") {
				t.Errorf("q=ОДКБ after dropping the alias: got %v, want no csto-only event", got)
			}
			kg := models.Place{ID: "kyrgyzstan", Name: "Kyrgyzstan", Kind: "country", Aliases: []string{"Kyrgyzia"}}
			if _, err := b.store.SavePlace(ctx, kg); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b.search(t, "place=kyrgyzstan"), b.search(t, "place=KYRGYZIA")); diff != "" {
				t.Errorf("place=KYRGYZIA (-place=kyrgyzstan +got):\n%s", diff)
			}
			if got := b.search(t, "place=Kyrgyz%20Republic"); len(got) != 0 {
				t.Errorf("place=Kyrgyz Republic after dropping the alias: got %v, want nothing", got)
			}
			// An event's own text: a new title is found, the old one is not.
			if got := b.search(t, q(`"paper existence"`)); !slices.Contains(got, "csto-2002-activation") {
				t.Fatalf(`q="paper existence" before the edit: got %v, want csto-2002-activation`, got)
			}
			e, err := b.store.FindEventByID(ctx, "csto-2002-activation")
			if err != nil {
				t.Fatal(err)
			}
			e.Title = "The CSTO leaves the drawing board"
			if _, err := b.store.SaveEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			if got := b.search(t, q(`"drawing board"`)); !slices.Equal(got, []string{"csto-2002-activation"}) {
				t.Errorf(`q="drawing board" after the edit: got %v, want [csto-2002-activation]`, got)
			}
			if got := b.search(t, q(`"paper existence"`)); slices.Contains(got, "csto-2002-activation") {
				t.Errorf(`q="paper existence" after the edit: got %v, want the old title gone`, got)
			}
			// Loading the seed again restores its names.
			if _, err := seed.Load(ctx, b.store, seed.CSTO); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, b.search(t, "actor=ODKB")); diff != "" {
				t.Errorf("actor=ODKB after reloading the seed (-actor=csto +got):\n%s", diff)
			}
			if b.name == models.DialectSQLite {
				// The FTS5 index is external content, kept by triggers: it
				// must still agree with the table.
				err := b.store.DB().Exec("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')").Error
				if err != nil {
					t.Errorf("FTS5 integrity check: %v", err)
				}
			}
		})
	}
}
