package models

import (
	"context"
	"encoding/json"
)

// maxExportCatalog bounds each map of a exportCatalog: a batch that would
// take one past it starts the map afresh, so an export of a catalog far
// larger than usual reads its entries again, batch by batch, instead of
// holding them all.
const maxExportCatalog = 50_000

// exportCatalog holds the actors (with their aliases), places and sources
// an export has read, by id, all from the export's snapshot.
type exportCatalog struct {
	actors  map[string]Actor
	places  map[string]Place
	sources map[string]Source
}

func newExportCatalog() *exportCatalog {
	return &exportCatalog{actors: map[string]Actor{}, places: map[string]Place{}, sources: map[string]Source{}}
}

// missing returns the ids of the batch that m lacks, once each; when they
// would take m past maxExportCatalog, it empties m and returns every id.
func missing[V any](m map[string]V, ids func(yield func(string) bool)) (map[string]V, []string) {
	var out []string
	seen := map[string]bool{}
	for id := range ids {
		if _, ok := m[id]; !ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(m)+len(out) <= maxExportCatalog {
		return m, out
	}
	m, out = map[string]V{}, out[:0]
	clear(seen)
	for id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return m, out
}

// fill replaces the bare ids in the links of e by the cached actors,
// places and sources, and reports whether the cache held them all (if
// not, e is left as it was).
func (c *exportCatalog) fill(e *Event) bool {
	for _, a := range e.Actors {
		if _, ok := c.actors[a.ID]; !ok {
			return false
		}
	}
	for _, p := range e.Places {
		if _, ok := c.places[p.ID]; !ok {
			return false
		}
	}
	for _, ci := range e.Citations {
		if _, ok := c.sources[ci.Source.ID]; !ok {
			return false
		}
	}
	for j := range e.Actors {
		e.Actors[j].Actor = c.actors[e.Actors[j].ID]
	}
	for j := range e.Places {
		e.Places[j] = c.places[e.Places[j].ID]
	}
	for j := range e.Citations {
		e.Citations[j].Source = c.sources[e.Citations[j].Source.ID]
	}
	return true
}

// fillCatalog replaces the bare ids in the links of events (as exportBatch
// leaves them) by the full actors, places and sources, reading from the
// database only those the cache lacks.
func (s *Store) fillCatalog(ctx context.Context, cat *exportCatalog, events []Event) error {
	var actorIDs, placeIDs, sourceIDs []string
	cat.actors, actorIDs = missing(cat.actors, func(yield func(string) bool) {
		for i := range events {
			for _, a := range events[i].Actors {
				if !yield(a.ID) {
					return
				}
			}
		}
	})
	cat.places, placeIDs = missing(cat.places, func(yield func(string) bool) {
		for i := range events {
			for _, p := range events[i].Places {
				if !yield(p.ID) {
					return
				}
			}
		}
	})
	cat.sources, sourceIDs = missing(cat.sources, func(yield func(string) bool) {
		for i := range events {
			for _, c := range events[i].Citations {
				if !yield(c.Source.ID) {
					return
				}
			}
		}
	})
	if err := s.loadCatalog(ctx, cat, actorIDs, placeIDs, sourceIDs); err != nil {
		return err
	}
	for i := range events {
		e := &events[i]
		for j := range e.Actors {
			if a, ok := cat.actors[e.Actors[j].ID]; ok {
				e.Actors[j].Actor = a
			}
		}
		for j := range e.Places {
			if p, ok := cat.places[e.Places[j].ID]; ok {
				e.Places[j] = p
			}
		}
		for j := range e.Citations {
			if so, ok := cat.sources[e.Citations[j].Source.ID]; ok {
				e.Citations[j].Source = so
			}
		}
	}
	return nil
}

// loadCatalog reads the given actors, places and sources into cat, in one
// statement of uniform rows (as readRelations does); with all three nil,
// it reads the whole catalog.
func (s *Store) loadCatalog(ctx context.Context, cat *exportCatalog, actorIDs, placeIDs, sourceIDs []string) error {
	all := actorIDs == nil && placeIDs == nil && sourceIDs == nil
	if !all && len(actorIDs)+len(placeIDs)+len(sourceIDs) == 0 {
		return nil
	}
	ids := map[string][]string{"a.id": actorIDs, "aa.actor_id": actorIDs, "pl.id": placeIDs, "so.id": sourceIDs}
	var args []any
	query := catalogQuery(s.dialect, func(col string) string {
		if all {
			return "TRUE"
		}
		list := ids[col]
		if len(list) == 0 {
			list = []string{""} // an empty IN list is not SQL; no id is the empty string
		}
		args = append(args, list)
		return col + " IN ?"
	})
	rows, err := s.db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	return scanCatalog(rows, cat.actors, cat.places, cat.sources)
}

// unquoteJSON decodes one JSON string literal with escapes.
func unquoteJSON(b []byte) (string, error) {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return "", errBadAggregate
	}
	return v, nil
}
