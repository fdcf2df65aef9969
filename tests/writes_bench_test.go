package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// BenchmarkEventWritesPostgres measures event creation through the real
// router and HTTP on PostgreSQL, with 8 writers per CPU at once: each
// write validates, checks its links, writes the event, its links, search
// text and revision, and bumps the dataset version in one transaction.
// It reports writes/s.
//
//	go test ./tests -run '^$' -bench EventWritesPostgres -benchtime 2000x
func BenchmarkEventWritesPostgres(b *testing.B) {
	benchmarkEventWrites(b, models.DialectPostgres)
}

// BenchmarkEventWritesSQLite is the same on the embedded SQLite file, where
// writers take turns on the database's one write lock. With
// SQLITE_KEEP_PATH (see TestSQLiteKept) it writes into a copy of that
// file of generated events instead of a new one.
func BenchmarkEventWritesSQLite(b *testing.B) {
	benchmarkEventWrites(b, models.DialectSQLite)
}

func benchmarkEventWrites(b *testing.B, dialect string) {
	if dialect == models.DialectPostgres && pgAdminURL == "" {
		b.Skipf("PostgreSQL: %s", pgSkipWhy)
	}
	var cfg models.Config
	if kept := os.Getenv("SQLITE_KEEP_PATH"); kept != "" && dialect == models.DialectSQLite {
		cfg.SQLitePath = filepath.Join(b.TempDir(), "writes.db")
		data, err := os.ReadFile(kept)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(cfg.SQLitePath, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	be, cleanup, err := newBackendWith(context.Background(), dialect, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer cleanup()
	_, key, err := be.store.CreateAPIKey(context.Background(), "bench", models.ScopeEventsWrite, "", 0)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	var failed atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("bench-%d", n.Add(1))
			req, _ := http.NewRequest("POST", be.server.URL+"/v1/events", strings.NewReader(newEventBody(id, "Bench "+id)))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", jsonType)
			res, err := client.Do(req)
			if err != nil {
				if failed.Add(1) == 1 {
					b.Logf("write %s: %v", id, err)
				}
				continue
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated && failed.Add(1) == 1 {
				b.Logf("write %s: %d %s", id, res.StatusCode, truncate(string(body)))
			}
		}
	})
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d writes failed", f, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}
