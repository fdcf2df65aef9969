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
// from the database, or from known when it has them (an import reads them
// once per batch); a place or source the write creates (not yet stored)
// is taken as the write describes it. A quote is checked verbatim only
// against a source whose text is known (Editorial.SourceText, read once
// per batch with known); the other rules hold for every source.
func (s *Store) checkEditorial(ctx context.Context, e Event, v *ValidationError, known *knownLinks) error {
	var placeIDs, sourceIDs []string
	for _, p := range e.Places {
		placeIDs = append(placeIDs, p.ID)
	}
	for _, c := range e.Citations {
		sourceIDs = append(sourceIDs, c.Source.ID)
	}
	names, published, err := known.editorial(ctx, s, placeIDs, sourceIDs)
	if err != nil {
		return err
	}
	ed := Editorial{Tags: s.editorial.Tags, SourceText: known.sourceText(s.editorial.SourceText),
		PlaceNames: map[string][]string{}}
	for _, p := range e.Places {
		if n, stored := names[p.ID]; stored {
			ed.PlaceNames[p.ID] = n
		} else {
			ed.PlaceNames[p.ID] = append([]string{p.Name}, p.Aliases...)
		}
	}
	if len(sourceIDs) > 0 {
		e.Citations = slices.Clone(e.Citations) // the caller's stay as written
		for i, c := range e.Citations {
			if d, stored := published[c.Source.ID]; stored {
				e.Citations[i].Source.Published = d
			}
		}
	}
	ed.check(e, v)
	return nil
}

// readEditorial returns the names (name, then aliases) of those of the
// places placeIDs that are stored, and the publication dates (zero when
// none) of those of the sources sourceIDs that are.
func (s *Store) readEditorial(ctx context.Context, placeIDs, sourceIDs []string) (map[string][]string, map[string]Date, error) {
	names, published := map[string][]string{}, map[string]Date{}
	db := s.db.WithContext(ctx)
	if len(placeIDs) > 0 {
		cond, arg := s.idsIn("id", placeIDs)
		var rows []struct{ ID, Name string }
		if err := db.Raw("SELECT id, name FROM places WHERE "+cond, arg).Scan(&rows).Error; err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			names[r.ID] = append(names[r.ID], r.Name)
		}
		cond, arg = s.idsIn("place_id", placeIDs)
		var aliases []struct{ PlaceID, Alias string }
		if err := db.Raw("SELECT place_id, alias FROM place_aliases WHERE "+cond+" ORDER BY place_id, position", arg).
			Scan(&aliases).Error; err != nil {
			return nil, nil, err
		}
		for _, a := range aliases {
			names[a.PlaceID] = append(names[a.PlaceID], a.Alias)
		}
	}
	if len(sourceIDs) > 0 {
		var rows []struct {
			ID        string
			Published Date
		}
		cond, arg := s.idsIn("id", sourceIDs)
		if err := db.Raw("SELECT id, published FROM sources WHERE "+cond, arg).Scan(&rows).Error; err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			published[r.ID] = r.Published
		}
	}
	return names, published, nil
}
