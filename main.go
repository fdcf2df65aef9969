// Command timeline serves dated events as filterable data over HTTP.
//
// Usage:
//
//	timeline [serve]   run the HTTP API (the default)
//	timeline migrate   apply pending schema migrations
//	timeline seed      load the curated datasets (idempotent)
//	timeline keys ...  create, list and revoke API keys for writes
//	timeline import    import a whole timeline from a file (see import_cmd.go)
//
// With no DATABASE_URL it uses an embedded SQLite file, migrated and seeded
// on start, so that `go run .` serves the timeline with nothing installed.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

//go:embed openapi.yaml
var openAPISpec []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "timeline:", err)
		os.Exit(1)
	}
}

// config is everything read from the environment.
type config struct {
	databaseURL     string
	sqlitePath      string
	addr            string
	logLevel        slog.Level
	migrateOnStart  bool
	cursorKey       string
	trustedProxies  []string
	maxOpenConns    int
	maxIdleConns    int
	connMaxLifetime time.Duration
	shutdownTimeout time.Duration
	cacheMaxAge     time.Duration
	// shutdownReadinessDelay is how long /readyz answers 503 before the
	// listener closes, for load balancers to notice.
	shutdownReadinessDelay time.Duration
	// statementTimeout is PostgreSQL's statement_timeout; 0 leaves it.
	statementTimeout time.Duration
	// rateLimit (requests a second, 0 for no limit) and rateBurst bound
	// what one client IP may send.
	rateLimit float64
	rateBurst int
	// writeRateLimit and writeRateBurst bound what one API key may write.
	writeRateLimit float64
	writeRateBurst int
	// importMaxBytes is the largest import body.
	importMaxBytes int
	// The http.Server's timeouts.
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		databaseURL: getenv("DATABASE_URL"),
		sqlitePath:  getenv("SQLITE_PATH"),
		addr:        getenv("ADDR"),
		cursorKey:   getenv("CURSOR_KEY"),
	}
	var errs []error
	if c.sqlitePath == "" {
		c.sqlitePath = "timeline.db"
	}
	if c.addr == "" {
		port := getenv("PORT")
		if port == "" {
			port = "8080"
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("PORT=%q is not a port number", port))
		}
		c.addr = ":" + port
	}
	if lvl := getenv("LOG_LEVEL"); lvl != "" {
		if err := c.logLevel.UnmarshalText([]byte(lvl)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", lvl))
		}
	}
	boolean := func(name string) bool {
		v := getenv(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not true or false", name, v))
		}
		return b
	}
	integer := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive whole number", name, v))
		}
		return n
	}
	duration := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive duration such as 30s", name, v))
		}
		return d
	}
	c.migrateOnStart = boolean("MIGRATE_ON_START")
	c.maxOpenConns = integer("DB_MAX_OPEN_CONNS", 10)
	c.maxIdleConns = integer("DB_MAX_IDLE_CONNS", 10)
	c.connMaxLifetime = duration("DB_CONN_MAX_LIFETIME", 30*time.Minute)
	c.shutdownTimeout = duration("SHUTDOWN_TIMEOUT", 20*time.Second)
	c.cacheMaxAge = duration("CACHE_MAX_AGE", 60*time.Second)
	if v := getenv("SHUTDOWN_READINESS_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_READINESS_DELAY=%q is not a duration such as 5s (0 for none)", v))
		}
		c.shutdownReadinessDelay = d
	}
	c.statementTimeout = 10 * time.Second
	if v := getenv("DB_STATEMENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("DB_STATEMENT_TIMEOUT=%q is not a duration such as 10s (0 for none)", v))
		}
		c.statementTimeout = d
	}
	c.rateLimit = 10
	if v := getenv("RATE_LIMIT_RPS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			errs = append(errs, fmt.Errorf("RATE_LIMIT_RPS=%q is not a number of requests a second (0 for no limit)", v))
		}
		c.rateLimit = f
	}
	c.rateBurst = integer("RATE_LIMIT_BURST", 20)
	c.writeRateLimit = 5
	if v := getenv("WRITE_RATE_LIMIT_RPS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			errs = append(errs, fmt.Errorf("WRITE_RATE_LIMIT_RPS=%q is not a number of writes a second (0 for no limit)", v))
		}
		c.writeRateLimit = f
	}
	c.writeRateBurst = integer("WRITE_RATE_LIMIT_BURST", 20)
	c.importMaxBytes = integer("IMPORT_MAX_BYTES", api.DefaultImportBodyLimit)
	c.readHeaderTimeout = duration("HTTP_READ_HEADER_TIMEOUT", 5*time.Second)
	c.readTimeout = duration("HTTP_READ_TIMEOUT", 15*time.Second)
	c.writeTimeout = duration("HTTP_WRITE_TIMEOUT", 60*time.Second)
	c.idleTimeout = duration("HTTP_IDLE_TIMEOUT", 120*time.Second)
	if v := getenv("TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			c.trustedProxies = append(c.trustedProxies, strings.TrimSpace(p))
		}
	}
	return c, errors.Join(errs...)
}

// run is the whole program, testable without a process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	if cmd == "keys" {
		return runKeys(ctx, args[2:], getenv, stdout)
	}
	if cmd == "import" {
		return runImport(ctx, args[2:], getenv, stdout)
	}
	if len(args) > 2 {
		return fmt.Errorf("usage: timeline [serve|migrate|seed]")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.logLevel}))
	switch cmd {
	case "serve", "migrate", "seed":
	default:
		return fmt.Errorf("unknown command %q; usage: timeline [serve|migrate|seed]", cmd)
	}

	store, err := models.Open(ctx, models.Config{
		DatabaseURL: cfg.databaseURL, SQLitePath: cfg.sqlitePath, Logger: log,
		MaxOpenConns: cfg.maxOpenConns, MaxIdleConns: cfg.maxIdleConns, ConnMaxLifetime: cfg.connMaxLifetime,
		StatementTimeout: cfg.statementTimeout,
	})
	if err != nil {
		return err
	}
	defer store.Close()
	embedded := store.Dialect() == models.DialectSQLite

	switch cmd {
	case "migrate":
		return migrate(ctx, store, log)
	case "seed":
		if embedded {
			if err := migrate(ctx, store, log); err != nil {
				return err
			}
		}
		return loadSeed(ctx, store, log)
	}

	applied, latest, err := store.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case embedded:
		// The zero-setup default: bring the file up to date and seed it.
		if err := migrate(ctx, store, log); err != nil {
			return err
		}
		if err := loadSeed(ctx, store, log); err != nil {
			return err
		}
	case applied < latest && cfg.migrateOnStart:
		if err := migrate(ctx, store, log); err != nil {
			return err
		}
	case applied < latest:
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `timeline migrate` "+
			"or set MIGRATE_ON_START=true", applied, latest)
	case applied > latest:
		log.Warn("database schema is newer than this binary", "schema", applied, "binary", latest)
	}
	return serve(ctx, cfg, store, log)
}

func migrate(ctx context.Context, store *models.Store, log *slog.Logger) error {
	applied, err := store.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	log.Info("schema migrated", "dialect", store.Dialect(), "applied", applied)
	return nil
}

func loadSeed(ctx context.Context, store *models.Store, log *slog.Logger) error {
	applied, latest, err := store.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if applied < latest {
		return fmt.Errorf("seed: database schema is at version %d, needs %d: run `timeline migrate` first", applied, latest)
	}
	rep, err := seed.Load(ctx, store, seed.CSTO)
	if err != nil {
		return err
	}
	log.Info("seed loaded", "created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged)
	if len(rep.Orphans) > 0 {
		log.Warn("events in the database are missing from the seed file; they were kept", "events", rep.Orphans)
	}
	return nil
}

func serve(ctx context.Context, cfg config, store *models.Store, log *slog.Logger) error {
	var draining atomic.Bool
	router, err := api.New(store, api.Config{Logger: log, Spec: openAPISpec, CursorKey: []byte(cfg.cursorKey),
		TrustedProxies: cfg.trustedProxies, Ready: func() bool { return !draining.Load() },
		RateLimit: cfg.rateLimit, RateBurst: cfg.rateBurst, WriteTimeout: cfg.writeTimeout, CacheMaxAge: cfg.cacheMaxAge,
		WriteRateLimit: cfg.writeRateLimit, WriteRateBurst: cfg.writeRateBurst, ImportBodyLimit: int64(cfg.importMaxBytes)})
	if err != nil {
		return err
	}
	handler, err := api.Compress(router)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           handler,
		ReadHeaderTimeout: cfg.readHeaderTimeout,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       cfg.idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	defer stopSweep()
	go api.RunIdempotencySweep(sweepCtx, store, time.Hour, log)
	errc := make(chan error, 1)
	go func() {
		log.Info("listening", "addr", cfg.addr, "database", store.Dialect())
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Shut down in the order a load balancer needs. First stop claiming
	// readiness while still serving, so that it routes new requests
	// elsewhere; after the readiness delay stop accepting, and give the
	// requests in flight the grace period to finish. run closes the database
	// pool after serve returns, so those requests still have it.
	draining.Store(true)
	srv.SetKeepAlivesEnabled(false)
	log.Info("shutting down", "readiness_delay", cfg.shutdownReadinessDelay, "grace", cfg.shutdownTimeout)
	if cfg.shutdownReadinessDelay > 0 {
		select {
		case err := <-errc:
			return err
		case <-time.After(cfg.shutdownReadinessDelay):
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after SHUTDOWN_TIMEOUT=%s were cut off: %w", cfg.shutdownTimeout, err)
	}
	log.Info("server stopped; closing the database pool")
	return nil
}
