// Command timeline serves dated events as filterable data over HTTP.
//
// Usage:
//
//	timeline [serve]      run the HTTP API (the default)
//	timeline migrate      apply pending schema migrations
//	timeline seed         load the curated datasets (idempotent)
//	timeline keys ...     create, list and revoke API keys for writes
//	timeline import ...   import a whole timeline from a file (see import_cmd.go)
//	timeline healthcheck  exit 0 if this host's server answers /readyz with 200
//	timeline help         print the commands and environment variables
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
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
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

// readme is the README, whose examples /docs shows.
//
//go:embed README.md
var readme []byte

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
	// maxExports bounds the streamed exports running at once; 0 means
	// half the pool.
	maxExports int
	// shutdownReadinessDelay is how long /readyz answers 503 before the
	// listener closes, for load balancers to notice.
	shutdownReadinessDelay time.Duration
	// statementTimeout is PostgreSQL's statement_timeout; 0 leaves it.
	statementTimeout time.Duration
	// rateLimit (requests a second, 0 for no limit) and rateBurst bound
	// what one client IP may send.
	rateLimit float64
	rateBurst int
	// rateLimitLoopback is set when RATE_LIMIT_RPS is given: then clients
	// on the loopback interface are limited too; by default they are not.
	rateLimitLoopback bool
	// metricsAddr, when set, is where /metrics is served instead of addr.
	metricsAddr string
	// allowDefaultCursorKey lets serve start against PostgreSQL without a
	// CURSOR_KEY of its own.
	allowDefaultCursorKey bool
	// writeRateLimit and writeRateBurst bound what one API key may write.
	writeRateLimit float64
	writeRateBurst int
	// importMaxBytes is the largest import body.
	importMaxBytes int
	// The http.Server's timeouts.
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
	// scale configures replicas, the query mode and the rate limit share.
	scale scaleConfig
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		databaseURL: getenv("DATABASE_URL"),
		sqlitePath:  getenv("SQLITE_PATH"),
		addr:        getenv("ADDR"),
		cursorKey:   getenv("CURSOR_KEY"),
		metricsAddr: getenv("METRICS_ADDR"),
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
	if v := getenv("CURSOR_KEY_FILE"); v != "" {
		key, err := readSecretFile("CURSOR_KEY_FILE", v, c.cursorKey != "")
		if err != nil {
			errs = append(errs, err)
		}
		c.cursorKey = key
	}
	c.migrateOnStart = boolean("MIGRATE_ON_START")
	c.allowDefaultCursorKey = boolean("ALLOW_DEFAULT_CURSOR_KEY")
	if c.metricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.metricsAddr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("METRICS_ADDR=%q is not a listen address such as 127.0.0.1:9090", c.metricsAddr))
		}
	}
	c.maxOpenConns = integer("DB_MAX_OPEN_CONNS", 10)
	c.maxIdleConns = integer("DB_MAX_IDLE_CONNS", 10)
	c.connMaxLifetime = duration("DB_CONN_MAX_LIFETIME", 30*time.Minute)
	c.maxExports = integer("MAX_EXPORTS", 0)
	if c.maxExports >= c.maxOpenConns && c.maxOpenConns > 0 {
		errs = append(errs, fmt.Errorf("MAX_EXPORTS=%d must be below DB_MAX_OPEN_CONNS=%d: each export holds a connection "+
			"while its client reads, and other requests need the rest", c.maxExports, c.maxOpenConns))
	}
	c.shutdownTimeout = duration("SHUTDOWN_TIMEOUT", 20*time.Second)
	c.cacheMaxAge = duration("CACHE_MAX_AGE", 60*time.Second)
	if c.cacheMaxAge > 0 && c.cacheMaxAge%time.Second != 0 {
		// Cache-Control counts whole seconds: 500ms would be sent as
		// max-age=0, and 1.5s as 1, neither what was asked.
		errs = append(errs, fmt.Errorf("CACHE_MAX_AGE=%q is not a whole number of seconds (at least 1s)", getenv("CACHE_MAX_AGE")))
	}
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
		c.rateLimitLoopback = true
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
	var scaleErrs []error
	c.scale, scaleErrs = loadScaleConfig(getenv)
	errs = append(errs, scaleErrs...)
	if v := getenv("DATABASE_PASSWORD_FILE"); v != "" {
		if err := c.setDatabasePassword(v); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

// readSecretFile reads a secret from path, named by the variable name (the
// *_FILE convention of Docker and compose secrets), without its final line
// break. set says the variable it stands for was given as well.
func readSecretFile(name, path string, set bool) (string, error) {
	base := strings.TrimSuffix(name, "_FILE")
	if set {
		return "", fmt.Errorf("%s and %s are both set: give one", base, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("%s: %s is empty", name, path)
	}
	return v, nil
}

// setDatabasePassword puts the password in the file at path into
// DATABASE_URL, so that the URL itself can live in plain configuration,
// and into DATABASE_LISTEN_URL and each of DATABASE_REPLICA_URLS that
// names a user and no password (a replica of the primary has its users
// and passwords).
func (c *config) setDatabasePassword(path string) error {
	if c.databaseURL == "" {
		return errors.New("DATABASE_PASSWORD_FILE is set but DATABASE_URL is not")
	}
	u, err := url.Parse(c.databaseURL)
	if err != nil || u.User == nil || u.User.Username() == "" {
		return errors.New("DATABASE_PASSWORD_FILE needs a DATABASE_URL with a user name, such as postgres://timeline@db:5432/timeline")
	}
	_, set := u.User.Password()
	pw, err := readSecretFile("DATABASE_PASSWORD_FILE", path, set)
	if err != nil {
		if set {
			return errors.New("DATABASE_PASSWORD_FILE is set and DATABASE_URL has a password: give one")
		}
		return err
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	c.databaseURL = u.String()
	for _, p := range append([]*string{&c.scale.listenURL}, pointers(c.scale.replicaURLs)...) {
		ru, err := url.Parse(*p)
		if *p == "" || err != nil || ru.User == nil || ru.User.Username() == "" {
			continue // no user to give the password to (opening the store names a bad URL)
		}
		if _, has := ru.User.Password(); has {
			continue
		}
		ru.User = url.UserPassword(ru.User.Username(), pw)
		*p = ru.String()
	}
	return nil
}

// pointers points at each element of list.
func pointers(list []string) []*string {
	out := make([]*string, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

// run is the whole program, testable without a process.
// serveGCPercent is the garbage collector's target for serve when GOGC
// is not set: the heap may grow to three times the live data (Go's
// default is twice).
const serveGCPercent = 200

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	case "keys":
		return runKeys(ctx, args[2:], getenv, stdout)
	case "import":
		return runImport(ctx, args[2:], getenv, stdout)
	case "serve", "migrate", "seed", "healthcheck":
	default:
		return fmt.Errorf("unknown command %q: the commands are %s (timeline help lists them with the environment variables)",
			cmd, strings.Join(commands, ", "))
	}
	if len(args) > 2 {
		return fmt.Errorf("%s takes no arguments, got %q (timeline help lists the commands)", cmd, args[2:])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.logLevel}))
	switch {
	case cmd == "healthcheck":
		return healthcheck(ctx, cfg.addr)
	case cmd == "serve" && cfg.databaseURL != "" && !cfg.allowDefaultCursorKey &&
		(cfg.cursorKey == "" || cfg.cursorKey == api.DefaultCursorKey):
		return errors.New("CURSOR_KEY is not set: against PostgreSQL the server refuses to sign paging cursors with " +
			"the built-in key, which anyone can read in the source; set CURSOR_KEY to a random secret " +
			"(for example `openssl rand -hex 32`), the same on every instance, or ALLOW_DEFAULT_CURSOR_KEY=true to accept the risk")
	}

	if cmd == "serve" && getenv("GOGC") == "" {
		// A page allocates its rows, their relations and the JSON, and
		// holds little: with the heap twice the live data, as at Go's
		// default, the collector runs so often that pages at 1M events
		// serve 10% fewer requests (BENCHMARKS.md, goal 3). Three times
		// keeps a 1M-row export's peak RSS at 52-54 MiB. GOGC overrides.
		debug.SetGCPercent(serveGCPercent)
	}
	if cfg.databaseURL == "" {
		if err := models.CheckSQLitePath(cfg.sqlitePath); err != nil {
			return fmt.Errorf("SQLITE_PATH: %w", err)
		}
	}
	store, err := models.Open(ctx, storeConfig(cfg, log))
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
	if err := useReplicas(ctx, cfg, store, log); err != nil {
		return err
	}
	return serve(ctx, cfg, store, log)
}

// checkMaxExports refuses a MAX_EXPORTS that leaves requests no
// connection. loadConfig compares it with DB_MAX_OPEN_CONNS; the pool
// requests share can be smaller (on PostgreSQL the change listener holds
// one connection of it), so this compares it with the pool as opened.
func checkMaxExports(cfg config, store *models.Store) error {
	if cfg.maxExports <= 0 {
		return nil
	}
	db, err := store.Pool()
	if err != nil {
		return err
	}
	if n := db.Stats().MaxOpenConnections; n > 0 && cfg.maxExports >= n {
		return fmt.Errorf("MAX_EXPORTS=%d must be below the %d connections requests share (DB_MAX_OPEN_CONNS=%d, less "+
			"the one the change listener holds on PostgreSQL): each export holds a connection while its client reads",
			cfg.maxExports, n, cfg.maxOpenConns)
	}
	return nil
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
	if err := checkMaxExports(cfg, store); err != nil {
		return err
	}
	var draining atomic.Bool
	var metricsMux *http.ServeMux
	if cfg.metricsAddr != "" {
		metricsMux = http.NewServeMux()
	}
	cfg.rateLimit, cfg.rateBurst = cfg.scale.rateShare(cfg.rateLimit, cfg.rateBurst)
	router, err := api.New(store, api.Config{Logger: log, Spec: openAPISpec, Readme: readme, CursorKey: []byte(cfg.cursorKey),
		TrustedProxies: cfg.trustedProxies, Ready: func() bool { return !draining.Load() },
		RateLimit: cfg.rateLimit, RateBurst: cfg.rateBurst, RateLimitLoopback: cfg.rateLimitLoopback,
		WriteTimeout: cfg.writeTimeout, CacheMaxAge: cfg.cacheMaxAge, MetricsMux: metricsMux,
		MaxExports: cfg.maxExports, WriteRateLimit: cfg.writeRateLimit, WriteRateBurst: cfg.writeRateBurst,
		ImportBodyLimit: int64(cfg.importMaxBytes)})
	if err != nil {
		return err
	}
	if metricsMux != nil {
		stopMetrics, err := serveMetrics(cfg, metricsMux, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
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
		// Above api.MaxHeaderBytes, so that the API answers too-large
		// headers with its own 431 problem; see api.ServerMaxHeaderBytes.
		MaxHeaderBytes: api.ServerMaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
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

// commands are the subcommands run accepts.
var commands = []string{"serve", "migrate", "seed", "keys", "import", "healthcheck", "help"}

// usage is what `timeline help` prints. Keep its variables in step with the
// README's configuration table (a test compares them).
const usage = `timeline serves dated events as filterable data over HTTP.

Usage: timeline [command]

Commands:
  serve        run the HTTP API (the default). Without DATABASE_URL it uses
               an embedded SQLite file, migrated and seeded on start.
  migrate      apply pending schema migrations
  seed         load the curated datasets (idempotent)
  keys         create, list and revoke API keys for writes:
               keys create --name NAME --scope SCOPE [--timeline ID] [--expires DURATION]
               keys list
               keys revoke ID
  import       import a whole timeline from a file, through the write path:
               import --timeline ID [--format F] [--mode merge|replace] [--dry-run] FILE
  healthcheck  GET /readyz from the server at ADDR or PORT on this host;
               exit 0 on 200, 1 otherwise (for container health checks)
  help         print this text (also -h, --help)

Environment variables:
  DATABASE_URL              postgres://... to use PostgreSQL; unset: embedded SQLite
  SQLITE_PATH               the embedded database file (timeline.db)
  PORT                      port to listen on, all interfaces (8080)
  ADDR                      full listen address such as 127.0.0.1:9000; overrides PORT
  METRICS_ADDR              serve /metrics here (such as 127.0.0.1:9090) instead of the public port
  LOG_LEVEL                 debug, info, warn or error (info)
  MIGRATE_ON_START          with PostgreSQL, migrate a stale schema at start (false)
  CURSOR_KEY                secret that signs paging cursors (required with PostgreSQL)
  CURSOR_KEY_FILE           file holding CURSOR_KEY (compose and Docker secrets)
  DATABASE_PASSWORD_FILE    file holding the password DATABASE_URL (and replica URLs) leave out
  ALLOW_DEFAULT_CURSOR_KEY  let serve use the built-in cursor key with PostgreSQL (false)
  TRUSTED_PROXIES           comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed
  DB_MAX_OPEN_CONNS         connection pool size (10)
  DB_MAX_IDLE_CONNS         idle connections kept (10)
  DB_CONN_MAX_LIFETIME      recycle connections after this long (30m)
  DB_STATEMENT_TIMEOUT      PostgreSQL statement_timeout; 0 leaves the server's (10s)
  SHUTDOWN_TIMEOUT          grace for in-flight requests on SIGTERM/SIGINT (20s)
  SHUTDOWN_READINESS_DELAY  how long /readyz answers 503 before the listener closes (0s)
  CACHE_MAX_AGE             Cache-Control max-age of /v1 responses, whole seconds >= 1s (60s)
  MAX_EXPORTS               streamed exports running at once; one more is a 503
                            (half the pool DB_MAX_OPEN_CONNS gives requests)
  GOGC                      garbage-collector target (serve: 200 unless set)
  RATE_LIMIT_RPS            requests a second per client IP; 0: no limit (10, not
                            applied to loopback clients unless set explicitly)
  RATE_LIMIT_BURST          requests one client IP may send at once (20)
  WRITE_RATE_LIMIT_RPS      writes a second per API key; 0: no limit (5)
  WRITE_RATE_LIMIT_BURST    writes one API key may send at once (20)
  DATABASE_REPLICA_URLS     comma-separated postgres:// URLs of read replicas (unset)
  DATABASE_LISTEN_URL       direct postgres:// URL for LISTEN behind PgBouncer (DATABASE_URL)
  REPLICA_MAX_LAG           a replica further behind leaves rotation (10s)
  REPLICA_CHECK_INTERVAL    how often each replica's health and lag are checked (1s)
  DB_QUERY_EXEC_MODE        pgx query mode; set exec behind PgBouncer (cache_statement)
  RATE_LIMIT_INSTANCES      instances sharing RATE_LIMIT_RPS and RATE_LIMIT_BURST (1)
  IMPORT_MAX_BYTES          the largest body POST /v1/timelines/{id}/import takes (64 MiB)
  HTTP_READ_HEADER_TIMEOUT  time to send a request's headers (5s)
  HTTP_READ_TIMEOUT         time to send a whole request (15s)
  HTTP_WRITE_TIMEOUT        time to write a response, or each chunk of an export (60s)
  HTTP_IDLE_TIMEOUT         how long an idle keep-alive connection is kept (120s)
`

// healthcheck asks the server listening at addr on this host whether it is
// ready, for a container health check where there is no shell or curl.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s answered %s", url, res.Status)
	}
	return nil
}

// serveMetrics serves mux (/metrics) on cfg.metricsAddr, apart from the
// public listener, and returns a function that stops it.
func serveMetrics(cfg config, mux *http.ServeMux, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", cfg.metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: cfg.readHeaderTimeout, ReadTimeout: cfg.readTimeout,
		WriteTimeout: cfg.writeTimeout, IdleTimeout: cfg.idleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("serving metrics", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "error", err)
		}
	}()
	return func() { srv.Close() }, nil
}
