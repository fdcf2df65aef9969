package models

import (
	"context"
	"errors"
	"time"
)

// errUnchanged rolls back a write that would change nothing, so that the
// dataset version (and with it every listing ETag) stays where it is.
var errUnchanged = errors.New("unchanged")

// WriteMeta says who makes a write and why. The store records it in the
// write's revision.
type WriteMeta struct {
	// KeyID is the id of the API key that writes, or SeedKeyID.
	KeyID string
	// Comment is the editor's note on the change, kept with the revision.
	Comment string
	// Allow, when set, is asked about every timeline the write touches
	// (the one an event is in, and the one it moves to), inside the
	// transaction; an error from it aborts the write.
	Allow func(timeline string) error
}

// SeedKeyID is the author of the seed loader's writes.
const SeedKeyID = "seed"

func (m WriteMeta) allow(timeline string) error {
	if m.Allow == nil || timeline == "" {
		return nil
	}
	return m.Allow(timeline)
}

// writeTx runs fn as one write transaction: it marks the dataset as changed
// and takes the dialect's write lock (see sqlDialect), so the check of a
// precondition and the write it guards are atomic. When fn returns
// errUnchanged everything is rolled back and writeTx returns errUnchanged.
func (s *Store) writeTx(ctx context.Context, fn func(tx *Store, now time.Time) error) error {
	now := time.Now().UTC()
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.sql.beginWrite(ctx, tx, now); err != nil {
			return err
		}
		if err := fn(tx, now); err != nil {
			return err
		}
		if err := tx.sql.endWrite(ctx, tx, now); err != nil {
			return err
		}
		return tx.assignChanges(ctx) // the feed's position, under the dataset lock
	})
	if err == nil {
		idempotentWriteFrom(ctx).committed()
		s.signalChanges()
	}
	if errors.Is(err, errUnchanged) {
		return errUnchanged
	}
	return translate(err)
}
