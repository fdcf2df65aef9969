package tests

import (
	"bufio"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// exportRows is the size of the generated dataset for the streaming test.
const exportRows = 100_000

// generateEvents adds n events on a timeline "generated", tagged
// "generated", with ~1 KB summaries, a citation, an actor and a tag each,
// by set-based SQL.
func generateEvents(t testing.TB, s *models.Store, n int) {
	t.Helper()
	db := s.DB()
	if err := db.Exec("INSERT INTO timelines (id, title, description) VALUES ('generated', 'Generated', '')").Error; err != nil {
		t.Fatal(err)
	}
	var stmts []string
	if s.Dialect() == models.DialectPostgres {
		series := fmt.Sprintf("generate_series(1, %d) AS g", n)
		stmts = []string{
			`INSERT INTO events (id, timeline_id, title, summary, start_date, end_date, date_precision, approximate,
				display_date, edtf, type, status, content_hash)
			SELECT 'gen-' || lpad(g::text, 7, '0'), 'generated', 'Generated event ' || g, repeat('lorem ipsum dolor ', 56),
				d, d, 'day', false, to_char(d, 'YYYY-MM-DD'), to_char(d, 'YYYY-MM-DD'), 'report', 'occurred', 'generated'
			FROM ` + series + `, LATERAL (SELECT DATE '1950-01-01' + (g % 25000)) AS x(d)`,
			`INSERT INTO citations (event_id, position, source_id, quote, note)
			SELECT 'gen-' || lpad(g::text, 7, '0'), 0, 'bohdan-2020-csto', 'generated quote ' || g, '' FROM ` + series,
			`INSERT INTO event_actors (event_id, actor_id, role, position)
			SELECT 'gen-' || lpad(g::text, 7, '0'), 'csto', 'subject', 0 FROM ` + series,
			`INSERT INTO event_tags (event_id, tag, position) SELECT 'gen-' || lpad(g::text, 7, '0'), 'generated', 0 FROM ` + series,
			`ANALYZE`,
		}
	} else {
		series := fmt.Sprintf("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %d) ", n)
		id := "'gen-' || printf('%07d', n)"
		stmts = []string{
			series + `INSERT INTO events (id, timeline_id, title, summary, start_date, end_date, date_precision, approximate,
				display_date, edtf, type, status, content_hash)
			SELECT ` + id + `, 'generated', 'Generated event ' || n, replace(hex(zeroblob(56)), '00', 'lorem ipsum dolor '),
				date('1950-01-01', '+' || (n % 25000) || ' days'), date('1950-01-01', '+' || (n % 25000) || ' days'),
				'day', 0, date('1950-01-01', '+' || (n % 25000) || ' days'), date('1950-01-01', '+' || (n % 25000) || ' days'),
				'report', 'occurred', 'generated' FROM g`,
			series + `INSERT INTO citations (event_id, position, source_id, quote, note)
			SELECT ` + id + `, 0, 'bohdan-2020-csto', 'generated quote ' || n, '' FROM g`,
			series + `INSERT INTO event_actors (event_id, actor_id, role, position) SELECT ` + id + `, 'csto', 'subject', 0 FROM g`,
			series + `INSERT INTO event_tags (event_id, tag, position) SELECT ` + id + `, 'generated', 0 FROM g`,
			`ANALYZE`,
		}
	}
	for i, q := range stmts {
		t0 := time.Now()
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("generate events: %v", err)
		}
		t.Logf("generate events, statement %d of %d: %s", i+1, len(stmts), time.Since(t0).Round(time.Millisecond))
	}
	if err := db.Exec("UPDATE dataset_state SET version = version + 1").Error; err != nil {
		t.Fatal(err)
	}
}

// TestStreamedExportIsBounded exports 100,000 generated events as CSV and
// NDJSON through real HTTP and checks that every row arrives, that the
// counts agree, and that the server's heap stays far below the size of the
// download: the export streams instead of buffering.
func TestStreamedExportIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100,000 events")
	}
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			if raceEnabled && b.name == models.DialectSQLite {
				t.Skip("SQLite's driver is too slow under -race for 100,000 rows; the streaming code is shared with PostgreSQL, which runs")
			}
			generateEvents(t, b.store, exportRows)
			for _, path := range []string{"/v1/events.csv?timeline=generated", "/v1/events.ndjson?timeline=generated&sort=-date"} {
				runtime.GC()
				var base runtime.MemStats
				runtime.ReadMemStats(&base)
				var peak atomic.Uint64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					tick := time.NewTicker(5 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							var m runtime.MemStats
							runtime.ReadMemStats(&m)
							if m.HeapInuse > peak.Load() {
								peak.Store(m.HeapInuse)
							}
						}
					}
				}()
				req, _ := http.NewRequest(http.MethodGet, b.server.URL+path, nil)
				req.Header.Set("TE", "trailers") // for the X-Rows-Written trailer
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				lines, bytes := 0, 0
				sc := bufio.NewScanner(res.Body)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					lines++
					bytes += len(sc.Bytes()) + 1
				}
				res.Body.Close()
				close(stop)
				wg.Wait()
				if err := sc.Err(); err != nil {
					t.Fatalf("%s: read: %v", path, err)
				}
				want := exportRows
				if path[len("/v1/events."):][0] == 'c' {
					want++ // the header row
				}
				if lines != want {
					t.Errorf("%s: got %d lines, want %d", path, lines, want)
				}
				if got := res.Header.Get("X-Total-Count"); got != strconv.Itoa(exportRows) {
					t.Errorf("%s: got X-Total-Count %q, want %d", path, got, exportRows)
				}
				if got := res.Trailer.Get("X-Rows-Written"); got != strconv.Itoa(exportRows) {
					t.Errorf("%s: got trailer X-Rows-Written %q, want %d", path, got, exportRows)
				}
				grew := int64(peak.Load()) - int64(base.HeapInuse)
				t.Logf("%s: %d lines, %d MB streamed, heap in use grew by at most %d MB", path, lines, bytes>>20, grew>>20)
				if bytes < 100<<20 {
					t.Fatalf("%s: only %d MB streamed; the test needs a download far larger than its memory bound", path, bytes>>20)
				}
				if limit := int64(48 << 20); grew > limit {
					t.Errorf("%s: heap in use grew by %d MB while streaming %d MB, want under %d MB", path, grew>>20, bytes>>20, limit>>20)
				}
			}
		})
	}
}
