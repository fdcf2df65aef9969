package models

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects the store speaks.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// Config says which database to open.
type Config struct {
	// DatabaseURL is a postgres:// URL. Empty means the embedded SQLite file.
	DatabaseURL string
	// SQLitePath is the embedded database file, used when DatabaseURL is empty.
	SQLitePath string
	// MaxOpenConns, MaxIdleConns and ConnMaxLifetime bound the pool.
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for every
	// connection: a backstop that cancels any statement running longer,
	// whatever its caller's context says. The store reports such a
	// statement as ErrTimeout. Zero leaves the server's setting alone.
	// SQLite has no equivalent and ignores it.
	StatementTimeout time.Duration
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
}

// Store reads and writes timelines through GORM. Its methods take ctx first
// and return the sentinel errors of this package, never driver errors.
type Store struct {
	db      *gorm.DB
	dialect string
	// state caches the dataset state (PostgreSQL only; nil otherwise).
	state *stateCache
}

// Open connects to the configured database and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	gcfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, PrepareStmt: false}
	var dialector gorm.Dialector
	dialect := DialectSQLite
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		dialect = DialectPostgres
		dsn, err := withStatementTimeout(cfg.DatabaseURL, cfg.StatementTimeout)
		if err != nil {
			return nil, err
		}
		dialector = postgres.Open(withConnectTimeout(withoutParallelQuery(dsn)))
	case cfg.DatabaseURL != "":
		return nil, fmt.Errorf("DATABASE_URL must start with postgres:// or postgresql://")
	default:
		path := cfg.SQLitePath
		if path == "" {
			path = "timeline.db"
		}
		dialector = sqlite.Open(sqliteDSN(path))
	}
	db, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	configurePool(sqlDB, cfg, dialect)
	s := &Store{db: db, dialect: dialect}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	if dialect == DialectPostgres {
		// The listener's connection counts against the configured bound.
		if n := sqlDB.Stats().MaxOpenConnections; n > 1 {
			sqlDB.SetMaxOpenConns(n - 1) // database/sql lowers the idle bound with it
		}
		dsn, _ := withStatementTimeout(cfg.DatabaseURL, 0)
		if s.state, err = newStateCache(db, withConnectTimeout(dsn)); err != nil {
			sqlDB.Close()
			return nil, err
		}
	}
	return s, nil
}

func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
}

// withStatementTimeout adds statement_timeout to a postgres:// URL. pgx
// sends parameters it does not know itself to the server at connect, so
// every connection of the pool starts with the setting.
func withStatementTimeout(dsn string, d time.Duration) (string, error) {
	if d <= 0 {
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not a URL")
	}
	q := u.Query()
	q.Set("statement_timeout", strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// withoutParallelQuery sets max_parallel_workers_per_gather=0 on every
// connection unless the URL sets it. A page's relations statement, a
// five-arm UNION ALL, is costed just above parallel_setup_cost, and
// starting two workers for it took 100 ms and more on a busy two-core
// machine (against about 3 ms serial; see BENCHMARKS.md): a service that
// runs many small statements at once gains nothing from workers.
func withoutParallelQuery(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Has("max_parallel_workers_per_gather") {
		return dsn
	}
	q.Set("max_parallel_workers_per_gather", "0")
	u.RawQuery = q.Encode()
	return u.String()
}

func configurePool(db *sql.DB, cfg Config, dialect string) {
	maxOpen, maxIdle, life := cfg.MaxOpenConns, cfg.MaxIdleConns, cfg.ConnMaxLifetime
	if maxOpen <= 0 {
		maxOpen = 10
	}
	if maxIdle <= 0 || maxIdle > maxOpen {
		maxIdle = maxOpen
	}
	if life <= 0 {
		life = 30 * time.Minute
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxLifetime(life)
}

// Dialect returns DialectPostgres or DialectSQLite.
func (s *Store) Dialect() string { return s.dialect }

// DB returns the underlying GORM handle, for tests and tools.
func (s *Store) DB() *gorm.DB { return s.db }

// Pool returns the connection pool, whose statistics the API exports.
func (s *Store) Pool() (*sql.DB, error) { return s.db.DB() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.state.close()
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// InTx runs fn in one transaction: every write in it lands or none does.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	defer s.state.invalidate() // the commit may have changed the dataset
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, dialect: s.dialect})
	})
}
