package tests

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMatchWithin compares match=within with the oracle, and pins the
// README's example: an event known only to the year 2020 overlaps May 2020
// but is not within it.
func TestMatchWithin(t *testing.T) {
	events := oracleEvents(t)
	type matchCase struct{ filters, search string }
	var cases []matchCase
	for _, dates := range []string{"year=2019", "year=2020", "year=2016,2019", "year=2002", "from=2020-05&to=2020-05",
		"from=2019-10-08&to=2019-10-29", "from=2019-10-09&to=2019-10-29", "from=2016", "to=2016", "from=1990&to=2020-06",
		"from=2020-05-26&to=2020-05-26", "from=1995&to=2021", "timeline=csto"} {
		for _, match := range []string{"&match=within", "&match=overlaps"} {
			for _, more := range []string{"", "&type=statement", "&actor=ODKB", "&sort=-date"} {
				cases = append(cases, matchCase{filters: dates + match + more})
			}
			cases = append(cases, matchCase{filters: dates + match, search: q("lavrov or peacekeeping")})
		}
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		nonEmpty := 0
		for _, c := range cases {
			want := oracleFilter(t, events, c.filters)
			query := c.filters
			if c.search != "" {
				query += "&" + c.search
				want = intersect(want, b.search(t, c.search))
			}
			got := b.search(t, query)
			if len(got) > 0 {
				nonEmpty++
			}
			if diff := cmp.Diff(want, got, cmpEmpty); diff != "" {
				t.Errorf("?%s (-oracle +got):\n%s", query, diff)
			}
		}
		if nonEmpty < len(cases)/2 {
			t.Errorf("only %d of %d queries matched anything", nonEmpty, len(cases))
		}
		overlaps, inside := b.search(t, "from=2020-05&to=2020-05"), b.search(t, "from=2020-05&to=2020-05&match=within")
		for _, id := range []string{"csto-2020-staff-travel-restrictions", "csto-2016-model-acts-programme"} {
			if !slices.Contains(overlaps, id) || slices.Contains(inside, id) {
				t.Errorf("%s: want it in May 2020 when overlapping, not within", id)
			}
		}
		for _, id := range []string{"csto-2020-05-lavrov-terrorist-list", "csto-2020-05-26-lavrov-biosecurity"} {
			if !slices.Contains(inside, id) {
				t.Errorf("%s: want it within May 2020; got %v", id, inside)
			}
		}
		// /v1/years counts the same way: each year's count equals ?year=.
		for _, filters := range []string{"match=within", "match=within&type=statement", "match=within&actor=csto"} {
			var y struct {
				Data []struct{ Year, Count int } `json:"data"`
				Meta struct{ Events int }        `json:"meta"`
			}
			r := b.get(t, "/v1/years?"+filters)
			r.wantStatus(t, http.StatusOK)
			r.decode(t, &y)
			if n := len(b.search(t, filters)); n != y.Meta.Events {
				t.Errorf("/v1/years?%s: got meta.events %d, want %d", filters, y.Meta.Events, n)
			}
			if len(y.Data) == 0 {
				t.Errorf("/v1/years?%s: no years", filters)
			}
			for _, d := range y.Data {
				if n := len(b.search(t, fmt.Sprintf("%s&year=%d", filters, d.Year))); n != d.Count {
					t.Errorf("/v1/years?%s: year %d counted %d, ?year=%d returns %d", filters, d.Year, d.Count, d.Year, n)
				}
			}
		}
	})
}
