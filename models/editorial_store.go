package models

import (
	"context"
	"slices"
)

// WithEditorial returns a store that checks the events it writes against
// ed's tag vocabulary and source texts instead of its own: the seed loader
// checks the file it loads against the vocabulary that file declares.
func (s *Store) WithEditorial(ed Editorial) *Store {
	c := *s
	c.editorial = ed
	return &c
}

// checkEditorial adds to v every editorial rule (see Editorial.CheckEvent)
// that e breaks, but the presence of quotes, which validate checks. The
// names of e's places and the publication dates of its sources are read
// from the database; a place or source the write creates (not yet stored)
// is taken as the write describes it. A quote is checked verbatim only
// against a source whose text is known (Editorial.SourceText); the other
// rules hold for every source.
func (s *Store) checkEditorial(ctx context.Context, e Event, v *ValidationError) error {
	ed := Editorial{Tags: s.editorial.Tags, SourceText: s.editorial.SourceText, PlaceNames: map[string][]string{}}
	db := s.db.WithContext(ctx)
	var placeIDs, sourceIDs []string
	for _, p := range e.Places {
		placeIDs = append(placeIDs, p.ID)
	}
	for _, c := range e.Citations {
		sourceIDs = append(sourceIDs, c.Source.ID)
	}
	if len(placeIDs) > 0 {
		var rows []struct{ ID, Name string }
		if err := db.Raw("SELECT id, name FROM places WHERE id IN ?", placeIDs).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			ed.PlaceNames[r.ID] = append(ed.PlaceNames[r.ID], r.Name)
		}
		var aliases []struct{ PlaceID, Alias string }
		if err := db.Raw("SELECT place_id, alias FROM place_aliases WHERE place_id IN ?", placeIDs).
			Scan(&aliases).Error; err != nil {
			return err
		}
		for _, a := range aliases {
			ed.PlaceNames[a.PlaceID] = append(ed.PlaceNames[a.PlaceID], a.Alias)
		}
		for _, p := range e.Places {
			if _, stored := ed.PlaceNames[p.ID]; !stored {
				ed.PlaceNames[p.ID] = append([]string{p.Name}, p.Aliases...)
			}
		}
	}
	if len(sourceIDs) > 0 {
		e.Citations = slices.Clone(e.Citations) // the caller's stay as written
		var rows []struct {
			ID        string
			Published Date
		}
		if err := db.Raw("SELECT id, published FROM sources WHERE id IN ?", sourceIDs).Scan(&rows).Error; err != nil {
			return err
		}
		published := map[string]Date{}
		for _, r := range rows {
			published[r.ID] = r.Published
		}
		for i, c := range e.Citations {
			if d, stored := published[c.Source.ID]; stored {
				e.Citations[i].Source.Published = d
			}
		}
	}
	ed.check(e, v)
	return nil
}
