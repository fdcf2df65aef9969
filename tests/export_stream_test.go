package tests

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// TestExportStreamMatchesPages checks, on both databases, that an export's
// events (each batch one statement with the links aggregated, the catalog
// read once) are the JSON pages' events exactly, relations included, in
// the same order, whatever the batch size: batches of 1 and 7 cut through
// the seed's events with many actors, places and citations, and 300
// generated events read in batches of 290 are handed on in chunks. Batch 0
// (what an export asks for) reads the whole table in one statement on
// PostgreSQL when the export covers most of it, as these do.
func TestExportStreamMatchesPages(t *testing.T) {
	ctx := context.Background()
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			pages := func(f models.EventFilter) []models.Event {
				t.Helper()
				var all []models.Event
				f.Limit = 50
				for {
					events, more, err := b.store.FindEvents(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, events...)
					if !more {
						return all
					}
					key := events[len(events)-1].Key()
					f.After = &key
				}
			}
			stream := func(f models.EventFilter, batch int) ([]models.Event, int) {
				t.Helper()
				var got []models.Event
				total := -1
				err := b.store.StreamEvents(ctx, f, batch, func(n int) error { total = n; return nil },
					func(chunk []models.Event) error {
						got = append(got, chunk...)
						return nil
					})
				if err != nil {
					t.Fatal(err)
				}
				return got, total
			}
			check := func(name string, f models.EventFilter, batches ...int) {
				t.Helper()
				want := pages(f)
				if len(want) == 0 {
					t.Fatalf("%s: no events to compare", name)
				}
				for _, batch := range batches {
					got, total := stream(f, batch)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s, batches of %d (-pages +export):\n%s", name, batch, diff)
					}
					if total != len(want) {
						t.Errorf("%s, batches of %d: got total %d, want %d", name, batch, total, len(want))
					}
				}
			}
			check("seed by date", models.EventFilter{}, 0, 1, 7, 1000)
			check("seed by -date", models.EventFilter{Descending: true}, 0, 7)
			check("seed in 2019", models.EventFilter{Years: []int{2019}}, 0, 3)
			check("seed with an actor", models.EventFilter{Actors: []string{"csto"}}, 0, 5)
			generateEvents(t, b.store, 300)
			check("generated", models.EventFilter{Timelines: []string{"generated"}}, 0, 290)
			check("everything by -date", models.EventFilter{Descending: true}, 0, 290)

			// A consumer that fails stops the export at once, and the store
			// goes on answering.
			stop := errors.New("client gone")
			err := b.store.StreamEvents(ctx, models.EventFilter{}, 0, func(int) error { return nil },
				func([]models.Event) error { return stop })
			if !errors.Is(err, stop) {
				t.Errorf("stopped export: got %v, want %v", err, stop)
			}
			if got := len(pages(models.EventFilter{Years: []int{2019}})); got == 0 {
				t.Errorf("after a stopped export: got no events for 2019")
			}
		})
	}
}

// TestExportIncludeRetracted checks include=retracted on both databases: a
// retracted event comes after the live ones as a tombstone (id, timeline,
// retracted_at) in CSV and NDJSON, counted in X-Total-Count; without the
// parameter the export is what it was; elsewhere the parameter is a 400.
func TestExportIncludeRetracted(t *testing.T) {
	ctx := context.Background()
	const gone = "csto-2019-10-battle-brotherhood"
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			beforeCSV := b.get(t, "/v1/events.csv?timeline=csto")
			beforeCSV.wantStatus(t, http.StatusOK)
			beforeND := b.get(t, "/v1/events.ndjson?timeline=csto")
			live, _ := strconv.Atoi(beforeND.header.Get("X-Total-Count"))

			_, version, err := b.store.FindEventVersioned(ctx, gone)
			if err != nil {
				t.Fatal(err)
			}
			r, err := b.store.RetractEvent(ctx, gone, version, models.WriteMeta{KeyID: "test"})
			if err != nil {
				t.Fatal(err)
			}

			// Without include=retracted: the live events only, as before
			// less the retracted one.
			after := b.get(t, "/v1/events.csv?timeline=csto")
			if got, want := after.header.Get("X-Total-Count"), strconv.Itoa(live-1); got != want {
				t.Errorf("csv without include: got X-Total-Count %s, want %s", got, want)
			}
			if strings.Contains(string(after.body), gone) || strings.Contains(string(after.body), "retracted_at") {
				t.Errorf("csv without include: the retracted event or the column shows")
			}
			var kept []string
			for _, line := range strings.SplitAfter(string(beforeCSV.body), "\r\n") {
				if !strings.HasPrefix(line, gone+",") {
					kept = append(kept, line)
				}
			}
			if diff := cmp.Diff(strings.Join(kept, ""), string(after.body)); diff != "" {
				t.Errorf("csv without include changed beyond the retracted row (-want +got):\n%s", diff)
			}

			// CSV with include=retracted.
			res := b.get(t, "/v1/events.csv?timeline=csto&include=retracted")
			res.wantStatus(t, http.StatusOK)
			if got, want := res.header.Get("X-Total-Count"), strconv.Itoa(live); got != want {
				t.Errorf("csv: got X-Total-Count %s, want %s", got, want)
			}
			rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != live+1 {
				t.Fatalf("csv: got %d rows, want %d and a header", len(rows)-1, live)
			}
			if h := rows[0]; len(h) != 21 || h[20] != "retracted_at" || h[0] != "id" {
				t.Errorf("csv header: got %v, want the 20 columns and retracted_at", h)
			}
			for i, row := range rows[1 : len(rows)-1] {
				if row[20] != "" || row[0] == gone {
					t.Errorf("csv row %d: got id %s retracted_at %q, want a live event", i+1, row[0], row[20])
				}
			}
			// The database keeps the time to the microsecond (PostgreSQL) or
			// the nanosecond (SQLite).
			at := rows[len(rows)-1][20]
			if ts, err := time.Parse(time.RFC3339Nano, at); err != nil || ts.Sub(r.RetractedAt).Abs() > time.Millisecond {
				t.Errorf("csv tombstone: got retracted_at %q, want %s", at, r.RetractedAt.UTC().Format(time.RFC3339Nano))
			}
			wantRow := make([]string, 21)
			wantRow[0], wantRow[1], wantRow[20] = gone, "csto", at
			if diff := cmp.Diff(wantRow, rows[len(rows)-1]); diff != "" {
				t.Errorf("csv tombstone (-want +got):\n%s", diff)
			}
			// The live rows are those of the export without include, with
			// an empty last cell.
			plain, _ := csv.NewReader(strings.NewReader(string(after.body))).ReadAll()
			for i := 1; i < len(plain); i++ {
				if diff := cmp.Diff(append(plain[i], ""), rows[i]); diff != "" {
					t.Errorf("csv row %d (-without include +with):\n%s", i, diff)
				}
			}

			// NDJSON with include=retracted.
			res = b.get(t, "/v1/events.ndjson?timeline=csto&include=retracted")
			res.wantStatus(t, http.StatusOK)
			lines := strings.Split(strings.TrimSuffix(string(res.body), "\n"), "\n")
			if len(lines) != live {
				t.Fatalf("ndjson: got %d lines, want %d", len(lines), live)
			}
			var tomb map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &tomb); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]any{"id": gone, "timeline": "csto", "retracted_at": at}, tomb); diff != "" {
				t.Errorf("ndjson tombstone (-want +got):\n%s", diff)
			}
			afterND := b.get(t, "/v1/events.ndjson?timeline=csto")
			if got, want := strings.Join(lines[:len(lines)-1], "\n")+"\n", string(afterND.body); got != want {
				t.Errorf("ndjson: the live lines differ from the export without include")
			}

			// Another timeline has no tombstone; updated_since after the
			// retraction leaves it out too.
			res = b.get(t, "/v1/events.ndjson?timeline=other-timeline&include=retracted")
			if res.header.Get("X-Total-Count") != "0" || len(res.body) != 0 {
				t.Errorf("other timeline: got X-Total-Count %s and %d bytes, want nothing",
					res.header.Get("X-Total-Count"), len(res.body))
			}
			since := r.RetractedAt.Add(time.Second).UTC().Format(time.RFC3339)
			res = b.get(t, "/v1/events.ndjson?timeline=csto&include=retracted&updated_since="+since)
			if strings.Contains(string(res.body), gone) {
				t.Errorf("updated_since after the retraction: got the tombstone, want none")
			}

			for _, path := range []string{"/v1/events?include=retracted", "/v1/events?format=timelinejs&include=retracted",
				"/v1/events.csv?include=deleted", "/v1/events.json?include=retracted"} {
				p := wantProblem(t, path, b.get(t, path), http.StatusBadRequest, "invalid-parameter")
				if len(p.InvalidParams) == 0 || p.InvalidParams[0].Name != "include" {
					t.Errorf("%s: got invalid_params %+v, want include", path, p.InvalidParams)
				}
			}
		})
	}
}
