package models

import (
	"context"
	"strings"
)

// searchTextBatch bounds the events whose search text is rebuilt per query.
const searchTextBatch = 500

// searchText is what full-text search matches for an event: its title,
// summary, every quote, and every name and alias of its actors and places.
// It is stored lowercased, so that matching never depends on the
// database's locale.
func searchText(e Event, placeAliases map[string][]string) string {
	parts := []string{e.Title, e.Summary}
	for _, c := range e.Citations {
		parts = append(parts, c.Quote)
	}
	for _, a := range e.Actors {
		parts = append(parts, a.Name)
		parts = append(parts, a.Aliases...)
	}
	for _, p := range e.Places {
		parts = append(parts, p.Name)
		parts = append(parts, placeAliases[p.ID]...)
	}
	return strings.ToLower(strings.Join(parts, "\n"))
}

// refreshSearchText rebuilds the search text of the events ids from what
// they link to now. Unchanged text is not rewritten.
func (s *Store) refreshSearchText(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), searchTextBatch)
		if err := s.refreshSearchTextBatch(ctx, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (s *Store) refreshSearchTextBatch(ctx context.Context, ids []string) error {
	// The event and the relations its text names, read as any read is;
	// inside the write's transaction, so not from the relation catalogs.
	events, err := s.readEvents(ctx, "SELECT "+eventColumns+" FROM events e WHERE e.id IN ?", []any{ids}, false,
		fieldActors|fieldPlaces|fieldSources)
	if err != nil {
		return err
	}
	var placeIDs []string
	for _, e := range events {
		for _, p := range e.Places {
			placeIDs = append(placeIDs, p.ID)
		}
	}
	aliases, err := s.aliases(ctx, "place_aliases", "place_id", placeIDs)
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	for _, e := range events {
		text := searchText(e, aliases)
		if err := db.Exec("UPDATE events SET search_text = ? WHERE id = ? AND search_text <> ?", text, e.ID, text).
			Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// refreshLinkedSearchText rebuilds the search text of the events linked to
// the actor or place id, after its names changed.
func (s *Store) refreshLinkedSearchText(ctx context.Context, t nameTable, id string) error {
	ids := []string{}
	if err := s.db.WithContext(ctx).Raw("SELECT event_id FROM "+t.links+" WHERE "+t.linkOwner+" = ? ORDER BY event_id", id).
		Scan(&ids).Error; err != nil {
		return translate(err)
	}
	return s.refreshSearchText(ctx, ids)
}
