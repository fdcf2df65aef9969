// Package tests holds black-box tests that drive the real router over real
// HTTP against real databases: PostgreSQL (a fresh, uniquely named database
// per run, dropped afterwards) and the embedded SQLite default.
package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
	"github.com/csto-timeline/timeline/tests/skipreport"
)

// backend is one database with the service in front of it.
type backend struct {
	name   string
	store  *models.Store
	server *httptest.Server
	// dbName and dsn name a PostgreSQL backend's database; empty for SQLite.
	dbName, dsn string
	// path is an SQLite backend's file; empty for PostgreSQL.
	path string
	// keys are API keys for writes, by role (see contractKeys).
	keys map[string]string
}

var (
	// shared are the seeded backends that read-only tests use.
	shared []*backend
	// pgAdminURL reaches a PostgreSQL server where test databases are made;
	// empty when none answers.
	pgAdminURL string
	pgSkipWhy  string
	tmpDir     string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	tmpDir, err = os.MkdirTemp("", "timeline-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpDir)
	ctx := context.Background()

	pgAdminURL = os.Getenv("TEST_DATABASE_URL")
	if pgAdminURL == "" {
		pgAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	if err := pingPostgres(ctx, pgAdminURL); err != nil {
		pgSkipWhy = fmt.Sprintf("PostgreSQL at %s does not answer (%v): start one (apt-get install postgresql) or set TEST_DATABASE_URL", redact(pgAdminURL), err)
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: CI=true requires PostgreSQL: "+pgSkipWhy)
			return 1
		}
		skipreport.Note("the PostgreSQL half of every test", pgSkipWhy)
		pgAdminURL = ""
	}

	if pgAdminURL != "" {
		dropStaleDatabases(ctx)
	}

	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	for _, dialect := range dialects() {
		b, cleanup, err := newBackend(ctx, dialect)
		if err != nil {
			fmt.Fprintf(os.Stderr, "set up %s: %v\n", dialect, err)
			return 1
		}
		cleanups = append(cleanups, cleanup)
		shared = append(shared, b)
	}
	defer dropSharedExplain()
	code := m.Run()
	skipreport.Print("tests")
	return code
}

// dialects lists the databases this run can test.
func dialects() []string {
	if pgAdminURL == "" {
		return []string{models.DialectSQLite}
	}
	return []string{models.DialectPostgres, models.DialectSQLite}
}

func pingPostgres(ctx context.Context, dsn string) error {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return sqlDB.PingContext(ctx)
}

// staleName matches the databases test runs create, with the creating
// process id.
var staleName = regexp.MustCompile(`^timeline_(?:main_)?test_(\d+)_`)

// dropStaleDatabases drops test databases whose creating process is gone:
// a run killed before its cleanup (a go test timeout, a crash) leaves them.
// Databases of live processes, concurrent runs included, are left alone.
func dropStaleDatabases(ctx context.Context) {
	admin, err := gorm.Open(postgres.Open(pgAdminURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return
	}
	sqlDB, _ := admin.DB()
	defer sqlDB.Close()
	var names []string
	if err := admin.WithContext(ctx).Raw(`SELECT datname FROM pg_database WHERE datname LIKE 'timeline%test%'`).
		Scan(&names).Error; err != nil {
		return
	}
	for _, name := range names {
		m := staleName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if _, err := os.Stat("/proc/" + m[1]); !os.IsNotExist(err) {
			continue
		}
		if err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			fmt.Fprintf(os.Stderr, "drop stale test database %s: %v\n", name, err)
		}
	}
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func uniqueName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("timeline_test_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
}

// testEditorial is the seed's editorial rules with two more declared
// tags, test-tag and synthetic, that the tests' own events carry, so that
// a filter by them finds those and none of the seed's.
func testEditorial() models.Editorial {
	ed := seed.Editorial()
	ed.Tags = append(slices.Clone(ed.Tags), "test-tag", "synthetic")
	return ed
}

// newBackend creates a fresh, migrated and seeded database of dialect with
// the router in front of it, and a cleanup that drops it.
func newBackend(ctx context.Context, dialect string) (*backend, func(), error) {
	return newBackendWith(ctx, dialect, models.Config{})
}

// newBackendWith is newBackend with the store opened with cfg (pool
// sizes, timeouts); cfg's database fields are filled in here, except an
// SQLite file cfg already names, which is used as it is.
func newBackendWith(ctx context.Context, dialect string, cfg models.Config) (*backend, func(), error) {
	name := uniqueName()
	cfg.Editorial = testEditorial()
	drop := func() {}
	switch dialect {
	case models.DialectPostgres:
		dsn, dropDB, err := createPostgresDB(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		cfg.DatabaseURL, drop = dsn, dropDB
	default:
		if cfg.SQLitePath == "" {
			cfg.SQLitePath = filepath.Join(tmpDir, name+".db")
		}
	}
	store, err := models.Open(ctx, cfg)
	if err != nil {
		drop()
		return nil, nil, err
	}
	cleanup := func() { store.Close(); drop() }
	if _, err := store.Migrate(ctx); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	if _, err := seed.Load(ctx, store, seed.CSTO); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	router, err := api.New(store, api.Config{Spec: spec, CursorKey: []byte("test-key")})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	handler, err := api.Compress(router)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	srv := httptest.NewServer(handler)
	b := &backend{name: dialect, store: store, server: srv}
	if dialect == models.DialectPostgres {
		b.dbName, b.dsn = name, cfg.DatabaseURL
	} else {
		b.path = cfg.SQLitePath
	}
	return b, func() { srv.Close(); cleanup() }, nil
}

// createPostgresDB makes a uniquely named database and returns its URL and
// a function that drops it.
func createPostgresDB(ctx context.Context, name string) (string, func(), error) {
	admin, err := gorm.Open(postgres.Open(pgAdminURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", nil, err
	}
	adminDB, _ := admin.DB()
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		adminDB.Close()
		return "", nil, err
	}
	u, _ := url.Parse(pgAdminURL)
	u.Path = "/" + name
	drop := func() {
		if err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", name, err)
		}
		adminDB.Close()
	}
	return u.String(), drop, nil
}

// forEachBackend runs fn as a subtest against every shared backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b *backend)) {
	t.Helper()
	if pgAdminURL == "" {
		t.Logf("PostgreSQL skipped: %s", pgSkipWhy)
	}
	for _, b := range shared {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// freshBackend gives a test its own seeded database of each dialect, for
// tests that write.
func freshBackends(t *testing.T) []*backend {
	t.Helper()
	var out []*backend
	for _, d := range dialects() {
		b, cleanup, err := newBackend(context.Background(), d)
		if err != nil {
			t.Fatalf("new %s backend: %v", d, err)
		}
		t.Cleanup(cleanup)
		out = append(out, b)
	}
	return out
}

// requirePostgres skips t, or fails it under CI=true, when no PostgreSQL
// server answers.
func requirePostgres(t testing.TB) {
	t.Helper()
	if pgAdminURL == "" {
		skipreport.Missing(t, "%s", pgSkipWhy)
	}
}
