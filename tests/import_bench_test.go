package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// BenchmarkImportPostgres imports IMPORT_BENCH_ROWS (default 100,000) new
// events as one NDJSON file through the real router and HTTP, the body
// generated as it is sent (chunked), into a fresh PostgreSQL database. It
// reports rows/s and the peak Go heap in use during the import (sampled
// every 10 ms), which shows whether memory grows with the file.
//
//	go test ./tests -run '^$' -bench 'Import(Postgres|SQLite)' -benchtime 1x -timeout 60m
func BenchmarkImportPostgres(b *testing.B) { benchmarkImport(b, models.DialectPostgres) }

// BenchmarkImportSQLite is the same on the embedded SQLite file.
func BenchmarkImportSQLite(b *testing.B) { benchmarkImport(b, models.DialectSQLite) }

func benchmarkImport(b *testing.B, dialect string) {
	if dialect == models.DialectPostgres && pgAdminURL == "" {
		b.Skipf("PostgreSQL: %s", pgSkipWhy)
	}
	rows := 100_000
	if v := os.Getenv("IMPORT_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	be, cleanup, err := newBackend(context.Background(), dialect)
	if err != nil {
		b.Fatal(err)
	}
	defer cleanup()
	be.deskSource(b)
	_, key, err := be.store.CreateAPIKey(context.Background(), "bench", models.ScopeEventsWrite, "", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := range b.N {
		pr, pw := io.Pipe()
		go func() {
			for i := range rows {
				fmt.Fprintf(pw, `{"id":"bulk-%d-%d","title":"Bulk event %d","summary":"Generated for the import benchmark.",`+
					`"edtf":"%04d-%02d-%02d","type":"statement","status":"occurred","tags":["test-tag"],`+
					`"actors":[{"id":"csto","role":"speaker"}],"places":[{"id":"russia"}],`+
					`"sources":[{"source_id":"desk-notes","quote":"Quote %d, of %04d in Russia."}]}`+"\n",
					n, i, i, 1990+i%30, 1+i%12, 1+i%28, i, 1990+i%30)
			}
			pw.Close()
		}()
		var peak atomic.Uint64
		stop := make(chan struct{})
		runtime.GC()
		go func() {
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		req, _ := http.NewRequest("POST", be.server.URL+"/v1/timelines/csto/import", pr)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", ndjsonType)
		client := &http.Client{Timeout: time.Hour}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		close(stop)
		if res.StatusCode != http.StatusOK {
			b.Fatalf("import: %d %s", res.StatusCode, truncate(string(body)))
		}
		elapsed := time.Since(start)
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}
