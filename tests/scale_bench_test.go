package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// TestScaleBenchmark is a measurement, not a check: run it with
// tests/bench/scale.sh (SCALE_BENCH=1). It builds the scale test's
// topology with generated events and reports list-endpoint requests a
// second for one instance on the primary (in two query modes), one reading
// from the replica, the same through PgBouncer, and two instances sharing
// primary and replica. It fails only when the setup does, never on a figure.
func TestScaleBenchmark(t *testing.T) {
	if os.Getenv("SCALE_BENCH") == "" {
		t.Skip("a benchmark: run tests/bench/scale.sh (SCALE_BENCH=1)")
	}
	rows := scaleBenchEnvInt(t, "SCALE_BENCH_ROWS", 20_000)
	seconds := scaleBenchEnvInt(t, "SCALE_BENCH_SECONDS", 10)
	clients := scaleBenchEnvInt(t, "SCALE_BENCH_CLIENTS", 8)

	scalePgBouncerBin(t)
	primary := faultNewCluster(t)
	direct := primary.createDB(t, "timeline")
	bin := faultBuild(t)
	faultRunCommand(t, bin, "migrate", "DATABASE_URL="+direct)
	faultRunCommand(t, bin, "seed", "DATABASE_URL="+direct) // the generated events cite a seeded source
	store, err := models.Open(context.Background(), models.Config{DatabaseURL: direct})
	if err != nil {
		t.Fatal(err)
	}
	generateEvents(t, store, rows)
	store.Close()
	primary.run(t, "psql", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres", "-d", "timeline", "-c", "VACUUM ANALYZE")
	replica := scaleNewReplica(t, primary)
	replicaDirect := replica.url("timeline")
	primaryPool, replicaPool := scaleStartPgBouncer(t, primary), scaleStartPgBouncer(t, replica)
	pooled := func(port string) string {
		return "postgres://postgres@127.0.0.1:" + port + "/timeline?sslmode=disable"
	}
	common := []string{"DB_MAX_OPEN_CONNS=10", "LOG_LEVEL=warn"}

	// Every configuration names its query mode: the default
	// (cache_statement) on direct connections, exec through PgBouncer,
	// where prepared statements fail, and exec on the primary and the
	// replica directly too, so that each layer's cost is read against the
	// same mode.
	execMode, cachedMode := "DB_QUERY_EXEC_MODE=exec", "DB_QUERY_EXEC_MODE=cache_statement"
	configs := []struct {
		name      string
		instances [][]string
	}{
		{"one instance, primary only (exec)", [][]string{{"DATABASE_URL=" + direct, execMode}}},
		{"one instance, primary only (cache_statement)", [][]string{{"DATABASE_URL=" + direct, cachedMode}}},
		{"one instance, reads on the replica (exec)", [][]string{{"DATABASE_URL=" + direct, "DATABASE_REPLICA_URLS=" + replicaDirect, execMode}}},
		{"one instance, reads on the replica (cache_statement)", [][]string{{"DATABASE_URL=" + direct, "DATABASE_REPLICA_URLS=" + replicaDirect, cachedMode}}},
		{"one instance, replica via PgBouncer (exec)", [][]string{{"DATABASE_URL=" + pooled(primaryPool), "DATABASE_REPLICA_URLS=" + pooled(replicaPool), execMode}}},
		{"two instances, primary + replica (cache_statement)", [][]string{
			{"DATABASE_URL=" + direct, "DATABASE_REPLICA_URLS=" + replicaDirect, cachedMode},
			{"DATABASE_URL=" + direct, "DATABASE_REPLICA_URLS=" + replicaDirect, cachedMode}}},
	}
	paths := []string{
		"/v1/events?timeline=generated&limit=50",
		"/v1/events?timeline=generated&year=1960&limit=50",
		"/v1/events?timeline=generated&year=1990&limit=50",
		"/v1/events?timeline=generated&type=report&limit=50",
	}
	t.Logf("%d events, %d clients, %d s per configuration, GOMAXPROCS of each instance = host's", rows, clients, seconds)
	for _, cfg := range configs {
		var svcs []*faultService
		for _, env := range cfg.instances {
			svcs = append(svcs, faultStartService(t, bin, append(append([]string{}, common...), env...)...))
		}
		ok, failed := scaleBenchLoad(svcs, paths, clients, time.Duration(seconds)*time.Second)
		t.Logf("| %s | %.0f req/s | %d failed |", cfg.name, float64(ok)/float64(seconds), failed)
		for _, s := range svcs {
			s.terminate(t, 30*time.Second)
		}
	}
}

// scaleBenchLoad runs clients concurrent loops of GETs, spread evenly
// over svcs, for d, and counts the 200s and the rest.
func scaleBenchLoad(svcs []*faultService, paths []string, clients int, d time.Duration) (ok, failed int64) {
	var okN, badN atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	defer tr.CloseIdleConnections()
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := svcs[c%len(svcs)].base
			for i := 0; time.Now().Before(end); i++ {
				res, err := client.Get(base + paths[(c+i)%len(paths)])
				if err != nil {
					badN.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					okN.Add(1)
				} else {
					badN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return okN.Load(), badN.Load()
}

func scaleBenchEnvInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatal(fmt.Errorf("%s=%q: want a positive number", name, v))
	}
	return n
}

// BenchmarkQueryExecMode measures what DB_QUERY_EXEC_MODE costs without
// PgBouncer: the same list query through the store, sequentially, on the
// test PostgreSQL, in the service's default (cache_statement, pgx's own,
// prepared once per connection), in exec (parsed every time, the mode
// behind PgBouncer) and in simple_protocol.
//
//	go test ./tests -run '^$' -bench QueryExecMode -benchtime 3s
func BenchmarkQueryExecMode(b *testing.B) {
	if pgAdminURL == "" {
		b.Skip("PostgreSQL: " + pgSkipWhy)
	}
	for _, mode := range []string{"cache_statement", "exec", "simple_protocol"} {
		be, cleanup, err := newBackendWith(context.Background(), models.DialectPostgres, models.Config{QueryExecMode: mode})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(mode, func(b *testing.B) {
			f := models.EventFilter{Years: []int{2019, 2020}, Limit: 20}
			for b.Loop() {
				if _, _, err := be.store.FindEvents(context.Background(), f); err != nil {
					b.Fatal(err)
				}
			}
		})
		cleanup()
	}
}
