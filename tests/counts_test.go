package tests

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// The counts of migrations 0011, 0013 and 0014 (event_year_counts,
// link_counts, facet_pair_counts and their deltas) must equal a recount
// from the events after every kind of write.

// keptCounts reads the kept counts with their pending deltas, as the
// readers add them, one line per non-zero count.
func keptCounts(t *testing.T, b *backend) []string {
	t.Helper()
	var out []string
	if err := b.store.DB().Raw(`SELECT 'year ' || dim || ' ' || value || ' ' ||
			CAST(first_year AS text) || '-' || CAST(last_year AS text) || ' = ' || CAST(SUM(n) AS text)
		FROM (SELECT dim, value, first_year, last_year, n FROM event_year_counts
			UNION ALL SELECT dim, value, first_year, last_year, n FROM event_year_deltas) u
		GROUP BY dim, value, first_year, last_year HAVING SUM(n) <> 0
		UNION ALL
		SELECT kind || ' ' || key || ' = ' || CAST(SUM(n) AS text)
		FROM (SELECT kind, key, n FROM link_counts UNION ALL SELECT kind, key, n FROM link_count_deltas) u
		GROUP BY kind, key HAVING SUM(n) <> 0
		UNION ALL
		SELECT 'pair ' || filter_dim || ' ' || filter_value || ' ' || facet_dim || ' ' || facet_value || ' = ' || CAST(SUM(n) AS text)
		FROM (SELECT filter_dim, filter_value, facet_dim, facet_value, n FROM facet_pair_counts
			UNION ALL SELECT filter_dim, filter_value, facet_dim, facet_value, n FROM facet_pair_deltas) u
		GROUP BY filter_dim, filter_value, facet_dim, facet_value HAVING SUM(n) <> 0 ORDER BY 1`).Scan(&out).Error; err != nil {
		t.Fatalf("kept counts: %v", err)
	}
	return out
}

// recount counts the same from the events and their links.
func recount(t *testing.T, b *backend) []string {
	t.Helper()
	year := "CAST(EXTRACT(YEAR FROM %s) AS integer)"
	if b.name == models.DialectSQLite {
		year = "CAST(substr(%s, 1, 4) AS INTEGER)"
	}
	years := "SELECT %s AS dim, %s AS value, " + fmt.Sprintf(year, "start_date") + " AS y1, " +
		fmt.Sprintf(year, "end_date") + " AS y2 FROM events"
	// The links by their events' years (migration 0013), from the events'
	// dates rather than the link rows' copies.
	links := "SELECT %s AS dim, l.%s AS value, " + fmt.Sprintf(year, "e.start_date") + " AS y1, " +
		fmt.Sprintf(year, "e.end_date") + " AS y2 FROM %s l JOIN events e ON e.id = l.event_id"
	var out []string
	if err := b.store.DB().Raw(`SELECT 'year ' || dim || ' ' || value || ' ' ||
			CAST(y1 AS text) || '-' || CAST(y2 AS text) || ' = ' || CAST(count(*) AS text)
		FROM (` + fmt.Sprintf(years, "'all'", "''") + ` UNION ALL ` + fmt.Sprintf(years, "'timeline'", "timeline_id") +
		` UNION ALL ` + fmt.Sprintf(years, "'type'", "type") + ` UNION ALL ` + fmt.Sprintf(years, "'status'", "status") +
		` UNION ALL ` + fmt.Sprintf(links, "'actor'", "actor_id", "event_actors") +
		` UNION ALL ` + fmt.Sprintf(links, "'place'", "place_id", "event_places") +
		` UNION ALL ` + fmt.Sprintf(links, "'tag'", "tag", "event_tags") + `) e
		GROUP BY dim, value, y1, y2
		UNION ALL SELECT 'timeline ' || timeline_id || ' = ' || CAST(count(*) AS text) FROM events GROUP BY timeline_id
		UNION ALL SELECT 'type ' || type || ' = ' || CAST(count(*) AS text) FROM events GROUP BY type
		UNION ALL SELECT 'status ' || status || ' = ' || CAST(count(*) AS text) FROM events GROUP BY status
		UNION ALL SELECT 'actor ' || actor_id || ' = ' || CAST(count(*) AS text) FROM event_actors GROUP BY actor_id
		UNION ALL SELECT 'place ' || place_id || ' = ' || CAST(count(*) AS text) FROM event_places GROUP BY place_id
		UNION ALL SELECT 'tag ' || tag || ' = ' || CAST(count(*) AS text) FROM event_tags GROUP BY tag
		UNION ALL SELECT 'pair ' || a.dim || ' ' || a.value || ' ' || b.dim || ' ' || b.value || ' = ' || CAST(count(*) AS text)
		FROM (` + eventItems + `) a JOIN (` + eventItems + `) b ON b.event_id = a.event_id AND b.dim <> 'timeline'
		GROUP BY a.dim, a.value, b.dim, b.value
		ORDER BY 1`).Scan(&out).Error; err != nil {
		t.Fatalf("recount: %v", err)
	}
	return out
}

// eventItems is every event's values as (event_id, dim, value), written
// here rather than read from the migration's view of the same: the pairs
// of migration 0014 are each two of one event's values.
const eventItems = `SELECT id AS event_id, 'timeline' AS dim, timeline_id AS value FROM events
	UNION ALL SELECT id, 'type', type FROM events UNION ALL SELECT id, 'status', status FROM events
	UNION ALL SELECT event_id, 'actor', actor_id FROM event_actors
	UNION ALL SELECT event_id, 'place', place_id FROM event_places
	UNION ALL SELECT event_id, 'tag', tag FROM event_tags`

// countsQuote is the desk-notes quote of the events these tests write: it
// names their place and the years of every date they are given, as the
// editorial rules ask of a source whose text is unknown.
const countsQuote = "Russia, in 1991, 1992, 1999, 2000, 2001, 2002, 2005, 2010 and 2020."

// wantExactCounts fails when the kept counts differ from a recount, and
// checks that the link tables' dates and types (migration 0018) follow
// their events' and the spans
// per link (migration 0015) follow the links.
func wantExactCounts(t *testing.T, b *backend, after string) {
	t.Helper()
	if diff := cmp.Diff(recount(t, b), keptCounts(t, b)); diff != "" {
		t.Errorf("%s: kept counts differ from a recount (-recount +kept):\n%s", after, diff)
	}
	for _, table := range []string{"event_actors", "event_places", "event_tags"} {
		var n int
		if err := b.store.DB().Raw(`SELECT count(*) FROM ` + table + ` l JOIN events e ON e.id = l.event_id
			WHERE l.end_date IS NULL OR l.end_date <> e.end_date OR l.start_date <> e.start_date
				OR l.event_type IS NULL OR l.event_type <> e.type`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows of %s whose dates or type are not their event's", after, n, table)
		}
	}
	wantLinkSpans(t, b, after)
}

// linkSpans are the rows event_link_spans (migration 0015) must hold: the
// span blocks of event_spans of each link's event.
const linkSpans = `SELECT 1 AS kind, l.actor_id AS driver, sp.node_key, sp.start_date, sp.event_id
	FROM event_spans sp JOIN event_actors l ON l.event_id = sp.event_id
	UNION ALL SELECT 2, l.place_id, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_places l ON l.event_id = sp.event_id
	UNION ALL SELECT 3, l.tag, sp.node_key, sp.start_date, sp.event_id FROM event_spans sp JOIN event_tags l ON l.event_id = sp.event_id`

// wantLinkSpans fails when event_link_spans misses a row of linkSpans or
// holds one more.
func wantLinkSpans(t *testing.T, b *backend, after string) {
	t.Helper()
	var missing, extra, n int
	kept := "SELECT kind, driver, node_key, start_date, event_id FROM event_link_spans"
	if err := b.store.DB().Raw("SELECT count(*) FROM (SELECT * FROM (" + linkSpans + ") AS w EXCEPT " + kept + ") AS d").
		Scan(&missing).Error; err != nil {
		t.Fatal(err)
	}
	if err := b.store.DB().Raw("SELECT count(*) FROM (" + kept + " EXCEPT SELECT * FROM (" + linkSpans + ") AS w) AS d").
		Scan(&extra).Error; err != nil {
		t.Fatal(err)
	}
	if err := b.store.DB().Raw("SELECT count(*) FROM event_link_spans").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if missing != 0 || extra != 0 || n == 0 {
		t.Errorf("%s: event_link_spans holds %d rows, %d missing and %d more than the links' span blocks", after, n, missing, extra)
	}
}

// TestCountsFollowWrites: after the seed, creating, editing, retracting,
// restoring and importing events, the kept counts equal a recount, with
// the deltas pending and once folded.
func TestCountsFollowWrites(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			b.deskSource(t)
			wantExactCounts(t, b, "seed")

			body := func(id, date, typ, actors, tags string) string {
				return `{"id": "` + id + `", "timeline": "csto", "title": "Count ` + id + `", "date": "` + date + `", "type": "` + typ + `",
					"status": "occurred", "actors": [` + actors + `], "places": [{"id": "russia"}],
					"tags": [` + tags + `], "sources": [{"source_id": "desk-notes", "quote": "` + countsQuote + `"}]}`
			}
			csto, belarus := `{"id": "csto", "role": "speaker"}`, `{"id": "belarus", "role": "member"}`
			b.write(t, "POST", "/v1/events", admin, jsonType, body("count-one", "2020-05-26", "statement", csto, `"test-tag"`)).wantStatus(t, 201)
			b.write(t, "POST", "/v1/events", admin, jsonType, body("count-span", "1991/2005", "decision", csto+","+belarus, `"test-tag", "synthetic"`)).wantStatus(t, 201)
			wantExactCounts(t, b, "create")
			wantSameYears(t, b, "create")
			wantSameFacets(t, b, "create")

			// Edits: the date (its years), the type, the actors and tags.
			r := b.write(t, "PATCH", "/v1/events/count-one", admin, mergeType,
				`{"date": "1999-03", "type": "summit", "actors": [`+belarus+`], "tags": ["synthetic"]}`, "If-Match", `"v1"`)
			r.wantStatus(t, 200)
			r = b.write(t, "PATCH", "/v1/events/count-span", admin, mergeType, `{"date": "1992/2010"}`, "If-Match", `"v1"`)
			r.wantStatus(t, 200)
			wantExactCounts(t, b, "edit")
			wantSameYears(t, b, "edit")
			wantSameFacets(t, b, "edit")

			// Retraction, then restoration with a PUT naming the retraction.
			b.write(t, "DELETE", "/v1/events/count-span", admin, "", "", "If-Match", `"v2"`).wantStatus(t, 204)
			wantExactCounts(t, b, "retract")
			wantSameYears(t, b, "retract")
			wantSameFacets(t, b, "retract")
			b.write(t, "PUT", "/v1/events/count-span", admin, jsonType, body("count-span", "1991/2005", "decision", belarus, `"biosecurity"`),
				"If-Match", `"v3"`).wantStatus(t, 200)
			wantExactCounts(t, b, "restore")
			wantSameYears(t, b, "restore")
			wantSameFacets(t, b, "restore")

			// An import that adds, changes and retracts (mode=replace).
			export := string(b.get(t, "/v1/events.ndjson?timeline=csto").body)
			lines := strings.Split(strings.TrimSuffix(export, "\n"), "\n")
			lines[0] = strings.Replace(lines[0], `"id":"`, `"id":"new-`, 1)
			file := strings.Join(append([]string{lines[0]}, lines[2:30]...), "\n") + "\n"
			r = b.write(t, "POST", "/v1/timelines/csto/import?mode=replace", admin, ndjsonType, file)
			if r.status != 200 && r.status != 201 {
				t.Fatalf("import: got %d %s", r.status, truncate(string(r.body)))
			}
			wantExactCounts(t, b, "import")

			wantSameYears(t, b, "import")
			wantSameFacets(t, b, "import")

			// Statements no handler runs, but the triggers must follow: a
			// link's value changed in place, and several events deleted in
			// one statement (their links go by cascade).
			for _, stmt := range []string{
				"UPDATE event_tags SET tag = 'renamed-tag' WHERE tag = 'synthetic'",
				"UPDATE event_actors SET actor_id = 'russia' WHERE event_id = 'count-one' AND actor_id = 'belarus'",
				"DELETE FROM events WHERE id IN (SELECT event_id FROM event_places WHERE place_id = 'kyrgyzstan')",
			} {
				if err := b.store.DB().Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
				wantExactCounts(t, b, stmt)
			}
			wantSameFacets(t, b, "statements")

			if err := b.store.FoldCounts(ctx); err != nil {
				t.Fatalf("fold: %v", err)
			}
			wantExactCounts(t, b, "fold")
			wantSameYears(t, b, "fold")
			wantSameFacets(t, b, "fold")
			if b.name == models.DialectPostgres {
				var pending int
				b.store.DB().Raw("SELECT (SELECT count(*) FROM event_year_deltas) + (SELECT count(*) FROM link_count_deltas) + " +
					"(SELECT count(*) FROM facet_pair_deltas)").Scan(&pending)
				if pending != 0 {
					t.Errorf("after a fold: %d deltas pending, want 0", pending)
				}
			}
		})
	}
}

// TestCountsConcurrentWriters: many writers creating and retracting events
// that share actors, tags and years, in opposite orders, while folds run:
// no write fails (no deadlock, no serialization error) and the counts
// stay exact.
func TestCountsConcurrentWriters(t *testing.T) {
	requirePostgres(t)
	b, cleanup, err := newBackend(context.Background(), models.DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
	b.deskSource(t)
	actors := []string{`{"id": "csto", "role": "speaker"}`, `{"id": "belarus", "role": "member"}`, `{"id": "russia", "role": "member"}`}
	const writers, each = 8, 12
	var wg sync.WaitGroup
	errs := make(chan string, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("conc-%d-%d", w, i)
				// Half the writers list the actors and tags the other way round.
				as, tags := actors[0]+","+actors[1]+","+actors[2], `"test-tag", "synthetic"`
				if w%2 == 1 {
					as, tags = actors[2]+","+actors[1]+","+actors[0], `"synthetic", "test-tag"`
				}
				body := `{"id": "` + id + `", "timeline": "csto", "title": "Concurrent", "date": "` + fmt.Sprintf("%d", 2000+i%3) + `",
					"type": "statement", "status": "occurred", "actors": [` + as + `], "places": [{"id": "russia"}],
					"tags": [` + tags + `], "sources": [{"source_id": "desk-notes", "quote": "` + countsQuote + `"}]}`
				if r := b.write(t, "POST", "/v1/events", admin, jsonType, body); r.status != 201 {
					errs <- fmt.Sprintf("create %s: %d %s", id, r.status, truncate(string(r.body)))
					continue
				}
				if i%3 == 0 {
					if r := b.write(t, "DELETE", "/v1/events/"+id, admin, "", "", "If-Match", `"v1"`); r.status != 204 {
						errs <- fmt.Sprintf("retract %s: %d %s", id, r.status, truncate(string(r.body)))
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	wantExactCounts(t, b, "concurrent writes")
	if err := b.store.FoldCounts(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactCounts(t, b, "fold")
}

// everUpdated is an UpdatedSince that every event passes: a filter with it
// is counted over the events, not read from the kept counts. (The zero
// time would not do: it means no filter.)
var everUpdated = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)

// countedFilters are the filters whose histograms and facets the kept
// counts answer, or (two actors, two dimensions) must leave to a count
// over the events; every one is compared with the same count over the
// events.
func countedFilters(t *testing.T) []models.EventFilter {
	t.Helper()
	day := func(s string) models.Date {
		d, err := models.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	return []models.EventFilter{
		{},
		{From: day("1990-01-01"), To: day("2009-12-31")},
		{From: day("1995-01-01")},
		{To: day("2000-12-31")},
		{From: day("1990-01-01"), To: day("2009-12-31"), Within: true},
		{Years: []int{1999, 2003, 2020}},
		{Years: []int{1999, 2003, 2020}, Within: true},
		{Types: []string{"statement", "decision"}},
		{Statuses: []string{"occurred"}, From: day("2000-01-01")},
		{Timelines: []string{"csto"}, Years: []int{2020}},
		// One actor, place or tag (migration 0013), by id or by name.
		{Actors: []string{"csto"}},
		{Actors: []string{"Belarus"}, Years: []int{1999, 2003, 2020}},
		{Actors: []string{"belarus"}, From: day("1990-01-01"), To: day("2009-12-31"), Within: true},
		{Actors: []string{"no-such-actor"}},
		{Places: []string{"russia"}, From: day("1995-01-01")},
		{Places: []string{"Russia"}, Years: []int{2020}, Within: true},
		{Tags: []string{"synthetic"}},
		{Tags: []string{"test-tag", "test-tag"}, To: day("2000-12-31")},
		// One value of one dimension, no dates: the facets are its
		// co-occurrence counts (migration 0014).
		{Timelines: []string{"csto"}},
		{Types: []string{"summit"}},
		{Types: []string{"statement", "statement"}},
		{Statuses: []string{"occurred"}},
		{Actors: []string{"Belarus"}},
		{Places: []string{"russia"}},
		{Tags: []string{"test-tag"}},
		{Tags: []string{"no-such-tag"}},
		// Two values of one link and nothing else: each value's kept
		// counts less those of the events having both (counted).
		{Actors: []string{"csto", "belarus"}},
		{Actors: []string{"Belarus", "no-such-actor"}},
		{Places: []string{"russia", "kyrgyzstan"}},
		{Tags: []string{"central-asia", "strategy"}},
		{Tags: []string{"synthetic", "test-tag"}},
		// Left to the events: two values of a link with dates, two
		// dimensions.
		{Tags: []string{"synthetic", "test-tag"}, Years: []int{2001}},
		{Actors: []string{"csto"}, Types: []string{"statement"}},
		// A link value with dates the kept counts do not answer (mid-year,
		// or with a second dimension): counted from the link rows' dates.
		{Actors: []string{"belarus"}, From: day("1995-03-01"), To: day("2020-06-30")},
		{Tags: []string{"test-tag"}, Types: []string{"decision"}, Years: []int{1999, 2020}},
		{Places: []string{"russia"}, Statuses: []string{"occurred"}, From: day("1991-01-01"), Within: true},
	}
}

// wantSameYears checks that the year histograms read from the kept counts
// equal those counted over the events: the same filter with an
// UpdatedSince that every event passes is counted over the events.
func wantSameYears(t *testing.T, b *backend, after string) {
	t.Helper()
	for _, f := range countedFilters(t) {
		ctx := context.Background()
		years, total, err := b.store.CountEventsByYear(ctx, f)
		if err != nil {
			t.Fatalf("%s: %+v: %v", after, f, err)
		}
		slow := f
		slow.UpdatedSince = everUpdated
		wantYears, wantTotal, err := b.store.CountEventsByYear(ctx, slow)
		if err != nil {
			t.Fatalf("%s: %+v: %v", after, f, err)
		}
		if diff := cmp.Diff(wantYears, years); diff != "" || total != wantTotal {
			t.Errorf("%s: %+v: kept counts give total %d, events %d; years (-events +kept):\n%s", after, f, total, wantTotal, diff)
		}
	}
}

// wantSameFacets checks that the facets read from the kept counts (whole
// years, migration 0013; one value of one dimension, 0014) equal those counted over the events, as
// wantSameYears does for the histograms.
func wantSameFacets(t *testing.T, b *backend, after string) {
	t.Helper()
	for _, f := range countedFilters(t) {
		ctx := context.Background()
		got, err := b.store.CountFacets(ctx, f)
		if err != nil {
			t.Fatalf("%s: %+v: %v", after, f, err)
		}
		slow := f
		slow.UpdatedSince = everUpdated
		want, err := b.store.CountFacets(ctx, slow)
		if err != nil {
			t.Fatalf("%s: %+v: %v", after, f, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: %+v: facets (-events +kept):\n%s", after, f, diff)
		}
	}
}
