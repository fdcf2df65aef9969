package models

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Writes of timelines, actors, places and sources through the API. Each
// checks its precondition under the row's lock and then saves through the
// same Save method the seed loader uses, so curated and edited records
// follow the same rules.

// RecordVersion is a record's version and time of last change.
type RecordVersion struct {
	Version   int64
	UpdatedAt time.Time
}

// Record tables whose versions FindVersion reads.
const (
	TableTimelines = "timelines"
	TableActors    = "actors"
	TablePlaces    = "places"
	TableSources   = "sources"
)

// FindVersion returns the version of record id of table (one of the
// Table constants). Errors: ErrNotFound.
func (s *Store) FindVersion(ctx context.Context, table, id string) (RecordVersion, error) {
	var rows []struct {
		Version   int64
		UpdatedAt time.Time
	}
	if err := s.db.WithContext(ctx).Raw("SELECT version, updated_at FROM "+recordTable(table)+" WHERE id = ?", id).
		Scan(&rows).Error; err != nil {
		return RecordVersion{}, translate(err)
	}
	if len(rows) == 0 {
		return RecordVersion{}, ErrNotFound
	}
	return RecordVersion{Version: rows[0].Version, UpdatedAt: rows[0].UpdatedAt.UTC()}, nil
}

// recordTable keeps table names constant whatever a caller passes.
func recordTable(table string) string {
	switch table {
	case TableTimelines, TableActors, TablePlaces, TableSources:
		return table
	}
	panic("recordTable: " + table)
}

// writeRecord runs save under the lock of record id of table, after
// checking the precondition: the id free when create, else the record at
// version ifVersion. It returns the record's new version.
func (s *Store) writeRecord(ctx context.Context, table, id string, create bool, ifVersion int64,
	save func(tx *Store) (SaveResult, error)) (int64, error) {
	var version int64
	err := s.writeTx(ctx, func(tx *Store, now time.Time) error {
		var vs []int64
		db := tx.db.WithContext(ctx)
		if err := db.Raw("SELECT version FROM "+recordTable(table)+" WHERE id = ?"+tx.sql.forUpdate(), id).Scan(&vs).Error; err != nil {
			return err
		}
		switch {
		case create && len(vs) > 0:
			return Errorf(ErrConflict, "a record with the id %q exists already", id)
		case !create && len(vs) == 0:
			return ErrNotFound
		case !create && vs[0] != ifVersion:
			return &StaleError{Current: vs[0]}
		}
		res, err := save(tx)
		if err != nil {
			return err
		}
		if res == Unchanged {
			version = vs[0]
			return errUnchanged
		}
		if err := db.Raw("SELECT version FROM "+recordTable(table)+" WHERE id = ?", id).Scan(&version).Error; err != nil {
			return err
		}
		return tx.recordIdempotent(ctx, RecordWrite{Table: table, ID: id, Version: version})
	})
	if err == errUnchanged {
		err = nil
	}
	return version, err
}

func checkSlug(v *ValidationError, field, id string) {
	if !ValidSlug(id) {
		v.Add(field, "%q is not a valid id (lowercase letters, digits and hyphens, at most 128)", id)
	}
}

func checkText(v *ValidationError, field, s string, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "must not be empty")
	case len(s) > 5000:
		v.Add(field, "is too long")
	}
}

// WriteActor creates (create) or updates (at ifVersion) an actor. Errors:
// a *ValidationError; ErrConflict; ErrNotFound; a *StaleError.
func (s *Store) WriteActor(ctx context.Context, a Actor, create bool, ifVersion int64) (int64, error) {
	v := &ValidationError{In: InBody}
	checkSlug(v, "/id", a.ID)
	s.checkNotTag(v, "/id", a.ID)
	checkText(v, "/name", a.Name, true)
	if !slices.Contains(ActorKinds, a.Kind) {
		v.Add("/kind", "%q is not one of %s", a.Kind, strings.Join(ActorKinds, ", "))
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	return s.writeRecord(ctx, TableActors, a.ID, create, ifVersion, func(tx *Store) (SaveResult, error) {
		if err := tx.checkNames(ctx, a.ID, "", a.Name, a.Aliases, v); err != nil {
			return Unchanged, err
		}
		if err := v.Err(); err != nil {
			return Unchanged, err
		}
		return tx.SaveActor(ctx, a)
	})
}

// WritePlace creates or updates a place, like WriteActor.
func (s *Store) WritePlace(ctx context.Context, p Place, create bool, ifVersion int64) (int64, error) {
	v := &ValidationError{In: InBody}
	checkSlug(v, "/id", p.ID)
	s.checkNotTag(v, "/id", p.ID)
	checkText(v, "/name", p.Name, true)
	if !slices.Contains(PlaceKinds, p.Kind) {
		v.Add("/kind", "%q is not one of %s", p.Kind, strings.Join(PlaceKinds, ", "))
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	return s.writeRecord(ctx, TablePlaces, p.ID, create, ifVersion, func(tx *Store) (SaveResult, error) {
		if p.Country != "" {
			if _, err := tx.FindVersion(ctx, TablePlaces, p.Country); err == ErrNotFound || p.Country == p.ID {
				v.Add("/country", "no other place has the id %q", p.Country)
			} else if err != nil {
				return Unchanged, err
			}
		}
		if err := tx.checkNames(ctx, p.ID, "", p.Name, p.Aliases, v); err != nil {
			return Unchanged, err
		}
		if err := v.Err(); err != nil {
			return Unchanged, err
		}
		return tx.SavePlace(ctx, p)
	})
}

// WriteSource creates or updates a source, like WriteActor.
func (s *Store) WriteSource(ctx context.Context, src Source, create bool, ifVersion int64) (int64, error) {
	v := &ValidationError{In: InBody}
	checkSlug(v, "/id", src.ID)
	checkText(v, "/title", src.Title, true)
	if err := v.Err(); err != nil {
		return 0, err
	}
	return s.writeRecord(ctx, TableSources, src.ID, create, ifVersion, func(tx *Store) (SaveResult, error) {
		return tx.SaveSource(ctx, src)
	})
}

// FindSourceByID returns one source. Errors: ErrNotFound.
func (s *Store) FindSourceByID(ctx context.Context, id string) (Source, error) {
	var rows []struct {
		ID, Title, Author, Publisher, Note string
		URL                                string `gorm:"column:url"`
		Published                          Date
	}
	if err := s.db.WithContext(ctx).Raw("SELECT id, title, author, publisher, note, url, published FROM sources WHERE id = ?", id).
		Scan(&rows).Error; err != nil {
		return Source{}, translate(err)
	}
	if len(rows) == 0 {
		return Source{}, ErrNotFound
	}
	r := rows[0]
	return Source{ID: r.ID, Title: r.Title, Author: r.Author, Publisher: r.Publisher, Note: r.Note, URL: r.URL, Published: r.Published}, nil
}

// WriteTimeline creates or updates a timeline, like WriteActor. Its
// sources must exist.
func (s *Store) WriteTimeline(ctx context.Context, t Timeline, create bool, ifVersion int64) (int64, error) {
	v := &ValidationError{In: InBody}
	checkSlug(v, "/id", t.ID)
	checkText(v, "/title", t.Title, true)
	checkText(v, "/description", t.Description, false)
	if err := v.Err(); err != nil {
		return 0, err
	}
	return s.writeRecord(ctx, TableTimelines, t.ID, create, ifVersion, func(tx *Store) (SaveResult, error) {
		for i, src := range t.Sources {
			found, err := tx.FindSourceByID(ctx, src.ID)
			if err == ErrNotFound {
				v.Add(pointer("/sources", i, ""), "no source has the id %q", src.ID)
				continue
			} else if err != nil {
				return Unchanged, err
			}
			t.Sources[i] = found
		}
		if err := v.Err(); err != nil {
			return Unchanged, err
		}
		return tx.SaveTimeline(ctx, t)
	})
}

// DeleteTimeline deletes a timeline at version ifVersion that holds no
// live events. Its retracted events keep their ids and revisions. Errors:
// ErrNotFound; a *StaleError; ErrConflict while it holds events.
func (s *Store) DeleteTimeline(ctx context.Context, id string, ifVersion int64) error {
	_, err := s.writeRecord(ctx, TableTimelines, id, false, ifVersion, func(tx *Store) (SaveResult, error) {
		db := tx.db.WithContext(ctx)
		var n int64
		if err := db.Raw("SELECT count(*) FROM events WHERE timeline_id = ?", id).Scan(&n).Error; err != nil {
			return Unchanged, err
		}
		if n > 0 {
			return Unchanged, Errorf(ErrConflict, "the timeline %q holds %d events; retract them first", id, n)
		}
		if err := db.Exec("DELETE FROM timelines WHERE id = ?", id).Error; err != nil {
			return Unchanged, err
		}
		if err := tx.recordTimelineDeletion(ctx, id, ifVersion+1, time.Now().UTC()); err != nil {
			return Unchanged, err
		}
		return Updated, nil
	})
	return err
}
