package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Bulk import: a whole timeline in one transaction, every row through the
// same write path as a single event (putEvent: the same validation, links,
// revision and change), all or nothing.

// Import modes.
const (
	// ImportMerge creates and updates the file's events and leaves the
	// timeline's other events alone.
	ImportMerge = "merge"
	// ImportReplace also retracts the timeline's events that the file
	// does not list.
	ImportReplace = "replace"
)

// maxImportProblems bounds the problems an import reports.
const maxImportProblems = 1000

// ImportRow is one event read from an import file.
type ImportRow struct {
	// At locates the row in the file: "line 3" or a JSON Pointer such as
	// "/events/2".
	At  string
	Doc EventDoc
	// Problems are what the reader found wrong with the row before any
	// validation (a date part that is not a number, bad JSON), as fields
	// of the row's document.
	Problems []FieldError
	// Complete, when not nil, fills in what the format cannot carry (such
	// as actor roles in the service's CSV) from the event's current
	// document, or nil when the event is new.
	Complete func(current *EventDoc, d *EventDoc, v *ValidationError)
}

// ImportReader yields the rows of an import file one at a time, so that
// memory does not grow with the file. Next returns io.EOF after the last.
type ImportReader interface {
	Next() (ImportRow, error)
}

// ImportOptions says how to import.
type ImportOptions struct {
	Timeline string
	Mode     string
	DryRun   bool
	Meta     WriteMeta
}

// ImportReport says what an import did, or would do in a dry run: how
// many events, and the ids of the first MaxReportIDs of each kind.
type ImportReport struct {
	Rows                        int
	Created, Updated, Unchanged int
	Retracted                   int
	CreatedIDs, UpdatedIDs      []string
	RetractedIDs                []string
	IDsTruncated                bool
	DryRun                      bool
}

// MaxReportIDs bounds each list of ids in an ImportReport, so that the
// report does not grow with the file.
const MaxReportIDs = 1000

func (r *ImportReport) note(ids *[]string, n *int, id string) {
	*n++
	if len(*ids) < MaxReportIDs {
		*ids = append(*ids, id)
	} else {
		r.IDsTruncated = true
	}
}

// errDryRun rolls back a dry run after its report is complete.
var errDryRun = errors.New("dry run")

// ImportEvents imports every row of r into timeline opts.Timeline in one
// transaction: each row's timeline is the import's; ids are upserted
// (a retracted id is restored). In replace mode the timeline's live events
// that the file does not list are retracted. Nothing is written when any
// row is invalid, or in a dry run. Errors: a *ValidationError naming every
// problem as "<where>: <pointer>"; ErrNotFound for an unknown timeline;
// what opts.Meta.Allow returns; a reader's error.
func (s *Store) ImportEvents(ctx context.Context, opts ImportOptions, r ImportReader) (ImportReport, error) {
	rep := ImportReport{DryRun: opts.DryRun, CreatedIDs: []string{}, UpdatedIDs: []string{}, RetractedIDs: []string{}}
	problems := &ValidationError{In: InBody}
	add := func(at string, fields []FieldError) {
		for _, f := range fields {
			if len(problems.Fields) < maxImportProblems {
				problems.Fields = append(problems.Fields, FieldError{Field: at + ": " + f.Field, Reason: f.Reason})
			}
		}
	}
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		if _, err := tx.FindVersion(ctx, TableTimelines, opts.Timeline); err != nil {
			return err
		}
		if err := opts.Meta.allow(opts.Timeline); err != nil {
			return err
		}
		seen := map[string]string{}
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			rep.Rows++
			if len(row.Problems) > 0 {
				add(row.At, row.Problems)
				continue
			}
			d := row.Doc
			d.Timeline = opts.Timeline
			if prev, dup := seen[d.ID]; dup && d.ID != "" {
				add(row.At, []FieldError{{Field: "/id", Reason: fmt.Sprintf("%q is listed twice (first at %s)", d.ID, prev)}})
				continue
			}
			seen[d.ID] = row.At
			if row.Complete != nil {
				v := &ValidationError{}
				var current *EventDoc
				if e, err := tx.FindEventByID(ctx, d.ID); err == nil {
					doc := DocOf(e)
					current = &doc
				} else if !errors.Is(err, ErrNotFound) {
					return err
				}
				row.Complete(current, &d, v)
				if len(v.Fields) > 0 {
					add(row.At, v.Fields)
					continue
				}
			}
			res, _, err := tx.putEvent(ctx, d, expect{}, opts.Meta, now)
			var verr *ValidationError
			switch {
			case errors.Is(err, errUnchanged):
				rep.Unchanged++
			case errors.As(err, &verr):
				add(row.At, verr.Fields)
			case err != nil:
				return err
			case res == Created:
				rep.note(&rep.CreatedIDs, &rep.Created, d.ID)
			default:
				rep.note(&rep.UpdatedIDs, &rep.Updated, d.ID)
			}
		}
		if err := problems.Err(); err != nil {
			return err
		}
		if opts.Mode == ImportReplace {
			if err := tx.retractAbsent(ctx, opts, seen, now, &rep); err != nil {
				return err
			}
		}
		if opts.DryRun {
			return errDryRun
		}
		if rep.Created+rep.Updated+rep.Retracted == 0 {
			return errUnchanged // keep the dataset version, and the ETags
		}
		return tx.recordIdempotent(ctx, rep)
	})
	if errors.Is(err, errDryRun) || errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

// retractAbsent retracts the live events of the timeline that the file did
// not list, each with its revision.
func (s *Store) retractAbsent(ctx context.Context, opts ImportOptions, listed map[string]string, now time.Time, rep *ImportReport) error {
	var ids []string
	if err := s.db.WithContext(ctx).Raw("SELECT id FROM events WHERE timeline_id = ? ORDER BY id", opts.Timeline).
		Scan(&ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := listed[id]; ok {
			continue
		}
		if err := s.retractLocked(ctx, id, opts.Meta, now); err != nil {
			return err
		}
		rep.note(&rep.RetractedIDs, &rep.Retracted, id)
	}
	return nil
}

// retractLocked retracts event id in the caller's write transaction,
// whatever its version, with its revision and change.
func (s *Store) retractLocked(ctx context.Context, id string, m WriteMeta, now time.Time) error {
	st, err := s.lockEvent(ctx, id)
	if err != nil || !st.exists {
		return err
	}
	e, err := s.FindEventByID(ctx, id)
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	if err := db.Exec("DELETE FROM events WHERE id = ? AND version = ?", id, st.version).Error; err != nil {
		return err
	}
	version := st.version + 1
	if err := db.Exec("INSERT INTO retracted_events (id, timeline_id, version, key_id, retracted_at) VALUES (?, ?, ?, ?, ?)",
		id, st.timeline, version, m.KeyID, now).Error; err != nil {
		return err
	}
	return s.addRevision(ctx, id, st.timeline, version, "retract", DocOf(e), m, now)
}
