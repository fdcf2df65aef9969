package tests

// Operational limits of the PostgreSQL path: the connection pool stays
// within its bound under load, a statement that runs too long is cut off by
// statement_timeout and answered 503, and a client that goes away cancels
// its query in the database.

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/models"
)

// opsPostgres gives a test its own seeded PostgreSQL database opened with
// cfg, the service in front of it, and the database's name and URL.
func opsPostgres(t *testing.T, cfg models.Config) (b *backend, name, dsn string) {
	t.Helper()
	requirePostgres(t)
	b, cleanup, err := newBackendWith(context.Background(), models.DialectPostgres, cfg)
	if err != nil {
		t.Fatalf("new PostgreSQL backend: %v", err)
	}
	t.Cleanup(cleanup)
	return b, b.dbName, b.dsn
}

// opsOpen opens a plain connection pool to dsn, closed when the test ends.
func opsOpen(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open %s: %v", redact(dsn), err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

// opsLockEvents takes an exclusive lock on the events table in a
// transaction held until the test ends: every read of events waits.
func opsLockEvents(t *testing.T, dsn string) {
	t.Helper()
	tx := opsOpen(t, dsn).Begin()
	if err := tx.Exec("LOCK TABLE events IN ACCESS EXCLUSIVE MODE").Error; err != nil {
		t.Fatalf("lock events: %v", err)
	}
	t.Cleanup(func() { tx.Rollback() })
}

// opsConnections counts the server connections to database name, those
// waiting for a lock when waiting is set.
func opsConnections(t *testing.T, admin *gorm.DB, name string, waiting bool) int {
	t.Helper()
	q := "SELECT count(*) FROM pg_stat_activity WHERE datname = ?"
	if waiting {
		q += " AND wait_event_type = 'Lock'"
	}
	var n int
	if err := admin.Raw(q, name).Scan(&n).Error; err != nil {
		t.Errorf("pg_stat_activity: %v", err)
	}
	return n
}

// TestPoolStaysWithinBound fires 100 concurrent requests, many times the
// pool, at a service allowed 4 connections: every request is answered, and
// the database never sees more than 4 connections from it.
func TestPoolStaysWithinBound(t *testing.T) {
	const maxConns, concurrency = 4, 100
	b, name, _ := opsPostgres(t, models.Config{MaxOpenConns: maxConns, MaxIdleConns: maxConns})
	admin := opsOpen(t, pgAdminURL)

	stop := make(chan struct{})
	sampled := make(chan [2]int)
	go func() {
		most, samples := 0, 0
		for {
			most = max(most, opsConnections(t, admin, name, false))
			samples++
			select {
			case <-stop:
				sampled <- [2]int{most, samples}
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	paths := []string{"/v1/events?year=2019", "/v1/years", "/v1/events/csto-2019-10-battle-brotherhood",
		"/v1/timelines", "/v1/events?type=statement&limit=3"}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: concurrency, MaxIdleConnsPerHost: concurrency}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	statuses := make([]int, concurrency)
	start := make(chan struct{})
	for i := range concurrency {
		wg.Go(func() {
			<-start
			res, err := client.Get(b.server.URL + paths[i%len(paths)])
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	got := <-sampled

	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("request %d (%s): got status %d, want 200", i, paths[i%len(paths)], s)
		}
	}
	if got[0] > maxConns {
		t.Errorf("connections to the database: got up to %d, want at most %d", got[0], maxConns)
	}
	if got[0] < 1 {
		t.Errorf("connections to the database: got none in %d samples, want the pool's", got[1])
	}
	t.Logf("connections: at most %d in %d samples", got[0], got[1])
}

// TestStatementTimeoutIs503: a query that runs past statement_timeout (here
// because it waits for a lock) is cancelled by the server and answered
// with a 503 that tells the client to narrow the query, never a 500.
func TestStatementTimeoutIs503(t *testing.T) {
	b, _, dsn := opsPostgres(t, models.Config{StatementTimeout: 300 * time.Millisecond})
	var setting string
	if err := b.store.DB().Raw("SHOW statement_timeout").Scan(&setting).Error; err != nil || setting != "300ms" {
		t.Errorf("statement_timeout: got %q (%v), want 300ms", setting, err)
	}
	opsLockEvents(t, dsn)

	// Without the timeout the request would wait for the lock until the
	// test ends: the client gives up long before.
	client := &http.Client{Timeout: 30 * time.Second}
	// /v1/years from a mid-year date counts the events (a whole-year or
	// unfiltered histogram reads the kept counts, which are not locked).
	for _, path := range []string{"/v1/events?year=2019", "/v1/years?from=2019-06-01"} {
		res, err := client.Get(b.server.URL + path)
		if err != nil {
			t.Fatalf("GET %s: got %v, want a 503 once statement_timeout passes", path, err)
		}
		r := readResponse(t, res)
		p := wantProblem(t, path, r, http.StatusServiceUnavailable, "unavailable")
		if !strings.Contains(p.Detail, "narrow the query") {
			t.Errorf("GET %s: got detail %q, want advice to narrow the query", path, p.Detail)
		}
		if r.header.Get("Retry-After") == "" {
			t.Errorf("GET %s: got no Retry-After, want one", path)
		}
	}
}

// TestClientGoneCancelsQuery: when the client disconnects, the query it
// started stops in the database, even one that would otherwise wait for
// a lock indefinitely.
func TestClientGoneCancelsQuery(t *testing.T) {
	b, name, dsn := opsPostgres(t, models.Config{})
	admin := opsOpen(t, pgAdminURL)
	opsLockEvents(t, dsn)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.server.URL+"/v1/events?year=2019", nil)
		res, err := b.server.Client().Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitFor(t, "the query to wait for the lock", func() bool { return opsConnections(t, admin, name, true) == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("request: got a response, want the client's cancellation")
	}
	waitFor(t, "the query to be cancelled while the lock is still held", func() bool {
		return opsConnections(t, admin, name, true) == 0
	})
}

// waitFor polls cond for up to 15 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readResponse(t *testing.T, res *http.Response) response {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}
