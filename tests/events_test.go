package tests

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// TestYear2019 is the journalist's first query.
func TestYear2019(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		got := ids(b.events(t, "year=2019").Data)
		for _, want := range []string{"csto-2019-10-battle-brotherhood", "csto-2019-11-bishkek-summit",
			"csto-2019-05-bishkek-sco-csto-fm-meetings", "csto-2016-model-acts-programme"} {
			if !slices.Contains(got, want) {
				t.Errorf("year=2019: %s missing from %v", want, got)
			}
		}
		for _, notWant := range []string{"csto-2020-05-26-lavrov-biosecurity", "csto-2002-activation", "csto-2017-un-missions-south-sudan-chad"} {
			if slices.Contains(got, notWant) {
				t.Errorf("year=2019: got %s, which does not overlap 2019", notWant)
			}
		}
		var e eventDoc
		for _, d := range b.events(t, "year=2019").Data {
			if d.ID == "csto-2019-10-battle-brotherhood" {
				e = d
			}
		}
		want := eventDoc{ID: "csto-2019-10-battle-brotherhood", StartDate: "2019-10-08", EndDate: "2019-10-29",
			DatePrecision: "day", DisplayDate: "8–29 October 2019", EDTF: "2019-10-08/2019-10-29", Type: "exercise", Status: "occurred"}
		got2 := eventDoc{ID: e.ID, StartDate: e.StartDate, EndDate: e.EndDate, DatePrecision: e.DatePrecision,
			DisplayDate: e.DisplayDate, EDTF: e.EDTF, Type: e.Type, Status: e.Status}
		if diff := cmp.Diff(want, got2); diff != "" {
			t.Errorf("Battle Brotherhood (-want +got):\n%s", diff)
		}
		if len(e.Sources) == 0 || e.Sources[0].Quote == "" || e.Sources[0].Author != "Siarhei Bohdan" {
			t.Errorf("Battle Brotherhood: got sources %+v, want a quote by Siarhei Bohdan", e.Sources)
		}
	})
}

// TestFiltersMatchOracle checks every filter, alone and combined, against
// the same filter applied in memory to the seed file.
func TestFiltersMatchOracle(t *testing.T) {
	events := oracleEvents(t)
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	queries := []string{"", "timeline=csto", "timeline=other", "sort=-date",
		"year=2019,2020", "year=2002,2016", "from=2019-06", "to=2016", "from=2019-06&to=2019-12",
		"from=2020-05-26&to=2020-05-26", "from=2019-10-29&to=2019-10-29", "from=2019-10-30&to=2019-10-31",
		"from=2016&to=2016", "from=1995-03&to=1995-03",
		"type=exercise,summit", "status=planned,not_implemented",
		"year=2020&type=statement", "year=2020&actor=sergey-lavrov&tag=counter-terrorism",
		"from=2019&to=2020&place=bishkek,moscow&sort=-date", "actor=csto&status=not_implemented",
		"year=2019&type=exercise&place=tajikistan&actor=crrf", "tag=peacekeeping&to=2019",
	}
	for y := 1988; y <= 2023; y++ {
		queries = append(queries, fmt.Sprintf("year=%d", y))
	}
	for _, typ := range models.EventTypes {
		queries = append(queries, "type="+typ)
	}
	for _, s := range models.EventStatuses {
		queries = append(queries, "status="+s)
	}
	for _, a := range f.Actors {
		queries = append(queries, "actor="+a.ID)
	}
	for _, p := range f.Places {
		queries = append(queries, "place="+p.ID)
	}
	tags := map[string]bool{}
	for _, e := range f.Events {
		for _, tag := range e.Tags {
			if !tags[tag] {
				tags[tag] = true
				queries = append(queries, "tag="+tag)
			}
		}
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		nonEmpty := 0
		for _, q := range queries {
			want := oracleFilter(t, events, q)
			got := ids(b.events(t, q+"&limit=500").Data)
			if len(got) > 0 {
				nonEmpty++
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("?%s (-want +got):\n%s", q, diff)
			}
		}
		if nonEmpty < len(queries)/2 {
			t.Errorf("only %d of %d queries matched anything; the oracle comparison is too weak", nonEmpty, len(queries))
		}
	})
}

// TestOverlapEdges pins the overlap semantics at the boundaries of dates
// known to the day, the month and the year.
func TestOverlapEdges(t *testing.T) {
	cases := []struct {
		query string
		in    []string
		out   []string
	}{
		// A 2002 (year precision) event overlaps any part of 2002.
		{"from=2002-06", []string{"csto-2002-activation"}, nil},
		{"from=2002-12-31&to=2002-12-31", []string{"csto-2002-activation"}, nil},
		{"to=2002-01-01", []string{"csto-2002-activation"}, nil},
		{"from=2003-01-01&to=2003-12-31", nil, []string{"csto-2002-activation"}},
		// 8–29 October 2019 (day precision span) ends on the 29th.
		{"from=2019-10-29&to=2019-10-29", []string{"csto-2019-10-battle-brotherhood"}, nil},
		{"from=2019-10-30", nil, []string{"csto-2019-10-battle-brotherhood"}},
		{"to=2019-10-07", nil, []string{"csto-2019-10-battle-brotherhood"}},
		{"to=2019-10-08", []string{"csto-2019-10-battle-brotherhood"}, nil},
		// 26 May 2020 is one day; May 2020 (month precision) is all of May.
		{"from=2020-05-26&to=2020-05-26", []string{"csto-2020-05-26-lavrov-biosecurity", "csto-2020-05-cfm-meeting"}, nil},
		{"from=2020-05-27&to=2020-05-31", []string{"csto-2020-05-cfm-meeting"}, []string{"csto-2020-05-26-lavrov-biosecurity"}},
		// A decade-long state overlaps a year in its middle.
		{"year=1995", []string{"csto-1990s-central-asia-focus"}, []string{"csto-2002-activation"}},
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range cases {
			got := ids(b.events(t, c.query+"&limit=500").Data)
			for _, id := range c.in {
				if !slices.Contains(got, id) {
					t.Errorf("?%s: %s missing; got %v", c.query, id, got)
				}
			}
			for _, id := range c.out {
				if slices.Contains(got, id) {
					t.Errorf("?%s: got %s, want it excluded", c.query, id)
				}
			}
		}
	})
}

// TestPaging walks every listing with small pages: no duplicates, no gaps,
// the same order as one big page.
func TestPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, q := range []string{"", "sort=-date", "year=2020", "type=statement&sort=-date", "from=2016&to=2020"} {
			full := ids(b.events(t, q+"&limit=500").Data)
			if len(full) < 3 {
				t.Fatalf("?%s: only %d events; paging test needs more", q, len(full))
			}
			for _, limit := range []int{1, 2, 3, 7} {
				got := ids(b.allEvents(t, fmt.Sprintf("%s&limit=%d", q, limit)))
				if diff := cmp.Diff(full, got); diff != "" {
					t.Errorf("?%s paged by %d (-one page +paged):\n%s", q, limit, diff)
				}
			}
		}
	})
}

// TestPageShape checks links, meta and the Link header.
func TestPageShape(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r := b.get(t, "/v1/events?year=2020&limit=2")
		r.wantStatus(t, http.StatusOK)
		var p eventPage
		r.decode(t, &p)
		if p.Meta.Count != 2 || p.Meta.Limit != 2 || p.Meta.Sort != "date" {
			t.Errorf("got meta %+v, want count 2, limit 2, sort date", p.Meta)
		}
		if p.Links.Self != "/v1/events?limit=2&year=2020" {
			t.Errorf("got links.self %q, want /v1/events?limit=2&year=2020", p.Links.Self)
		}
		if p.Links.Next == nil {
			t.Fatal("got links.next null, want a next page")
		}
		if got, want := r.header.Get("Link"), "<"+*p.Links.Next+`>; rel="next"`; got != want {
			t.Errorf("got Link %q, want %q", got, want)
		}
		if got := r.header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("got Content-Type %q, want application/json; charset=utf-8", got)
		}
		last := b.events(t, "year=2020&limit=500")
		if last.Links.Next != nil {
			t.Errorf("got links.next %q on the last page, want null", *last.Links.Next)
		}
		if r := b.get(t, "/v1/events?year=2020&limit=500"); r.header.Get("Link") != "" {
			t.Errorf("got Link header %q on the last page, want none", r.header.Get("Link"))
		}
	})
}

// TestEventByID returns the whole record, and 404 for unknown ids.
func TestEventByID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r := b.get(t, "/v1/events/csto-2016-single-terrorist-list-decision")
		r.wantStatus(t, http.StatusOK)
		var e eventDoc
		r.decode(t, &e)
		if e.Status != "not_implemented" || e.DatePrecision != "year" || e.StartDate != "2016-01-01" || e.EndDate != "2016-12-31" || e.EDTF != "2016" {
			t.Errorf("got %+v, want a not_implemented decision of year precision 2016", e)
		}
		if len(e.Actors) == 0 || len(e.Sources) == 0 {
			t.Errorf("got %d actors and %d sources, want both", len(e.Actors), len(e.Sources))
		}
		r = b.get(t, "/v1/events/csto-1999-nothing")
		r.wantStatus(t, http.StatusNotFound)
	})
}

// TestYearsMatchEvents checks that each year's count equals what ?year=
// returns, with and without other filters.
func TestYearsMatchEvents(t *testing.T) {
	type years struct {
		Data []struct{ Year, Count int } `json:"data"`
		Meta struct{ Years, Events int } `json:"meta"`
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, q := range []string{"", "type=statement", "actor=sergey-lavrov", "from=2019-06&to=2020-03", "year=2019,2002",
			// One actor, place, tag, timeline or status, with whole years: the kept counts.
			"place=Bishkek", "tag=peacekeeping", "actor=ODKB&from=2015&to=2020", "timeline=csto",
			"status=occurred&from=2010", "actor=csto&match=within&to=2019", "actor=csto,sergey-lavrov"} {
			r := b.get(t, "/v1/years?"+q)
			r.wantStatus(t, http.StatusOK)
			var y years
			r.decode(t, &y)
			if len(y.Data) == 0 {
				t.Fatalf("?%s: no years", q)
			}
			if y.Meta.Years != len(y.Data) {
				t.Errorf("?%s: got meta.years %d, want %d", q, y.Meta.Years, len(y.Data))
			}
			if n := len(b.events(t, q+"&limit=500").Data); y.Meta.Events != n {
				t.Errorf("?%s: got meta.events %d, want %d (the events list)", q, y.Meta.Events, n)
			}
			if !slices.IsSortedFunc(y.Data, func(a, b struct{ Year, Count int }) int { return a.Year - b.Year }) {
				t.Errorf("?%s: years not sorted: %v", q, y.Data)
			}
			for _, d := range y.Data {
				sep := "&"
				if q == "" {
					sep = ""
				}
				// year= replaces any year filter of q, so only compare when q has none.
				if q == "year=2019,2002" {
					if d.Year != 2019 && d.Year != 2002 {
						t.Errorf("?%s: got year %d, want only 2002 and 2019", q, d.Year)
					}
					continue
				}
				n := len(b.events(t, fmt.Sprintf("%s%syear=%d&limit=500", q, sep, d.Year)).Data)
				if n != d.Count {
					t.Errorf("?%s: year %d counted %d, ?year=%d returns %d", q, d.Year, d.Count, d.Year, n)
				}
			}
		}
	})
}

// TestTimelines lists the article's timeline with its source.
func TestTimelines(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		var list struct {
			Data []struct {
				ID         string `json:"id"`
				EventCount int    `json:"event_count"`
				StartDate  string `json:"start_date"`
				Sources    []struct {
					ID, Author    string
					PublishedDate string `json:"published_date"`
				} `json:"sources"`
			} `json:"data"`
		}
		r := b.get(t, "/v1/timelines")
		r.wantStatus(t, http.StatusOK)
		r.decode(t, &list)
		all := b.events(t, "limit=500").Data
		if len(list.Data) != 1 || list.Data[0].ID != "csto" || list.Data[0].EventCount != len(all) {
			t.Fatalf("got %+v, want one timeline csto with %d events", list.Data, len(all))
		}
		if s := list.Data[0].Sources; len(s) != 1 || s[0].Author != "Siarhei Bohdan" || s[0].PublishedDate != "2020-06-29" {
			t.Errorf("got sources %+v, want Bohdan's article of 2020-06-29", s)
		}
		if got := list.Data[0].StartDate; got != all[0].StartDate {
			t.Errorf("got start_date %s, want the first event's %s", got, all[0].StartDate)
		}
		b.get(t, "/v1/timelines/csto").wantStatus(t, http.StatusOK)
		b.get(t, "/v1/timelines/nope").wantStatus(t, http.StatusNotFound)
	})
}
