package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// ReplicaConfig says which PostgreSQL streaming replicas serve reads.
type ReplicaConfig struct {
	// URLs are the replicas' postgres:// URLs (each may point at a
	// PgBouncer in front of its replica). Empty means every query goes to
	// the primary, as without replicas.
	URLs []string
	// MaxLag is how far behind the primary a replica may be and still
	// serve reads without a consistency token. Zero means 10 seconds.
	MaxLag time.Duration
	// CheckInterval is how often each replica's health and replay
	// position are checked. Zero means one second.
	CheckInterval time.Duration
}

// primaryName names the primary in metrics.
const primaryName = "primary"

// DefaultReplicaMaxLag is ReplicaConfig.MaxLag when none is given.
const DefaultReplicaMaxLag = 10 * time.Second

// readRouter is the store's connection pool once replicas are configured.
// It is our own small resolver rather than gorm.io/plugin/dbresolver,
// because the choice of target depends on things dbresolver's policies
// cannot see: the request's consistency token (in the context), each
// replica's measured replay position and lag, and whether the first
// attempt on a replica failed. It sits where GORM expects a connection
// pool, so no query of the store changes: a statement outside a
// transaction that returns rows is a read, anything else (Exec, Prepare,
// a read-write transaction) goes to the primary, and a read-only
// transaction (StreamEvents' snapshot) is a read.
type readRouter struct {
	primary  *target
	replicas []*target
	maxLag   time.Duration
	interval time.Duration
	log      *slog.Logger
	next     atomic.Uint64
	history  lsnHistory
	stop     context.CancelFunc
	done     chan struct{}
}

// target is one database the router can send a statement to.
type target struct {
	name string
	db   *sql.DB
	// reads and writes count the statements and transactions sent here.
	reads, writes atomic.Uint64
	// The rest is the health checker's view of a replica.
	inRotation atomic.Bool
	replayLSN  atomic.Uint64
	lagNanos   atomic.Int64
}

var (
	_                      gorm.ConnPool       = (*readRouter)(nil)
	_                      gorm.TxBeginner     = (*readRouter)(nil)
	_                      gorm.GetDBConnector = (*readRouter)(nil)
	_                      fmt.Stringer        = ConsistencyToken(0)
	errReplicaNotInService                     = errors.New("replica is not in recovery")
)

// UseReplicas sends the store's reads to the replicas in rc, checked for
// health and lag in the background until Close. cfg is the Config the
// store was opened with; its pool, timeout and query mode settings apply
// to every replica. It must be called before the store is shared between
// goroutines. Migrations, seeding and the other commands need no
// replicas and do not call it.
func (s *Store) UseReplicas(ctx context.Context, cfg Config, rc ReplicaConfig) error {
	if len(rc.URLs) == 0 {
		return nil
	}
	if s.dialect != DialectPostgres {
		return fmt.Errorf("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL")
	}
	if s.replicas != nil {
		return fmt.Errorf("replicas are already configured")
	}
	primaryDB, err := s.db.DB()
	if err != nil {
		return err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &readRouter{primary: &target{name: primaryName, db: primaryDB}, maxLag: rc.MaxLag,
		interval: rc.CheckInterval, log: log, done: make(chan struct{})}
	if r.maxLag <= 0 {
		r.maxLag = DefaultReplicaMaxLag
	}
	if r.interval <= 0 {
		r.interval = time.Second
	}
	for _, raw := range rc.URLs {
		db, name, err := openReplica(raw, cfg)
		if err != nil {
			r.closeReplicas()
			return err
		}
		r.replicas = append(r.replicas, &target{name: name, db: db})
	}
	// One round of checks before serving, so that healthy replicas take
	// reads from the first request; an unreachable one just starts out.
	r.checkAll(ctx)
	checkCtx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go r.run(checkCtx)
	s.replicas = r
	s.db.ConnPool = r
	s.db.Statement.ConnPool = r
	// The in-process dataset state follows the primary, while a read may
	// be served by a lagging replica: an ETag from the one over a body
	// from the other would cache stale content under a new tag. With
	// replicas the state is read with the body, from the same database.
	s.state.close()
	s.state = nil
	return nil
}

// openReplica opens a pool on one replica URL, named by its host and port
// (never its credentials) in metrics and logs.
func openReplica(raw string, cfg Config) (*sql.DB, string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, "", fmt.Errorf("DATABASE_REPLICA_URLS: %q is not a postgres:// URL", redactURL(raw))
	}
	dsn, err := postgresDSN(raw, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("DATABASE_REPLICA_URLS: %w", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, "", fmt.Errorf("DATABASE_REPLICA_URLS: %w", err)
	}
	configurePool(db, cfg, DialectPostgres)
	return db, u.Host, nil
}

// redactURL drops the password from a URL for an error message.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// GetDBConn returns the primary's pool: GORM's DB(), and with it Ping,
// Close and the pool metrics, see the primary.
func (r *readRouter) GetDBConn() (*sql.DB, error) { return r.primary.db, nil }

// PrepareContext prepares on the primary; the store does not prepare.
func (r *readRouter) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return r.primary.db.PrepareContext(ctx, query)
}

// ExecContext runs a statement that returns no rows on the primary.
func (r *readRouter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.primary.writes.Add(1)
	return r.primary.db.ExecContext(ctx, query, args...)
}

// QueryContext runs a read on the target pick chooses, and once more on
// another target when the first was a replica that failed.
func (r *readRouter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t := r.pick(ctx, nil)
	t.reads.Add(1)
	rows, err := t.db.QueryContext(ctx, query, args...)
	if err != nil && r.retry(ctx, t, err) {
		t = r.pick(ctx, t)
		t.reads.Add(1)
		return t.db.QueryContext(ctx, query, args...)
	}
	return rows, err
}

// QueryRowContext is QueryContext for one row.
func (r *readRouter) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	t := r.pick(ctx, nil)
	t.reads.Add(1)
	row := t.db.QueryRowContext(ctx, query, args...)
	if err := row.Err(); err != nil && r.retry(ctx, t, err) {
		t = r.pick(ctx, t)
		t.reads.Add(1)
		return t.db.QueryRowContext(ctx, query, args...)
	}
	return row
}

// BeginTx starts a read-only transaction where a read would go, and every
// other transaction on the primary.
func (r *readRouter) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	if opts == nil || !opts.ReadOnly || isPrimaryOnly(ctx) {
		r.primary.writes.Add(1)
		return r.primary.db.BeginTx(ctx, opts)
	}
	t := r.pick(ctx, nil)
	t.reads.Add(1)
	tx, err := t.db.BeginTx(ctx, opts)
	if err == nil {
		// BeginTx may only reserve a connection; the first statement is
		// what reaches the server. Check it answers, so that a dead
		// replica is retried here rather than failing the snapshot.
		if err = tx.QueryRowContext(ctx, "SELECT 1").Scan(new(int)); err != nil {
			_ = tx.Rollback()
		}
	}
	if err != nil && r.retry(ctx, t, err) {
		t = r.pick(ctx, t)
		t.reads.Add(1)
		return t.db.BeginTx(ctx, opts)
	}
	return tx, err
}

// pick chooses where a read goes: the primary when the request asked for
// it; else the target this request already read from, if it may still
// serve it, so that the ETag and the body of one response come from the
// same database; else the next replica, round robin, that is in rotation
// and has replayed past the request's token; else the primary. avoid is a
// target that just failed.
func (r *readRouter) pick(ctx context.Context, avoid *target) *target {
	p := policyFrom(ctx)
	if p == nil {
		p = &readPolicy{}
	}
	if p.primary {
		return r.primary
	}
	if pinned := p.pinned.Load(); pinned != nil && pinned != avoid && r.serves(pinned, p.after) {
		return pinned
	}
	chosen := r.primary
	n := uint64(len(r.replicas))
	start := r.next.Add(1)
	for i := uint64(0); i < n; i++ {
		t := r.replicas[(start+i)%n]
		if t != avoid && r.serves(t, p.after) {
			chosen = t
			break
		}
	}
	p.pinned.Store(chosen)
	return chosen
}

// serves reports whether t may answer a read that must see the write at
// token after. The replay position is the health checker's last reading,
// which only lags the replica's own, so the test errs toward the primary.
func (r *readRouter) serves(t *target, after ConsistencyToken) bool {
	if t == r.primary {
		return true
	}
	return t.inRotation.Load() && ConsistencyToken(t.replayLSN.Load()) >= after
}

// retry reports whether a read that failed on t should be tried again
// elsewhere, and takes t out of rotation when the failure says the
// database is gone. Reads are safe to repeat; a failure on the primary is
// final, as is one caused by the query itself or by the caller giving up.
func (r *readRouter) retry(ctx context.Context, t *target, err error) bool {
	if t == r.primary || ctx.Err() != nil || !retryable(err) {
		return false
	}
	if t.inRotation.Swap(false) {
		r.log.Warn("replica taken out of rotation after a failed read", "replica", t.name, "error", err.Error())
	}
	return true
}

// retryable reports whether err says the connection or the server failed
// rather than the statement: a network error, a server shutting down
// (class 57, but not a statement timeout), a connection exception
// (class 08, which is also how PgBouncer reports a lost server), too many
// connections (class 53), or a query cancelled by replay on a standby.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch {
	case pgErr.Code == "57014": // query_canceled: statement_timeout
		return false
	case strings.HasPrefix(pgErr.Code, "57"), strings.HasPrefix(pgErr.Code, "08"),
		strings.HasPrefix(pgErr.Code, "53"), pgErr.Code == "40001":
		return true
	}
	return false
}

// closeReplicas stops the health checker and closes the replicas' pools.
func (r *readRouter) closeReplicas() {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
	for _, t := range r.replicas {
		t.db.Close()
	}
}
