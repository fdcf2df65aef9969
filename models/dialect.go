package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// sqlDialect is what the store's migrations and writes say differently to
// PostgreSQL and to SQLite, chosen once at Open, so that no write spells a
// dialect inside its SQL. (The read queries still test s.dialect at a few
// sites; they move here when they are next rewritten.)
type sqlDialect interface {
	// lockMigrations keeps two migrators from racing, inside the
	// migration's transaction.
	lockMigrations(tx *gorm.DB) error
	// beginWrite is the first statement of a write transaction and
	// endWrite its last: between them they mark the dataset as changed
	// (see bumpVersion) and take whatever lock makes the transaction's
	// reads safe to act on.
	beginWrite(ctx context.Context, tx *Store, now time.Time) error
	endWrite(ctx context.Context, tx *Store, now time.Time) error
	// forUpdate ends a SELECT of a row that the transaction then changes.
	forUpdate() string
}

func dialectFor(name string) sqlDialect {
	if name == DialectPostgres {
		return postgresDialect{}
	}
	return sqliteDialect{}
}

// postgresDialect locks rows, not the database: a write reads the row it
// changes FOR UPDATE, so a concurrent write of the same row waits and then
// sees the new version. The dataset version is bumped last, so that the
// lock on its one row, which serializes every writer, is held only for the
// commit.
type postgresDialect struct{}

func (postgresDialect) lockMigrations(tx *gorm.DB) error {
	// A migration may build indexes over a large table, and its lock may
	// wait for another migrator: neither is a runaway query that
	// DB_STATEMENT_TIMEOUT is there to stop.
	if err := tx.Exec("SET LOCAL statement_timeout = 0").Error; err != nil {
		return err
	}
	// The fold lock too: a fold (one that a previous migration's commit
	// kicked off, or another process's) must not run while a migration
	// alters the count tables and replaces the fold's functions. Taken in
	// the other order, the fold's delta rows and the migration's table
	// locks deadlock (seen with 0013). Folds started meanwhile skip.
	return tx.Exec("SELECT pg_advisory_xact_lock(7219431), pg_advisory_xact_lock(?)", foldLockKey).Error
}
func (postgresDialect) beginWrite(context.Context, *Store, time.Time) error { return nil }
func (postgresDialect) endWrite(ctx context.Context, tx *Store, now time.Time) error {
	return tx.bumpVersion(ctx, now)
}
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

// sqliteDialect takes the database's one write lock with the first
// statement. A SQLite transaction that reads first and writes later cannot
// upgrade its snapshot once another writer has committed (SQLITE_BUSY at
// once, busy_timeout notwithstanding); writing first makes it wait for the
// lock instead, and then read the latest data.
type sqliteDialect struct{}

func (sqliteDialect) lockMigrations(*gorm.DB) error { return nil }
func (sqliteDialect) beginWrite(ctx context.Context, tx *Store, now time.Time) error {
	return tx.bumpVersion(ctx, now)
}
func (sqliteDialect) endWrite(context.Context, *Store, time.Time) error { return nil }
func (sqliteDialect) forUpdate() string                                 { return "" }
