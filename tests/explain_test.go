package tests

// EXPLAIN tests: on a large generated PostgreSQL database, every filter of
// GET /v1/events must reach events through an index (never a sequential
// scan), the date filters and the keyset cursor through the (start_date, id)
// indexes, and each query must touch a small part of the table. The work is
// measured from EXPLAIN (ANALYZE, BUFFERS): rows read from events and shared
// buffers of the whole plan; no assertion depends on wall-clock time.
//
// EXPLAIN_ROWS sets the number of generated events (default 200000);
// EXPLAIN_KEEP_DB=1 keeps the generated database (its URL is logged) for
// trying queries by hand, and EXPLAIN_KEEP_DB=timeline_<name> keeps it under
// that name and reuses it in later runs while it holds EXPLAIN_ROWS events
// on the current schema (the benchmark script generates its million events
// once this way). Kept databases are never named like test databases, so
// the sweep of dead runs' databases leaves them alone:
//
//	EXPLAIN_ROWS=1000000 EXPLAIN_KEEP_DB=timeline_bench_1m go test ./tests/ -run TestExplainEvents -v -count=1
//
// The whole of GET /v1/events is covered: every filter, both orders and the
// cursor, run through Store.ExplainEvents. GET /v1/years runs
// Store.CountEventsByYear, which has no EXPLAIN of its own: its queries are
// captured as sent (see explainCapture) and explained here.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/csto-timeline/timeline/models"
)

// explainDefaultRows keeps the test to seconds; EXPLAIN_ROWS raises it.
const explainDefaultRows = 200000

// Sizes of the generated vocabularies.
const (
	explainTimelines = 20
	explainSources   = 50
	explainActors    = 300
	explainPlaces    = 240
	explainTags      = 300
	// explainRareEvery links one event in this many to the rare actor and
	// the rare tag.
	explainRareEvery = 20011
)

// explainData is a generated database and what the cases need to know of it.
type explainData struct {
	store *models.Store
	rows  int
	// mid is the key of the event in the middle of the date order.
	mid models.EventKey
	// pages is the size of the events heap in 8 kB pages.
	pages int
	// took is the time the generation took, by phase.
	took []explainPhase
}

type explainPhase struct {
	name string
	d    time.Duration
}

func (d *explainData) total() time.Duration {
	var sum time.Duration
	for _, p := range d.took {
		sum += p.d
	}
	return sum
}

func (d *explainData) String() string {
	parts := make([]string, len(d.took))
	for i, p := range d.took {
		parts[i] = fmt.Sprintf("%s %s", p.name, p.d.Round(time.Millisecond))
	}
	return fmt.Sprintf("%d events, %d heap pages, generated in %s (%s)",
		d.rows, d.pages, d.total().Round(time.Millisecond), strings.Join(parts, ", "))
}

// explainRowCount reads EXPLAIN_ROWS.
func explainRowCount(tb testing.TB) int {
	tb.Helper()
	v := os.Getenv("EXPLAIN_ROWS")
	if v == "" {
		return explainDefaultRows
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 || n > 9_999_999 {
		tb.Fatalf("EXPLAIN_ROWS=%q: want an integer from 1000 to 9999999", v)
	}
	return n
}

// explainSetup returns a PostgreSQL database migrated and filled with rows
// generated events, which the caller must only read. Generating is most
// of what the plan tests cost, so one database per size serves every test
// of the package run that asks for that size; TestMain drops them at the
// end. EXPLAIN_KEEP_DB keeps (and reuses) it instead.
func explainSetup(tb testing.TB, rows int) *explainData {
	tb.Helper()
	if os.Getenv("EXPLAIN_KEEP_DB") != "" {
		return explainSetupOwn(tb, rows)
	}
	requirePostgres(tb)
	explainShared.mu.Lock()
	defer explainShared.mu.Unlock()
	if d, ok := explainShared.data[rows]; ok {
		tb.Logf("generated data: %d events, shared with an earlier test of this run", rows)
		return d
	}
	ctx := context.Background()
	name := uniqueName()
	dsn, drop, err := createPostgresDB(ctx, name)
	if err != nil {
		tb.Fatalf("create database: %v", err)
	}
	store, err := models.Open(ctx, models.Config{DatabaseURL: dsn})
	if err != nil {
		drop()
		tb.Fatalf("open: %v", err)
	}
	cleanup := func() { store.Close(); drop() }
	if _, err := store.Migrate(ctx); err != nil {
		cleanup()
		tb.Fatalf("migrate: %v", err)
	}
	d := &explainData{store: store, rows: rows}
	if err := explainGenerate(ctx, store.DB(), rows, d); err != nil {
		cleanup()
		tb.Fatalf("generate %d events: %v", rows, err)
	}
	if explainShared.data == nil {
		explainShared.data = map[int]*explainData{}
	}
	explainShared.data[rows] = d
	explainShared.cleanups = append(explainShared.cleanups, cleanup)
	return d
}

// explainShared holds the generated databases of this run, by size.
var explainShared struct {
	mu       sync.Mutex
	data     map[int]*explainData
	cleanups []func()
}

// dropSharedExplain closes and drops the databases explainSetup shared.
func dropSharedExplain() {
	explainShared.mu.Lock()
	defer explainShared.mu.Unlock()
	for _, c := range explainShared.cleanups {
		c()
	}
	explainShared.data, explainShared.cleanups = nil, nil
}

// explainSetupOwn creates a PostgreSQL database of the caller's own,
// migrates it and fills it with rows generated events: for a test that
// changes the data, or for EXPLAIN_KEEP_DB. Without EXPLAIN_KEEP_DB the
// database is dropped when tb ends.
func explainSetupOwn(tb testing.TB, rows int) *explainData {
	tb.Helper()
	requirePostgres(tb)
	ctx := context.Background()
	keep := os.Getenv("EXPLAIN_KEEP_DB")
	name := uniqueName()
	switch {
	case keep == "":
	case explainKeepName.MatchString(keep):
		name = keep
	default:
		// Kept databases are named so that the sweep of dead runs'
		// databases (dropStaleDatabases) never matches them.
		name = strings.Replace(name, "timeline_test_", "timeline_kept_", 1)
	}
	if keep != "" {
		if d, ok := explainReuse(ctx, tb, name, rows); ok {
			return d
		}
	}
	dsn, drop, err := createPostgresDB(ctx, name)
	if err != nil {
		tb.Fatalf("create database: %v", err)
	}
	if keep != "" {
		tb.Logf("EXPLAIN_KEEP_DB: keeping %s; drop it when done", redact(dsn))
	} else {
		tb.Cleanup(drop)
	}
	store, err := models.Open(ctx, models.Config{DatabaseURL: dsn})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	d := &explainData{store: store, rows: rows}
	if err := explainGenerate(ctx, store.DB(), rows, d); err != nil {
		tb.Fatalf("generate %d events: %v", rows, err)
	}
	return d
}

// explainKeepName is an EXPLAIN_KEEP_DB value that names the database to
// keep (and to reuse when it already holds the generated rows), rather
// than just asking to keep one.
var explainKeepName = regexp.MustCompile(`^timeline_[a-z0-9_]{1,40}$`)

// explainReuse opens the kept database name when it exists, is migrated to
// the current schema and holds rows generated events.
func explainReuse(ctx context.Context, tb testing.TB, name string, rows int) (*explainData, bool) {
	tb.Helper()
	u, _ := url.Parse(pgAdminURL)
	u.Path = "/" + name
	store, err := models.Open(ctx, models.Config{DatabaseURL: u.String()})
	if err != nil {
		return nil, false
	}
	d := &explainData{store: store, rows: rows}
	var n int
	applied, latest, err := store.SchemaStatus(ctx)
	if err != nil || applied != latest ||
		store.DB().Raw("SELECT count(*) FROM events").Row().Scan(&n) != nil || n != rows ||
		explainMeasure(store.DB(), d) != nil {
		store.Close()
		return nil, false
	}
	tb.Cleanup(func() { store.Close() })
	tb.Logf("EXPLAIN_KEEP_DB: reusing %s (%d events)", name, n)
	return d, true
}

// explainU is a deterministic uniform number in [0, 1) drawn from the row
// number g and the stream k, so that every run generates the same data.
func explainU(k int) string {
	return fmt.Sprintf("((hashint8extended(g, %d) & 2147483647)::float8 / 2147483648)", k)
}

var explainWordRe = regexp.MustCompile(`^[a-z_]+$`)

// explainSQLList quotes a constant vocabulary as an SQL array literal.
func explainSQLList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		if !explainWordRe.MatchString(w) {
			panic("unexpected vocabulary word " + w)
		}
		q[i] = "'" + w + "'"
	}
	return "ARRAY[" + strings.Join(q, ", ") + "]"
}

// explainVocabulary is the size of each of the four search vocabularies.
const explainVocabulary = 1000

// explainWord returns the word of the given rank (1 to explainVocabulary)
// in search vocabulary group (0 to 3): made-up words of a few syllables
// that no stemmer alters and no stop list holds. Within a group, a word of
// rank r is in about ln((r+1)/r)/ln(1001) of the events: rank 1 in 10%,
// rank 10 in 1%, rank 100 in 0.1%, rank 1000 in 0.01%.
func explainWord(group, rank int) string {
	const cons, vows = "bdfgklmprtvz", "aiou"
	syl := func(n int) string { return string(cons[n%len(cons)]) + string(vows[n/len(cons)%len(vows)]) }
	per := len(cons) * len(vows)
	n := group*explainVocabulary + rank - 1
	return syl(n%per) + syl(n/per%per) + syl(n/(per*per)) + "n"
}

// explainWordSQL is the SQL of a word of search vocabulary group drawn
// with a log-uniform rank (the frequency of a word falls as 1/rank) from
// the random stream k.
func explainWordSQL(group, k int) string {
	words := make([]string, explainVocabulary)
	for i := range words {
		words[i] = explainWord(group, i+1)
	}
	return "(" + explainSQLList(words) + ")[least(" + strconv.Itoa(explainVocabulary) + ", floor(exp(" + explainU(k) +
		" * ln(" + strconv.Itoa(explainVocabulary+1) + ")))::int)]"
}

// explainEventsSQL generates the events: start dates from 1900 to 2025,
// denser towards the present (the density grows linearly); 80% single days
// (8% of them lasting up to 4 more days), 12% a month, 7% a year and 1% long
// spans of 3 to 11 calendar years, a tenth of them of 21 to 300 years. The
// summary holds one word of each of the four search vocabularies (see
// explainWord), so that search text has a realistic spread of word
// frequencies; "generated" and "event" are in every event. The single
// placeholder is the count.
func explainEventsSQL() string {
	return `INSERT INTO events (id, timeline_id, title, summary, start_date, end_date, date_precision,
	approximate, display_date, edtf, type, status, search_text)
SELECT id, 'explain-tl-' || lpad((1 + floor(tl * ` + strconv.Itoa(explainTimelines) + `))::int::text, 2, '0'), title, summary, start_date, end_date, date_precision, approximate, display_date, edtf, type, status,
	lower(title || E'\n' || summary)
FROM (SELECT 'ev-' || lpad(g::text, 7, '0') AS id,
	'Event ' || g AS title, 'Generated for EXPLAIN tests: ' || w0 || ' ' || w1 || ' ' || w2 || ' ' || w3 || '.' AS summary,
	s AS start_date, e AS end_date, prec AS date_precision, prec <> 'day' AND ` + explainU(4) + ` < 0.2 AS approximate,
	label AS display_date, label AS edtf,
	(` + explainSQLList(models.EventTypes) + `)[1 + floor(` + explainU(5) + ` * ` + strconv.Itoa(len(models.EventTypes)) + `)::int] AS type,
	CASE WHEN ` + explainU(6) + ` < 0.90 THEN 'occurred' WHEN ` + explainU(6) + ` < 0.97 THEN 'planned' ELSE 'not_implemented' END AS status,
	` + explainU(3) + ` AS tl
FROM (
	SELECT g, prec, ` + explainWordSQL(0, 10) + ` AS w0, ` + explainWordSQL(1, 11) + ` AS w1,
		` + explainWordSQL(2, 12) + ` AS w2, ` + explainWordSQL(3, 13) + ` AS w3,
		CASE prec WHEN 'day' THEN day WHEN 'month' THEN date_trunc('month', day)::date
			ELSE date_trunc('year', day)::date END AS s,
		CASE prec WHEN 'day' THEN day + extra
			WHEN 'month' THEN (date_trunc('month', day) + interval '1 month -1 day')::date
			ELSE make_date(extract(year FROM day)::int + extra, 12, 31) END AS e,
		CASE WHEN prec = 'day' AND extra = 0 THEN to_char(day, 'YYYY-MM-DD')
			WHEN prec = 'day' THEN to_char(day, 'YYYY-MM-DD') || '/' || to_char(day + extra, 'YYYY-MM-DD')
			WHEN prec = 'month' THEN to_char(day, 'YYYY-MM')
			WHEN extra > 0 THEN to_char(day, 'YYYY') || '/' || (extract(year FROM day)::int + extra)::text
			ELSE to_char(day, 'YYYY') END AS label
	FROM (
		SELECT g, day,
			CASE WHEN p < 0.80 THEN 'day' WHEN p < 0.92 THEN 'month' ELSE 'year' END AS prec,
			CASE WHEN p >= 0.999 THEN 20 + floor(` + explainU(2) + ` * 280)::int
				WHEN p >= 0.99 THEN 2 + floor(` + explainU(2) + ` * 9)::int
				WHEN p < 0.064 THEN floor(` + explainU(2) + ` * 5)::int ELSE 0 END AS extra
		FROM (
			SELECT g, ` + explainU(0) + ` AS p,
				date '1900-01-01' + floor(sqrt(` + explainU(1) + `) * (date '2025-12-31' - date '1900-01-01' + 1))::int AS day
			FROM generate_series(1, ?::int) AS g
		) r0
	) r1
) r2
) r3`
}

// explainLinkSQL links every event to 1–3 distinct rows of a vocabulary of
// size n: the first drawn with a skew towards the low numbers (number 1 is
// in ~6–10% of the events, number n in ~0.3%), the others at fixed offsets
// from it so that they never repeat. cols names the link
// table's columns after event_id; value is the SQL of the linked id from the
// number v in 1..n; spread varies the number of links between tables.
func explainLinkSQL(table, cols, value string, n, stream, step, spread int) string {
	v := fmt.Sprintf("(1 + (a0 + i * %d) %% %d)", step, n)
	return fmt.Sprintf(`INSERT INTO %s (event_id, %s, start_date, end_date, event_type)
SELECT ev.id, %s, i + 1, ev.start_date, ev.end_date, ev.type
FROM (SELECT g, floor(%d * %s ^ 2)::int AS a0 FROM generate_series(1, ?::int) AS g) s
JOIN events ev ON ev.id = 'ev-' || lpad(g::text, 7, '0')
CROSS JOIN LATERAL generate_series(0, (g / %d) %% 3) AS i`,
		table, cols, strings.ReplaceAll(value, "$v", v), n, explainU(stream), spread)
}

// explainGenerate fills the migrated database db with rows events and their
// links, set-based. To load in seconds it drops the secondary indexes of
// the loaded tables and rebuilds them from their own definitions afterwards,
// and skips the foreign-key triggers while loading (when allowed), then
// checks every foreign key with one anti-join each; CHECK, NOT NULL and
// primary-key constraints are enforced as usual.
func explainGenerate(ctx context.Context, db *gorm.DB, rows int, d *explainData) error {
	db = db.WithContext(ctx)
	phase := func(name string, start time.Time) {
		d.took = append(d.took, explainPhase{name, time.Since(start)})
	}

	start := time.Now()
	loaded := []string{"events", "event_actors", "event_places", "event_tags", "citations", "event_spans", "event_words"}
	var indexes []struct{ Name, Def string }
	if err := db.Raw(`SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename IN ?
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
		ORDER BY i.indexname`, loaded).Scan(&indexes).Error; err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	for _, ix := range indexes {
		if err := db.Exec(`DROP INDEX "` + strings.ReplaceAll(ix.Name, `"`, `""`) + `"`).Error; err != nil {
			return fmt.Errorf("drop index %s: %w", ix.Name, err)
		}
	}
	// The primary key of event_link_spans too, its only index, which no
	// other table references: six rows a span block, loaded into the bare
	// heap and sorted into the index once (at 200,000 events, 2.4 million
	// rows; a tag's 0.8 million took 3.2 s in key order into the index,
	// 1.0 s into the heap and 1.2 s to index).
	if err := db.Exec("ALTER TABLE event_link_spans DROP CONSTRAINT event_link_spans_pkey").Error; err != nil {
		return fmt.Errorf("drop the key of event_link_spans: %w", err)
	}
	// And of event_word_months (0017), a few rows per lexeme of each event
	// over more than one month, in random lexeme order.
	if err := db.Exec("ALTER TABLE event_word_months DROP CONSTRAINT event_word_months_pkey").Error; err != nil {
		return fmt.Errorf("drop the key of event_word_months: %w", err)
	}

	// Only one session setting needs privileges: skipping FK triggers.
	// Without it the load is slower but the same.
	settings := []string{"SET LOCAL synchronous_commit = off", "SET LOCAL maintenance_work_mem = '256MB'"}
	if err := db.Transaction(func(tx *gorm.DB) error {
		return tx.Exec("SET LOCAL session_replication_role = replica").Error
	}); err == nil {
		settings = append(settings, "SET LOCAL session_replication_role = replica")
	}

	vocab := []explainStmt{
		{sql: `INSERT INTO timelines (id, title, description)
			SELECT 'explain-tl-' || lpad(i::text, 2, '0'), 'Timeline ' || i, 'Generated.' FROM generate_series(1, ?::int) AS i`,
			args: []any{explainTimelines}},
		{sql: `INSERT INTO sources (id, title, author, url)
			SELECT 'explain-src-' || lpad(i::text, 2, '0'), 'Source ' || i, 'Author ' || i, 'https://example.org/' || i
			FROM generate_series(1, ?::int) AS i`, args: []any{explainSources}},
		{sql: `INSERT INTO actors (id, name, kind)
			SELECT 'explain-actor-' || lpad(i::text, 3, '0'), 'Actor ' || i, (` + explainSQLList(models.ActorKinds) + `)[1 + i % 4]
			FROM generate_series(1, ?::int) AS i`, args: []any{explainActors}},
		{sql: `INSERT INTO actors (id, name, kind) VALUES ('explain-actor-rare', 'Rare actor', 'person')`},
		{sql: `INSERT INTO actor_aliases (actor_id, alias, position)
			SELECT 'explain-actor-' || lpad(i::text, 3, '0'), alias, pos
			FROM generate_series(1, ?::int) AS i,
			LATERAL (VALUES ('A' || i, 0), ('Актор ' || i, 1)) AS a(alias, pos)`,
			args: []any{explainActors}},
		{sql: `INSERT INTO places (id, name, kind, country_id)
			SELECT 'explain-place-' || lpad(i::text, 3, '0'), 'Place ' || i,
				CASE WHEN i <= 40 THEN 'country' ELSE 'city' END,
				CASE WHEN i > 40 THEN 'explain-place-' || lpad((1 + i % 40)::text, 3, '0') END
			FROM generate_series(1, ?::int) AS i`, args: []any{explainPlaces}},
		{sql: `INSERT INTO place_aliases (place_id, alias, position)
			SELECT 'explain-place-' || lpad(i::text, 3, '0'), 'P' || i, 0 FROM generate_series(1, ?::int) AS i`,
			args: []any{explainPlaces}},
		// The names the store would write (see models.NameKey): id, name
		// and aliases, case-folded.
		{sql: `INSERT INTO actor_names (name_key, actor_id)
			SELECT DISTINCT lower(n), id FROM (SELECT id, id AS n FROM actors UNION ALL SELECT id, name FROM actors
				UNION ALL SELECT actor_id, alias FROM actor_aliases) AS x`},
		{sql: `INSERT INTO place_names (name_key, place_id)
			SELECT DISTINCT lower(n), id FROM (SELECT id, id AS n FROM places UNION ALL SELECT id, name FROM places
				UNION ALL SELECT place_id, alias FROM place_aliases) AS x`},
		{sql: explainEventsSQL(), args: []any{rows}},
	}
	if err := explainRun(db, settings, vocab, 1); err != nil {
		return err
	}
	phase("events", start)

	start = time.Now()
	links := []explainStmt{
		{sql: explainLinkSQL("event_actors", "actor_id, role, position",
			"'explain-actor-' || lpad($v::text, 3, '0'), (ARRAY['participant', 'host', 'observer'])[1 + ((g + i) % 3)::int]",
			explainActors, 7, 97, 1), args: []any{rows}},
		{sql: explainLinkSQL("event_places", "place_id, position",
			"'explain-place-' || lpad($v::text, 3, '0')", explainPlaces, 8, 89, 3), args: []any{rows}},
		{sql: explainLinkSQL("event_tags", "tag, position",
			"'tag-' || lpad($v::text, 3, '0')", explainTags, 9, 101, 9), args: []any{rows}},
		// A rare actor and tag, in one event of explainRareEvery: most real
		// actors and tags are in a handful of events. Both start at a small
		// row number, so that the smallest table the tests generate (more
		// than 7 rows) holds one event of each: a growth comparison then
		// divides by the events returned, not by nothing.
		{sql: `INSERT INTO event_actors (event_id, actor_id, role, position, start_date, end_date, event_type)
			SELECT ev.id, 'explain-actor-rare', 'participant', 9, ev.start_date, ev.end_date, ev.type
			FROM generate_series(1, ?::int) AS g JOIN events ev ON ev.id = 'ev-' || lpad(g::text, 7, '0')
			WHERE g % ?::int = 5`, args: []any{rows, explainRareEvery}},
		{sql: `INSERT INTO event_tags (event_id, tag, position, start_date, end_date, event_type)
			SELECT ev.id, 'tag-rare', 9, ev.start_date, ev.end_date, ev.type
			FROM generate_series(1, ?::int) AS g JOIN events ev ON ev.id = 'ev-' || lpad(g::text, 7, '0')
			WHERE g % ?::int = 7`, args: []any{rows, explainRareEvery}},
		// The triggers that fill event_spans are off while loading.
		{sql: `INSERT INTO event_spans (node_key, start_date, event_id)
			SELECT n, e.start_date, e.id FROM events e, LATERAL event_span_nodes(e.start_date, e.end_date) AS n
			WHERE e.end_date > e.start_date`},
		// And those that fill event_words (migration 0012).
		{sql: `INSERT INTO event_words (lexeme, start_date, event_id)
			SELECT w.lexeme, e.start_date, e.id FROM events e, unnest(e.search_vector) AS w`},
		// And event_word_months (migration 0017), for events over more
		// than one month.
		// The blocks are cut per event, then crossed with its lexemes (see
		// the migration).
		{sql: `INSERT INTO event_word_months (lexeme, node_key, start_date, event_id)
			WITH n AS MATERIALIZED (
				SELECT e.id, e.start_date, e.search_vector, n AS node_key
				FROM events e, LATERAL event_month_nodes(event_month(e.start_date) + 1, event_month(e.end_date)) AS n
				WHERE date_trunc('month', e.end_date) > date_trunc('month', e.start_date))
			SELECT w.lexeme, n.node_key, n.start_date, n.id FROM n, unnest(n.search_vector) AS w`},
		{sql: `INSERT INTO citations (event_id, position, source_id, quote)
			SELECT 'ev-' || lpad(g::text, 7, '0'), 0, 'explain-src-' || lpad((1 + g % ?::int)::text, 2, '0'), 'Quote ' || g
			FROM generate_series(1, ?::int) AS g`, args: []any{explainSources, rows}},
	}
	if err := explainRun(db, settings, links, explainWorkers()); err != nil {
		return err
	}
	phase("links", start)

	// The spans per link (migration 0015), whose triggers are off too: the
	// span blocks of each link's event.
	start = time.Now()
	var linkSpans []explainStmt
	for i, l := range []struct{ table, column string }{{"event_actors", "actor_id"}, {"event_places", "place_id"}, {"event_tags", "tag"}} {
		linkSpans = append(linkSpans, explainStmt{sql: `INSERT INTO event_link_spans (kind, driver, node_key, start_date, event_id)
			SELECT ?::smallint, l.` + l.column + `, sp.node_key, sp.start_date, sp.event_id
			FROM event_spans sp JOIN ` + l.table + ` l ON l.event_id = sp.event_id`, args: []any{i + 1}})
	}
	if err := explainRun(db, settings, linkSpans, explainWorkers()); err != nil {
		return err
	}
	phase("link-spans", start)

	// The counts of migration 0011, recounted: the triggers were off (or
	// left deltas) while loading.
	start = time.Now()
	if err := explainRun(db, settings, explainRecountSQL(), 1); err != nil {
		return err
	}
	phase("counts", start)

	start = time.Now()
	// The largest first.
	builds := []explainStmt{{sql: "ALTER TABLE event_link_spans ADD PRIMARY KEY (kind, driver, node_key, start_date, event_id)"},
		{sql: "ALTER TABLE event_word_months ADD PRIMARY KEY (lexeme, node_key, start_date, event_id)"}}
	for _, ix := range indexes {
		builds = append(builds, explainStmt{sql: ix.Def})
	}
	if err := explainRun(db, settings, builds, explainWorkers()); err != nil {
		return err
	}
	phase("indexes", start)

	start = time.Now()
	if err := explainCheckForeignKeys(db); err != nil {
		return err
	}
	phase("fk-check", start)

	start = time.Now()
	if err := db.Exec("VACUUM (ANALYZE)").Error; err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	phase("vacuum-analyze", start)

	return explainMeasure(db, d)
}

// explainRecountSQL recounts the counts that migrations 0011, 0013 and
// 0014 keep, as their backfills do, dropping any pending delta.
func explainRecountSQL() []explainStmt {
	return []explainStmt{
		{sql: "DELETE FROM event_year_deltas"},
		{sql: "DELETE FROM link_count_deltas"},
		{sql: "DELETE FROM event_year_counts"},
		{sql: "DELETE FROM link_counts"},
		{sql: `INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
			SELECT d.dim, d.value, e.y1, e.y2, sum(e.n)
			FROM (SELECT timeline_id, type, status, CAST(EXTRACT(YEAR FROM start_date) AS integer) AS y1,
				CAST(EXTRACT(YEAR FROM end_date) AS integer) AS y2, count(*) AS n FROM events GROUP BY 1, 2, 3, 4, 5) e
			CROSS JOIN LATERAL (VALUES ('all', ''), ('timeline', e.timeline_id), ('type', e.type), ('status', e.status)) d (dim, value)
			GROUP BY 1, 2, 3, 4`},
		{sql: "INSERT INTO link_counts (kind, key, n) SELECT 'timeline', timeline_id, count(*) FROM events GROUP BY timeline_id"},
		{sql: "INSERT INTO link_counts (kind, key, n) SELECT 'type', type, count(*) FROM events GROUP BY type"},
		{sql: "INSERT INTO link_counts (kind, key, n) SELECT 'status', status, count(*) FROM events GROUP BY status"},
		{sql: "INSERT INTO link_counts (kind, key, n) SELECT 'actor', actor_id, count(*) FROM event_actors GROUP BY actor_id"},
		{sql: "INSERT INTO link_counts (kind, key, n) SELECT 'place', place_id, count(*) FROM event_places GROUP BY place_id"},
		{sql: "INSERT INTO link_counts (kind, key, n) SELECT 'tag', tag, count(*) FROM event_tags GROUP BY tag"},
		// The links by their events' years (migration 0013).
		{sql: `INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
			SELECT 'actor', actor_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
			FROM event_actors GROUP BY 2, 3, 4`},
		{sql: `INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
			SELECT 'place', place_id, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
			FROM event_places GROUP BY 2, 3, 4`},
		{sql: `INSERT INTO event_year_counts (dim, value, first_year, last_year, n)
			SELECT 'tag', tag, CAST(EXTRACT(YEAR FROM start_date) AS integer), CAST(EXTRACT(YEAR FROM end_date) AS integer), count(*)
			FROM event_tags GROUP BY 2, 3, 4`},
		// The co-occurrence counts (migration 0014): every ordered pair of
		// an event's values whose second is a facet's.
		{sql: "DELETE FROM facet_pair_deltas"},
		{sql: "DELETE FROM facet_pair_counts"},
		{sql: `INSERT INTO facet_pair_counts (filter_dim, filter_value, facet_dim, facet_value, n)
			SELECT a.dim, a.value, b.dim, b.value, count(*) FROM event_items a
			JOIN event_items b ON b.event_id = a.event_id AND b.dim <> 'timeline'
			GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`},
	}
}

// explainMeasure fills in what the cases need to know of generated data.
func explainMeasure(db *gorm.DB, d *explainData) error {
	if err := db.Raw(`SELECT start_date, id FROM events ORDER BY start_date, id OFFSET ? LIMIT 1`, d.rows/2).
		Row().Scan(&d.mid.StartDate, &d.mid.ID); err != nil {
		return fmt.Errorf("middle key: %w", err)
	}
	if err := db.Raw(`SELECT relpages FROM pg_class WHERE oid = 'events'::regclass`).Row().Scan(&d.pages); err != nil {
		return fmt.Errorf("relpages: %w", err)
	}
	return nil
}

// explainStmt is one generating statement.
type explainStmt struct {
	sql  string
	args []any
}

func explainWorkers() int {
	return min(max(runtime.NumCPU(), 1), 4)
}

// explainRun runs stmts, each in its own transaction with settings, on up to
// workers connections at once.
func explainRun(db *gorm.DB, settings []string, stmts []explainStmt, workers int) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan explainStmt)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range next {
				err := db.Transaction(func(tx *gorm.DB) error {
					for _, s := range settings {
						if err := tx.Exec(s).Error; err != nil {
							return err
						}
					}
					return tx.Exec(st.sql, st.args...).Error
				})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("%w\n%s", err, st.sql)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, st := range stmts {
		next <- st
	}
	close(next)
	wg.Wait()
	return first
}

// explainCheckForeignKeys fails when any row of the schema breaks one of its
// foreign keys, since the load skipped their triggers.
func explainCheckForeignKeys(db *gorm.DB) error {
	var fks []struct{ Name, Child, Parent, ChildCols, ParentCols string }
	if err := db.Raw(`SELECT c.conname AS name, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
			(SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS child_cols,
			(SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS parent_cols
		FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
		ORDER BY c.conname`).Scan(&fks).Error; err != nil {
		return fmt.Errorf("list foreign keys: %w", err)
	}
	if len(fks) == 0 {
		return fmt.Errorf("no foreign keys found")
	}
	var bad []string
	for _, fk := range fks {
		cc, pc := strings.Split(fk.ChildCols, ","), strings.Split(fk.ParentCols, ",")
		var match, notNull []string
		for i := range cc {
			match = append(match, "p."+pc[i]+" = c."+cc[i])
			notNull = append(notNull, "c."+cc[i]+" IS NOT NULL")
		}
		var n int64
		q := "SELECT count(*) FROM " + fk.Child + " c WHERE " + strings.Join(notNull, " AND ") +
			" AND NOT EXISTS (SELECT 1 FROM " + fk.Parent + " p WHERE " + strings.Join(match, " AND ") + ")"
		if err := db.Raw(q).Scan(&n).Error; err != nil {
			return fmt.Errorf("check %s: %w", fk.Name, err)
		}
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d rows", fk.Name, n))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("generated rows break foreign keys: %s", strings.Join(bad, "; "))
	}
	return nil
}

// explainNode is one node of a text plan with what it did, over all loops.
type explainNode struct {
	line string
	// relation is the table a scan reads ("events", "calendar_years").
	relation string
	// rows is the rows the node returned, kept is rows*loops; removed is
	// what its filters and rechecks threw away, over all loops.
	rows, loops, kept, removed int
	// buffers is shared hit+read, which includes the node's children.
	buffers int
}

// explainPlan is what the assertions read from an EXPLAIN (ANALYZE,
// BUFFERS) text plan.
type explainPlan struct {
	lines []string
	nodes []explainNode
	// eventRows is the number of events rows the plan read: the rows its
	// scans of events kept plus those their filters and rechecks removed.
	eventRows int
	// eventKept is the number the scans of events kept.
	eventKept int
	// rowsRead is the rows every scan of every table or index-only read,
	// kept or removed: what a page costs apart from B-tree height.
	rowsRead int
	// buffers is shared hit+read of the top node: every page the query
	// touched, children included.
	buffers int
	// seqScan is a sequential scan of events.
	seqScan bool
	// dateIndex is a scan of events_start_id or events_long_span;
	// anyDateIndex one of these or events_end.
	dateIndex, anyDateIndex bool
	// maxSortRows is the largest input of a Sort node.
	maxSortRows int
	// calendarProbes and calendarBuffers sum the scans of calendar_years.
	calendarProbes, calendarBuffers int
}

var (
	explainActualRe    = regexp.MustCompile(`\(actual time=[0-9.]+\.\.[0-9.]+ rows=([0-9]+) loops=([0-9]+)\)`)
	explainRelationRe  = regexp.MustCompile(`Scan(?: Backward)?(?: using \S+)? on (\w+)(?:\s|$)`)
	explainRemovedRe   = regexp.MustCompile(`^\s*Rows Removed by (?:Filter|Index Recheck): ([0-9]+)`)
	explainBuffersRe   = regexp.MustCompile(`^\s*Buffers: shared(?: hit=([0-9]+))?(?: read=([0-9]+))?`)
	explainSeqRe       = regexp.MustCompile(`Seq Scan on events(?:\s|$)`)
	explainSortRe      = regexp.MustCompile(`^\s*(?:->\s*)?(?:Incremental )?Sort\s`)
	explainDateIndexRe = regexp.MustCompile(`(?:Index Scan|Index Only Scan)(?: Backward)? using (?:events_start_id|events_long_span) |Bitmap Index Scan on (?:events_start_id|events_long_span)(?:\s|$)`)
	explainAnyDateRe   = regexp.MustCompile(`(?:Index Scan|Index Only Scan)(?: Backward)? using (?:events_start_id|events_long_span|events_end) |Bitmap Index Scan on (?:events_start_id|events_long_span|events_end)(?:\s|$)`)
)

// explainParsePlan reads a text plan of EXPLAIN (ANALYZE, BUFFERS).
func explainParsePlan(lines []string) explainPlan {
	p := explainPlan{lines: lines}
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "Planning") || strings.HasPrefix(trimmed, "Execution") || trimmed == "JIT:" {
			break
		}
		if i == 0 || strings.HasPrefix(trimmed, "->") {
			n := explainNode{line: line}
			if m := explainActualRe.FindStringSubmatch(line); m != nil {
				n.rows, _ = strconv.Atoi(m[1])
				n.loops, _ = strconv.Atoi(m[2])
				n.kept = n.rows * n.loops
			}
			if m := explainRelationRe.FindStringSubmatch(line); m != nil && !strings.Contains(line, "Bitmap Index Scan") {
				n.relation = m[1]
			}
			p.nodes = append(p.nodes, n)
			continue
		}
		if len(p.nodes) == 0 {
			continue
		}
		n := &p.nodes[len(p.nodes)-1]
		if m := explainRemovedRe.FindStringSubmatch(line); m != nil {
			// Reported per loop, like rows.
			r, _ := strconv.Atoi(m[1])
			n.removed += r * n.loops
		}
		if m := explainBuffersRe.FindStringSubmatch(line); m != nil {
			hit, _ := strconv.Atoi(m[1])
			read, _ := strconv.Atoi(m[2])
			n.buffers = hit + read
		}
	}
	for i, n := range p.nodes {
		if n.relation != "" {
			p.rowsRead += n.kept + n.removed
		}
		switch n.relation {
		case "events":
			p.eventRows += n.kept + n.removed
			p.eventKept += n.kept
		case "calendar_years":
			p.calendarProbes += n.loops
			p.calendarBuffers += n.buffers
		}
		p.seqScan = p.seqScan || explainSeqRe.MatchString(n.line)
		p.dateIndex = p.dateIndex || explainDateIndexRe.MatchString(n.line)
		p.anyDateIndex = p.anyDateIndex || explainAnyDateRe.MatchString(n.line)
		// A Sort's input is its first child, the next node.
		if explainSortRe.MatchString(n.line) && i+1 < len(p.nodes) {
			p.maxSortRows = max(p.maxSortRows, p.nodes[i+1].kept)
		}
	}
	if len(p.nodes) > 0 {
		p.buffers = p.nodes[0].buffers
	}
	return p
}

// explainCase is one filter and the work its query may do.
type explainCase struct {
	name   string
	filter models.EventFilter
	// dateIndex demands a scan of events_start_id or events_long_span.
	dateIndex bool
	// maxRows bounds the events rows read; 0 means rows/20.
	maxRows int
}

func explainDate(s string) models.Date {
	d, err := models.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// explainCases are the filters of GET /v1/events, each with a page of 50.
// Actor 1 is in ~10% of the events, tag 1 and place 1 in ~5–10%, actor 299
// in ~0.4%; explain-actor-rare and tag-rare in one event of 20011.
func explainCases(d *explainData) []explainCase {
	f := func(mod func(*models.EventFilter)) models.EventFilter {
		ef := models.EventFilter{Limit: 50}
		mod(&ef)
		return ef
	}
	mid := d.mid
	return []explainCase{
		{name: "none", filter: f(func(*models.EventFilter) {}), maxRows: 1000},
		{name: "year-2019", filter: f(func(e *models.EventFilter) { e.Years = []int{2019} }), dateIndex: true},
		{name: "years-2019-2021", filter: f(func(e *models.EventFilter) { e.Years = []int{2019, 2021} }), dateIndex: true},
		{name: "year-1950", filter: f(func(e *models.EventFilter) { e.Years = []int{1950} }), dateIndex: true},
		{name: "from-to-month", filter: f(func(e *models.EventFilter) {
			e.From, e.To = explainDate("2019-10-01"), explainDate("2019-10-31")
		}), dateIndex: true},
		{name: "from-only-2019", filter: f(func(e *models.EventFilter) { e.From = explainDate("2019-01-01") }), dateIndex: true},
		{name: "from-only-1950", filter: f(func(e *models.EventFilter) { e.From = explainDate("1950-01-01") }), dateIndex: true},
		{name: "to-only", filter: f(func(e *models.EventFilter) { e.To = explainDate("1950-12-31") }), dateIndex: true, maxRows: 1000},
		{name: "year-2019-descending", filter: f(func(e *models.EventFilter) {
			e.Years, e.Descending = []int{2019}, true
		}), dateIndex: true},
		{name: "year-2019-after", filter: f(func(e *models.EventFilter) {
			e.Years, e.After = []int{2019}, &models.EventKey{StartDate: explainDate("2019-07-01"), ID: "ev-0500000"}
		}), dateIndex: true},
		{name: "timeline", filter: f(func(e *models.EventFilter) { e.Timelines = []string{"explain-tl-07"} })},
		{name: "types", filter: f(func(e *models.EventFilter) { e.Types = []string{"summit", "conflict"} })},
		{name: "status-planned", filter: f(func(e *models.EventFilter) { e.Statuses = []string{models.StatusPlanned} })},
		{name: "actor-frequent", filter: f(func(e *models.EventFilter) { e.Actors = []string{"explain-actor-001"} })},
		// An ordered scan filtered to a share s of the events reads about
		// 51/s rows whatever the table size: ~13k–30k here.
		{name: "actor-uncommon", filter: f(func(e *models.EventFilter) { e.Actors = []string{"explain-actor-299"} }),
			maxRows: max(d.rows/20, 40000)},
		{name: "actor-rare", filter: f(func(e *models.EventFilter) { e.Actors = []string{"explain-actor-rare"} })},
		{name: "place", filter: f(func(e *models.EventFilter) { e.Places = []string{"explain-place-001"} })},
		{name: "tags", filter: f(func(e *models.EventFilter) { e.Tags = []string{"tag-001", "tag-150"} })},
		{name: "tag-rare", filter: f(func(e *models.EventFilter) { e.Tags = []string{"tag-rare"} })},
		{name: "descending", filter: f(func(e *models.EventFilter) { e.Descending = true }), maxRows: 1000},
		{name: "after-middle", filter: f(func(e *models.EventFilter) { e.After = &mid }), dateIndex: true, maxRows: 1000},
		{name: "after-middle-descending", filter: f(func(e *models.EventFilter) {
			e.After, e.Descending = &mid, true
		}), dateIndex: true, maxRows: 1000},
		{name: "year-type-actor", filter: f(func(e *models.EventFilter) {
			e.Years, e.Types, e.Actors = []int{2019}, []string{"summit"}, []string{"explain-actor-001"}
		})},
	}
}

// explainYearCases are filters of GET /v1/years.
func explainYearCases() []explainCase {
	return []explainCase{
		{name: "none"},
		{name: "year-2019", filter: models.EventFilter{Years: []int{2019}}, dateIndex: true},
		{name: "from-to-decade", filter: models.EventFilter{From: explainDate("2010-01-01"), To: explainDate("2019-12-31")}, dateIndex: true},
		{name: "timeline-type", filter: models.EventFilter{Timelines: []string{"explain-tl-07"}, Types: []string{"summit"}}},
	}
}

func TestExplainEvents(t *testing.T) {
	rows := explainRowCount(t)
	d := explainSetup(t, rows)
	t.Logf("%s", d)
	t.Logf("middle key: %s %s", d.mid.StartDate, d.mid.ID)
	ctx := context.Background()

	t.Run("data", func(t *testing.T) {
		var s struct {
			Events, Long, Days, ActorLinks, PlaceLinks, TagLinks int
			MinStart, MaxStart                                   models.Date
			Year2019                                             int
		}
		if err := d.store.DB().Raw(`SELECT
			(SELECT count(*) FROM events) AS events,
			(SELECT count(*) FROM events WHERE long_span) AS long,
			(SELECT count(*) FROM events WHERE start_date = end_date) AS days,
			(SELECT count(*) FROM event_actors) AS actor_links,
			(SELECT count(*) FROM event_places) AS place_links,
			(SELECT count(*) FROM event_tags) AS tag_links,
			(SELECT min(start_date) FROM events) AS min_start,
			(SELECT max(start_date) FROM events) AS max_start,
			(SELECT count(*) FROM events WHERE start_date <= '2019-12-31' AND end_date >= '2019-01-01') AS year2019`).
			Scan(&s).Error; err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", s)
		if s.Events != rows {
			t.Errorf("generated %d events, want %d", s.Events, rows)
		}
		if s.Long < rows/200 || s.Long > rows/50 {
			t.Errorf("%d long spans, want about 1%% of %d", s.Long, rows)
		}
		if s.ActorLinks < rows*3/2 || s.ActorLinks > rows*5/2 {
			t.Errorf("%d actor links, want about 2 per event", s.ActorLinks)
		}
		if s.MinStart.Year != 1900 || s.MaxStart.Year != 2025 {
			t.Errorf("start dates span %s..%s, want 1900..2025", s.MinStart, s.MaxStart)
		}
	})

	for _, c := range explainCases(d) {
		t.Run("FindEvents/"+c.name, func(t *testing.T) {
			lines, err := d.store.ExplainEvents(ctx, c.filter, true)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			explainCheckPage(t, d, c, explainParsePlan(lines))
		})
	}

	capture, err := explainCapture(d.store.DB())
	if err != nil {
		t.Fatalf("register capture: %v", err)
	}
	for _, c := range explainYearCases() {
		t.Run("CountEventsByYear/"+c.name, func(t *testing.T) {
			stmts, err := capture(ctx, func(ctx context.Context) error {
				_, _, err := d.store.CountEventsByYear(ctx, c.filter)
				return err
			})
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			if len(stmts) == 0 {
				t.Fatal("CountEventsByYear ran no query")
			}
			for i, st := range stmts {
				lines, err := explainAnalyze(ctx, d.store.DB(), st)
				if err != nil {
					t.Fatalf("explain query %d: %v\n%s", i+1, err, st.sql)
				}
				t.Logf("query %d: %s", i+1, st.sql)
				explainCheckCount(t, d, c, explainParsePlan(lines))
			}
		})
	}
}

// explainCheckPage logs a page query's plan and asserts that it reaches
// events through an index and reads a small part of the table.
func explainCheckPage(t *testing.T, d *explainData, c explainCase, p explainPlan) {
	t.Helper()
	t.Logf("plan:\n%s", strings.Join(p.lines, "\n"))
	maxRows := c.maxRows
	if maxRows == 0 {
		maxRows = d.rows / 20
	}
	// Reading an events row costs a heap page and an index page at most,
	// probing a link table for it a few more.
	maxBuffers := 5*maxRows + 200
	t.Logf("events rows read %d (max %d), largest sort input %d rows, shared buffers %d (max %d; events heap %d pages)",
		p.eventRows, maxRows, p.maxSortRows, p.buffers, maxBuffers, d.pages)
	if p.seqScan {
		t.Errorf("plan scans events sequentially")
	}
	if c.dateIndex && !p.dateIndex {
		t.Errorf("plan does not scan events_start_id or events_long_span")
	}
	if p.eventRows > maxRows {
		t.Errorf("plan reads %d events rows, want at most %d", p.eventRows, maxRows)
	}
	if p.maxSortRows > maxRows {
		t.Errorf("plan sorts %d rows, want at most %d", p.maxSortRows, maxRows)
	}
	if p.buffers > maxBuffers {
		t.Errorf("plan touches %d shared buffers, want at most %d", p.buffers, maxBuffers)
	}
	if p.buffers == 0 {
		t.Errorf("no Buffers line in the plan's top node")
	}
}

// explainReadsCounts reports whether a plan reads the kept counts of
// migration 0011 and no event.
func explainReadsCounts(p explainPlan) bool {
	if p.eventRows > 0 || p.seqScan {
		return false
	}
	for _, line := range p.lines {
		if strings.Contains(line, " on event_year_counts") || strings.Contains(line, " on link_counts") {
			return true
		}
	}
	return false
}

// explainCheckCount logs a count query's plan and asserts that its work is
// in proportion to the events it counts: a date restriction is served by
// the date indexes and reads few events it then throws away, and finding an
// event's years in calendar_years costs a few buffers, not a range scan of
// calendar_years_days from year 1 to the event's end.
func explainCheckCount(t *testing.T, d *explainData, c explainCase, p explainPlan) {
	t.Helper()
	t.Logf("plan:\n%s", strings.Join(p.lines, "\n"))
	perProbe := 0.0
	if p.calendarProbes > 0 {
		perProbe = float64(p.calendarBuffers) / float64(p.calendarProbes)
	}
	maxBuffers := 4*p.eventKept + d.pages + 1000
	t.Logf("events rows read %d, kept %d; calendar_years probes %d at %.1f buffers each; shared buffers %d (max %d; events heap %d pages)",
		p.eventRows, p.eventKept, p.calendarProbes, perProbe, p.buffers, maxBuffers, d.pages)
	if c.dateIndex {
		if p.seqScan {
			t.Errorf("plan scans events sequentially")
		}
		// A count reads every matching event, so events_end (end_date >=
		// from) serves as well as the start_date ranges; a count answered
		// from the counts of migration 0011 reads no event at all.
		if !p.anyDateIndex && !explainReadsCounts(p) {
			t.Errorf("plan does not scan events_start_id, events_long_span or events_end")
		}
		if wasted := p.eventRows - p.eventKept; wasted > p.eventKept+d.rows/50 {
			t.Errorf("plan reads %d events rows to keep %d", p.eventRows, p.eventKept)
		}
	}
	// Reading all of calendar_years once is under 200 buffers; a probe on
	// its primary key is 2 or 3.
	if p.calendarBuffers > 4*p.calendarProbes+200 {
		t.Errorf("%d calendar_years probes touch %d buffers (%.1f each), want at most 4 each",
			p.calendarProbes, p.calendarBuffers, perProbe)
	}
	if p.buffers > maxBuffers {
		t.Errorf("plan touches %d shared buffers for %d events, want at most %d", p.buffers, p.eventKept, maxBuffers)
	}
}

// explainStatement is an SQL statement as the store sent it: PostgreSQL
// placeholders and their values.
type explainStatement struct {
	sql  string
	vars []any
}

type explainCaptureKey struct{}

// explainNamesRunKey, set in a capturing context, lets the name lookups
// run (see explainCapture).
type explainNamesRunKey struct{}

// explainCapture registers a GORM callback on db that records the queries
// run with a capturing context instead of running them (each is sent as
// SELECT * FROM (query) LIMIT 0, which plans it but reads nothing), so
// that a store method the package does not expose for EXPLAIN can be
// explained as it is. It returns the function that runs fn with capturing.
func explainCapture(db *gorm.DB) (func(context.Context, func(context.Context) error) ([]explainStatement, error), error) {
	err := db.Callback().Row().Before("gorm:row").Register("explain:capture", func(tx *gorm.DB) {
		got, ok := tx.Statement.Context.Value(explainCaptureKey{}).(*[]explainStatement)
		if !ok || tx.Statement.SQL.Len() == 0 {
			return
		}
		query := tx.Statement.SQL.String()
		*got = append(*got, explainStatement{sql: query, vars: append([]any(nil), tx.Statement.Vars...)})
		if tx.Statement.Context.Value(explainNamesRunKey{}) != nil && strings.Contains(query, "name_key IN") {
			return // the lookup of actor and place names runs, so that the statements after it see the ids
		}
		tx.Statement.SQL.Reset()
		tx.Statement.SQL.WriteString("SELECT * FROM (" + query + ") AS explain_capture LIMIT 0")
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, fn func(context.Context) error) ([]explainStatement, error) {
		var got []explainStatement
		err := fn(context.WithValue(ctx, explainCaptureKey{}, &got))
		return got, err
	}, nil
}

// explainAnalyze runs EXPLAIN (ANALYZE, BUFFERS) of a captured statement.
func explainAnalyze(ctx context.Context, db *gorm.DB, st explainStatement) ([]string, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	rows, err := sqlDB.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+st.sql, st.vars...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		lines = append(lines, line)
	}
	return lines, rows.Err()
}
