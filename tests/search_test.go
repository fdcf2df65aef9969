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
)

// search returns the ids of every event that /v1/events returns for the
// query (one page of 500), in the order given.
func (b *backend) search(t *testing.T, query string) []string {
	t.Helper()
	return ids(b.events(t, query+"&limit=500").Data)
}

// q encodes a search query as a q parameter.
func q(s string) string { return "q=" + url.QueryEscape(s) }

// setOf sorts a copy of ids, for comparing results as sets.
func setOf(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// intersect keeps the elements of a that are in b, in a's order.
func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func union(a, b []string) []string { return setOf(append(slices.Clone(a), b...)) }

func minus(a, b []string) []string {
	var out []string
	for _, x := range setOf(a) {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestSearchKnownEvents finds events the article is about by the words a
// reader would type.
func TestSearchKnownEvents(t *testing.T) {
	cases := []struct {
		q       string
		in, out []string
		first   string // with sort=relevance, when set
	}{
		{q: "Lavrov terrorist", in: []string{"csto-2020-05-lavrov-terrorist-list"},
			out:   []string{"csto-2016-single-terrorist-list-decision", "csto-2020-05-26-lavrov-biosecurity"},
			first: "csto-2020-05-lavrov-terrorist-list"},
		// A phrase keeps its words together and in order.
		{q: `"single list"`, in: []string{"csto-2016-single-terrorist-list-decision", "csto-2020-05-lavrov-terrorist-list"}},
		{q: `"list single"`, out: []string{"csto-2016-single-terrorist-list-decision", "csto-2020-05-lavrov-terrorist-list"}},
		// Exclusion.
		{q: "terrorist -Lavrov", in: []string{"csto-2016-single-terrorist-list-decision"},
			out: []string{"csto-2020-05-lavrov-terrorist-list"}},
		{q: `terrorist -"highest priority"`, in: []string{"csto-2016-single-terrorist-list-decision"},
			out: []string{"csto-2020-05-lavrov-terrorist-list"}},
		// Alternatives.
		{q: "biosecurity or Zas", in: []string{"csto-2020-05-26-lavrov-biosecurity", "csto-2020-zas-appointment"}},
		// Words of quotes only: "foreign militant terrorists" is in a quote.
		{q: "militant", in: []string{"csto-2020-05-lavrov-terrorist-list"}},
		// Names of linked actors and places, aliases included, in any script.
		{q: "ОДКБ", in: []string{"csto-2002-activation"}},
		{q: "Nur-Sultan", in: []string{"csto-2018-11-astana-partners-observers"}},
		{q: "Stanislau", in: []string{"csto-2020-zas-appointment"}},
		// Stemming: the plural finds the singular.
		{q: "exercises Tajikistan", in: []string{"csto-2019-10-battle-brotherhood"}},
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range cases {
			got := b.search(t, q(c.q))
			for _, id := range c.in {
				if !slices.Contains(got, id) {
					t.Errorf("q=%s: %s missing; got %v", c.q, id, got)
				}
			}
			for _, id := range c.out {
				if slices.Contains(got, id) {
					t.Errorf("q=%s: got %s, want it excluded", c.q, id)
				}
			}
			if c.first != "" {
				ranked := b.search(t, q(c.q)+"&sort=relevance")
				if len(ranked) == 0 || ranked[0] != c.first {
					t.Errorf("q=%s&sort=relevance: got %v, want %s first", c.q, ranked, c.first)
				}
				if diff := cmp.Diff(setOf(got), setOf(ranked)); diff != "" {
					t.Errorf("q=%s: sort=relevance finds other events than sort=date (-date +relevance):\n%s", c.q, diff)
				}
			}
		}
	})
}

// TestSearchAlgebra checks the web-search syntax against the sets it
// combines: words AND, "or" unites, -word subtracts, and AND binds tighter
// than or.
func TestSearchAlgebra(t *testing.T) {
	words := []string{"lavrov", "terrorist", "peacekeeping", "bishkek", "observers", "Zas"}
	forEachBackend(t, func(t *testing.T, b *backend) {
		all := b.search(t, "")
		hits := map[string][]string{}
		for _, w := range words {
			hits[w] = b.search(t, q(w))
			if len(hits[w]) == 0 || len(hits[w]) == len(all) {
				t.Fatalf("q=%s: got %d of %d events, want a proper subset", w, len(hits[w]), len(all))
			}
		}
		check := func(query string, want []string) {
			t.Helper()
			if diff := cmp.Diff(setOf(want), setOf(b.search(t, q(query))), cmpEmpty); diff != "" {
				t.Errorf("q=%s (-want +got):\n%s", query, diff)
			}
		}
		for _, x := range words {
			for _, y := range words {
				if x == y {
					continue
				}
				check(x+" "+y, intersect(hits[x], hits[y]))
				check(x+" or "+y, union(hits[x], hits[y]))
				check(x+" OR "+y, union(hits[x], hits[y]))
				check(x+" -"+y, minus(hits[x], hits[y]))
				check("-"+y+" "+x, minus(hits[x], hits[y]))
			}
			check("-"+x, minus(all, hits[x]))
			check(strings.ToUpper(x), hits[x])
			check(`"`+x+`"`, hits[x])
			check("the "+x+" of", hits[x])
		}
		check("lavrov or bishkek observers", union(hits["lavrov"], intersect(hits["bishkek"], hits["observers"])))
		check("lavrov terrorist or Zas", union(intersect(hits["lavrov"], hits["terrorist"]), hits["Zas"]))
		check("-lavrov or -terrorist", union(minus(all, hits["lavrov"]), minus(all, hits["terrorist"])))
		check("lavrov or -terrorist", union(hits["lavrov"], minus(all, hits["terrorist"])))
		// Combined with other filters, AND.
		if diff := cmp.Diff(intersect(b.search(t, "year=2020&type=statement"), hits["lavrov"]),
			b.search(t, q("lavrov")+"&year=2020&type=statement"), cmpEmpty); diff != "" {
			t.Errorf("q=lavrov&year=2020&type=statement (-want +got):\n%s", diff)
		}
	})
}

// TestSearchEdgeCases: stop words, punctuation, operators in any case and
// what FTS5 would read as its own syntax are all searched, never a 500.
func TestSearchEdgeCases(t *testing.T) {
	empty := []string{"the", "of the", `"the of"`, "-", "--", `""`, `" "`, "...", "or", "OR or", `"or"`, "-the", "—"}
	odd := []string{`"`, `-"`, `lavrov -`, `"unclosed phrase`, `lavrov*`, `^lavrov`, `NEAR(lavrov zas)`,
		`lavrov:*`, `search_text:lavrov`, `events_fts:lavrov`, `'`, `\`, `(lavrov`, `lavrov)`, `lavrov AND`,
		`NOT lavrov`, `lavrov NOT zas`, `{lavrov}`, `+lavrov`, `lavrov & zas`, `lavrov | zas`, `!lavrov`,
		`lavrov <-> zas`, `a"b"c`, `"a" AND "b"`, "'; DROP TABLE events; --", `covid-19`, `d'Être`,
		`CSTO's`, `"CSTO’s"`, "2020", "ОДКБ", "一带一路", "🙂 lavrov"}
	results := map[string]map[string][]string{}
	forEachBackend(t, func(t *testing.T, b *backend) {
		results[b.name] = map[string][]string{}
		for _, s := range empty {
			if got := b.search(t, q(s)); len(got) != 0 {
				t.Errorf("q=%s: got %v, want nothing (no word to search for)", s, got)
			}
		}
		for _, s := range odd {
			for _, suffix := range []string{"", "&sort=relevance"} {
				r := b.get(t, "/v1/events?"+q(s)+suffix)
				if r.status != http.StatusOK {
					t.Errorf("q=%s%s: got status %d, want 200; body %s", s, suffix, r.status, truncate(string(r.body)))
				}
			}
			results[b.name][s] = b.search(t, q(s))
			for _, path := range []string{"/v1/years?", "/v1/facets?"} {
				if r := b.get(t, path+q(s)); r.status != http.StatusOK {
					t.Errorf("%s%s: got status %d, want 200", path, q(s), r.status)
				}
			}
		}
		if got, want := b.search(t, q("lavrov*")), b.search(t, q("lavrov")); !slices.Equal(got, want) {
			t.Errorf("q=lavrov*: got %v, want what q=lavrov finds, %v (* is punctuation)", got, want)
		}
		// A hyphenated word is found as written: exactly the events whose
		// text says COVID-19.
		want := []string{"csto-2020-staff-travel-restrictions", "csto-2020-05-cfm-meeting",
			"csto-2020-05-cfm-statements", "csto-2020-11-military-medics-conference"}
		if diff := cmp.Diff(want, b.search(t, q("covid-19"))); diff != "" {
			t.Errorf("q=covid-19 (-want +got):\n%s", diff)
		}
	})
	if len(results) == 2 {
		for _, s := range odd {
			if diff := cmp.Diff(results["postgres"][s], results["sqlite"][s], cmpEmpty); diff != "" {
				t.Errorf("q=%s: the databases disagree (-postgres +sqlite):\n%s", s, diff)
			}
		}
	}
}

// TestSearchBackendsAgree runs the same searches on PostgreSQL and SQLite:
// the translation of web-search syntax to FTS5 must find what
// websearch_to_tsquery finds.
func TestSearchBackendsAgree(t *testing.T) {
	requirePostgres(t)
	queries := []string{"Lavrov terrorist", `"single list"`, "terrorist -lavrov", "biosecurity or Zas",
		"lavrov or zas appointment", `-"foreign ministers"`, "ОДКБ", "одкб", "Kyrgyz Republic", `"Kyrgyz Republic"`,
		"peacekeeping -syria", "exercises", "summit Bishkek", "NATO", "observers or partners -iran",
		`"collective rapid reaction force"`, "Nur-Sultan", "model acts", "Станислав Зась"}
	for _, query := range queries {
		for _, extra := range []string{"", "&sort=relevance", "&year=2020", "&match=within&from=2019&to=2020"} {
			pg, lite := shared[0].search(t, q(query)+extra), shared[1].search(t, q(query)+extra)
			if extra != "&sort=relevance" {
				if diff := cmp.Diff(pg, lite, cmpEmpty); diff != "" {
					t.Errorf("q=%s%s (-postgres +sqlite):\n%s", query, extra, diff)
				}
			} else if diff := cmp.Diff(setOf(pg), setOf(lite), cmpEmpty); diff != "" {
				t.Errorf("q=%s%s (-postgres +sqlite):\n%s", query, extra, diff)
			}
		}
	}
}

// TestSearchPaging pages searches, by date and by relevance, in small
// pages: the same events in the same order as one big page.
func TestSearchPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, query := range []string{q("csto"), q("lavrov or peacekeeping"), q("csto") + "&sort=relevance",
			q("lavrov or peacekeeping or terrorist") + "&sort=relevance", q("-lavrov") + "&sort=relevance",
			q("organization") + "&sort=-date", q("csto") + "&sort=relevance&year=2020,2019",
			q("csto") + "&match=within&from=2019&to=2020", q("the") + "&sort=relevance"} {
			full := b.search(t, query)
			for _, limit := range []int{1, 2, 3, 7} {
				got := ids(b.allEvents(t, fmt.Sprintf("%s&limit=%d", query, limit)))
				if diff := cmp.Diff(full, got, cmpEmpty); diff != "" {
					t.Errorf("?%s paged by %d (-one page +paged):\n%s", query, limit, diff)
				}
			}
		}
	})
}

// TestSearchCursorIsBound: a cursor only continues the search, sort and
// match it was issued for.
func TestSearchCursorIsBound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		page := b.events(t, q("csto")+"&sort=relevance&limit=2")
		if page.Links.Next == nil {
			t.Fatal("q=csto&sort=relevance&limit=2: no next page")
		}
		next, _ := url.Parse(*page.Links.Next)
		cursor := next.Query().Get("cursor")
		for _, other := range []string{q("csto"), q("lavrov") + "&sort=relevance", q("csto") + "&sort=relevance&match=within",
			"sort=date", q("csto") + "&sort=-date"} {
			r := b.get(t, "/v1/events?"+other+"&cursor="+url.QueryEscape(cursor))
			r.wantStatus(t, http.StatusBadRequest)
			contractWantInvalidParam(t, other, r, "cursor")
		}
		// Equivalent spellings of the same search share cursors.
		r := b.get(t, "/v1/events?q=CSTO&sort=relevance&limit=2&cursor="+url.QueryEscape(cursor))
		r.wantStatus(t, http.StatusOK)
		// A date cursor does not continue a relevance listing.
		page = b.events(t, q("csto")+"&limit=2")
		next, _ = url.Parse(*page.Links.Next)
		r = b.get(t, "/v1/events?"+q("csto")+"&sort=relevance&cursor="+url.QueryEscape(next.Query().Get("cursor")))
		r.wantStatus(t, http.StatusBadRequest)
	})
}

// TestSearchBadInput: a q no one could mean is a 400 that names q.
func TestSearchBadInput(t *testing.T) {
	cases := []struct{ path, param, reason string }{
		{"/v1/events?" + q(strings.Repeat("a ", 100)+"b"), "q", "longer than 200"},
		{"/v1/events?" + q(strings.Repeat("ж", 201)), "q", "longer than 200"},
		{"/v1/events?q=", "q", "empty"},
		{"/v1/events?q=%20%20", "q", "word to search for"},
		{"/v1/events?q=lavrov%00", "q", "control character"},
		{"/v1/events?q=%FF%FE", "q", "UTF-8"},
		{"/v1/events?q=a&q=b", "q", "given 2 times"},
		{"/v1/events?sort=relevance", "sort", "give q"},
		{"/v1/events?sort=relevant&q=a", "sort", "relevance"},
		{"/v1/events?match=sometimes", "match", "overlaps, within"},
		{"/v1/events?match=", "match", "empty"},
		{"/v1/years?q=" + strings.Repeat("x", 201), "q", "longer than 200"},
		{"/v1/years?match=all", "match", "overlaps, within"},
		{"/v1/years?sort=relevance&q=a", "sort", "unknown parameter"},
		{"/v1/facets?q=%00", "q", "control character"},
		{"/v1/events?actor=%FF", "actor", "UTF-8"},
		{"/v1/events?place=" + strings.Repeat("x", 201), "place", "longer than 200"},
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for _, c := range cases {
			r := b.get(t, c.path)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: got status %d, want 400; body %s", c.path, r.status, truncate(string(r.body)))
				continue
			}
			var p problemDoc
			r.decode(t, &p)
			found := false
			for _, ip := range p.InvalidParams {
				found = found || ip.Name == c.param && strings.Contains(ip.Reason, c.reason)
			}
			if !found {
				t.Errorf("%s: got invalid_params %+v, want %s with a reason containing %q", c.path, p.InvalidParams, c.param, c.reason)
			}
		}
		// 200 characters are fine.
		b.get(t, "/v1/events?"+q(strings.Repeat("ж", 200))).wantStatus(t, http.StatusOK)
	})
}

// TestSearchRelevanceStreams: an export sorted by relevance streams every
// match once, in rank order, across batches (the store recomputes the rank
// of the key each batch continues after).
func TestSearchRelevanceStreams(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		want := b.search(t, q("csto or lavrov")+"&sort=relevance")
		query, err := models.ParseSearchQuery("csto or lavrov")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		total := -1
		err = b.store.StreamEvents(context.Background(), models.EventFilter{Query: query, Relevance: true}, 3,
			func(n int) error { total = n; return nil },
			func(batch []models.Event) error {
				for _, e := range batch {
					got = append(got, e.ID)
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stream by relevance in batches of 3 (-one page +streamed):\n%s", diff)
		}
		if total != len(want) {
			t.Errorf("stream total: got %d, want %d", total, len(want))
		}
	})
}
