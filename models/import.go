package models

import (
	"context"
	"errors"
	"io"
	"time"
)

// Bulk import: a whole timeline in one transaction, every row checked by
// the validation of single writes (validateEvent) and recorded as they
// are (a revision and a change for each event changed), all or nothing;
// written in batches (import_batch.go).

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
	// BatchSize is how many rows are written at once; 0 means
	// DefaultImportBatch.
	BatchSize int
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
// row is invalid, or in a dry run. Rows are read, checked and written a
// batch at a time (see importer), so that memory does not grow with the
// file. Errors: a *ValidationError naming every problem as
// "<where>: <pointer>"; ErrNotFound for an unknown timeline; what
// opts.Meta.Allow returns; a reader's error.
func (s *Store) ImportEvents(ctx context.Context, opts ImportOptions, r ImportReader) (ImportReport, error) {
	rep := ImportReport{DryRun: opts.DryRun, CreatedIDs: []string{}, UpdatedIDs: []string{}, RetractedIDs: []string{}}
	problems := &ValidationError{In: InBody}
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultImportBatch
	}
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		if _, err := tx.FindVersion(ctx, TableTimelines, opts.Timeline); err != nil {
			return err
		}
		if err := opts.Meta.allow(opts.Timeline); err != nil {
			return err
		}
		im := newImporter(tx, opts, now, &rep, problems)
		defer im.w.close()
		if err := im.begin(ctx); err != nil {
			return err
		}
		batch := make([]ImportRow, 0, size)
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			rep.Rows++
			if batch = append(batch, row); len(batch) == size {
				if err := im.flush(ctx, batch); err != nil {
					return err
				}
				clear(batch) // let the batch's rows go
				batch = batch[:0]
			}
		}
		if err := im.flush(ctx, batch); err != nil {
			return err
		}
		if err := problems.Err(); err != nil {
			return err
		}
		if opts.Mode == ImportReplace {
			if err := im.retractAbsent(ctx, size); err != nil {
				return err
			}
		}
		if err := im.end(ctx); err != nil {
			return err
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
