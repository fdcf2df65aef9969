package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// explainSearchRows is the size of the generated database of
// TestExplainSearch.
const explainSearchRows = 50000

// TestExplainSearch checks on generated PostgreSQL data that a search
// reaches events through an index of its words in either order (a page
// through event_words, the lexemes in date order; counts through the GIN
// index on search_vector),
// that match=within is one start_date range, that a name costs what its id
// costs, and that the counts of /v1/years and /v1/facets under a search
// read only the matching events.
func TestExplainSearch(t *testing.T) {
	d := explainSetupOwn(t, explainSearchRows) // it writes search text
	ctx := context.Background()
	// Every generated event gets a search text: a word shared with one
	// event in 1000 (kwN), one shared with one in 50 (grpN), and, in one
	// event of 20011, a rare word. The GIN index is rebuilt afterwards,
	// which is faster than maintaining it row by row.
	start := time.Now()
	for _, stmt := range []string{
		"DROP INDEX events_search",
		`UPDATE events SET search_text = 'event ' || id ||
			' kw' || (substr(id, 4)::int % 1000) || ' grp' || (substr(id, 4)::int % 50) ||
			CASE WHEN substr(id, 4)::int % 20011 = 3 THEN ' zanzibar' ELSE '' END`,
		"CREATE INDEX events_search ON events USING gin (search_vector)",
		// ANALYZE samples 300 rows per statistics point: at the default
		// (100) that is 30,000 of the 50,000 events, drawn at random, so
		// the estimate of a word in 1 event of 1000 moved between runs and
		// the count's plan with it (a sequential scan now and then). A
		// target that samples every row makes the estimate, and the plan,
		// the same on every run.
		"ALTER TABLE events ALTER COLUMN search_vector SET STATISTICS 1000",
		"VACUUM (ANALYZE) events",
	} {
		if err := d.store.DB().Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s; search text written in %s", d, time.Since(start).Round(time.Millisecond))
	search := func(s string) models.SearchQuery {
		sq, err := models.ParseSearchQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		return sq
	}
	f := func(mod func(*models.EventFilter)) models.EventFilter {
		ef := models.EventFilter{Limit: 50}
		mod(&ef)
		return ef
	}
	type searchCase struct {
		explainCase
		gin bool // demands a scan of events_search
	}
	cases := []searchCase{
		{explainCase{name: "word", filter: f(func(e *models.EventFilter) { e.Query = search("kw17") }), maxRows: 1000}, true},
		{explainCase{name: "word-relevance", filter: f(func(e *models.EventFilter) { e.Query, e.Relevance = search("kw17"), true }), maxRows: 1000}, true},
		{explainCase{name: "word-descending", filter: f(func(e *models.EventFilter) { e.Query, e.Descending = search("kw17"), true }), maxRows: 1000}, true},
		{explainCase{name: "rare", filter: f(func(e *models.EventFilter) { e.Query = search("zanzibar") }), maxRows: 100}, true},
		{explainCase{name: "and", filter: f(func(e *models.EventFilter) { e.Query = search("kw17 grp17") }), maxRows: 1000}, true},
		{explainCase{name: "or", filter: f(func(e *models.EventFilter) { e.Query = search("kw17 or kw18") }), maxRows: 1000}, true},
		{explainCase{name: "exclude", filter: f(func(e *models.EventFilter) { e.Query = search(`kw17 -"grp17"`) }), maxRows: 1000}, true},
		{explainCase{name: "phrase", filter: f(func(e *models.EventFilter) { e.Query = search(`"kw17 grp17"`) }), maxRows: 1000}, true},
		{explainCase{name: "common-relevance", filter: f(func(e *models.EventFilter) { e.Query, e.Relevance = search("grp7"), true })}, true},
		{explainCase{name: "only-exclusions", filter: f(func(e *models.EventFilter) { e.Query = search("-kw17") }), maxRows: 1000}, false},
		{explainCase{name: "word-year", filter: f(func(e *models.EventFilter) { e.Query, e.Years = search("kw17"), []int{2019} }), maxRows: 1000}, true},
		{explainCase{name: "within-year", filter: f(func(e *models.EventFilter) { e.Within, e.Years = true, []int{2019} }), dateIndex: true}, false},
		{explainCase{name: "within-years", filter: f(func(e *models.EventFilter) { e.Within, e.Years = true, []int{1950, 2019} }), dateIndex: true}, false},
		{explainCase{name: "within-month", filter: f(func(e *models.EventFilter) {
			e.Within, e.From, e.To = true, explainDate("2019-10-01"), explainDate("2019-10-31")
		}), dateIndex: true}, false},
		{explainCase{name: "within-from", filter: f(func(e *models.EventFilter) { e.Within, e.From = true, explainDate("1950-01-01") }),
			dateIndex: true, maxRows: 1000}, false},
		{explainCase{name: "actor-name", filter: f(func(e *models.EventFilter) { e.Actors = []string{"EXPLAIN-ACTOR-RARE"} })}, false},
		{explainCase{name: "place-name", filter: f(func(e *models.EventFilter) { e.Places = []string{" Explain-Place-001 "} })}, false},
	}
	for _, c := range cases {
		t.Run("FindEvents/"+c.name, func(t *testing.T) {
			lines, err := d.store.ExplainEvents(ctx, c.filter, true)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			p := explainParsePlan(lines)
			explainCheckPage(t, d, c.explainCase, p)
			if plan := strings.Join(lines, "\n"); c.gin && !strings.Contains(plan, "events_search") &&
				!strings.Contains(plan, "event_words_pkey") {
				t.Errorf("plan uses neither events_search nor event_words_pkey")
			}
		})
	}

	capture, err := explainCapture(d.store.DB())
	if err != nil {
		t.Fatalf("register capture: %v", err)
	}
	for _, c := range []explainCase{
		{name: "years-word", filter: models.EventFilter{Query: search("kw17")}},
		{name: "years-within", filter: models.EventFilter{Within: true, From: explainDate("2010-01-01"), To: explainDate("2019-12-31")}, dateIndex: true},
		{name: "facets-word", filter: models.EventFilter{Query: search("kw17")}},
		// CountEvents (the total of an export) filters on names in SQL,
		// without resolving them first.
		{name: "count-actor-name", filter: models.EventFilter{Actors: []string{"Explain-Actor-299"}}},
	} {
		t.Run("Count/"+c.name, func(t *testing.T) {
			stmts, err := capture(ctx, func(ctx context.Context) error {
				switch {
				case strings.HasPrefix(c.name, "facets"):
					_, err := d.store.CountFacets(ctx, c.filter)
					return err
				case strings.HasPrefix(c.name, "count"):
					_, err := d.store.CountEvents(ctx, c.filter)
					return err
				}
				_, _, err := d.store.CountEventsByYear(ctx, c.filter)
				return err
			})
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			if len(stmts) == 0 {
				t.Fatal("ran no query")
			}
			for i, st := range stmts {
				lines, err := explainAnalyze(ctx, d.store.DB(), st)
				if err != nil {
					t.Fatalf("explain query %d: %v\n%s", i+1, err, st.sql)
				}
				t.Logf("query %d: %s", i+1, st.sql)
				p := explainParsePlan(lines)
				explainCheckCount(t, d, c, p)
				if c.filter.Query.Text() != "" && p.eventRows > 1000 {
					t.Errorf("query %d reads %d events rows for a word in 1 event of 1000", i+1, p.eventRows)
				}
			}
		})
	}
}
