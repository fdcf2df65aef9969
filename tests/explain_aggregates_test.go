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

// TestExplainAggregatesGrowth checks that /v1/years, /v1/facets, the
// catalog lists and /v1/timelines cost what they return, not what the
// tables hold: each store method is run with its statements captured,
// each statement is explained with EXPLAIN (ANALYZE, BUFFERS) on two
// generated databases ten times apart in size (10,000 and 100,000 events
// by default; EXPLAIN_AGGREGATES_ROWS sets the smaller), and the shared
// buffers of all of a request's statements may grow by at most
// explainMaxGrowth times the growth of the B-tree height (see
// TestExplainGrowth), plus the growth of what the answer itself holds
// (the distinct first and last years of the events, which the histogram
// spreads over the years; for the facets of one value, the values it
// meets). No statement may scan events or a link table whole.
func TestExplainAggregatesGrowth(t *testing.T) {
	small := 20000 // the sizes TestExplainGrowth generates: the run shares them
	if v := os.Getenv("EXPLAIN_AGGREGATES_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("EXPLAIN_AGGREGATES_ROWS=%q: want an integer of at least 1000", v)
		}
		small = n
	}
	if testing.Short() {
		t.Skip("generates 220,000 events")
	}
	ds := []*explainData{explainSetup(t, small), explainSetup(t, 10*small)}
	ctx := context.Background()
	type result struct {
		buffers, read, spans int
		plans                []string
	}
	// answer counts the rows that a case must read: its dimension's spans
	// (for a facet of a year, those meeting the year). A histogram of one
	// value reads each of its spans five times (three index scans: the
	// starts, the ends and the total; two subquery scans) and each year it
	// covers once. The rows read may grow with the answer.
	const allSpans = "SELECT count(*) FROM event_year_counts WHERE dim = 'all'"
	spansOf := func(dim, value string, from int) string {
		where := fmt.Sprintf("c.dim = '%s' AND c.value = '%s' AND c.last_year >= %d", dim, value, from)
		return "SELECT 5 * (SELECT count(*) FROM event_year_counts c WHERE " + where + ") + " +
			"(SELECT count(DISTINCT y.year) FROM event_year_counts c JOIN calendar_years y " +
			fmt.Sprintf("ON y.year >= c.first_year AND y.year <= c.last_year AND y.year >= %d WHERE %s)", from, where)
	}
	meeting := func(first, last int) string {
		return fmt.Sprintf("SELECT count(*) FROM event_year_counts WHERE dim = 'all' OR (dim <> 'timeline' "+
			"AND first_year <= %d AND last_year >= %d)", last, first)
	}
	// paired is what the facets of one value read: its histogram (its
	// spans, as spansOf) and its co-occurrence rows, one per value it
	// meets in each facet.
	paired := func(dim, value string) string {
		return "SELECT (" + spansOf(dim, value, -100000) + ") + " +
			fmt.Sprintf("(SELECT count(*) FROM facet_pair_counts WHERE filter_dim = '%s' AND filter_value = '%s')", dim, value)
	}
	cases := []struct {
		name, answer string
		run          func(ctx context.Context, s *models.Store) error
	}{
		{"years", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{})
			return err
		}},
		{"years-decade", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{From: explainDate("2010-01-01"), To: explainDate("2019-12-31")})
			return err
		}},
		{"years-within-2019", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Years: []int{2019}, Within: true})
			return err
		}},
		{"years-actor", spansOf("actor", "explain-actor-299", -100000), func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Actors: []string{"explain-actor-299"}})
			return err
		}},
		{"years-place", spansOf("place", "explain-place-001", 2000), func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Places: []string{"explain-place-001"}, From: explainDate("2000-01-01")})
			return err
		}},
		{"years-tag", spansOf("tag", "tag-001", -100000), func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Tags: []string{"tag-001"}})
			return err
		}},
		{"years-status", spansOf("status", "planned", -100000), func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Statuses: []string{"planned"}})
			return err
		}},
		{"years-timeline", spansOf("timeline", "explain-tl-07", -100000), func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Timelines: []string{"explain-tl-07"}})
			return err
		}},
		{"facets-2019", meeting(2019, 2019), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Years: []int{2019}})
			return err
		}},
		{"facets-decade", meeting(2010, 2019), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{From: explainDate("2010-01-01"), To: explainDate("2019-12-31")})
			return err
		}},
		// One value of one dimension (migration 0014): the value's
		// histogram and, per facet, its co-occurrence rows.
		{"facets-type", paired("type", "summit"), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Types: []string{"summit"}})
			return err
		}},
		{"facets-status", paired("status", "planned"), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Statuses: []string{"planned"}})
			return err
		}},
		{"facets-timeline", paired("timeline", "explain-tl-07"), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Timelines: []string{"explain-tl-07"}})
			return err
		}},
		{"facets-actor", paired("actor", "explain-actor-299"), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Actors: []string{"explain-actor-299"}})
			return err
		}},
		{"facets-place", paired("place", "explain-place-001"), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Places: []string{"explain-place-001"}})
			return err
		}},
		{"facets-tag", paired("tag", "tag-001"), func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{Tags: []string{"tag-001"}})
			return err
		}},
		{"years-type", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, models.EventFilter{Types: []string{"summit"}})
			return err
		}},
		{"facets", allSpans, func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, models.EventFilter{})
			return err
		}},
		{"actors", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.FindActors(ctx, models.CatalogFilter{Limit: 50})
			return err
		}},
		{"actors-after", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.FindActors(ctx, models.CatalogFilter{Limit: 50, After: "explain-actor-100"})
			return err
		}},
		{"places", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.FindPlaces(ctx, models.CatalogFilter{Limit: 50})
			return err
		}},
		{"tags", allSpans, func(ctx context.Context, s *models.Store) error {
			_, _, err := s.FindTags(ctx, models.CatalogFilter{Limit: 50})
			return err
		}},
		{"timelines", allSpans, func(ctx context.Context, s *models.Store) error {
			_, err := s.ListTimelines(ctx)
			return err
		}},
	}
	var heights [2]float64
	got := map[string][2]result{}
	for i, d := range ds {
		db := d.store.DB()
		var level int
		if err := db.Exec("CREATE EXTENSION IF NOT EXISTS pageinspect").Error; err != nil {
			t.Fatalf("pageinspect (PostgreSQL contrib) is needed to read B-tree heights: %v", err)
		}
		if err := db.Raw("SELECT level FROM bt_metap('events_pkey')").Row().Scan(&level); err != nil {
			t.Fatal(err)
		}
		heights[i] = float64(level + 2)
		capture, err := explainCapture(db)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			// The actor and place names resolve to their ids, as they would
			// in a request, so that the counts by actor and place are read.
			stmts, err := capture(context.WithValue(ctx, explainNamesRunKey{}, true),
				func(ctx context.Context) error { return c.run(ctx, d.store) })
			if err != nil {
				t.Fatalf("%s at %d rows: %v", c.name, d.rows, err)
			}
			var r result
			if err := db.Raw(c.answer).Row().Scan(&r.spans); err != nil {
				t.Fatal(err)
			}
			for _, st := range stmts {
				lines, err := explainAnalyze(ctx, db, st)
				if err != nil {
					t.Fatalf("%s at %d rows: %v\n%s", c.name, d.rows, err, st.sql)
				}
				p := explainParsePlan(lines)
				r.buffers += p.buffers
				r.read += p.rowsRead
				r.plans = append(r.plans, lines...)
				for _, line := range lines {
					for _, table := range []string{"events", "event_actors", "event_places", "event_tags"} {
						if strings.Contains(line, "Seq Scan on "+table+" ") {
							t.Errorf("%s at %d rows scans %s whole:\n%s", c.name, d.rows, table, strings.Join(lines, "\n"))
						}
					}
				}
			}
			x := got[c.name]
			x[i] = r
			got[c.name] = x
		}
	}
	var table []string
	for _, c := range cases {
		r := got[c.name]
		growth := float64(r[1].buffers) / max(float64(r[0].buffers), 1)
		readGrowth := float64(r[1].read) / max(float64(r[0].read), 1)
		// What the answer holds: the histogram reads one row per distinct
		// span, which grows with the data until every span is there.
		answer := 1.0
		if strings.HasPrefix(c.name, "years") || strings.HasPrefix(c.name, "facets") {
			answer = float64(r[1].spans) / float64(max(r[0].spans, 1))
		}
		maxBuffers := explainMaxGrowth * heights[1] / heights[0] * answer
		table = append(table, fmt.Sprintf("%-18s %6d read %6d buf | %6d read %6d buf | read %.2fx, buffers %.2fx (spans %d to %d; allowed %.2fx)",
			c.name, r[0].read, r[0].buffers, r[1].read, r[1].buffers, readGrowth, growth, r[0].spans, r[1].spans, maxBuffers))
		maxRead := explainMaxGrowth * answer
		if answer != 1 {
			// The spans that reach a window of years are read twice (the
			// running sum's starts and ends) and grow a little faster
			// than all the spans where the events are densest.
			maxRead = 1.3 * answer
		}
		if growth > maxBuffers || readGrowth > maxRead {
			t.Errorf("%s: buffers grow %.2fx (%d to %d), rows read %.2fx (%d to %d) from %d to %d events; want at most %.2fx and %.2fx\nlarge plans:\n%s",
				c.name, growth, r[0].buffers, r[1].buffers, readGrowth, r[0].read, r[1].read, ds[0].rows, ds[1].rows,
				maxBuffers, maxRead, strings.Join(r[1].plans, "\n"))
		}
	}
	t.Logf("heights %v\ncase               small                      | large                      | growth\n%s", heights, strings.Join(table, "\n"))
}

// TestExplainAggregatesLinkDriver checks that the facets of several
// values of a partition read only the kept counts, and that a count the kept counts do
// not answer, filtered by a rare actor, place or tag and by dates, is
// driven by that value's link rows (which carry their event's dates), not
// by every event of the dates: each statement reads at most about as many
// events rows as the value has links meeting the dates. Before the link
// rows carried the dates in the statement, the facets of
// actor=explain-actor-299&year=2019 read the year's 16,650 events at 1M
// for the actor's 54.
func TestExplainAggregatesLinkDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20,000 events")
	}
	d := explainSetup(t, 20000)
	ctx := context.Background()
	db := d.store.DB()
	capture, err := explainCapture(db)
	if err != nil {
		t.Fatal(err)
	}
	decade := func(f models.EventFilter) models.EventFilter {
		f.From, f.To = explainDate("2010-01-01"), explainDate("2019-12-31")
		return f
	}
	cases := []struct {
		name, links string // links: the value's link rows meeting the dates
		run         func(ctx context.Context, s *models.Store) error
	}{
		{"facets-actor-decade", "SELECT count(*) FROM event_actors WHERE actor_id = 'explain-actor-299' " +
			"AND end_date >= '2010-01-01' AND start_date <= '2019-12-31'", func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, decade(models.EventFilter{Actors: []string{"explain-actor-299"}}))
			return err
		}},
		{"facets-actor-type-decade", "SELECT count(*) FROM event_actors WHERE actor_id = 'explain-actor-299' " +
			"AND end_date >= '2010-01-01' AND start_date <= '2019-12-31'", func(ctx context.Context, s *models.Store) error {
			_, err := s.CountFacets(ctx, decade(models.EventFilter{Actors: []string{"explain-actor-299"}, Types: []string{"summit"}}))
			return err
		}},
		{"years-actor-type-decade", "SELECT count(*) FROM event_actors WHERE actor_id = 'explain-actor-299' " +
			"AND end_date >= '2010-01-01' AND start_date <= '2019-12-31'", func(ctx context.Context, s *models.Store) error {
			_, _, err := s.CountEventsByYear(ctx, decade(models.EventFilter{Actors: []string{"explain-actor-299"}, Types: []string{"summit"}}))
			return err
		}},
		{"facets-tag-within-decade", "SELECT count(*) FROM event_tags WHERE tag = 'tag-150' " +
			"AND start_date >= '2010-01-01' AND end_date <= '2019-12-31'", func(ctx context.Context, s *models.Store) error {
			f := decade(models.EventFilter{Tags: []string{"tag-150"}})
			f.Within = true
			_, err := s.CountFacets(ctx, f)
			return err
		}},
	}
	// Several values of a partition (type, status, timeline), no dates:
	// the sum of each value's co-occurrence counts, no events read.
	for _, f := range []models.EventFilter{{Types: []string{"summit", "conflict"}},
		{Statuses: []string{"planned", "occurred"}}, {Timelines: []string{"explain-tl-07", "explain-tl-01"}}} {
		stmts, err := capture(ctx, func(ctx context.Context) error {
			_, err := d.store.CountFacets(ctx, f)
			return err
		})
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		for _, st := range stmts {
			lines, err := explainAnalyze(ctx, db, st)
			if err != nil {
				t.Fatalf("%+v: %v\n%s", f, err, st.sql)
			}
			for _, line := range lines {
				for _, table := range []string{"events", "event_actors", "event_places", "event_tags"} {
					if strings.Contains(line, " on "+table+" ") {
						t.Errorf("facets of %+v read %s; want the kept counts only:\n%s\n%s", f, table, st.sql, strings.Join(lines, "\n"))
					}
				}
			}
		}
	}
	for _, c := range cases {
		var links int
		if err := db.Raw(c.links).Row().Scan(&links); err != nil {
			t.Fatal(err)
		}
		stmts, err := capture(context.WithValue(ctx, explainNamesRunKey{}, true),
			func(ctx context.Context) error { return c.run(ctx, d.store) })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		counted := 0
		for _, st := range stmts {
			if !strings.Contains(st.sql, "FROM events e") {
				continue // the kept counts, the name lookup
			}
			counted++
			lines, err := explainAnalyze(ctx, db, st)
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.name, err, st.sql)
			}
			p := explainParsePlan(lines)
			if limit := 2*links + 10; p.eventRows > limit {
				t.Errorf("%s reads %d events rows for %d links meeting the dates (want at most %d):\n%s\n%s",
					c.name, p.eventRows, links, limit, st.sql, strings.Join(lines, "\n"))
			}
		}
		if counted == 0 {
			t.Errorf("%s: no statement counted over events; the case no longer tests the counted path", c.name)
		}
		t.Logf("%s: %d links meet the dates, %d counting statements", c.name, links, counted)
	}
}
