package tests

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// oracleEvent is a seed event reduced to what filters look at, computed in
// memory from the seed file, independently of SQL.
type oracleEvent struct {
	id, timeline, typ, status string
	start, end                string
	actors, places, tags      []string
}

func oracleEvents(t *testing.T) []oracleEvent {
	t.Helper()
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatalf("parse seed: %v", err)
	}
	var out []oracleEvent
	for _, e := range f.Events {
		span, err := models.ParseEDTF(e.Date)
		if err != nil {
			t.Fatalf("event %s: %v", e.ID, err)
		}
		o := oracleEvent{id: e.ID, timeline: f.Timeline.ID, typ: e.Type, status: e.Status,
			start: span.Start.String(), end: span.End.String(), places: e.Places, tags: e.Tags}
		for _, a := range e.Actors {
			o.actors = append(o.actors, a.ID)
		}
		out = append(out, o)
	}
	return out
}

// oracleNames maps every name of the seed's actors and places (id, name and
// aliases, folded with models.NameKey) to the ids that answer to it.
func oracleNames(t *testing.T) (actors, places map[string][]string) {
	t.Helper()
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatalf("parse seed: %v", err)
	}
	add := func(m map[string][]string, id string, names ...string) {
		for _, n := range append([]string{id}, names...) {
			k := models.NameKey(n)
			if !slices.Contains(m[k], id) {
				m[k] = append(m[k], id)
			}
		}
	}
	actors, places = map[string][]string{}, map[string][]string{}
	for _, a := range f.Actors {
		add(actors, a.ID, append([]string{a.Name}, a.Aliases...)...)
	}
	for _, p := range f.Places {
		add(places, p.ID, append([]string{p.Name}, p.Aliases...)...)
	}
	return actors, places
}

// oracleFilter applies an /v1/events query to the seed in memory and returns
// the ids in (start_date, id) order. Actors and places may be given by any
// of their names; match=within keeps the events whose whole span is inside
// the dates instead of those that overlap them.
func oracleFilter(t *testing.T, events []oracleEvent, query string) []string {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("bad test query %q: %v", query, err)
	}
	split := func(name string) []string {
		if v := q.Get(name); v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	anyOf := func(want, have []string) bool {
		if want == nil {
			return true
		}
		for _, w := range want {
			if slices.Contains(have, w) {
				return true
			}
		}
		return false
	}
	overlaps := func(e oracleEvent, from, to string) bool { return e.start <= to && e.end >= from }
	if q.Get("match") == "within" {
		overlaps = func(e oracleEvent, from, to string) bool { return e.start >= from && e.end <= to }
	}
	actorNames, placeNames := oracleNames(t)
	resolve := func(names map[string][]string, values []string) []string {
		if values == nil {
			return nil
		}
		ids := []string{}
		for _, v := range values {
			ids = append(ids, names[models.NameKey(v)]...)
		}
		return ids
	}
	var from, to = "0000-00-00", "9999-99-99"
	if v := q.Get("from"); v != "" {
		first, _, _, _ := models.ParsePartialDate(v)
		from = first.String()
	}
	if v := q.Get("to"); v != "" {
		_, last, _, _ := models.ParsePartialDate(v)
		to = last.String()
	}
	var kept []oracleEvent
	for _, e := range events {
		if !anyOf(split("timeline"), []string{e.timeline}) || !anyOf(split("type"), []string{e.typ}) ||
			!anyOf(split("status"), []string{e.status}) || !anyOf(resolve(actorNames, split("actor")), e.actors) ||
			!anyOf(resolve(placeNames, split("place")), e.places) || !anyOf(split("tag"), e.tags) || !overlaps(e, from, to) {
			continue
		}
		if years := split("year"); years != nil {
			in := false
			for _, y := range years {
				n, _ := strconv.Atoi(y)
				in = in || overlaps(e, yearDate(n, "01-01"), yearDate(n, "12-31"))
			}
			if !in {
				continue
			}
		}
		kept = append(kept, e)
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].start != kept[j].start {
			return kept[i].start < kept[j].start
		}
		return kept[i].id < kept[j].id
	})
	out := make([]string, len(kept))
	for i, e := range kept {
		out[i] = e.id
	}
	if q.Get("sort") == "-date" {
		slices.Reverse(out)
	}
	return out
}

func yearDate(y int, md string) string {
	return strconv.Itoa(10000 + y)[1:] + "-" + md
}
