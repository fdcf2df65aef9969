package tests

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestExplainGrowth checks that a page costs the same whatever the size of
// the table: every filter (and combinations) is explained with EXPLAIN
// (ANALYZE, BUFFERS) on two generated databases ten times apart in size
// (20,000 and 200,000 events by default; EXPLAIN_GROWTH_ROWS sets the
// smaller), and the shared buffers a page touches may grow by at most
// explainMaxGrowth. A page that is not full at either size (a rare actor
// has 1 event in the small table and 10 in the large) is compared per
// event returned instead, since the filter itself must touch each.
func TestExplainGrowth(t *testing.T) {
	small := 20000
	if v := os.Getenv("EXPLAIN_GROWTH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("EXPLAIN_GROWTH_ROWS=%q: want an integer of at least 1000", v)
		}
		small = n
	}
	if testing.Short() {
		t.Skip("generates 220,000 events")
	}
	ds := []*explainData{explainSetup(t, small), explainSetup(t, 10*small)}
	ctx := context.Background()
	type result struct {
		buffers, rows int
		plan          []string
	}
	got := map[string][2]result{}
	var names []string
	for i, d := range ds {
		t.Logf("%s", d)
		for _, c := range explainGrowthCases(d) {
			lines, err := d.store.ExplainEvents(ctx, c.filter, true)
			if err != nil {
				t.Fatalf("%s at %d rows: %v", c.name, d.rows, err)
			}
			p := explainParsePlan(lines)
			r := got[c.name]
			r[i] = result{buffers: p.buffers, rows: p.nodes[0].rows, plan: lines}
			if i == 0 {
				names = append(names, c.name)
			}
			got[c.name] = r
		}
	}
	var table []string
	for _, name := range names {
		r := got[name]
		a, b := float64(r[0].buffers), float64(r[1].buffers)
		unit := "page"
		limit := 51 // Limit+1, what a full page reads
		if r[0].rows < limit || r[1].rows < limit {
			a, b = a/float64(max(r[0].rows, 1)), b/float64(max(r[1].rows, 1))
			unit = "event"
		}
		growth := b / max(a, 1)
		table = append(table, fmt.Sprintf("%-28s %7d rows %6d buffers | %7d rows %6d buffers | %.2fx per %s",
			name, r[0].rows, r[0].buffers, r[1].rows, r[1].buffers, growth, unit))
		if growth > explainMaxGrowth {
			t.Errorf("%s: buffers per %s grow %.2fx from %d to %d events (%d to %d buffers), want at most %.1fx\nsmall plan:\n%s\nlarge plan:\n%s",
				name, unit, growth, ds[0].rows, ds[1].rows, r[0].buffers, r[1].buffers, explainMaxGrowth,
				strings.Join(r[0].plan, "\n"), strings.Join(r[1].plan, "\n"))
		}
	}
	t.Logf("case                         small                          | large                           | growth\n%s", strings.Join(table, "\n"))
}

// explainMaxGrowth is the most a page's buffers may grow when the table
// grows tenfold.
const explainMaxGrowth = 1.2

// explainGrowthCases are every filter of GET /v1/events, alone and
// combined, in both orders, including searches for words of every
// frequency of the generated vocabulary.
func explainGrowthCases(d *explainData) []explainCase {
	search := func(s string) models.SearchQuery {
		q, err := models.ParseSearchQuery(s)
		if err != nil {
			panic(err)
		}
		return q
	}
	f := func(mod func(*models.EventFilter)) models.EventFilter {
		ef := models.EventFilter{Limit: 50}
		mod(&ef)
		return ef
	}
	cases := explainCases(d)
	common, pct1, rare := explainWord(0, 1), explainWord(1, 10), explainWord(2, 1000)
	cases = append(cases,
		explainCase{name: "within-year", filter: f(func(e *models.EventFilter) { e.Within, e.Years = true, []int{2019} })},
		explainCase{name: "within-month", filter: f(func(e *models.EventFilter) {
			e.Within, e.From, e.To = true, explainDate("2019-10-01"), explainDate("2019-10-31")
		})},
		explainCase{name: "from-to-descending", filter: f(func(e *models.EventFilter) {
			e.From, e.To, e.Descending = explainDate("2019-10-01"), explainDate("2019-10-31"), true
		})},
		explainCase{name: "year-1950-actor-rare", filter: f(func(e *models.EventFilter) {
			e.Years, e.Actors = []int{1950}, []string{"explain-actor-rare"}
		})},
		explainCase{name: "month-tag", filter: f(func(e *models.EventFilter) {
			e.From, e.To, e.Tags = explainDate("2019-10-01"), explainDate("2019-10-31"), []string{"tag-001"}
		})},
		explainCase{name: "within-year-place", filter: f(func(e *models.EventFilter) {
			e.Within, e.Years, e.Places = true, []int{2019}, []string{"explain-place-001"}
		})},
		explainCase{name: "actor-uncommon-descending", filter: f(func(e *models.EventFilter) {
			e.Actors, e.Descending = []string{"explain-actor-299"}, true
		})},
		explainCase{name: "actors-two", filter: f(func(e *models.EventFilter) {
			e.Actors = []string{"explain-actor-299", "explain-actor-rare"}
		})},
		explainCase{name: "q-common", filter: f(func(e *models.EventFilter) { e.Query = search(common) })},
		explainCase{name: "q-1pct", filter: f(func(e *models.EventFilter) { e.Query = search(pct1) })},
		explainCase{name: "q-rare", filter: f(func(e *models.EventFilter) { e.Query = search(rare) })},
		explainCase{name: "q-every", filter: f(func(e *models.EventFilter) { e.Query = search("generated") })},
		explainCase{name: "q-common-descending", filter: f(func(e *models.EventFilter) { e.Query, e.Descending = search(common), true })},
		explainCase{name: "q-rare-year", filter: f(func(e *models.EventFilter) { e.Query, e.Years = search(rare), []int{2019} })},
		explainCase{name: "q-relevance-common", filter: f(func(e *models.EventFilter) { e.Query, e.Relevance = search(common), true })},
		explainCase{name: "q-relevance-every", filter: f(func(e *models.EventFilter) { e.Query, e.Relevance = search("generated"), true })},
		explainCase{name: "q-relevance-rare", filter: f(func(e *models.EventFilter) { e.Query, e.Relevance = search(rare), true })},
	)
	return cases
}
