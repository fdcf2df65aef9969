package tests

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/csto-timeline/timeline/models"
)

// TestRelationsGenericPlan checks the statement that loads a page's
// relations (actors, places, tags, citations of the page's events) on
// PostgreSQL: run as the service runs it (pgx's cache_statement, default
// plan_cache_mode), it settles on a generic plan after PostgreSQL's five
// trial custom plans instead of being planned again at every page, for a
// full page and for a page of a few events; and that generic plan,
// explained with plan_cache_mode=force_generic_plan, reaches every link
// table through its primary key and reads rows in proportion to the page,
// not to the table. Both shapes of the statement are checked: the link
// rows alone (named from the in-memory catalogs, the list pages' path)
// and the one joined with the catalogs (inside a transaction, or when the
// catalogs are not held). The plan cache's choice is read from
// pg_prepared_statements on the store's only connection; no assertion
// depends on time.
//
// It generates 20,000 events; EXPLAIN_ROWS and EXPLAIN_KEEP_DB work as in
// TestExplainEvents (a kept database is only read).
func TestRelationsGenericPlan(t *testing.T) {
	store, record := genericSetup(t)
	ctx := context.Background()
	page := func(limit int) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := genericPage(ctx, store, models.EventFilter{Limit: limit})
			return err
		}
	}
	inTx := func(ctx context.Context) error {
		return store.InTx(ctx, func(tx *models.Store) error {
			_, err := genericPage(ctx, tx, models.EventFilter{Limit: 50})
			return err
		})
	}
	relations := func(sts []genericStatement) genericStatement {
		for _, st := range sts {
			if strings.Contains(st.sql, "FROM event_tags") {
				return st
			}
		}
		return genericStatement{}
	}
	joined := func(st genericStatement) bool { return strings.Contains(st.sql, "JOIN actors") }

	// The links statement is the list pages' once the store listens for
	// dataset changes, which it starts doing in the background.
	for deadline := time.Now().Add(10 * time.Second); ; {
		sts, err := record(ctx, page(50))
		if err != nil {
			t.Fatal(err)
		}
		if st := relations(sts); st.sql != "" && !joined(st) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the list page never read its relations from the link tables alone; statements:\n%v", sts)
		}
		time.Sleep(10 * time.Millisecond)
	}

	for _, c := range []struct {
		name   string
		run    func(context.Context) error
		joined bool
		n      int
	}{
		{"links", page(50), false, 51},
		// A custom plan sees the array's elements, a generic plan guesses
		// 10: below that, a custom plan looks cheaper than the generic one.
		{"links-few-events", page(4), false, 5},
		{"joined", inTx, true, 51},
	} {
		t.Run(c.name, func(t *testing.T) {
			sts, err := record(ctx, c.run)
			if err != nil {
				t.Fatal(err)
			}
			st := relations(sts)
			if st.sql == "" || joined(st) != c.joined {
				t.Fatalf("got the relations statement\n%s\nwant it joined to the catalogs: %v", st.sql, c.joined)
			}
			t.Logf("statement:\n%s", st.sql)
			genericCheckCache(t, store, record, c.run, st)
			lines, err := genericExplain(ctx, store.DB(), st)
			if err != nil {
				t.Fatal(err)
			}
			relationsCheckPlan(t, store.DB(), explainParsePlan(lines), c.n)
		})
	}
}

// TestExplainListGenericPlan checks the page statement of the list with no
// filter, in both orders, from the start and from a cursor: the plan cache
// settles on a generic plan for page 1 (with the limit as a parameter it
// never did: its generic plan costed a walk of a tenth of the table), and
// every generic plan, explained with plan_cache_mode=force_generic_plan,
// walks events_start_id in the page's order from the cursor and reads the
// page's rows, no sort and nothing more. A filtered page's plan depends on
// the filter's values, so it is left to PostgreSQL's usual choice and
// checked by TestExplainEvents and TestExplainGrowth.
func TestExplainListGenericPlan(t *testing.T) {
	store, record := genericSetup(t)
	ctx := context.Background()
	const limit = 50
	// A cursor with a full page on either side.
	first, err := genericPage(ctx, store, models.EventFilter{Limit: 2 * limit})
	if err != nil {
		t.Fatal(err)
	}
	mid := first[len(first)-1]
	after := &models.EventKey{StartDate: mid.Span.Start, ID: mid.ID}
	for _, c := range []struct {
		name string
		f    models.EventFilter
		// cached demands that the plan cache settle on the generic plan.
		cached bool
	}{
		{"first", models.EventFilter{Limit: limit}, true},
		{"first-descending", models.EventFilter{Limit: limit, Descending: true}, true},
		{"after", models.EventFilter{Limit: limit, After: after}, false},
		{"after-descending", models.EventFilter{Limit: limit, After: after, Descending: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := func(ctx context.Context) error {
				_, err := genericPage(ctx, store, c.f)
				return err
			}
			sts, err := record(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			var st genericStatement
			for _, s := range sts {
				if strings.Contains(s.sql, "FROM events e") {
					st = s
				}
			}
			if st.sql == "" {
				t.Fatalf("no page statement among %v", sts)
			}
			t.Logf("statement:\n%s", st.sql)
			if c.cached {
				genericCheckCache(t, store, record, run, st)
			}
			lines, err := genericExplain(ctx, store.DB(), st)
			if err != nil {
				t.Fatal(err)
			}
			p := explainParsePlan(lines)
			t.Logf("generic plan:\n%s", strings.Join(lines, "\n"))
			if !p.dateIndex || p.seqScan || p.maxSortRows > 0 {
				t.Errorf("the generic plan does not walk events_start_id in order (date index %v, sequential scan %v, sorts %d rows)",
					p.dateIndex, p.seqScan, p.maxSortRows)
			}
			if p.eventRows > limit+1 {
				t.Errorf("the generic plan reads %d events rows, want at most %d", p.eventRows, limit+1)
			}
		})
	}
}

// genericSetup generates the events (20,000, or EXPLAIN_ROWS) and opens a
// store of them with one connection for queries (the other is the
// dataset-state listener's), so that every statement it runs is prepared
// in the session whose pg_prepared_statements the tests read; and returns
// the function that runs fn and hands back the statements it sent.
func genericSetup(t *testing.T) (*models.Store, func(context.Context, func(context.Context) error) ([]genericStatement, error)) {
	t.Helper()
	rows := 20000
	if os.Getenv("EXPLAIN_ROWS") != "" {
		rows = explainRowCount(t)
	}
	d := explainSetup(t, rows)
	ctx := context.Background()
	var name string
	if err := d.store.DB().Raw("SELECT current_database()").Row().Scan(&name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pgAdminURL)
	u.Path = "/" + name
	store, err := models.Open(ctx, models.Config{DatabaseURL: u.String(), MaxOpenConns: 2, MaxIdleConns: 2})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	record, err := genericRecorder(store.DB())
	if err != nil {
		t.Fatal(err)
	}
	return store, record
}

// genericPage reads a page of f and fails unless it is full.
func genericPage(ctx context.Context, store *models.Store, f models.EventFilter) ([]models.Event, error) {
	events, _, err := store.FindEvents(ctx, f)
	if err == nil && len(events) != f.Limit {
		err = fmt.Errorf("got %d events, want %d", len(events), f.Limit)
	}
	return events, err
}

// genericCheckCache runs run eight more times and asserts that PostgreSQL's
// plan cache has settled on the generic plan of st.
func genericCheckCache(t *testing.T, store *models.Store,
	record func(context.Context, func(context.Context) error) ([]genericStatement, error),
	run func(context.Context) error, st genericStatement) {
	t.Helper()
	ctx := context.Background()
	for range 8 {
		if _, err := record(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	var generic, custom int
	if err := store.DB().Raw(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = ?`,
		st.sql).Row().Scan(&generic, &custom); err != nil {
		t.Fatalf("the statement is not prepared on the store's connection: %v", err)
	}
	t.Logf("after 9 or more runs: %d generic plans, %d custom plans", generic, custom)
	if generic == 0 || custom > 5 {
		t.Errorf("got %d generic and %d custom plans, want PostgreSQL to settle on the generic plan after its 5 trial custom plans",
			generic, custom)
	}
}

// genericStatement is a statement as the store sent it.
type genericStatement struct {
	sql  string
	vars []any
}

type genericKey struct{}

// genericRecorder registers a GORM callback on db that records, without
// changing them, the queries run with a recording context. It returns the
// function that runs fn so and hands back the statements.
func genericRecorder(db *gorm.DB) (func(context.Context, func(context.Context) error) ([]genericStatement, error), error) {
	err := db.Callback().Row().Before("gorm:row").Register("test:generic", func(tx *gorm.DB) {
		if got, ok := tx.Statement.Context.Value(genericKey{}).(*[]genericStatement); ok {
			*got = append(*got, genericStatement{sql: tx.Statement.SQL.String(), vars: append([]any(nil), tx.Statement.Vars...)})
		}
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, fn func(context.Context) error) ([]genericStatement, error) {
		var got []genericStatement
		err := fn(context.WithValue(ctx, genericKey{}, &got))
		return got, err
	}, nil
}

// genericExplain runs EXPLAIN (ANALYZE, BUFFERS) of st's generic
// plan on a connection of its own.
func genericExplain(ctx context.Context, db *gorm.DB, st genericStatement) ([]string, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// The session's settings die with it: discard it rather than hand it
	// back to the pool.
	defer conn.Raw(func(any) error { return driver.ErrBadConn })
	// EXECUTE takes its arguments as literals (PostgreSQL 15 has no
	// EXPLAIN (GENERIC_PLAN) and no bind parameters in EXECUTE): each is
	// written as a string literal, which takes the type of its parameter.
	args := make([]string, len(st.vars))
	for i, v := range st.vars {
		if valuer, ok := v.(driver.Valuer); ok {
			var err error
			if v, err = valuer.Value(); err != nil {
				return nil, err
			}
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case int:
			s = strconv.Itoa(v)
		case int64:
			s = strconv.FormatInt(v, 10)
		default:
			return nil, fmt.Errorf("parameter %d is %T: no literal for it", i+1, v)
		}
		args[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	for _, q := range []string{
		"SET plan_cache_mode = force_generic_plan",
		"SET max_parallel_workers_per_gather = 0",
		"PREPARE generic_plan AS " + st.sql,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	execute := "EXECUTE generic_plan"
	if len(args) > 0 {
		execute += "(" + strings.Join(args, ", ") + ")"
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+execute)
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

var relationsLinkScanRe = regexp.MustCompile(`(?:Index Scan|Index Only Scan) using (\w+) on (event_actors|event_places|event_tags|citations)\b|Bitmap Index Scan on ((event_actors|event_places|event_tags|citations)_pkey)\b`)

// relationsLinkTables are the tables a page's relations are linked by, and
// relationsCatalogTables those that name what they link to.
var (
	relationsLinkTables    = []string{"event_actors", "event_places", "event_tags", "citations"}
	relationsCatalogTables = []string{"actors", "actor_aliases", "places", "sources"}
)

// relationsCheckPlan asserts that a generic plan of the relations statement
// probes each link table by its primary key (event_id leads it), scans no
// link table sequentially, reads link rows and buffers in proportion to
// the page's n events, and reads each catalog table at most once (by key,
// or whole when the planner finds that cheaper for a small catalog), never
// once per event.
func relationsCheckPlan(t *testing.T, db *gorm.DB, p explainPlan, n int) {
	t.Helper()
	t.Logf("generic plan:\n%s", strings.Join(p.lines, "\n"))
	if !strings.Contains(strings.Join(p.lines, "\n"), "= ANY ($") {
		t.Errorf("the plan matches event ids with no run-time parameter: not a generic plan")
	}
	probed := map[string]bool{}
	for _, line := range p.lines {
		for _, m := range relationsLinkScanRe.FindAllStringSubmatch(line, -1) {
			switch {
			case m[2] != "" && m[1] == m[2]+"_pkey":
				probed[m[2]] = true
			case m[4] != "":
				probed[m[4]] = true
			}
		}
		for _, table := range relationsLinkTables {
			if strings.Contains(line, "Seq Scan on "+table+" ") {
				t.Errorf("the plan scans %s sequentially: %s", table, strings.TrimSpace(line))
			}
		}
	}
	for _, table := range relationsLinkTables {
		if !probed[table] {
			t.Errorf("the plan does not probe %s by its primary key", table)
		}
	}
	read := map[string]int{}
	for _, node := range p.nodes {
		if node.relation != "" && !strings.Contains(node.line, "CTE Scan") {
			read[node.relation] += node.kept + node.removed
		}
	}
	linkRows := 0
	for _, table := range relationsLinkTables {
		linkRows += read[table]
	}
	// A page's events have a few links each in every table (1 to 3 in the
	// generated data), and each probe of a primary key costs its B-tree
	// height and a heap page.
	maxRows, maxBuffers := 16*n, 64*n
	t.Logf("link rows read %d (max %d), shared buffers %d (max %d) for %d events; rows read by table %v",
		linkRows, maxRows, p.buffers, maxBuffers, n, read)
	if linkRows > maxRows {
		t.Errorf("the plan reads %d link rows for %d events, want at most %d", linkRows, n, maxRows)
	}
	if p.buffers > maxBuffers {
		t.Errorf("the plan touches %d shared buffers for %d events, want at most %d", p.buffers, n, maxBuffers)
	}
	if p.buffers == 0 {
		t.Errorf("no Buffers line in the plan's top node")
	}
	for _, table := range relationsCatalogTables {
		var size int
		if err := db.Raw("SELECT count(*) FROM " + table).Row().Scan(&size); err != nil {
			t.Fatal(err)
		}
		if read[table] > size {
			t.Errorf("the plan reads %d rows of %s, which holds %d: more than once", read[table], table, size)
		}
	}
	for table := range read {
		if !slices.Contains(relationsLinkTables, table) && !slices.Contains(relationsCatalogTables, table) {
			t.Errorf("the plan reads %s, which holds no relation", table)
		}
	}
}
