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
	s, err := Open(ctx, Config{SQLitePath: filepath.Join(t.TempDir(), "turns.db"), MaxOpenConns: conns})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := s.Pool()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	// Every connection the pool will hand out, with a short busy_timeout.
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
