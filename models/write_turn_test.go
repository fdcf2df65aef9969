package models

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestSQLiteWritersTakeTurns: on SQLite a write transaction waits behind
// another of the same process for as long as its context allows, however
// short busy_timeout is. SQLite's busy handler alone gave up after
// busy_timeout, and under steady contention a waiter could lose every
// retry (CI saw SQLITE_BUSY with eight writers under the race detector).
// The test shortens every pooled connection's busy_timeout to 50 ms and
// holds the write lock for 400 ms: without the turn, the waiters fail.
func TestSQLiteWritersTakeTurns(t *testing.T) {
	ctx := context.Background()
	const conns = 4
	s := openShortBusy(t, filepath.Join(t.TempDir(), "turns.db"), conns)
	if err := s.db.Exec("CREATE TABLE turns (who TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}

	locked := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- s.InTx(ctx, func(tx *Store) error {
			if err := tx.db.Exec("INSERT INTO turns VALUES ('holder')").Error; err != nil {
				return err
			}
			close(locked)
			time.Sleep(400 * time.Millisecond)
			return nil
		})
	}()
	<-locked
	for range conns - 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(tx *Store) error {
				return tx.db.Exec("INSERT INTO turns VALUES ('waiter')").Error
			})
		}()
	}
	// A waiter whose context ends first gives up with its context's error.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	shortErr := s.InTx(short, func(tx *Store) error {
		return tx.db.Exec("INSERT INTO turns VALUES ('impatient')").Error
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a writer failed instead of waiting its turn: %v", err)
		}
	}
	if !errors.Is(shortErr, context.DeadlineExceeded) {
		t.Errorf("a waiter whose context ended: got %v, want context.DeadlineExceeded", shortErr)
	}
	var n int64
	if err := s.db.Raw("SELECT count(*) FROM turns").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != conns-1 {
		t.Errorf("%d rows, want %d (the holder's and each waiter's, not the impatient one's)", n, conns-1)
	}
}

// openShortBusy opens the SQLite file path with a pool of conns
// connections, each with a busy_timeout of 50 ms.
func openShortBusy(t *testing.T, path string, conns int) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{SQLitePath: path, MaxOpenConns: conns})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := s.Pool()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	var held []interface{ Close() error }
	for range conns {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 50"); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Close()
	}
	return s
}

// TestSQLiteWaitsForOtherProcesses: a write transaction waits for one of
// another process (here another store on the same file, which shares no
// turn with it) for longer than busy_timeout, and a migration run waits
// for a migration of another process: four processes migrating a new file
// at once failed with SQLITE_BUSY in CI.
func TestSQLiteWaitsForOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "procs.db")
	a, b := openShortBusy(t, path, 2), openShortBusy(t, path, 2)
	if err := a.db.Exec("CREATE TABLE procs (who TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- a.InTx(ctx, func(tx *Store) error {
			if err := tx.db.Exec("INSERT INTO procs VALUES ('a')").Error; err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	waiter := make(chan error, 1)
	go func() {
		waiter <- b.InTx(ctx, func(tx *Store) error { return tx.db.Exec("INSERT INTO procs VALUES ('b')").Error })
	}()
	migrated := make(chan error, 1)
	go func() {
		_, err := b.Migrate(ctx)
		migrated <- err
	}()
	time.Sleep(300 * time.Millisecond) // six busy_timeouts
	close(release)
	for name, ch := range map[string]chan error{"holder": holder, "waiting writer": waiter, "waiting migration": migrated} {
		if err := <-ch; err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var n int64
	if err := a.db.Raw("SELECT count(*) FROM procs").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}
