package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
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
	// QueryExecMode is pgx's default_query_exec_mode for PostgreSQL (see
	// pooler.go); empty means DefaultQueryExecMode.
	QueryExecMode string
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
	// ListenURL is a postgres:// URL of the same database for the
	// connections that LISTEN (the dataset-state cache and the change
	// feed's long-poll). Empty means DatabaseURL. It must reach PostgreSQL
	// directly when DatabaseURL is a PgBouncer in transaction pooling,
	// which does not pass notifications on to an idle client.
	ListenURL string
	// Editorial is the declared tag vocabulary and the known source texts
	// that every event write is checked against (its PlaceNames are ignored:
	// a write reads them from the database). The zero value declares no
	// tag, so a store opened without it refuses every tag.
	Editorial Editorial
}

// Store reads and writes timelines through GORM. Its methods take ctx first
// and return the sentinel errors of this package, never driver errors.
type Store struct {
	db      *gorm.DB
	dialect string
	sql     sqlDialect
	// bumped is set inside InTx once the transaction has moved the
	// dataset's version date (see bumpVersion); nil outside one.
	bumped *bool
	// depth is how many transactions (the outer one, then savepoints)
	// this Store runs inside; 0 outside one.
	depth int
	// state caches the dataset state (PostgreSQL only; nil otherwise).
	state *stateCache
	// replicas routes reads when UseReplicas was called; nil otherwise.
	replicas *readRouter
	// listenDSN is where the LISTEN connections connect (see
	// Config.ListenURL); "" outside PostgreSQL.
	listenDSN string
	// editorial is what event writes are checked against (see
	// Config.Editorial and WithEditorial).
	editorial Editorial
	// folder folds the count deltas after writes (PostgreSQL only; nil
	// otherwise and inside transactions).
	folder *countFolder
	// writer is SQLite's in-process write turn (capacity 1; nil on
	// PostgreSQL): see inImmediateTx.
	writer chan struct{}
}

// Open connects to the configured database and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	gcfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, PrepareStmt: false}
	var dialector gorm.Dialector
	dialect := DialectSQLite
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "postgres://"), strings.HasPrefix(cfg.DatabaseURL, "postgresql://"):
		dialect = DialectPostgres
		dsn, err := postgresDSN(cfg.DatabaseURL, cfg)
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
		return nil, fmt.Errorf("open %s database: %w", dialect, connectCause(err))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	configurePool(sqlDB, cfg, dialect)
	s := &Store{db: db, dialect: dialect, sql: dialectFor(dialect), editorial: cfg.Editorial}
	if dialect == DialectSQLite {
		s.writer = make(chan struct{}, 1)
	}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, connectCause(err))
	}
	if dialect == DialectPostgres {
		// The listener's connection counts against the configured bound.
		if n := sqlDB.Stats().MaxOpenConnections; n > 1 {
			sqlDB.SetMaxOpenConns(n - 1) // database/sql lowers the idle bound with it
		}
		listen := cfg.ListenURL
		if listen == "" {
			listen = cfg.DatabaseURL
		} else if !strings.HasPrefix(listen, "postgres://") && !strings.HasPrefix(listen, "postgresql://") {
			sqlDB.Close()
			return nil, fmt.Errorf("DATABASE_LISTEN_URL must start with postgres:// or postgresql://")
		}
		dsn, err := withStatementTimeout(listen, 0)
		if err != nil {
			sqlDB.Close()
			return nil, err
		}
		s.listenDSN = withConnectTimeout(dsn)
		if s.state, err = newStateCache(db, s.listenDSN); err != nil {
			sqlDB.Close()
			return nil, err
		}
		s.folder = newCountFolder(s)
	}
	return s, nil
}

func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	// busy_timeout comes first: switching a new file to WAL needs a lock
	// that another process opening it at the same time may hold.
	return path + sep + "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
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
	if s.dialect == DialectSQLite {
		// Opening an SQLite file reads nothing: read its schema, so that a
		// damaged or foreign file is reported here (ErrCorrupt).
		var n int
		if err := sqlDB.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
			if err := translate(err); errors.Is(err, ErrUnavailable) {
				return err
			}
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return nil
}

// Close closes the connection pool, and the replicas' pools.
func (s *Store) Close() error {
	s.folder.close()
	s.state.close()
	if s.replicas != nil {
		s.replicas.closeReplicas()
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// exclusiveLockKey is the PostgreSQL advisory lock that LockExclusive
// takes, so that whole-dataset writers (seed runs) run one at a time, in
// every process, as SQLite's writers do.
const exclusiveLockKey = 7219432

// InTx runs fn in one write transaction: every write in it lands or none
// does. Called on a Store that is already in a transaction, it runs fn in
// a savepoint, so that fn's error undoes fn's writes only.
//
// On SQLite the transaction begins IMMEDIATE, taking the write lock before
// its first read, so that it waits for another writer (busy_timeout)
// instead of failing with SQLITE_BUSY when it would upgrade a read to a
// write. On PostgreSQL writers lock the rows they change (see sqlDialect);
// LockExclusive serializes whole-dataset writers.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.depth > 0 {
		return s.inSavepoint(ctx, fn)
	}
	defer s.state.invalidate() // the commit may have changed the dataset
	if s.dialect == DialectSQLite {
		return s.inImmediateTx(ctx, fn)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, dialect: s.dialect, sql: s.sql, bumped: new(bool), depth: 1, editorial: s.editorial})
	})
	if err == nil {
		s.folder.kick() // the commit may have left count deltas
	}
	return err
}

// LockExclusive makes the caller's transaction the only one of its kind
// until it ends, in every process: a seed racing another seed waits for
// it, then finds its rows. On SQLite every write transaction already is.
func (s *Store) LockExclusive(ctx context.Context) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return translate(s.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?)", exclusiveLockKey).Error)
}

// inSavepoint is a nested InTx.
func (s *Store) inSavepoint(ctx context.Context, fn func(tx *Store) error) error {
	name := fmt.Sprintf("timeline_sp%d", s.depth)
	db := s.db.WithContext(ctx)
	if err := db.Exec("SAVEPOINT " + name).Error; err != nil {
		return translate(err)
	}
	bumped := *s.bumped
	if err := fn(&Store{db: s.db, dialect: s.dialect, sql: s.sql, bumped: s.bumped, depth: s.depth + 1, editorial: s.editorial}); err != nil {
		end := s.db.WithContext(context.WithoutCancel(ctx))
		if rerr := end.Exec("ROLLBACK TO SAVEPOINT " + name).Error; rerr != nil {
			return errors.Join(err, translate(rerr))
		}
		*s.bumped = bumped // the savepoint's bump, if any, is undone too
		_ = end.Exec("RELEASE SAVEPOINT " + name).Error
		return err
	}
	return translate(db.Exec("RELEASE SAVEPOINT " + name).Error)
}

// writeTurn waits for this process's SQLite write turn (see
// inImmediateTx) and returns its release. Outside SQLite, and inside a
// transaction (which holds the turn already), it returns at once.
func (s *Store) writeTurn(ctx context.Context) (release func(), err error) {
	if s.writer == nil || s.depth > 0 {
		return func() {}, nil
	}
	select {
	case s.writer <- struct{}{}:
		return func() { <-s.writer }, nil
	case <-ctx.Done():
		return nil, ctx.Err() // the API answers it as a timeout or a gone client
	}
}

// autocommit runs one statement outside a transaction in the write turn.
func (s *Store) autocommit(ctx context.Context, fn func(db *gorm.DB) error) error {
	release, err := s.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(s.db.WithContext(ctx))
}

// sqliteLockWait bounds inImmediateTx's wait for the lock when its
// context has no deadline.
const sqliteLockWait = 10 * time.Minute

// inImmediateTx is InTx on SQLite: database/sql begins deferred
// transactions, so the transaction is begun by hand on one connection.
//
// SQLite has one writer at a time, and its busy handler is not a queue:
// a waiter sleeps and retries, and under steady contention it can lose
// every retry until busy_timeout ends it with SQLITE_BUSY (eight writers
// under the race detector did, in CI). So the writers of this process
// take turns first, in the order they arrived (a channel's blocked
// senders are served first in, first out), for as long as ctx allows.
// Another process's writer can hold the lock past busy_timeout (a
// migration, a seed): a BEGIN that fails busy is tried again, on a new
// connection, until ctx ends (sqliteLockWait when it has no deadline).
func (s *Store) inImmediateTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	release, err := s.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sqliteLockWait)
		defer cancel()
	}
	for {
		busy := false
		err := s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
			if err := conn.Exec("BEGIN IMMEDIATE").Error; err != nil {
				if sqliteCode(err) == sqliteBusy {
					// A connection that lost the lock to another process's
					// writer was seen to fail every later BEGIN busy as
					// well, long after that writer committed: it leaves
					// the pool.
					busy = true
					if c, ok := conn.Statement.ConnPool.(*sql.Conn); ok {
						_ = c.Raw(func(any) error { return driver.ErrBadConn })
					}
				}
				return translate(err)
			}
			return s.immediateTx(ctx, conn, fn)
		})
		if !busy {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// immediateTx runs fn in the transaction begun IMMEDIATE on conn, and
// ends it.
func (s *Store) immediateTx(ctx context.Context, conn *gorm.DB, fn func(tx *Store) error) error {
	// The end of the transaction must reach the connection even when
	// ctx is done, or it would go back to the pool still inside it.
	end := conn.WithContext(context.WithoutCancel(ctx))
	committed := false
	defer func() {
		if !committed {
			_ = end.Exec("ROLLBACK").Error
		}
	}()
	if err := fn(&Store{db: conn, dialect: s.dialect, sql: s.sql, bumped: new(bool), depth: 1, editorial: s.editorial}); err != nil {
		return err
	}
	if err := end.Exec("COMMIT").Error; err != nil {
		return translate(err)
	}
	committed = true
	return nil
}
