package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
	"github.com/csto-timeline/timeline/tests/skipreport"
)

// FuzzRouter sends arbitrary query strings, path ids and Accept headers to
// every route of the real router, over a seeded SQLite database and, when
// one answers, a seeded PostgreSQL database: the dialects fail on
// different inputs. Whatever the input, the answer is never a 5xx, and
// every 4xx is a problem that repeats its status.
func FuzzRouter(f *testing.F) {
	routers := []*gin.Engine{fuzzRouter(f, models.Config{SQLitePath: filepath.Join(f.TempDir(), "fuzz.db")})}
	if dsn := fuzzPostgres(f); dsn != "" {
		routers = append(routers, fuzzRouter(f, models.Config{DatabaseURL: dsn}))
	}
	r := routers[0]
	var routes []string
	for _, rt := range r.Routes() {
		if rt.Method == http.MethodGet {
			routes = append(routes, rt.Path)
		}
	}

	events := slices.Index(routes, "/v1/events")
	if events < 0 {
		f.Fatal("no route /v1/events")
	}

	// A real cursor, for the fuzzer to mutate.
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/events?type=statement&limit=2", nil))
	var page struct {
		Links struct{ Next *string } `json:"links"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.Links.Next == nil {
		f.Fatalf("first page: %v, %s", err, rec.Body.Bytes())
	}
	next, _ := url.Parse(*page.Links.Next)

	for _, q := range []string{"", "year=2019", "year=2019,2020&type=summit,meeting&sort=-date&limit=5",
		"from=2019-06&to=2020", "from=0001&to=9999", "actor=sergey-lavrov&place=bishkek&tag=peacekeeping",
		"status=not_implemented", "q=summit", "limit=0", "yaer=2019", "from=2019-02-30", next.RawQuery,
		"type=statement&limit=2&cursor=" + url.QueryEscape(next.Query().Get("cursor")) + "x", "a;b", "tag=%zz"} {
		f.Add(uint8(events), "csto-2019-10-battle-brotherhood", q, "")
	}
	for i := range routes {
		f.Add(uint8(i), "csto-2019-10-battle-brotherhood", "year=2019", "")
	}
	f.Add(uint8(0), "csto", "", "text/csv")
	f.Add(uint8(1), "", "", "application/x-ndjson;q=0.5, */*")

	f.Fuzz(func(t *testing.T, route uint8, id, rawQuery, accept string) {
		path := routes[int(route)%len(routes)]
		path = strings.Replace(path, ":id", url.PathEscape(id), 1)
		for _, r := range routers {
			fuzzCheck(t, r, path, rawQuery, accept)
		}
	})
}

// fuzzCheck sends one request and checks the answer's shape.
func fuzzCheck(t *testing.T, r *gin.Engine, path, rawQuery, accept string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("GET %s?%s (Accept %q): got %d, want no 5xx; body %s", path, rawQuery, accept, rec.Code, rec.Body.Bytes())
	}
	if rec.Code < 400 {
		return
	}
	if ct := rec.Header().Get("Content-Type"); ct == "text/html; charset=utf-8" && !strings.HasPrefix(path, "/v1/") {
		// A page for people states its problem in words, with its status.
		if want := fmt.Sprintf("Status %d.", rec.Code); !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("GET %s?%s: got a %d page without %q", path, rawQuery, rec.Code, want)
		}
		return
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("GET %s?%s: got %d with Content-Type %q, want application/problem+json", path, rawQuery, rec.Code, ct)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Title == "" {
		t.Fatalf("GET %s?%s: got %d with body %s (%v), want a problem repeating the status", path, rawQuery, rec.Code, rec.Body.Bytes(), err)
	}
}

// fuzzRouter opens, migrates and seeds the database of cfg and returns the
// router over it.
func fuzzRouter(f *testing.F, cfg models.Config) *gin.Engine {
	f.Helper()
	ctx := context.Background()
	cfg.Editorial = seed.Editorial()
	store, err := models.Open(ctx, cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	if _, err := seed.Load(ctx, store, seed.CSTO); err != nil {
		f.Fatal(err)
	}
	r, err := New(store, Config{Spec: []byte("openapi: 3.1.0\n")})
	if err != nil {
		f.Fatal(err)
	}
	return r
}

// fuzzPostgres creates a database for this fuzz process on the PostgreSQL
// server of TEST_DATABASE_URL (by default the local one), dropped when the
// process is done, and returns its URL; "" when no server answers, unless
// CI=true requires one.
func fuzzPostgres(f *testing.F) string {
	f.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = db.WithContext(ctx).Exec("SELECT 1").Error
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			f.Fatalf("CI=true requires PostgreSQL: %v", err)
		}
		skipreport.Note(f.Name()+" (its PostgreSQL half)", fmt.Sprintf("PostgreSQL does not answer (%v): start one or set TEST_DATABASE_URL", err))
		f.Logf("PostgreSQL skipped: %v", err)
		return ""
	}
	name := fmt.Sprintf("timeline_fuzz_%d_%d", os.Getpid(), time.Now().UnixNano())
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}
