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
// smaller). The rows a page reads (every row every scan returned or
// filtered out, index-only scans included) may grow by at most
// explainMaxGrowth, and its shared buffers by at most explainMaxGrowth
// times the growth of the B-tree height of events_pkey (each probe of an
// index touches one page per level, and the index gains a level between
// the two sizes: an O(log n) term no plan avoids). A page that is not full
// at either size (a rare actor has 1 event in the small table and 10 in
// the large) is compared per event returned instead, since the filter
// itself must touch each. Cases in explainGrowthKnown are logged as known
// gaps (see BENCHMARKS.md) instead of failing.
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
		buffers, rows, read int
		plan                []string
	}
	var heights [2]float64
	for i, d := range ds {
		var level int
		if err := d.store.DB().Exec("CREATE EXTENSION IF NOT EXISTS pageinspect").Error; err != nil {
			t.Fatalf("pageinspect (PostgreSQL contrib) is needed to read B-tree heights: %v", err)
		}
		if err := d.store.DB().Raw("SELECT level FROM bt_metap('events_pkey')").Row().Scan(&level); err != nil {
			t.Fatal(err)
		}
		heights[i] = float64(level + 2) // the levels, the root and the heap page
	}
	t.Logf("events_pkey levels + 2: %v", heights)
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
			r[i] = result{buffers: p.buffers, rows: p.nodes[0].rows, read: p.rowsRead, plan: lines}
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
		ra, rb := float64(r[0].read), float64(r[1].read)
		unit := "page"
		limit := 51 // Limit+1, what a full page reads
		if r[0].rows < limit || r[1].rows < limit {
			n0, n1 := float64(max(r[0].rows, 1)), float64(max(r[1].rows, 1))
			a, b, ra, rb = a/n0, b/n1, ra/n0, rb/n1
			unit = "event"
		}
		growth := b / max(a, 1)
		readGrowth := rb / max(ra, 1)
		maxBuffers := explainMaxGrowth * heights[1] / heights[0]
		table = append(table, fmt.Sprintf("%-26s %4d rows %6d read %6d buf | %4d rows %6d read %6d buf | read %.2fx, buffers %.2fx per %s",
			name, r[0].rows, r[0].read, r[0].buffers, r[1].rows, r[1].read, r[1].buffers, readGrowth, growth, unit))
		if readGrowth <= explainMaxGrowth && growth <= maxBuffers {
			continue
		}
		msg := fmt.Sprintf("%s: rows read per %s grow %.2fx (%d to %d), buffers %.2fx (%d to %d) from %d to %d events; want at most %.2fx and %.2fx",
			name, unit, readGrowth, r[0].read, r[1].read, growth, r[0].buffers, r[1].buffers, ds[0].rows, ds[1].rows,
			explainMaxGrowth, maxBuffers)
		if why, ok := explainGrowthKnown[name]; ok {
			t.Logf("KNOWN GAP %s (%s)", msg, why)
			continue
		}
		t.Errorf("%s\nsmall plan:\n%s\nlarge plan:\n%s", msg, strings.Join(r[0].plan, "\n"), strings.Join(r[1].plan, "\n"))
	}
	t.Logf("case                       small                           | large                           | growth\n%s", strings.Join(table, "\n"))
}

// explainGrowthKnown are the cases whose cost still grows with the table,
// and why; BENCHMARKS.md has their figures.
var explainGrowthKnown = map[string]string{
	// Page 1 of a period mixes events that start in it (one index range,
	// neighbouring heap rows) with events that run into it (event_spans
	// keys, a heap probe each). At 20,000 events few run into a period, at
	// 200,000 most of page 1 does: the cost is bounded (at most limit+1
	// keys and probes per arm; 250 buffers for year=2019 at 200,000
	// events, 255 at 1,000,000) but has not reached its bound at 20,000.
	"year-2019":            "crossing events fill the page only at the larger size",
	"year-2019-descending": "crossing events fill the page only at the larger size",
	"from-only-2019":       "crossing events fill the page only at the larger size",
	"year-1950":            "crossing events fill the page only at the larger size",
	"from-only-1950":       "crossing events fill the page only at the larger size",
	"years-2019-2021":      "two periods: each arm leaves out the other's events by a heap check",
	// A rare actor with a date: the link arm reads the actor's events that
	// start in the period exactly, but the events running into it are
	// read from event_spans and probed for the actor one by one.
	"year-1950-actor-rare": "crossing events are probed for the actor one by one",
	// Search in date order has no ordered index per word: the planner
	// either walks events in date order testing each (cost 51/share of
	// the word) or reads every match from the GIN index and sorts, by its
	// estimate of the word's frequency, which flips between the sizes.
	"q-1pct":              "no ordered index per word; plan chosen by estimate",
	"q-common":            "no ordered index per word; plan chosen by estimate",
	"q-common-descending": "no ordered index per word; plan chosen by estimate",
	"q-rare-year":         "no ordered index per word; plan chosen by estimate",
	// Relevance ranks at most MaxRankedMatches candidates, but a common
	// word's candidates come from a bitmap of all its matches.
	"q-relevance-common": "candidates found through a bitmap of every match",
	// The rare actor has no event at 20,000 (1 in 20,011), so the small
	// side reads nothing and the per-event comparison divides 0 rows.
	"actor-rare": "no matching event in the small table",
	// Two ids: rows read stay within 1.2x (153 to 180); the second arm's
	// probe per link adds an index descent that the taller B-tree makes
	// cost more buffers (160 to 276).
	"actors-two": "one more index probe per link of the second id",
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
