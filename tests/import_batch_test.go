package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// bulkLine is an NDJSON import line of event i of the batch tests.
func bulkLine(i int, title string) string {
	return fmt.Sprintf(`{"id":"bulk-%04d","title":%q,"summary":"Written by a batched import.","edtf":"%04d-%02d-%02d",`+
		`"type":"statement","status":"occurred","tags":["test-tag"],"actors":[{"id":"csto","role":"speaker"}],`+
		`"places":[{"id":"russia"}],"sources":[{"source_id":"desk-notes","quote":"Quote %d, of %04d in Russia."}]}`,
		i, title, 1990+i%30, 1+i%12, 1+i%28, i, 1990+i%30)
}

// TestImportBatches: an import of a few thousand rows, written in several
// batches, records exactly one revision and one feed change for each event
// it creates, updates, restores or retracts, in the order of the file (the
// retractions of mode=replace last); the same file again changes nothing;
// and a bad row in the last batch leaves nothing written by the batches
// before it.
func TestImportBatches(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			n, batch := 1500, 300
			if raceEnabled && b.name == models.DialectSQLite {
				// SQLite's pure-Go driver under -race: the full size took
				// 164 s (7 s without -race), this one 51 s, which keeps
				// CI's race run within its budget. The same five batches,
				// smaller; the full size runs without -race (the README's
				// test command).
				n, batch = 300, 60
			}
			b.deskSource(t)
			if _, err := b.store.WriteTimeline(ctx, models.Timeline{ID: "bulk", Title: "Bulk"}, true, 0); err != nil {
				t.Fatal(err)
			}
			meta := models.WriteMeta{KeyID: "bulk-key"}
			run := func(mode string, lines []string) (models.ImportReport, error) {
				t.Helper()
				r, err := models.NewImportReader(models.ImportNDJSON, strings.NewReader(strings.Join(lines, "\n")+"\n"))
				if err != nil {
					t.Fatal(err)
				}
				return b.store.ImportEvents(ctx, models.ImportOptions{Timeline: "bulk", Mode: mode, Meta: meta, BatchSize: batch}, r)
			}
			type entry struct{ ID, Change string }
			lastRev := map[string]int64{}
			// step imports lines and checks the report and that the feed
			// gained exactly want, each a revision after the event's last.
			step := func(what, mode string, lines []string, created, updated, unchanged, retracted int, want []entry) {
				t.Helper()
				before := len(readFeed(t, b))
				rep, err := run(mode, lines)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				got := fmt.Sprint(rep.Rows, rep.Created, rep.Updated, rep.Unchanged, rep.Retracted)
				if w := fmt.Sprint(len(lines), created, updated, unchanged, retracted); got != w {
					t.Errorf("%s: got rows/created/updated/unchanged/retracted %s, want %s", what, got, w)
				}
				feed := readFeed(t, b)[before:]
				var entries []entry
				for _, c := range feed {
					entries = append(entries, entry{c.ID, c.Change})
					if c.Kind != "event" || c.Revision != lastRev[c.ID]+1 {
						t.Errorf("%s: %s %s: got kind %s revision %d, want event revision %d", what, c.Change, c.ID, c.Kind,
							c.Revision, lastRev[c.ID]+1)
					}
					lastRev[c.ID] = c.Revision
					rev, err := b.store.FindRevision(ctx, c.ID, c.Revision)
					if err != nil || rev.Action != c.Change || rev.KeyID != "bulk-key" || rev.Version != c.Version {
						t.Errorf("%s: revision %d of %s: got %+v (%v), want %s by bulk-key at version %d", what, c.Revision,
							c.ID, rev, err, c.Change, c.Version)
					}
				}
				if diff := cmp.Diff(want, entries); diff != "" {
					t.Errorf("%s: feed changes (-want +got):\n%s", what, diff)
				}
			}
			count := func(table string) int64 {
				var n int64
				if err := b.store.DB().Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}

			lines := make([]string, n)
			var want []entry
			for i := range n {
				lines[i] = bulkLine(i, fmt.Sprintf("Event %d", i))
				want = append(want, entry{fmt.Sprintf("bulk-%04d", i), "create"})
			}
			step("create", "merge", lines, n, 0, 0, 0, want)
			step("the same file again", "merge", lines, 0, 0, n, 0, nil)

			// Replace: every third event changed, every tenth left out
			// (retracted), and new events after them.
			var kept []string
			want = nil
			var gone []entry
			updated := 0
			for i := range n {
				id := fmt.Sprintf("bulk-%04d", i)
				switch {
				case i%10 == 0:
					gone = append(gone, entry{id, "retract"})
				case i%3 == 0:
					kept = append(kept, bulkLine(i, fmt.Sprintf("Event %d, corrected", i)))
					want = append(want, entry{id, "update"})
					updated++
				default:
					kept = append(kept, lines[i])
				}
			}
			for i := n; i < n+300; i++ {
				kept = append(kept, bulkLine(i, fmt.Sprintf("Event %d", i)))
				want = append(want, entry{fmt.Sprintf("bulk-%04d", i), "create"})
			}
			unchanged := len(kept) - updated - 300
			step("replace", "replace", kept, 300, updated, unchanged, len(gone), append(want, gone...))
			step("replace again", "replace", kept, 0, 0, len(kept), 0, nil)

			// Merge the original file back: the retracted are restored,
			// the corrected are updated back.
			want = nil
			for i := range n {
				id := fmt.Sprintf("bulk-%04d", i)
				switch {
				case i%10 == 0:
					want = append(want, entry{id, "restore"})
				case i%3 == 0:
					want = append(want, entry{id, "update"})
				}
			}
			step("restore", "merge", lines, len(gone), updated, n-len(gone)-updated, 0, want)

			// A bad row in the last batch, and a duplicate of the first
			// row there: nothing of the batches before is written.
			tables := []string{"events", "event_revisions", "changes", "retracted_events", "event_actors", "citations"}
			counts := map[string]int64{}
			for _, table := range tables {
				counts[table] = count(table)
			}
			state, err := b.store.DatasetState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			late := make([]string, 0, n+600)
			for i := range n + 600 {
				late = append(late, bulkLine(i, fmt.Sprintf("Event %d, late", i)))
			}
			late = append(late, strings.Replace(bulkLine(n+600, "Bad"), `"edtf":"`, `"edtf":"20x`, 1), late[0])
			_, err = run("replace", late)
			var verr *models.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("a bad last row: got %v, want a validation error", err)
			}
			var fields []string
			for _, f := range verr.Fields {
				fields = append(fields, f.Field+" "+f.Reason)
			}
			wantFields := []string{
				fmt.Sprintf("line %d: /date", n+601),
				fmt.Sprintf(`line %d: /id "bulk-0000" is listed twice (first at line 1)`, n+602),
			}
			if len(fields) != 2 || !strings.HasPrefix(fields[0], wantFields[0]) || fields[1] != wantFields[1] {
				t.Errorf("a bad last row: got problems %q, want %q", fields, wantFields)
			}
			for _, table := range tables {
				if got := count(table); got != counts[table] {
					t.Errorf("after a refused import: %d rows in %s, want %d", got, table, counts[table])
				}
			}
			if _, err := b.store.FindEventByID(ctx, fmt.Sprintf("bulk-%04d", n+500)); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("an event of a refused import's first batches: got %v, want not found", err)
			}
			if after, err := b.store.DatasetState(ctx); err != nil || after.Version != state.Version {
				t.Errorf("after a refused import: dataset version %d (%v), want %d", after.Version, err, state.Version)
			}
		})
	}
}

// TestImportQueryExecModes: the batched writes send one array per column
// to PostgreSQL, which every pgx query execution mode (DB_QUERY_EXEC_MODE)
// must carry: an import that creates, updates and retracts in several
// batches lands the same in each.
func TestImportQueryExecModes(t *testing.T) {
	if pgAdminURL == "" {
		t.Skipf("PostgreSQL: %s", pgSkipWhy)
	}
	ctx := context.Background()
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			b, cleanup, err := newBackendWith(ctx, models.DialectPostgres, models.Config{QueryExecMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			b.deskSource(t)
			if _, err := b.store.WriteTimeline(ctx, models.Timeline{ID: "bulk", Title: "Bulk"}, true, 0); err != nil {
				t.Fatal(err)
			}
			run := func(lines []string) models.ImportReport {
				t.Helper()
				r, err := models.NewImportReader(models.ImportNDJSON, strings.NewReader(strings.Join(lines, "\n")))
				if err != nil {
					t.Fatal(err)
				}
				rep, err := b.store.ImportEvents(ctx, models.ImportOptions{Timeline: "bulk", Mode: models.ImportReplace,
					Meta: models.WriteMeta{KeyID: "bulk-key"}, BatchSize: 7}, r)
				if err != nil {
					t.Fatal(err)
				}
				return rep
			}
			var lines []string
			for i := range 30 {
				lines = append(lines, bulkLine(i, fmt.Sprintf("Event %d", i)))
			}
			run(lines)
			lines[3] = bulkLine(3, "Event 3, corrected")
			rep := run(lines[:25])
			if got := fmt.Sprint(rep.Created, rep.Updated, rep.Unchanged, rep.Retracted); got != "0 1 24 5" {
				t.Errorf("got created/updated/unchanged/retracted %s, want 0 1 24 5", got)
			}
			e, err := b.store.FindEventByID(ctx, "bulk-0003")
			if err != nil || e.Title != "Event 3, corrected" || len(e.Actors) != 1 || len(e.Citations) != 1 {
				t.Errorf("bulk-0003: got %+v (%v)", e, err)
			}
		})
	}
}
