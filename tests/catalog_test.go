package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/seed"
)

// catalogEntry is an actor, place or tag as the catalog lists it.
type catalogEntry struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Country    *string  `json:"country"`
	Aliases    []string `json:"aliases"`
	EventCount int      `json:"event_count"`
	StartDate  *string  `json:"start_date"`
	EndDate    *string  `json:"end_date"`
}

type catalogPage struct {
	Data  []catalogEntry `json:"data"`
	Links struct {
		Self string  `json:"self"`
		Next *string `json:"next"`
	} `json:"links"`
	Meta struct {
		Count int `json:"count"`
		Limit int `json:"limit"`
	} `json:"meta"`
}

// catalog follows links.next from path to the end.
func (b *backend) catalog(t *testing.T, path string) []catalogEntry {
	t.Helper()
	var out []catalogEntry
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatalf("paging %s did not end", path)
		}
		r := b.get(t, path)
		r.wantStatus(t, http.StatusOK)
		var p catalogPage
		r.decode(t, &p)
		if p.Meta.Count != len(p.Data) {
			t.Errorf("%s: got meta.count %d for %d entries", path, p.Meta.Count, len(p.Data))
		}
		out = append(out, p.Data...)
		if p.Links.Next == nil {
			if r.header.Get("Link") != "" {
				t.Errorf("%s: got a Link header on the last page", path)
			}
			return out
		}
		if got, want := r.header.Get("Link"), "<"+*p.Links.Next+`>; rel="next"`; got != want {
			t.Errorf("%s: got Link %q, want %q", path, got, want)
		}
		path = *p.Links.Next
	}
}

// wantUsage checks an entry's count and dates against the events list.
func wantUsage(t *testing.T, b *backend, param string, e catalogEntry) {
	t.Helper()
	events := b.events(t, param+"="+url.QueryEscape(e.ID)+"&limit=500").Data
	if e.EventCount != len(events) {
		t.Errorf("%s %s: got event_count %d, ?%s=%s lists %d", param, e.ID, e.EventCount, param, e.ID, len(events))
	}
	var first, last string
	for _, ev := range events {
		if first == "" || ev.StartDate < first {
			first = ev.StartDate
		}
		if ev.EndDate > last {
			last = ev.EndDate
		}
	}
	if got := deref(e.StartDate); got != first {
		t.Errorf("%s %s: got start_date %q, want %q (the earliest start of its events)", param, e.ID, got, first)
	}
	if got := deref(e.EndDate); got != last {
		t.Errorf("%s %s: got end_date %q, want %q (the latest end of its events)", param, e.ID, got, last)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestCatalogActors lists every actor of the seed, in id order, with its
// aliases, kind and usage, in pages of any size.
func TestCatalogActors(t *testing.T) {
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]catalogEntry{}
	var wantIDs []string
	for _, a := range f.Actors {
		want[a.ID] = catalogEntry{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: nonNil(a.Aliases)}
		wantIDs = append(wantIDs, a.ID)
	}
	slices.Sort(wantIDs)
	forEachBackend(t, func(t *testing.T, b *backend) {
		all := b.catalog(t, "/v1/actors")
		if diff := cmp.Diff(wantIDs, catalogIDs(all)); diff != "" {
			t.Errorf("/v1/actors ids (-seed +got):\n%s", diff)
		}
		for _, e := range all {
			w := want[e.ID]
			if e.Name != w.Name || e.Kind != w.Kind || !slices.Equal(e.Aliases, w.Aliases) {
				t.Errorf("actor %s: got %s/%s/%v, want %s/%s/%v", e.ID, e.Name, e.Kind, e.Aliases, w.Name, w.Kind, w.Aliases)
			}
			wantUsage(t, b, "actor", e)
			var one catalogEntry
			r := b.get(t, "/v1/actors/"+e.ID)
			r.wantStatus(t, http.StatusOK)
			r.decode(t, &one)
			if diff := cmp.Diff(e, one); diff != "" {
				t.Errorf("/v1/actors/%s (-list +one):\n%s", e.ID, diff)
			}
		}
		for _, limit := range []int{1, 2, 5} {
			paged := b.catalog(t, fmt.Sprintf("/v1/actors?limit=%d", limit))
			if diff := cmp.Diff(all, paged); diff != "" {
				t.Errorf("/v1/actors paged by %d (-one page +paged):\n%s", limit, diff)
			}
		}
		for _, kinds := range []string{"person", "state", "organization", "body", "person,body"} {
			var wantKind []string
			for _, id := range wantIDs {
				if strings.Contains(","+kinds+",", ","+want[id].Kind+",") {
					wantKind = append(wantKind, id)
				}
			}
			if len(wantKind) == 0 {
				t.Fatalf("kind=%s: no actors in the seed", kinds)
			}
			got := catalogIDs(b.catalog(t, "/v1/actors?limit=2&kind="+kinds))
			if diff := cmp.Diff(wantKind, got); diff != "" {
				t.Errorf("/v1/actors?kind=%s (-seed +got):\n%s", kinds, diff)
			}
		}
	})
}

// TestCatalogPlaces does the same for places, with their countries.
func TestCatalogPlaces(t *testing.T) {
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]catalogEntry{}
	var wantIDs []string
	for _, p := range f.Places {
		e := catalogEntry{ID: p.ID, Name: p.Name, Kind: p.Kind, Aliases: nonNil(p.Aliases)}
		if p.Country != "" {
			c := p.Country
			e.Country = &c
		}
		want[p.ID] = e
		wantIDs = append(wantIDs, p.ID)
	}
	slices.Sort(wantIDs)
	forEachBackend(t, func(t *testing.T, b *backend) {
		all := b.catalog(t, "/v1/places")
		if diff := cmp.Diff(wantIDs, catalogIDs(all)); diff != "" {
			t.Errorf("/v1/places ids (-seed +got):\n%s", diff)
		}
		for _, e := range all {
			w := want[e.ID]
			if e.Name != w.Name || e.Kind != w.Kind || !slices.Equal(e.Aliases, w.Aliases) || deref(e.Country) != deref(w.Country) {
				t.Errorf("place %s: got %+v, want %+v", e.ID, e, w)
			}
			wantUsage(t, b, "place", e)
			var one catalogEntry
			r := b.get(t, "/v1/places/"+e.ID)
			r.wantStatus(t, http.StatusOK)
			r.decode(t, &one)
			if diff := cmp.Diff(e, one); diff != "" {
				t.Errorf("/v1/places/%s (-list +one):\n%s", e.ID, diff)
			}
		}
		paged := b.catalog(t, "/v1/places?limit=3")
		if diff := cmp.Diff(all, paged); diff != "" {
			t.Errorf("/v1/places paged by 3 (-one page +paged):\n%s", diff)
		}
		cities := catalogIDs(b.catalog(t, "/v1/places?kind=city"))
		if diff := cmp.Diff([]string{"astana", "bishkek", "moscow"}, cities); diff != "" {
			t.Errorf("/v1/places?kind=city (-want +got):\n%s", diff)
		}
	})
}

// TestCatalogTags lists every tag in use with its usage.
func TestCatalogTags(t *testing.T) {
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs []string
	for _, e := range f.Events {
		for _, tag := range e.Tags {
			if !slices.Contains(wantIDs, tag) {
				wantIDs = append(wantIDs, tag)
			}
		}
	}
	slices.Sort(wantIDs)
	forEachBackend(t, func(t *testing.T, b *backend) {
		all := b.catalog(t, "/v1/tags?limit=500")
		if diff := cmp.Diff(wantIDs, catalogIDs(all)); diff != "" {
			t.Errorf("/v1/tags (-seed +got):\n%s", diff)
		}
		for _, e := range all {
			wantUsage(t, b, "tag", e)
		}
		paged := b.catalog(t, "/v1/tags?limit=4")
		if diff := cmp.Diff(all, paged); diff != "" {
			t.Errorf("/v1/tags paged by 4 (-one page +paged):\n%s", diff)
		}
	})
}

// TestCatalogBadInput: unknown kinds, parameters, ids and foreign cursors.
func TestCatalogBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range []struct{ path, param string }{
			{"/v1/actors?kind=country", "kind"}, {"/v1/places?kind=person", "kind"}, {"/v1/tags?kind=x", "kind"},
			{"/v1/actors?limit=0", "limit"}, {"/v1/places?limit=501", "limit"}, {"/v1/tags?cursor=garbage", "cursor"},
			{"/v1/actors?year=2019", "year"}, {"/v1/actors/csto?x=1", "x"}, {"/v1/places/bishkek?kind=city", "kind"},
		} {
			r := b.get(t, c.path)
			r.wantStatus(t, http.StatusBadRequest)
			contractWantInvalidParam(t, c.path, r, c.param)
		}
		for _, path := range []string{"/v1/actors/nobody", "/v1/actors/ODKB", "/v1/places/atlantis", "/v1/places/csto"} {
			b.get(t, path).wantStatus(t, http.StatusNotFound)
		}
		// A cursor continues only the listing it was issued for.
		var p catalogPage
		b.get(t, "/v1/actors?kind=person&limit=1").decode(t, &p)
		next, _ := url.Parse(*p.Links.Next)
		cursor := url.QueryEscape(next.Query().Get("cursor"))
		for _, other := range []string{"/v1/actors?kind=state&cursor=", "/v1/actors?cursor=", "/v1/places?kind=city&cursor=",
			"/v1/tags?cursor=", "/v1/events?cursor="} {
			r := b.get(t, other+cursor)
			r.wantStatus(t, http.StatusBadRequest)
			contractWantInvalidParam(t, other, r, "cursor")
		}
		var ev eventPage
		b.get(t, "/v1/events?limit=1").decode(t, &ev)
		next, _ = url.Parse(*ev.Links.Next)
		b.get(t, "/v1/actors?cursor="+url.QueryEscape(next.Query().Get("cursor"))).wantStatus(t, http.StatusBadRequest)
		b.get(t, "/v1/actors?kind=person&limit=1&cursor="+cursor).wantStatus(t, http.StatusOK)
	})
}

func catalogIDs(entries []catalogEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
