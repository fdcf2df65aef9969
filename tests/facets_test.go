package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

type facetValue struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

// UnmarshalJSON reads a facet entry whose value is a string, or a number
// (years), into Value as the parameter takes it.
func (v *facetValue) UnmarshalJSON(b []byte) error {
	var raw struct {
		Value json.RawMessage `json:"value"`
		Name  string          `json:"name"`
		Count int             `json:"count"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	v.Name, v.Count = raw.Name, raw.Count
	if err := json.Unmarshal(raw.Value, &v.Value); err == nil {
		return nil
	}
	var n int
	if err := json.Unmarshal(raw.Value, &n); err != nil {
		return err
	}
	v.Value = strconv.Itoa(n)
	return nil
}

type facetsDoc struct {
	Data  map[string][]facetValue `json:"data"`
	Links struct {
		Self string `json:"self"`
	} `json:"links"`
	Meta struct {
		Events int `json:"events"`
	} `json:"meta"`
}

// facetDims maps each facet to the /v1/events parameter that filters by it.
var facetDims = []string{"year", "type", "status", "actor", "place", "tag"}

func (b *backend) facets(t *testing.T, query string) facetsDoc {
	t.Helper()
	r := b.get(t, "/v1/facets?"+query)
	r.wantStatus(t, http.StatusOK)
	var f facetsDoc
	r.decode(t, &f)
	return f
}

var facetQueries = []string{"", "type=statement", "actor=ODKB", "year=2019,2020", "q=lavrov",
	"q=peacekeeping&match=within&from=2019", "tag=peacekeeping&to=2019", "status=planned,not_implemented",
	"place=Bishkek", "from=2020-05&to=2020-05&match=within", "from=2020-05&to=2020-05", "q=the",
	"actor=csto,sergey-lavrov&type=statement,proposal", "q=" + url.QueryEscape(`"foreign ministers" or -csto`),
	"year=2002&match=within", "timeline=csto&year=2016", "match=within&from=2013&to=2020",
	// Whole years alone: the kept counts by dimension (migration 0013).
	"year=2019", "from=2015&to=2018", "to=1995", "tag=peacekeeping", "actor=sergey-lavrov&year=2019",
	// One value of one dimension, no dates: the co-occurrence counts
	// (migration 0014); "type=statement", "actor=ODKB", "place=Bishkek"
	// and "tag=peacekeeping" above are too.
	"type=summit", "status=planned", "timeline=csto", "actor=sergey-lavrov", "place=kyrgyzstan",
	"type=membership,membership", "tag=no-such-tag",
	// A value of a link with dates, counted over the matches: the link
	// rows' own dates drive the count (see countWhere).
	"actor=sergey-lavrov&from=2015-03&to=2019", "tag=peacekeeping&year=2016,2019&match=within",
	"place=Bishkek&type=statement&from=2010", "actor=csto,sergey-lavrov&year=2019",
	"tag=peacekeeping&to=2019-06-15&match=within"}

// TestFacetsEqualListCounts: every count a facet shows is the number of
// events /v1/events lists with that value added to the filters, and the
// year facet is /v1/years.
func TestFacetsEqualListCounts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, query := range facetQueries {
			f := b.facets(t, query)
			list := b.search(t, query)
			if f.Meta.Events != len(list) {
				t.Errorf("?%s: got meta.events %d, want %d (the list)", query, f.Meta.Events, len(list))
			}
			if f.Links.Self != "/v1/facets"+canonical(query) {
				t.Errorf("?%s: got links.self %q", query, f.Links.Self)
			}
			for _, dim := range facetDims {
				values, ok := f.Data[dim]
				if !ok {
					t.Fatalf("?%s: no %s facet", query, dim)
				}
				sorted := slices.IsSortedFunc(values, func(a, b facetValue) int {
					if dim == "year" {
						return cmpInt(atoi(a.Value), atoi(b.Value))
					}
					if a.Count != b.Count {
						return b.Count - a.Count
					}
					return strings.Compare(a.Value, b.Value)
				})
				if !sorted {
					t.Errorf("?%s: %s facet out of order: %v", query, dim, values)
				}
				sum := 0
				for _, v := range values {
					sum += v.Count
					if v.Count <= 0 {
						t.Errorf("?%s: %s=%s counted %d, want only values with events", query, dim, v.Value, v.Count)
					}
					withValue := b.search(t, dim+"="+url.QueryEscape(v.Value))
					if dim == "year" && matchWithin(query) {
						withValue = b.search(t, "match=within&year="+v.Value)
					}
					if n := len(intersect(list, withValue)); v.Count != n {
						t.Errorf("?%s: %s=%s counted %d, want %d (the list with %s=%s)", query, dim, v.Value, v.Count, n, dim, v.Value)
					}
					if !hasParam(query, dim) {
						sep := "&"
						if query == "" {
							sep = ""
						}
						if n := len(b.search(t, query+sep+dim+"="+url.QueryEscape(v.Value))); v.Count != n {
							t.Errorf("?%s: %s=%s counted %d, ?%s%s%s=%s lists %d", query, dim, v.Value, v.Count, query, sep, dim, v.Value, n)
						}
					}
				}
				if (dim == "type" || dim == "status") && sum != len(list) {
					t.Errorf("?%s: the %s facet adds up to %d, want %d", query, dim, sum, len(list))
				}
			}
			var years struct {
				Data []struct{ Year, Count int } `json:"data"`
			}
			b.get(t, "/v1/years?"+query).decode(t, &years)
			var want []facetValue
			for _, y := range years.Data {
				want = append(want, facetValue{Value: strconv.Itoa(y.Year), Count: y.Count})
			}
			if diff := cmp.Diff(want, f.Data["year"], cmpEmptyFacets); diff != "" {
				t.Errorf("?%s: year facet (-/v1/years +facet):\n%s", query, diff)
			}
		}
	})
}

// TestFacetsMatchOracle computes the facets in memory from the seed file.
func TestFacetsMatchOracle(t *testing.T) {
	events := oracleEvents(t)
	byID := map[string]oracleEvent{}
	for _, e := range events {
		byID[e.id] = e
	}
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, a := range f.Actors {
		names["actor/"+a.ID] = a.Name
	}
	for _, p := range f.Places {
		names["place/"+p.ID] = p.Name
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, query := range facetQueries {
			if hasParam(query, "q") {
				continue // the oracle does not search text
			}
			counts := map[string]map[string]int{}
			add := func(dim string, values ...string) {
				if counts[dim] == nil {
					counts[dim] = map[string]int{}
				}
				for _, v := range values {
					counts[dim][v]++
				}
			}
			vals, _ := url.ParseQuery(query)
			for _, id := range oracleFilter(t, events, query) {
				e := byID[id]
				add("type", e.typ)
				add("status", e.status)
				add("actor", e.actors...)
				add("place", e.places...)
				add("tag", e.tags...)
				add("year", oracleYears(e, vals)...)
			}
			got := b.facets(t, query)
			for _, dim := range facetDims {
				var want []facetValue
				for v, n := range counts[dim] {
					want = append(want, facetValue{Value: v, Name: names[dim+"/"+v], Count: n})
				}
				sort.Slice(want, func(i, j int) bool {
					if dim == "year" {
						return want[i].Value < want[j].Value
					}
					if want[i].Count != want[j].Count {
						return want[i].Count > want[j].Count
					}
					return want[i].Value < want[j].Value
				})
				if diff := cmp.Diff(want, got.Data[dim], cmpEmptyFacets); diff != "" {
					t.Errorf("?%s: %s facet (-oracle +got):\n%s", query, dim, diff)
				}
			}
		}
	})
}

// oracleYears lists the years an event counts in: every year it overlaps,
// or with match=within the one year that holds it; only years inside the
// query's own date restriction.
func oracleYears(e oracleEvent, q url.Values) []string {
	first, last := atoi(e.start[:4]), atoi(e.end[:4])
	if q.Get("match") == "within" && first != last {
		return nil
	}
	var out []string
	for y := first; y <= last; y++ {
		ys := fmt.Sprintf("%04d", y)
		if v := q.Get("year"); v != "" && !slices.Contains(strings.Split(v, ","), ys) {
			continue
		}
		if v := q.Get("from"); v != "" {
			from, _, _, _ := models.ParsePartialDate(v)
			if ys+"-12-31" < from.String() {
				continue
			}
		}
		if v := q.Get("to"); v != "" {
			_, to, _, _ := models.ParsePartialDate(v)
			if ys+"-01-01" > to.String() {
				continue
			}
		}
		out = append(out, ys)
	}
	return out
}

// TestFacetsBadInput: /v1/facets takes the filters of /v1/events and
// nothing else.
func TestFacetsBadInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range []struct{ query, param string }{
			{"sort=date", "sort"}, {"limit=5", "limit"}, {"cursor=x", "cursor"}, {"type=party", "type"},
			{"match=never", "match"}, {"yaer=2019", "yaer"}, {"from=2020&to=2019", "to"},
		} {
			r := b.get(t, "/v1/facets?"+c.query)
			r.wantStatus(t, http.StatusBadRequest)
			contractWantInvalidParam(t, "/v1/facets?"+c.query, r, c.param)
		}
	})
}

var cmpEmptyFacets = cmp.FilterValues(func(a, b []facetValue) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func hasParam(query, name string) bool {
	v, _ := url.ParseQuery(query)
	return v.Has(name)
}

func matchWithin(query string) bool {
	v, _ := url.ParseQuery(query)
	return v.Get("match") == "within"
}

func canonical(query string) string {
	v, _ := url.ParseQuery(query)
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func cmpInt(a, b int) int { return a - b }
