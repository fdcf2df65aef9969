package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

func TestMain(m *testing.M) {
	code := m.Run()
	skipreport.Print("timeline")
	os.Exit(code)
}

// redactURL hides the password of a database URL.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigRejectsBadValues(t *testing.T) {
	for _, kv := range [][2]string{{"PORT", "http"}, {"LOG_LEVEL", "loud"}, {"MIGRATE_ON_START", "maybe"},
		{"DB_MAX_OPEN_CONNS", "0"}, {"SHUTDOWN_TIMEOUT", "soon"}, {"SHUTDOWN_READINESS_DELAY", "-1s"}} {
		_, err := loadConfig(env(map[string]string{kv[0]: kv[1]}))
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%s: got %v, want an error naming %s", kv[0], kv[1], err, kv[0])
		}
	}
	c, err := loadConfig(env(nil))
	if err != nil || c.addr != ":8080" || c.sqlitePath != "timeline.db" {
		t.Errorf("defaults: got %+v, %v; want :8080 and timeline.db", c, err)
	}
}

// TestServeEmbeddedDefault starts the binary's run with no configuration
// but a port and a file: it migrates, seeds and serves.
func TestServeEmbeddedDefault(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		done <- run(ctx, []string{"timeline"}, env(map[string]string{"PORT": port, "SQLITE_PATH": filepath.Join(dir, "t.db")}), &logs)
	}()
	body := waitGet(t, "http://127.0.0.1:"+port+"/v1/events?year=2019", done)
	if !strings.Contains(body, "csto-2019-10-battle-brotherhood") {
		t.Errorf("got %.300s, want the 2019 events", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after shutdown: got %v, want nil", err)
	}
	if !strings.Contains(logs.String(), `"msg":"seed loaded"`) {
		t.Errorf("logs %s: want a seed line", logs.String())
	}
	// serve sets the collector's target when GOGC is unset.
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GC percent after serve without GOGC: got %d, want %d", got, serveGCPercent)
	}
}

// TestServeKeepsGOGC: a GOGC in the environment is the operator's, and
// serve leaves the collector's target alone.
func TestServeKeepsGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	serveEmbedded(t, map[string]string{"GOGC": "150"})
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GC percent while serve runs with GOGC=150: got %d, want 150 (left alone)", got)
	}
}

// TestServeRefusesStaleSchema: against PostgreSQL, serve will not start on
// a schema that is behind unless told to migrate, nor with MAX_EXPORTS
// that leaves requests no connection.
func TestServeRefusesStaleSchema(t *testing.T) {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err == nil {
		sqlDB, _ := db.DB()
		t.Cleanup(func() { sqlDB.Close() }) // runs after the DROP below
		err = sqlDB.Ping()
	}
	if err != nil {
		skipreport.Missing(t, "PostgreSQL at %s does not answer (%v): start one (apt-get install postgresql) or set TEST_DATABASE_URL", redactURL(admin), err)
	}
	name := fmt.Sprintf("timeline_main_test_%d_%d", os.Getpid(), time.Now().UnixNano())
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	dsn := u.String()
	ctx := context.Background()

	port := freePort(t)
	err = run(ctx, []string{"timeline", "serve"}, env(map[string]string{"DATABASE_URL": dsn, "PORT": port, "CURSOR_KEY": "k"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "timeline migrate") {
		t.Fatalf("serve on an empty database: got %v, want a refusal that says to migrate", err)
	}
	err = run(ctx, []string{"timeline", "seed"}, env(map[string]string{"DATABASE_URL": dsn}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("seed before migrate: got %v, want a refusal", err)
	}
	for _, cmd := range []string{"migrate", "seed", "seed"} {
		if err := run(ctx, []string{"timeline", cmd}, env(map[string]string{"DATABASE_URL": dsn}), &bytes.Buffer{}); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
	// On PostgreSQL the change listener holds one of DB_MAX_OPEN_CONNS, so
	// MAX_EXPORTS must stay below the rest: 9 of 10 would let crawling
	// exports take every connection requests share.
	// (A server that starts anyway is stopped after a while.)
	ctx9, cancel9 := context.WithTimeout(ctx, 20*time.Second)
	err = run(ctx9, []string{"timeline", "serve"}, env(map[string]string{"DATABASE_URL": dsn, "PORT": port, "CURSOR_KEY": "k",
		"DB_MAX_OPEN_CONNS": "10", "MAX_EXPORTS": "9"}), &bytes.Buffer{})
	cancel9()
	if err == nil || !strings.Contains(err.Error(), "MAX_EXPORTS=9") {
		t.Fatalf("MAX_EXPORTS=9 with DB_MAX_OPEN_CONNS=10 on PostgreSQL: got %v, want a refusal naming MAX_EXPORTS", err)
	}
	ctx2, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx2, []string{"timeline", "serve"}, env(map[string]string{"DATABASE_URL": dsn, "PORT": port, "CURSOR_KEY": "k",
			"DB_MAX_OPEN_CONNS": "10", "MAX_EXPORTS": "8"}), &bytes.Buffer{})
	}()
	body := waitGet(t, "http://127.0.0.1:"+port+"/v1/timelines/csto", done)
	if !strings.Contains(body, `"id":"csto"`) {
		t.Errorf("got %.200s, want the csto timeline", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// serveEmbedded runs serve in process on a free port and a new SQLite
// file, with vars added to its environment, and waits until /healthz
// answers; the test's cleanup stops it and reports an error it returned.
// It returns the port.
func serveEmbedded(t *testing.T, vars map[string]string) string {
	t.Helper()
	port := freePort(t)
	all := map[string]string{"PORT": port, "SQLITE_PATH": filepath.Join(t.TempDir(), "t.db")}
	maps.Copy(all, vars)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"timeline"}, env(all), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	waitGet(t, "http://127.0.0.1:"+port+"/healthz", done)
	return port
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// waitGet polls url until it answers 200 or run returns.
func waitGet(t *testing.T, url string, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		res, err := http.Get(url)
		if err == nil {
			var b bytes.Buffer
			b.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return b.String()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 30s", url)
	return ""
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
