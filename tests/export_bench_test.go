package tests

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkExport streams every generated event as JSON pages, CSV and
// NDJSON through real HTTP and reports rows per second and the peak heap
// in use. EXPORT_BENCH_ROWS sets the size (default 100000), e.g.
//
//	EXPORT_BENCH_ROWS=1000000 go test ./tests/ -run '^$' -bench Export -benchtime 1x
func BenchmarkExport(b *testing.B) {
	rows := 100_000
	if v := os.Getenv("EXPORT_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("EXPORT_BENCH_ROWS=%q: want a positive number", v)
		}
		rows = n
	}
	for _, d := range dialects() {
		be, cleanup, err := newBackend(context.Background(), d)
		if err != nil {
			b.Fatal(err)
		}
		generateEvents(b, be.store, rows)
		for _, f := range []struct{ name, path string }{
			{"json-pages", "/v1/events?timeline=generated&limit=500"},
			{"csv", "/v1/events.csv?timeline=generated"},
			{"ndjson", "/v1/events.ndjson?timeline=generated"},
		} {
			b.Run(d+"/"+f.name, func(b *testing.B) {
				var peak atomic.Uint64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						case <-time.After(10 * time.Millisecond):
							var m runtime.MemStats
							runtime.ReadMemStats(&m)
							if m.HeapInuse > peak.Load() {
								peak.Store(m.HeapInuse)
							}
						}
					}
				}()
				b.ResetTimer()
				var total int64
				for i := 0; i < b.N; i++ {
					total += benchFetchAll(b, be, f.path)
				}
				b.StopTimer()
				close(stop)
				wg.Wait()
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(total)/float64(b.N)/(1<<20), "MB/op")
			})
		}
		cleanup()
	}
}

// benchFetchAll downloads path (following links.next for JSON pages) and
// returns the bytes read.
func benchFetchAll(b *testing.B, be *backend, path string) int64 {
	var n int64
	for path != "" {
		res, err := http.Get(be.server.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", path, res.StatusCode)
		}
		next := ""
		if l := res.Header.Get("Link"); l != "" {
			next = l[1 : len(l)-len(`>; rel="next"`)]
		}
		m, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		n += m
		path = next
	}
	return n
}
