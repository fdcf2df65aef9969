package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// SaveResult says what a Save method did.
type SaveResult int

// Save outcomes.
const (
	Unchanged SaveResult = iota
	Created
	Updated
)

// contentHash fingerprints a record so that saving identical content is a
// no-op that leaves updated_at (and the API's ETags) alone.
func contentHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("contentHash: %v", err)) // only plain structs reach here
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// existingHash returns the stored content hash of id in table, and whether
// the row exists. table is a constant chosen by the caller.
func (s *Store) existingHash(ctx context.Context, table, id string) (string, bool, error) {
	var hashes []string
	if err := s.db.WithContext(ctx).Raw("SELECT content_hash FROM "+table+" WHERE id = ?", id).
		Scan(&hashes).Error; err != nil {
		return "", false, translate(err)
	}
	if len(hashes) == 0 {
		return "", false, nil
	}
	return hashes[0], true, nil
}

// upsert inserts or updates one row of table (a constant) when its content
// hash differs, running children afterwards to rewrite dependent rows.
//
// Called outside a transaction (a Save method used on its own), it runs
// as a write transaction of its own. Its statements would otherwise
// commit one by one: a failure half-way would keep half a change, and the
// reads between them (the search text's relations) would see the dataset
// version before the write's bump, under which the relation catalogs
// (relation_catalog.go) still hold the old names, or, with replicas, a
// replica that has not replayed the statements just written.
func (s *Store) upsert(ctx context.Context, table, id string, record any, cols []string, vals []any,
	children func(db *Store) error) (SaveResult, error) {
	if s.depth == 0 {
		var res SaveResult
		err := s.writeTx(ctx, func(tx *Store, _ time.Time) error {
			var err error
			if res, err = tx.upsert(ctx, table, id, record, cols, vals, children); err == nil && res == Unchanged {
				return errUnchanged
			}
			return err
		})
		if errors.Is(err, errUnchanged) {
			return Unchanged, nil
		}
		return res, err
	}
	hash := contentHash(record)
	old, exists, err := s.existingHash(ctx, table, id)
	if err != nil {
		return Unchanged, err
	}
	if exists && old == hash {
		return Unchanged, nil
	}
	now := time.Now().UTC()
	db := s.db.WithContext(ctx)
	result := Updated
	if !exists {
		result = Created
		q := "INSERT INTO " + table + " (id, content_hash, updated_at"
		args := []any{id, hash, now}
		ph := "?, ?, ?"
		for i, c := range cols {
			q += ", " + c
			ph += ", ?"
			args = append(args, vals[i])
		}
		if err := db.Exec(q+") VALUES ("+ph+")", args...).Error; err != nil {
			return Unchanged, translate(err)
		}
	} else {
		q := "UPDATE " + table + " SET content_hash = ?, updated_at = ?, version = version + 1"
		args := []any{hash, now}
		for i, c := range cols {
			q += ", " + c + " = ?"
			args = append(args, vals[i])
		}
		if err := db.Exec(q+" WHERE id = ?", append(args, id)...).Error; err != nil {
			return Unchanged, translate(err)
		}
	}
	if children != nil {
		if err := children(s); err != nil {
			return Unchanged, translate(err)
		}
	}
	if err := s.bumpVersion(ctx, now); err != nil {
		return Unchanged, err
	}
	if err := s.recordRecordChange(ctx, table, id, result, record, now); err != nil {
		return Unchanged, translate(err)
	}
	return result, nil
}

// bumpVersion marks the dataset as changed, in the caller's transaction.
// Each version gets a later second than the one before (now, or one
// second past the previous version's when that is later), so that
// Last-Modified, which has one-second resolution, moves whenever the
// version does: two writes in one second never share a date.
// Within one transaction (InTx) only the first write moves the date: its
// writes become visible together, as one change.
func (s *Store) bumpVersion(ctx context.Context, now time.Time) error {
	db := s.db.WithContext(ctx)
	if s.bumped != nil && *s.bumped {
		return translate(db.Exec("UPDATE dataset_state SET version = version + 1 WHERE id = 1").Error)
	}
	var prev time.Time
	if err := db.Raw("SELECT updated_at FROM dataset_state WHERE id = 1" + s.sql.forUpdate()).Scan(&prev).Error; err != nil {
		return translate(err)
	}
	if floor := prev.UTC().Truncate(time.Second).Add(time.Second); now.Before(floor) {
		now = floor
	}
	if err := db.Exec("UPDATE dataset_state SET version = version + 1, updated_at = ? WHERE id = 1", now).Error; err != nil {
		return translate(err)
	}
	if s.bumped != nil {
		*s.bumped = true
	}
	return nil
}

func (s *Store) replaceAliases(ctx context.Context, table, column, id string, aliases []string) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec("DELETE FROM "+table+" WHERE "+column+" = ?", id).Error; err != nil {
		return err
	}
	for i, a := range aliases {
		if err := db.Exec("INSERT INTO "+table+" ("+column+", alias, position) VALUES (?, ?, ?)", id, a, i).Error; err != nil {
			return err
		}
	}
	return nil
}

// SaveSource creates or updates a source.
func (s *Store) SaveSource(ctx context.Context, src Source) (SaveResult, error) {
	if !ValidSlug(src.ID) || src.Title == "" {
		return Unchanged, Invalid("source", "%q needs a valid id and a title", src.ID)
	}
	if err := CheckSource(src); err != nil {
		return Unchanged, err
	}
	var published any
	if !src.Published.IsZero() {
		published = src.Published
	}
	return s.upsert(ctx, "sources", src.ID, src,
		[]string{"title", "author", "author_affiliations", "publisher", "issue", "published", "url", "outside_fields", "note"},
		[]any{src.Title, src.Author, jsonList(src.AuthorAffiliations), src.Publisher, src.Issue, published, src.URL,
			jsonList(src.OutsideFields), src.Note}, nil)
}

// SaveActor creates or updates an actor, its other names and the names it
// answers to in filters, and refreshes the search text of its events.
func (s *Store) SaveActor(ctx context.Context, a Actor) (SaveResult, error) {
	if !ValidSlug(a.ID) || a.Name == "" || !slices.Contains(ActorKinds, a.Kind) {
		return Unchanged, Invalid("actor", "%q needs a valid id, a name and a kind in %v", a.ID, ActorKinds)
	}
	return s.upsert(ctx, "actors", a.ID, a, []string{"name", "kind"}, []any{a.Name, a.Kind},
		func(tx *Store) error {
			if err := tx.replaceAliases(ctx, "actor_aliases", "actor_id", a.ID, a.Aliases); err != nil {
				return err
			}
			if err := tx.replaceNames(ctx, actorNames, a.ID, append([]string{a.Name}, a.Aliases...)); err != nil {
				return err
			}
			if err := tx.refreshLinkedSearchText(ctx, actorNames, a.ID); err != nil {
				return err
			}
			return tx.bumpLinkedEvents(ctx, actorNames, a.ID)
		})
}

// SavePlace creates or updates a place, its other names and the names it
// answers to in filters, and refreshes the search text of its events. A
// place's country must be saved before it.
func (s *Store) SavePlace(ctx context.Context, p Place) (SaveResult, error) {
	if !ValidSlug(p.ID) || p.Name == "" || !slices.Contains(PlaceKinds, p.Kind) {
		return Unchanged, Invalid("place", "%q needs a valid id, a name and a kind in %v", p.ID, PlaceKinds)
	}
	var country any
	if p.Country != "" {
		country = p.Country
	}
	return s.upsert(ctx, "places", p.ID, p, []string{"name", "kind", "country_id"}, []any{p.Name, p.Kind, country},
		func(tx *Store) error {
			if err := tx.replaceAliases(ctx, "place_aliases", "place_id", p.ID, p.Aliases); err != nil {
				return err
			}
			if err := tx.replaceNames(ctx, placeNames, p.ID, append([]string{p.Name}, p.Aliases...)); err != nil {
				return err
			}
			if err := tx.refreshLinkedSearchText(ctx, placeNames, p.ID); err != nil {
				return err
			}
			return tx.bumpLinkedEvents(ctx, placeNames, p.ID)
		})
}

// SaveTimeline creates or updates a timeline and the list of its sources.
func (s *Store) SaveTimeline(ctx context.Context, t Timeline) (SaveResult, error) {
	if !ValidSlug(t.ID) || t.Title == "" {
		return Unchanged, Invalid("timeline", "%q needs a valid id and a title", t.ID)
	}
	sourceIDs := make([]string, len(t.Sources))
	for i, src := range t.Sources {
		sourceIDs[i] = src.ID
	}
	record := struct {
		ID, Title, Description string
		Sources                []string
	}{t.ID, t.Title, t.Description, sourceIDs}
	return s.upsert(ctx, "timelines", t.ID, record, []string{"title", "description"}, []any{t.Title, t.Description},
		func(tx *Store) error {
			db := tx.db.WithContext(ctx)
			if err := db.Exec("DELETE FROM timeline_sources WHERE timeline_id = ?", t.ID).Error; err != nil {
				return err
			}
			for i, id := range sourceIDs {
				if err := db.Exec("INSERT INTO timeline_sources (timeline_id, source_id, position) VALUES (?, ?, ?)",
					t.ID, id, i).Error; err != nil {
					return err
				}
			}
			return nil
		})
}

func (s *Store) replaceEventLinks(ctx context.Context, e Event) error {
	db := s.db.WithContext(ctx)
	for _, table := range []string{"event_actors", "event_places", "event_tags", "citations"} {
		if err := db.Exec("DELETE FROM "+table+" WHERE event_id = ?", e.ID).Error; err != nil {
			return err
		}
	}
	for i, a := range e.Actors {
		if err := db.Exec("INSERT INTO event_actors (event_id, actor_id, role, position) VALUES (?, ?, ?, ?)",
			e.ID, a.ID, a.Role, i).Error; err != nil {
			return fmt.Errorf("event %s, actor %s: %w", e.ID, a.ID, err)
		}
	}
	for i, p := range e.Places {
		if err := db.Exec("INSERT INTO event_places (event_id, place_id, position) VALUES (?, ?, ?)",
			e.ID, p.ID, i).Error; err != nil {
			return fmt.Errorf("event %s, place %s: %w", e.ID, p.ID, err)
		}
	}
	for i, tag := range e.Tags {
		if err := db.Exec("INSERT INTO event_tags (event_id, tag, position) VALUES (?, ?, ?)", e.ID, tag, i).Error; err != nil {
			return fmt.Errorf("event %s, tag %s: %w", e.ID, tag, err)
		}
	}
	for i, c := range e.Citations {
		if err := db.Exec("INSERT INTO citations (event_id, position, source_id, quote, note) VALUES (?, ?, ?, ?, ?)",
			e.ID, i, c.Source.ID, c.Quote, c.Note).Error; err != nil {
			return fmt.Errorf("event %s, source %s: %w", e.ID, c.Source.ID, err)
		}
	}
	return nil
}

// EventIDs returns the ids of a timeline's events, in id order.
func (s *Store) EventIDs(ctx context.Context, timeline string) ([]string, error) {
	ids := []string{}
	err := s.db.WithContext(ctx).Raw("SELECT id FROM events WHERE timeline_id = ? ORDER BY id", timeline).Scan(&ids).Error
	return ids, translate(err)
}
