package models

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
)

// StreamBatch is how many events an export reads per query.
const StreamBatch = 500

// StreamEvents calls fn with every event matching f, in f's order, in
// batches of at most batch events (keyset paging inside one read-only
// snapshot), so memory stays constant whatever the number of rows. Before
// the first batch it calls start with the number of events that will
// follow, counted in the same snapshot, so a client can tell a truncated
// download from a complete one. f.Limit and f.After are ignored.
func (s *Store) StreamEvents(ctx context.Context, f EventFilter, batch int,
	start func(total int) error, fn func([]Event) error) error {
	if batch <= 0 {
		batch = StreamBatch
	}
	f.After, f.Limit, f.rankAll = nil, batch, true
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if s.dialect == DialectSQLite {
		opts = nil // one SQLite transaction is already a snapshot under WAL
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ts := &Store{db: tx, dialect: s.dialect}
		total, err := ts.CountEvents(ctx, f)
		if err != nil {
			return err
		}
		if err := start(total); err != nil {
			return err
		}
		for {
			events, more, err := ts.FindEvents(ctx, f)
			if err != nil {
				return err
			}
			if len(events) > 0 {
				if err := fn(events); err != nil {
					return err
				}
				key := events[len(events)-1].Key()
				f.After = &key
			}
			if !more {
				return nil
			}
		}
	}, opts)
}

// CountEvents returns the number of events matching f (paging ignored).
func (s *Store) CountEvents(ctx context.Context, f EventFilter) (int, error) {
	f.After = nil
	w := s.where(f)
	s.indexHint(w, f)
	var n int64
	if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM events e WHERE "+w.String(), w.args...).
		Scan(&n).Error; err != nil {
		return 0, translate(err)
	}
	return int(n), nil
}
