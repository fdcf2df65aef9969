package models

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// The write path of events. The API's POST, PUT, PATCH and DELETE and the
// seed loader all come through putEvent or RetractEvent: one validation,
// one precondition check, one revision per change.

// expect is the precondition of an event write.
type expect struct {
	// create: the id must be free (never used, not even by a retracted
	// event).
	create bool
	// version, when not 0, must be the current version (of the event, or
	// of its retraction, which a PUT then restores).
	version int64
	// unlessRetracted leaves a retracted event alone instead of restoring
	// it (the seed's way).
	unlessRetracted bool
}

// CreateEvent validates d, creates the linked actors, places and sources it
// describes that do not exist yet, and creates the event at version 1 with
// its first revision. It returns the event as stored and its version.
// Errors: a *ValidationError (ErrInvalid) naming every bad field; ErrConflict
// when the id is taken, by a live or a retracted event; what m.Allow returns.
func (s *Store) CreateEvent(ctx context.Context, d EventDoc, m WriteMeta) (Event, int64, error) {
	var out Event
	var version int64
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		var err error
		_, version, err = tx.putEvent(ctx, d, expect{create: true}, m, now)
		if err != nil {
			return err
		}
		if out, err = tx.FindEventByID(ctx, d.ID); err != nil {
			return err
		}
		return tx.recordIdempotent(ctx, EventWrite{Event: out, Version: version})
	})
	return out, version, err
}

// ReplaceEvent replaces the event d.ID with d, provided its current version
// is ifVersion, and records the revision. A retracted event whose
// retraction has version ifVersion is restored. Errors: ErrNotFound for an
// id never used; a *StaleError (ErrPreconditionFailed) when ifVersion is not
// current; a *ValidationError; what m.Allow returns.
func (s *Store) ReplaceEvent(ctx context.Context, d EventDoc, ifVersion int64, m WriteMeta) (Event, int64, error) {
	var out Event
	var version int64
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		var err error
		_, version, err = tx.putEvent(ctx, d, expect{version: ifVersion}, m, now)
		if err != nil {
			return err
		}
		if out, err = tx.FindEventByID(ctx, d.ID); err != nil {
			return err
		}
		return tx.recordIdempotent(ctx, EventWrite{Event: out, Version: version})
	})
	if errors.Is(err, errUnchanged) {
		// The same content again: nothing to record.
		out, version, err = s.FindEventVersioned(ctx, d.ID)
	}
	return out, version, err
}

// SaveEvent is the seed loader's way in: it creates the event or updates
// it to e through the same path as the API, attributed to the seed, and
// leaves it alone when it is unchanged or retracted.
func (s *Store) SaveEvent(ctx context.Context, e Event) (SaveResult, error) {
	var res SaveResult
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		var err error
		res, _, err = tx.putEvent(ctx, DocOf(e), expect{unlessRetracted: true}, WriteMeta{KeyID: SeedKeyID}, now)
		return err
	})
	if errors.Is(err, errUnchanged) {
		return Unchanged, nil
	}
	return res, err
}

// eventState is what a write needs to know of an event before changing it.
type eventState struct {
	exists    bool
	version   int64
	hash      string
	timeline  string
	retracted *retraction
}

// lockEvent reads the state of event id, locking its row (or its
// retraction) until the transaction ends.
func (s *Store) lockEvent(ctx context.Context, id string) (eventState, error) {
	db := s.db.WithContext(ctx)
	var rows []struct {
		Version     int64
		ContentHash string
		TimelineID  string
	}
	if err := db.Raw("SELECT version, content_hash, timeline_id FROM events WHERE id = ?"+s.sql.forUpdate(), id).
		Scan(&rows).Error; err != nil {
		return eventState{}, err
	}
	if len(rows) > 0 {
		return eventState{exists: true, version: rows[0].Version, hash: rows[0].ContentHash, timeline: rows[0].TimelineID}, nil
	}
	r, err := s.findRetraction(ctx, id, true)
	if err != nil || r == nil {
		return eventState{}, err
	}
	return eventState{retracted: r, version: r.Version, timeline: r.timeline}, nil
}

type retraction struct {
	RetractedError
	timeline string
}

// findRetraction returns the retraction of event id, or nil.
func (s *Store) findRetraction(ctx context.Context, id string, lock bool) (*retraction, error) {
	q := "SELECT id, timeline_id, version, retracted_at FROM retracted_events WHERE id = ?"
	if lock {
		q += s.sql.forUpdate()
	}
	var rows []struct {
		ID          string
		TimelineID  string
		Version     int64
		RetractedAt time.Time
	}
	if err := s.db.WithContext(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	return &retraction{RetractedError: RetractedError{ID: r.ID, RetractedAt: r.RetractedAt.UTC(), Version: r.Version},
		timeline: r.TimelineID}, nil
}

// putEvent is the one write of an event's content, in the caller's write
// transaction: validate, check the precondition, create what the event
// links to, apply the editorial rules (checkEditorial), write the row and
// its links, record the revision.
func (s *Store) putEvent(ctx context.Context, d EventDoc, want expect, m WriteMeta, now time.Time) (SaveResult, int64, error) {
	st, err := s.lockEvent(ctx, d.ID)
	if err != nil {
		return Unchanged, 0, err
	}
	// Who may write first, then the preconditions: a stale edit is told
	// so even if it is invalid.
	if err := m.allow(st.timeline); err != nil {
		return Unchanged, 0, err
	}
	if err := m.allow(d.Timeline); err != nil {
		return Unchanged, 0, err
	}
	switch {
	case want.create && st.retracted != nil:
		return Unchanged, 0, Errorf(ErrConflict, "the id %q belonged to an event that was retracted; ids are never reused "+
			"(restore it with PUT /v1/events/%s)", d.ID, d.ID)
	case want.create && st.exists:
		return Unchanged, 0, Errorf(ErrConflict, "an event with the id %q exists already", d.ID)
	case want.unlessRetracted && st.retracted != nil:
		return Unchanged, 0, errUnchanged
	case !want.create && !st.exists && st.retracted == nil && want.version != 0:
		return Unchanged, 0, ErrNotFound
	case want.version != 0 && st.version != want.version:
		return Unchanged, 0, &StaleError{Current: st.version}
	}
	e, v, err := s.validateEvent(ctx, d, nil)
	if err != nil {
		return Unchanged, 0, err
	}
	if err := v.Err(); err != nil {
		return Unchanged, 0, err
	}
	doc := DocOf(e)
	hash := contentHash(doc)
	if st.exists && st.hash == hash {
		return Unchanged, st.version, errUnchanged
	}
	db := s.db.WithContext(ctx)
	cols := []any{e.Timeline, e.Title, e.Summary, e.Span.Start, e.Span.End, string(e.Span.Precision), e.Span.Approximate,
		e.DisplayDate, e.Span.EDTF, e.Type, e.Status, hash}
	version, action, result := st.version+1, "update", Updated
	if st.exists {
		res := db.Exec(`UPDATE events SET timeline_id = ?, title = ?, summary = ?, start_date = ?, end_date = ?,
			date_precision = ?, approximate = ?, display_date = ?, edtf = ?, type = ?, status = ?, content_hash = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
			append(cols, now, e.ID, st.version)...)
		if res.Error != nil {
			return Unchanged, 0, res.Error
		}
		if res.RowsAffected != 1 {
			// Unreachable while the row is locked; kept so that the
			// statement itself is the check.
			return Unchanged, 0, &StaleError{Current: st.version}
		}
	} else {
		action, result = "create", Created
		if st.retracted != nil {
			action = "restore"
			if err := db.Exec("DELETE FROM retracted_events WHERE id = ?", e.ID).Error; err != nil {
				return Unchanged, 0, err
			}
		}
		if err := db.Exec(`INSERT INTO events (timeline_id, title, summary, start_date, end_date, date_precision,
			approximate, display_date, edtf, type, status, content_hash, version, created_at, updated_at, id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(cols, version, now, now, e.ID)...).Error; err != nil {
			return Unchanged, 0, err
		}
	}
	if err := s.replaceEventLinks(ctx, e); err != nil {
		return Unchanged, 0, err
	}
	if err := s.refreshSearchText(ctx, []string{e.ID}); err != nil {
		return Unchanged, 0, err
	}
	if err := s.addRevision(ctx, e.ID, e.Timeline, version, action, doc, m, now); err != nil {
		return Unchanged, 0, err
	}
	return result, version, nil
}

// validateEvent is the one validation of an event's write, for a single
// write and for each row of an import alike: the document's own rules
// (EventDoc.Event), then what it links to (resolveLinks, which creates the
// linked records the document describes when it is otherwise valid), then
// the editorial rules (checkEditorial).
// known, when not nil, says which linked records exist (an import reads
// them for a batch at once). Problems with the document are in the
// returned *ValidationError (empty when there are none); the error is the
// database's.
func (s *Store) validateEvent(ctx context.Context, d EventDoc, known *knownLinks) (Event, *ValidationError, error) {
	e, err := d.Event()
	v := &ValidationError{In: InBody}
	if err != nil {
		v = err.(*ValidationError)
	}
	if err := s.resolveLinks(ctx, &e, v, known); err != nil {
		return e, v, err
	}
	if err := s.checkEditorial(ctx, e, v, known); err != nil {
		return e, v, err
	}
	return e, v, nil
}

// addRevision records one change of an event.
func (s *Store) addRevision(ctx context.Context, id, timeline string, version int64, action string, doc EventDoc,
	m WriteMeta, now time.Time) error {
	content, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Exec(`INSERT INTO event_revisions
		(event_id, revision, version, action, timeline_id, content, key_id, comment, created_at)
		SELECT ?, COALESCE(MAX(revision), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM event_revisions WHERE event_id = ?`,
		id, version, action, timeline, string(content), m.KeyID, m.Comment, now, id).Error; err != nil {
		return err
	}
	return s.recordEventChange(ctx, id, timeline, action, version, content, m.KeyID, now)
}

// RetractEvent retracts event id, provided its current version is
// ifVersion: it leaves every listing, export, count and facet, its GET
// answers ErrGone, its revisions stay, and its id is never reused. It
// returns the retraction. Errors: ErrNotFound; a *RetractedError (ErrGone)
// when it is retracted already; a *StaleError; what m.Allow returns.
func (s *Store) RetractEvent(ctx context.Context, id string, ifVersion int64, m WriteMeta) (RetractedError, error) {
	var out RetractedError
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		st, err := tx.lockEvent(ctx, id)
		switch {
		case err != nil:
			return err
		case st.retracted != nil:
			return &st.retracted.RetractedError
		case !st.exists:
			return ErrNotFound
		case st.version != ifVersion:
			return &StaleError{Current: st.version}
		}
		if err := m.allow(st.timeline); err != nil {
			return err
		}
		e, err := tx.FindEventByID(ctx, id)
		if err != nil {
			return err
		}
		db := tx.db.WithContext(ctx)
		if res := db.Exec("DELETE FROM events WHERE id = ? AND version = ?", id, st.version); res.Error != nil {
			return res.Error
		} else if res.RowsAffected != 1 {
			return &StaleError{Current: st.version}
		}
		version := st.version + 1
		if err := db.Exec("INSERT INTO retracted_events (id, timeline_id, version, key_id, retracted_at) VALUES (?, ?, ?, ?, ?)",
			id, st.timeline, version, m.KeyID, now).Error; err != nil {
			return err
		}
		out = RetractedError{ID: id, RetractedAt: now, Version: version}
		return tx.addRevision(ctx, id, st.timeline, version, "retract", DocOf(e), m, now)
	})
	return out, err
}

// FindEventVersioned returns an event with its version, both of one
// state. Errors: ErrNotFound; a *RetractedError (ErrGone) for a retracted
// event.
func (s *Store) FindEventVersioned(ctx context.Context, id string) (Event, int64, error) {
	// The event's row comes with its version; its relations come in a
	// second statement, after which the version is read again: when the
	// two agree, no write came between, and the event served is that
	// version. A write in between is rare; read again then. Three
	// statements (a GET of one event is the commonest read an embed makes).
	query := "SELECT " + eventColumns + ", e.version FROM events e WHERE e.id = ?"
	for {
		var before int64
		events, err := s.readEvents(ctx, query, []any{id}, false, 0, &before)
		if err != nil {
			return Event{}, 0, err
		}
		if len(events) == 0 {
			r, err := s.findRetraction(ctx, id, false)
			if err != nil {
				return Event{}, 0, err
			}
			if r != nil {
				return Event{}, 0, &r.RetractedError
			}
			return Event{}, 0, ErrNotFound
		}
		var after []int64
		if err := s.db.WithContext(ctx).Raw("SELECT version FROM events WHERE id = ?", id).Scan(&after).Error; err != nil {
			return Event{}, 0, translate(err)
		}
		if len(after) == 1 && after[0] == before {
			return events[0], before, nil
		}
	}
}
