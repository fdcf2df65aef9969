package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/tests/skipreport"
)

// objectKeys returns the keys of a JSON object in the order written.
func objectKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not a JSON object (%v)", truncate(string(raw)), err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// projected returns the named fields of each object in raws, as JSON.
func projected(t *testing.T, raws []json.RawMessage, fields []string) []map[string]string {
	t.Helper()
	out := make([]map[string]string, len(raws))
	for i, raw := range raws {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out[i] = map[string]string{}
		for _, f := range fields {
			out[i][f] = string(m[f])
		}
	}
	return out
}

// TestSparseFieldsets checks fields= on the JSON list, NDJSON and CSV:
// only the fields asked for (and id), in canonical order, with the values
// of the full representation, the same events and the same paging.
func TestSparseFieldsets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		type page struct {
			Data  []json.RawMessage `json:"data"`
			Links struct{ Next *string }
		}
		fetch := func(path string) page {
			t.Helper()
			r := b.get(t, path)
			r.wantStatus(t, http.StatusOK)
			var p page
			r.decode(t, &p)
			return p
		}
		all := func(path string) []json.RawMessage {
			var out []json.RawMessage
			for {
				p := fetch(path)
				out = append(out, p.Data...)
				if p.Links.Next == nil {
					return out
				}
				path = *p.Links.Next
			}
		}
		full := all("/v1/events?year=2019&limit=7")
		if len(full) < 8 {
			t.Fatalf("got %d events in 2019, want more than a page", len(full))
		}

		for _, c := range []struct{ query, want string }{
			{"fields=id,title,display_date,start_date", "id,title,start_date,display_date"},
			{"fields=start_date,display_date,title", "id,title,start_date,display_date"},
			{"fields=tags&fields=actors,sources", "id,actors,tags,sources"},
			{"fields=places,title,places", "id,title,places"},
			{"fields=id", "id"},
		} {
			t.Run(c.query, func(t *testing.T) {
				want := strings.Split(c.want, ",")
				got := all("/v1/events?year=2019&limit=7&" + c.query)
				for _, raw := range got {
					if diff := cmp.Diff(want, objectKeys(t, raw)); diff != "" {
						t.Fatalf("keys (-want +got):\n%s", diff)
					}
				}
				if diff := cmp.Diff(projected(t, full, want), projected(t, got, want)); diff != "" {
					t.Errorf("values against the full page (-full +sparse):\n%s", diff)
				}

				r := b.get(t, "/v1/events.ndjson?year=2019&"+c.query)
				r.wantStatus(t, http.StatusOK)
				var lines []json.RawMessage
				for _, line := range strings.Split(strings.TrimSuffix(string(r.body), "\n"), "\n") {
					lines = append(lines, json.RawMessage(line))
					if diff := cmp.Diff(want, objectKeys(t, []byte(line))); diff != "" {
						t.Fatalf("NDJSON keys (-want +got):\n%s", diff)
					}
				}
				if diff := cmp.Diff(projected(t, full, want), projected(t, lines, want)); diff != "" {
					t.Errorf("NDJSON values against the full page (-full +sparse):\n%s", diff)
				}
			})
		}

		// CSV: the columns of the fields, in the usual column order.
		_, fullRows := b.csvRows(t, "/v1/events.csv?year=2019", nil)
		r, rows := b.csvRows(t, "/v1/events.csv?year=2019&fields=sources,title,actors", nil)
		header, _, _ := strings.Cut(string(r.body), "\r\n")
		wantCols := []string{"id", "title", "actors", "actor_ids", "quotes", "source_ids"}
		if diff := cmp.Diff(wantCols, strings.Split(header, ",")); diff != "" {
			t.Errorf("CSV header (-want +got):\n%s", diff)
		}
		if len(rows) != len(fullRows) || len(rows) != len(full) {
			t.Fatalf("got %d CSV rows, want %d", len(rows), len(fullRows))
		}
		for i, row := range rows {
			want := map[string]string{}
			for _, col := range wantCols {
				want[col] = fullRows[i][col]
			}
			if diff := cmp.Diff(want, row); diff != "" {
				t.Errorf("CSV row %d (-full +sparse):\n%s", i, diff)
			}
		}
	})
}

// TestSparseFieldsetErrors checks that fields= is validated in one place,
// every unknown name named in one 400, whatever the format.
func TestSparseFieldsetErrors(t *testing.T) {
	b := shared[0]
	for _, c := range []struct {
		path string
		want []string // substrings of the reason on "fields"
	}{
		{"/v1/events?fields=titel,id,dates,titel", []string{`"titel"`, `"dates"`, "unknown fields"}},
		{"/v1/events.csv?fields=title,actor_ids", []string{`"actor_ids"`}},
		{"/v1/events.ndjson?fields=Title", []string{`"Title"`}},
		{"/v1/events?fields=", []string{"empty"}},
		{"/v1/events?fields=title,,id", []string{"empty"}},
		{"/v1/events?format=timelinejs&fields=title", []string{"TimelineJS"}},
		{"/v1/events/csto-founded?fields=title", []string{"unknown parameter"}},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := b.get(t, c.path)
			r.wantStatus(t, http.StatusBadRequest)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("got Content-Type %q, want application/problem+json", ct)
			}
			var p problemDoc
			r.decode(t, &p)
			if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != "fields" {
				t.Fatalf("got invalid_params %+v, want one on fields", p.InvalidParams)
			}
			for _, w := range c.want {
				if !strings.Contains(p.InvalidParams[0].Reason, w) {
					t.Errorf("got reason %q, want it to contain %s", p.InvalidParams[0].Reason, w)
				}
			}
		})
	}
}

type statementLogKey struct{}

// statementLog records the SQL a store runs for requests whose context
// carries a *statementLog (see countingServer).
type statementLog struct {
	mu   sync.Mutex
	sqls []string
}

var countingRegistered sync.Map // *gorm.DB -> bool

// countingServer serves b's store through a router whose requests carry
// log in their context, and registers (once per database) the GORM
// callbacks that record into it.
func countingServer(t *testing.T, b *backend, log *statementLog) *httptest.Server {
	t.Helper()
	db := b.store.DB()
	if _, done := countingRegistered.LoadOrStore(db, true); !done {
		record := func(tx *gorm.DB) {
			l, ok := tx.Statement.Context.Value(statementLogKey{}).(*statementLog)
			if !ok || tx.Statement.SQL.Len() == 0 {
				return
			}
			l.mu.Lock()
			l.sqls = append(l.sqls, tx.Statement.SQL.String())
			l.mu.Unlock()
		}
		if err := db.Callback().Row().After("gorm:row").Register("test:statement_log_row", record); err != nil {
			t.Fatal(err)
		}
		if err := db.Callback().Query().After("gorm:query").Register("test:statement_log_query", record); err != nil {
			t.Fatal(err)
		}
	}
	router, err := api.New(b.store, api.Config{CursorKey: []byte("test-key")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		router.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), statementLogKey{}, log)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSparseFieldsetStatements checks that a page asking for no relation
// reads none: the events statement alone (plus, on SQLite, the dataset
// version); and that a relation asked for is read without the others.
func TestSparseFieldsetStatements(t *testing.T) {
	relations := []string{"event_actors", "event_places", "event_tags", "citations"}
	forEachBackend(t, func(t *testing.T, b *backend) {
		log := &statementLog{}
		srv := countingServer(t, b, log)
		for _, c := range []struct {
			path string
			want []string // relation tables read
			// statements, when set, is the number of statements besides
			// the dataset version's.
			statements int
		}{
			{"/v1/events?year=2019", relations, 2},
			{"/v1/events?year=2019&fields=id,title,display_date,start_date", nil, 1},
			{"/v1/events?actor=csto&fields=title,summary,updated_at", nil, 2}, // the name, the page
			{"/v1/events?year=2019&fields=title,tags", []string{"event_tags"}, 2},
			{"/v1/events.ndjson?year=2019&fields=title,start_date", nil, 0},
			{"/v1/events.csv?year=2019&fields=title,places", []string{"event_places"}, 0},
		} {
			t.Run(c.path, func(t *testing.T) {
				log.mu.Lock()
				log.sqls = nil
				log.mu.Unlock()
				res, err := srv.Client().Get(srv.URL + c.path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Fatalf("got status %d, want 200", res.StatusCode)
				}
				log.mu.Lock()
				sqls := slices.Clone(log.sqls)
				log.mu.Unlock()
				// The page statement selects the events (and reads a link
				// table itself under an actor filter); the dataset version
				// comes from memory on PostgreSQL, from a query on SQLite.
				var read []string
				relationStatements, others := 0, 0
				for _, sql := range sqls {
					if strings.Contains(sql, "dataset_state") {
						continue
					}
					others++
					// An export reads each batch's links in its page
					// statement (aggregated per event), so its page
					// statement counts; a JSON page reads them in a second.
					if strings.Contains(sql, "e.content_hash") && strings.HasPrefix(c.path, "/v1/events?") {
						continue
					}
					hit := false
					for _, rel := range relations {
						if strings.Contains(sql, rel) {
							hit = true
							if !slices.Contains(read, rel) {
								read = append(read, rel)
							}
						}
					}
					if hit {
						relationStatements++
					}
				}
				if c.statements > 0 && others != c.statements {
					t.Errorf("got %d statements besides the dataset version, want %d:\n%s", others, c.statements,
						strings.Join(sqls, "\n---\n"))
				}
				slices.Sort(read)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if diff := cmp.Diff(want, read); diff != "" {
					t.Errorf("relation tables read (-want +got):\n%s\nstatements:\n%s", diff, strings.Join(sqls, "\n---\n"))
				}
				if len(c.want) == 0 && relationStatements != 0 {
					t.Errorf("got %d relation statements, want none", relationStatements)
				}
				if len(c.want) > 0 && strings.HasPrefix(c.path, "/v1/events?") && relationStatements != 1 {
					t.Errorf("got %d relation statements for the page, want 1", relationStatements)
				}
			})
		}
	})
}

// pandasFieldsScript loads a sparse CSV export the way a notebook would.
const pandasFieldsScript = `
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1] + "/v1/events.csv?year=2019&fields=id,title,display_date,start_date", parse_dates=["start_date"])
print(json.dumps({"columns": list(df.columns), "dtype": str(df["start_date"].dtype), "ids": df["id"].tolist()}))
`

// TestPandasReadsSparseCSV runs real pandas on a sparse CSV export.
func TestPandasReadsSparseCSV(t *testing.T) {
	if err := exec.Command(pandasPython, "-c", "import pandas").Run(); err != nil {
		skipreport.Missing(t, "pandas for %s (apt-get install python3-pandas): %v", pandasPython, err)
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		out, err := exec.Command(pandasPython, "-c", pandasFieldsScript, b.server.URL).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				t.Fatalf("pandas: %v\n%s", err, ee.Stderr)
			}
			t.Fatal(err)
		}
		var got struct {
			Columns []string `json:"columns"`
			Dtype   string   `json:"dtype"`
			IDs     []string `json:"ids"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("pandas output %q: %v", out, err)
		}
		if diff := cmp.Diff([]string{"id", "title", "start_date", "display_date"}, got.Columns); diff != "" {
			t.Errorf("columns (-want +pandas):\n%s", diff)
		}
		if !strings.HasPrefix(got.Dtype, "datetime64") {
			t.Errorf("start_date: got dtype %q, want datetime64", got.Dtype)
		}
		if diff := cmp.Diff(ids(b.events(t, "year=2019&limit=500").Data), got.IDs); diff != "" {
			t.Errorf("ids (-json +pandas):\n%s", diff)
		}
	})
}

// TestCountedFacetsReadMatchesOnce: facets that no kept count answers
// (two dimensions, a word, mid-year dates, updated_since) read the
// matching events in one statement, not once for the total, once for the
// histogram and once per facet (seven statements each reading every
// match); two actors read only the events having both, once.
func TestCountedFacetsReadMatchesOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		log := &statementLog{}
		srv := countingServer(t, b, log)
		for _, path := range []string{
			"/v1/facets?actor=csto,russia",
			"/v1/facets?actor=csto&type=statement",
			"/v1/facets?q=exercises",
			"/v1/facets?from=2019-03-01&to=2019-06-30",
			"/v1/facets?updated_since=2000-01-01T00:00:00Z",
		} {
			log.mu.Lock()
			log.sqls = nil
			log.mu.Unlock()
			res, err := srv.Client().Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: got status %d, want 200", path, res.StatusCode)
			}
			log.mu.Lock()
			sqls := slices.Clone(log.sqls)
			log.mu.Unlock()
			var reads []string
			for _, sql := range sqls {
				if strings.Contains(sql, "FROM events e") || strings.Contains(sql, "JOIN events e") {
					reads = append(reads, sql)
				}
			}
			if len(reads) != 1 {
				t.Errorf("%s: %d statements read the events, want 1:\n%s", path, len(reads), strings.Join(reads, "\n"))
			}
		}
	})
}
