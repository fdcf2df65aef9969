package models

import (
	"context"
	"time"
)

// StreamBatch is how many events a streamed listing that pages through
// FindEvents (the change feed) reads per query.
const StreamBatch = 500

// ExportBatch is how many events an export reads per statement. Each
// statement returns the events with their relations (see exportQuery), so
// a batch costs one round trip; a few thousand make the statement's own
// cost (planning, the keyset descent) vanish next to the rows, and the
// batch held in memory (a few MB) stays far under the export's bound.
const ExportBatch = 2000

// StreamEvents calls fn with every event matching f, in f's order, in
// chunks, reading batches of batch events (keyset paging inside one
// read-only snapshot), so memory stays constant whatever the number of
// rows. fn must not keep the slice it is given. Before
// the first batch it calls start with the number of events that will
// follow, counted in the same snapshot, so a client can tell a truncated
// download from a complete one. With batch ExportBatch (or 0), an export
// of a large part of the table on PostgreSQL reads in one statement
// instead (see exportWhole). With f.IncludeRetracted the retracted
// events of f's timelines follow the live ones as tombstones (see
// Event.RetractedAt), counted in the total. f.Limit and f.After are
// ignored.
func (s *Store) StreamEvents(ctx context.Context, f EventFilter, batch int,
	start func(total int) error, fn func([]Event) error) error {
	if batch <= 0 {
		batch = ExportBatch
	}
	f.After, f.Limit, f.rankAll = nil, batch, true
	return s.snapshot(ctx, func(ts *Store) error {
		if s.dialect == DialectPostgres {
			// A batch statement's estimated cost (thousands of subquery
			// runs) passes jit_above_cost, and compiling it took ~50 ms a
			// batch, longer than running it.
			if err := ts.db.Exec("SET LOCAL jit = off").Error; err != nil {
				return translate(err)
			}
		}
		live, err := ts.CountEvents(ctx, f)
		if err != nil {
			return err
		}
		total := live
		if f.IncludeRetracted {
			n, err := ts.countRetracted(ctx, f)
			if err != nil {
				return err
			}
			total += n
		}
		if err := start(total); err != nil {
			return err
		}
		if f, err = ts.prepare(ctx, f); err != nil {
			return err
		}
		cat := newExportCatalog()
		chunk := make([]Event, 0, exportChunk)
		whole := false
		if batch == ExportBatch {
			if whole, err = ts.wholeExport(ctx, f, live); err != nil {
				return err
			}
		}
		if whole {
			err = ts.exportWhole(ctx, f, cat, chunk, fn)
		} else {
			err = ts.exportBatches(ctx, f, cat, chunk, fn)
		}
		if err != nil {
			return err
		}
		if f.IncludeRetracted {
			return ts.streamRetracted(ctx, f, batch, fn)
		}
		return nil
	})
}

// exportBatches hands every event of f to fn, reading batches of f.Limit
// events (see exportBatch).
func (s *Store) exportBatches(ctx context.Context, f EventFilter, cat *exportCatalog, chunk []Event,
	fn func([]Event) error) error {
	for {
		n, last, err := s.exportBatch(ctx, f, cat, chunk, fn)
		if err != nil {
			return err
		}
		f.After = &last
		// The batch statement reads limit+1 rows and all of them are
		// sent: more than limit means more may follow.
		if n <= f.Limit {
			return nil
		}
	}
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

// retractedWhere is the condition on retracted_events r that f selects:
// its timelines, and UpdatedSince as the retraction's time. The other
// conditions test content, which a retracted event no longer shows.
func retractedWhere(f EventFilter) *sqlWhere {
	w := &sqlWhere{}
	if len(f.Timelines) > 0 {
		w.add("r.timeline_id IN ?", f.Timelines)
	}
	if !f.UpdatedSince.IsZero() {
		w.add("r.retracted_at >= ?", f.UpdatedSince.UTC())
	}
	return w
}

func (s *Store) countRetracted(ctx context.Context, f EventFilter) (int, error) {
	w := retractedWhere(f)
	var n int64
	if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM retracted_events r WHERE "+w.String(), w.args...).
		Scan(&n).Error; err != nil {
		return 0, translate(err)
	}
	return int(n), nil
}

// streamRetracted calls fn with the tombstones of the retracted events f
// selects, in (retracted_at, id) order, in batches of at most batch.
func (s *Store) streamRetracted(ctx context.Context, f EventFilter, batch int, fn func([]Event) error) error {
	w := retractedWhere(f)
	rows, err := s.db.WithContext(ctx).Raw("SELECT r.id, r.timeline_id, r.retracted_at FROM retracted_events r WHERE "+
		w.String()+" ORDER BY r.retracted_at, r.id", w.args...).Rows()
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	var (
		out []Event
		e   Event
		at  time.Time
	)
	for rows.Next() {
		e = Event{}
		if err := rows.Scan(&e.ID, &e.Timeline, &at); err != nil {
			return translate(err)
		}
		e.RetractedAt = at.UTC()
		out = append(out, e)
		if len(out) == batch {
			if err := fn(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err)
	}
	if len(out) > 0 {
		return fn(out)
	}
	return nil
}
