package tests

// The shutdown tests send SIGTERM to the real binary, serving a fresh
// PostgreSQL database, while requests are in flight: an export stalled
// mid-stream by its client, and requests waiting on a table lock.

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/api"
)

const (
	shutdownGrace          = time.Minute // far more than the drain needs, even under -race on a busy machine
	shutdownReadinessDelay = time.Second
	shutdownHeld           = 4 // requests held on the table lock
)

// TestShutdownDrainsInFlightRequests: on SIGTERM readiness turns 503 while
// the server still answers, then the listener closes, every request in
// flight (a long export among them) finishes with its whole answer, and
// the process exits 0 within the grace period.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	bin, dsn, db := shutdownSetup(t)
	svc := faultStartService(t, bin, "DATABASE_URL="+dsn, "SHUTDOWN_TIMEOUT="+shutdownGrace.String(),
		"SHUTDOWN_READINESS_DELAY="+shutdownReadinessDelay.String())
	events := shutdownGrowExport(t, svc.base, db)

	// An export whose client stops reading after the first bytes: the
	// server is left mid-stream, blocked on a full socket.
	export, exportRes := shutdownStartStalledExport(t, svc.base)
	// Requests stuck in the database behind a lock the test holds.
	unlock := shutdownLockTimelines(t, db)
	held := shutdownStartHeldRequests(svc.base, shutdownHeld)
	shutdownWaitLockWaiters(t, db, shutdownHeld)

	sigAt := time.Now()
	if err := svc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	shutdownWatchReadiness(t, svc.base)

	// The listener is closed; the process must still be there, waiting
	// for the export and the held requests.
	if svc.exited() {
		t.Fatalf("the service exited (%v) with requests in flight", svc.cmd.ProcessState)
	}
	if n := shutdownCount(t, db, `state = 'idle in transaction'`); n < 1 {
		t.Fatalf("got no export transaction open after the listener closed; want the export still streaming")
	}

	unlock()
	for range shutdownHeld {
		if r := <-held; r.err != nil || r.status != http.StatusOK {
			t.Errorf("request held over SIGTERM: got %s, want 200", r)
		}
	}
	rows, err := shutdownReadCSV(export)
	if err != nil {
		t.Errorf("export stalled over SIGTERM: %v after %d rows, want the whole file", err, rows)
	}
	total := exportRes.Header.Get("X-Total-Count")
	written := exportRes.Trailer.Get("X-Rows-Written")
	if total != strconv.Itoa(events) || written != total || rows != events {
		t.Errorf("export: got %d rows, X-Total-Count %q, X-Rows-Written %q; want %d of each", rows, total, written, events)
	}

	code := svc.wait(t, shutdownReadinessDelay+shutdownGrace)
	t.Logf("exited %v after SIGTERM", time.Since(sigAt).Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit code: got %d, want 0", code)
	}
	logs, _ := os.ReadFile(svc.log)
	for _, msg := range []string{`"msg":"shutting down"`, `"msg":"server stopped; closing the database pool"`} {
		if !strings.Contains(string(logs), msg) {
			t.Errorf("service log: got no %s line", msg)
		}
	}
}

// TestShutdownCutsOffAfterGrace: a request still running when
// SHUTDOWN_TIMEOUT runs out is cut off, and the process exits non-zero
// rather than hang.
func TestShutdownCutsOffAfterGrace(t *testing.T) {
	bin, dsn, db := shutdownSetup(t)
	const grace = time.Second
	svc := faultStartService(t, bin, "DATABASE_URL="+dsn, "SHUTDOWN_TIMEOUT="+grace.String())
	unlock := shutdownLockTimelines(t, db)
	defer unlock()
	held := shutdownStartHeldRequests(svc.base, 1)
	shutdownWaitLockWaiters(t, db, 1)

	sigAt := time.Now()
	code := svc.terminate(t, grace+15*time.Second)
	t.Logf("exited %v after SIGTERM", time.Since(sigAt).Round(time.Millisecond))
	if code != 1 {
		t.Errorf("exit code: got %d, want 1", code)
	}
	if r := <-held; r.err == nil {
		t.Errorf("request held past the grace period: got %s, want the connection cut", r)
	}
	logs, _ := os.ReadFile(svc.log)
	if !strings.Contains(string(logs), "SHUTDOWN_TIMEOUT") {
		t.Errorf("service log: got no line naming SHUTDOWN_TIMEOUT:\n%s", faultTail(logs, 1<<10))
	}
}

// TestShutdownReadyFlag: while api.Config.Ready says no, /readyz answers
// 503 without asking the database, and the rest of the API still serves.
func TestShutdownReadyFlag(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		router, err := api.New(b.store, api.Config{Ready: func() bool { return false }})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(router)
		defer srv.Close()
		client := srv.Client()
		if s := faultGet(client, srv.URL, "/readyz"); s.status != http.StatusServiceUnavailable || s.retryAfter == "" ||
			!strings.HasSuffix(s.problemType, "#unavailable") {
			t.Errorf("got %s, want a 503 unavailable problem with Retry-After", s)
		}
		for _, path := range []string{"/healthz", "/v1/events?year=2019"} {
			if s := faultGet(client, srv.URL, path); s.status != http.StatusOK {
				t.Errorf("got %s, want 200", s)
			}
		}
	})
}

// shutdownSetup builds the binary and makes a fresh PostgreSQL database,
// migrated and seeded by the binary itself, with a connection to it.
func shutdownSetup(t *testing.T) (bin, dsn string, db *gorm.DB) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM is Unix")
	}
	requirePostgres(t)
	dsn, drop, err := createPostgresDB(context.Background(), uniqueName())
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(drop)
	bin = faultBuild(t)
	faultRunCommand(t, bin, "migrate", "DATABASE_URL="+dsn)
	faultRunCommand(t, bin, "seed", "DATABASE_URL="+dsn)
	db, err = gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return bin, dsn, db
}

// shutdownGrowExport copies the seeded events until the CSV export of all
// of them is larger than the server's socket send buffer can hold, with a
// megabyte to spare, so that a client that stops reading leaves the export
// mid-stream. It returns the number of events.
func shutdownGrowExport(t *testing.T, base string, db *gorm.DB) int {
	t.Helper()
	res, err := http.Get(base + "/v1/events.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("export: got %d, %v; want 200", res.StatusCode, err)
	}
	seeded, err := strconv.Atoi(res.Header.Get("X-Total-Count"))
	if err != nil || seeded == 0 {
		t.Fatalf("export: got X-Total-Count %q, want the seeded events", res.Header.Get("X-Total-Count"))
	}
	copies := (shutdownSendBufferMax()+1<<20)/len(body) + 1
	err = db.Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			`INSERT INTO events (id, timeline_id, title, summary, start_date, end_date, date_precision, approximate,
				display_date, edtf, type, status, content_hash)
			SELECT x.id || '-copy-' || g, x.timeline_id, x.title, x.summary, x.start_date, x.end_date, x.date_precision,
				x.approximate, x.display_date, x.edtf, x.type, x.status, x.content_hash
			FROM events x CROSS JOIN generate_series(1, ?::int) AS g`,
			`INSERT INTO event_actors (event_id, actor_id, role, position)
			SELECT x.event_id || '-copy-' || g, x.actor_id, x.role, x.position FROM event_actors x CROSS JOIN generate_series(1, ?::int) AS g`,
			`INSERT INTO event_places (event_id, place_id, position)
			SELECT x.event_id || '-copy-' || g, x.place_id, x.position FROM event_places x CROSS JOIN generate_series(1, ?::int) AS g`,
			`INSERT INTO event_tags (event_id, tag, position)
			SELECT x.event_id || '-copy-' || g, x.tag, x.position FROM event_tags x CROSS JOIN generate_series(1, ?::int) AS g`,
			`INSERT INTO citations (event_id, position, source_id, quote, note)
			SELECT x.event_id || '-copy-' || g, x.position, x.source_id, x.quote, x.note FROM citations x CROSS JOIN generate_series(1, ?::int) AS g`,
		} {
			if err := tx.Exec(q, copies).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy events: %v", err)
	}
	t.Logf("export: %d events, about %d MB of CSV", seeded*(copies+1), len(body)*(copies+1)>>20)
	return seeded * (copies + 1)
}

// shutdownSendBufferMax is the most a TCP socket may buffer for sending
// (Linux's tcp_wmem maximum), or 4 MiB where that is unknown.
func shutdownSendBufferMax() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem")
	if f := strings.Fields(string(b)); err == nil && len(f) == 3 {
		if n, err := strconv.Atoi(f[2]); err == nil && n > 0 {
			return n
		}
	}
	return 4 << 20
}

// shutdownStartStalledExport starts a CSV export of every event on a
// connection with a small receive buffer and reads its first bytes only.
func shutdownStartStalledExport(t *testing.T, base string) (*csv.Reader, *http.Response) {
	t.Helper()
	var dialer net.Dialer
	client := &http.Client{Transport: &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if tcp, ok := conn.(*net.TCPConn); ok && err == nil {
				// A fixed, small buffer: the kernel would otherwise grow it
				// to hold the whole export.
				err = tcp.SetReadBuffer(64 << 10)
			}
			return conn, err
		},
	}}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/events.csv", nil)
	req.Header.Set("TE", "trailers") // for the X-Rows-Written trailer
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("export: got %d, want 200", res.StatusCode)
	}
	r := csv.NewReader(res.Body)
	if _, err := r.Read(); err != nil {
		t.Fatalf("export header: %v", err)
	}
	return r, res
}

// shutdownReadCSV reads the rest of an export whose header was read and
// returns how many event rows followed.
func shutdownReadCSV(r *csv.Reader) (int, error) {
	rows := 0
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows++
	}
}

// shutdownLockTimelines takes an exclusive lock on the timelines table, so
// that requests for timelines wait in the database until unlock. Exports
// do not read that table.
func shutdownLockTimelines(t *testing.T, db *gorm.DB) (unlock func()) {
	t.Helper()
	tx := db.Begin()
	if err := tx.Exec("LOCK TABLE timelines IN ACCESS EXCLUSIVE MODE").Error; err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	done := false
	unlock = func() {
		if !done {
			done = true
			tx.Rollback()
		}
	}
	t.Cleanup(unlock)
	return unlock
}

// shutdownStartHeldRequests starts n timeline requests, which the lock
// holds, and returns where their answers will arrive.
func shutdownStartHeldRequests(base string, n int) <-chan faultSample {
	out := make(chan faultSample, n)
	client := &http.Client{Timeout: time.Minute}
	for i := range n {
		path := []string{"/v1/timelines", "/v1/timelines/csto"}[i%2]
		go func() { out <- faultGet(client, base, path) }()
	}
	return out
}

// shutdownWaitLockWaiters waits until n queries wait for a lock.
func shutdownWaitLockWaiters(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	for range 200 {
		if shutdownCount(t, db, `wait_event_type = 'Lock'`) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fewer than %d requests reached the lock in 10s", n)
}

// shutdownCount counts the other sessions of this database in a state.
func shutdownCount(t *testing.T, db *gorm.DB, cond string) int {
	t.Helper()
	var n int
	if err := db.Raw(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND ` + cond).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// shutdownWatchReadiness polls /readyz on fresh connections after SIGTERM
// until the listener closes: once it has said 503 it must not say 200
// again, and it must say 503 before the listener closes.
func shutdownWatchReadiness(t *testing.T, base string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var unavailable int
	for range 1000 {
		s := faultGet(client, base, "/readyz")
		switch {
		case s.err != nil:
			if unavailable == 0 {
				t.Fatalf("the listener closed (%v) before readiness said 503", s.err)
			}
			t.Logf("readyz answered 503 %d times, then the listener closed", unavailable)
			return
		case s.status == http.StatusServiceUnavailable:
			if s.retryAfter == "" || !strings.HasSuffix(s.problemType, "#unavailable") {
				t.Errorf("readyz while shutting down: got %s, want a 503 unavailable problem with Retry-After", s)
			}
			unavailable++
		case s.status == http.StatusOK && unavailable == 0:
			// The signal may not have arrived yet.
		default:
			t.Fatalf("readyz while shutting down: got %s, want 503", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the listener was still open 20s after SIGTERM")
}
