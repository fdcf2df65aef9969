package models

import (
	"context"
)

// CatalogFilter selects and pages actors, places or tags, in id order.
type CatalogFilter struct {
	// Kinds keeps actors or places of any of these kinds; tags have none.
	Kinds []string
	// After continues the listing after this id (keyset paging).
	After string
	// Limit is the page size; the store reads one more to know if a next
	// page exists.
	Limit int
}

// Usage says in how many events an actor, place or tag appears, and the
// period they cover: the earliest start_date and the latest end_date, zero
// when there are no events.
type Usage struct {
	EventCount int
	StartDate  Date
	EndDate    Date
}

// ActorUsage is an actor with its usage.
type ActorUsage struct {
	Actor
	Usage
}

// PlaceUsage is a place with its usage.
type PlaceUsage struct {
	Place
	Usage
}

// TagUsage is a tag with its usage.
type TagUsage struct {
	Tag string
	Usage
}

type catalogRow struct {
	ID         string  `gorm:"column:id"`
	Name       string  `gorm:"column:name"`
	Kind       string  `gorm:"column:kind"`
	CountryID  *string `gorm:"column:country_id"`
	EventCount int     `gorm:"column:event_count"`
	StartDate  Date    `gorm:"column:start_date"`
	EndDate    Date    `gorm:"column:end_date"`
}

func (r catalogRow) usage() Usage {
	return Usage{EventCount: r.EventCount, StartDate: r.StartDate, EndDate: r.EndDate}
}

// catalogLimit returns f's page size, 50 when unset.
func catalogLimit(f CatalogFilter) int {
	if f.Limit <= 0 {
		return 50
	}
	return f.Limit
}

// usageColumns is the SQL of the usage of the entity whose key is col (a
// constant) in link table links, keyed by owner, counted as kind: the kept
// count (see counts_store.go), then one probe each of the (owner,
// start_date) and (owner, end_date) indexes. It costs O(log n) a row,
// whatever the entity's number of events.
func usageColumns(kind, links, owner, col string) string {
	return linkCount(kind, col) + " AS event_count, " +
		"(SELECT min(l.start_date) FROM " + links + " l WHERE l." + owner + " = " + col + ") AS start_date, " +
		"(SELECT max(l.end_date) FROM " + links + " l WHERE l." + owner + " = " + col + ") AS end_date"
}

// findCatalog reads one page of actors or places (t.entities, a constant)
// with their usage: the page is chosen on the (kind, id) or primary key
// index first, then each row's usage is read from the kept counts and the
// link indexes.
func (s *Store) findCatalog(ctx context.Context, t nameTable, kind, columns string, f CatalogFilter, id string) ([]catalogRow, bool, error) {
	w := &sqlWhere{}
	if id != "" {
		w.add("x.id = ?", id)
	}
	if len(f.Kinds) > 0 {
		w.add("x.kind IN ?", f.Kinds)
	}
	if f.After != "" {
		w.add("x.id > ?", f.After)
	}
	limit := catalogLimit(f)
	query := "SELECT " + columns + ", " + usageColumns(kind, t.links, t.linkOwner, "x.id") +
		" FROM (SELECT * FROM " + t.entities + " x WHERE " + w.String() + " ORDER BY x.id LIMIT ?) x ORDER BY x.id"
	var rows []catalogRow
	if err := s.db.WithContext(ctx).Raw(query, append(w.args, limit+1)...).Scan(&rows).Error; err != nil {
		return nil, false, translate(err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	return rows, more, nil
}

// FindActors returns one page of actors in id order, with their aliases
// and usage, and whether more follow.
func (s *Store) FindActors(ctx context.Context, f CatalogFilter) ([]ActorUsage, bool, error) {
	return s.findActors(ctx, f, "")
}

// FindActorByID returns one actor with its aliases and usage, or
// ErrNotFound.
func (s *Store) FindActorByID(ctx context.Context, id string) (ActorUsage, error) {
	actors, _, err := s.findActors(ctx, CatalogFilter{Limit: 1}, id)
	if err != nil {
		return ActorUsage{}, err
	}
	if len(actors) == 0 {
		return ActorUsage{}, ErrNotFound
	}
	return actors[0], nil
}

func (s *Store) findActors(ctx context.Context, f CatalogFilter, id string) ([]ActorUsage, bool, error) {
	rows, more, err := s.findCatalog(ctx, actorNames, "actor", "x.id, x.name, x.kind", f, id)
	if err != nil {
		return nil, false, err
	}
	aliases, err := s.aliases(ctx, "actor_aliases", "actor_id", catalogIDs(rows))
	if err != nil {
		return nil, false, err
	}
	out := make([]ActorUsage, len(rows))
	for i, r := range rows {
		out[i] = ActorUsage{Actor: Actor{ID: r.ID, Name: r.Name, Kind: r.Kind, Aliases: nonNil(aliases[r.ID])}, Usage: r.usage()}
	}
	return out, more, nil
}

// FindPlaces returns one page of places in id order, with their aliases
// and usage, and whether more follow.
func (s *Store) FindPlaces(ctx context.Context, f CatalogFilter) ([]PlaceUsage, bool, error) {
	return s.findPlaces(ctx, f, "")
}

// FindPlaceByID returns one place with its aliases and usage, or
// ErrNotFound.
func (s *Store) FindPlaceByID(ctx context.Context, id string) (PlaceUsage, error) {
	places, _, err := s.findPlaces(ctx, CatalogFilter{Limit: 1}, id)
	if err != nil {
		return PlaceUsage{}, err
	}
	if len(places) == 0 {
		return PlaceUsage{}, ErrNotFound
	}
	return places[0], nil
}

func (s *Store) findPlaces(ctx context.Context, f CatalogFilter, id string) ([]PlaceUsage, bool, error) {
	rows, more, err := s.findCatalog(ctx, placeNames, "place", "x.id, x.name, x.kind, x.country_id", f, id)
	if err != nil {
		return nil, false, err
	}
	aliases, err := s.aliases(ctx, "place_aliases", "place_id", catalogIDs(rows))
	if err != nil {
		return nil, false, err
	}
	out := make([]PlaceUsage, len(rows))
	for i, r := range rows {
		p := Place{ID: r.ID, Name: r.Name, Kind: r.Kind, Aliases: nonNil(aliases[r.ID])}
		if r.CountryID != nil {
			p.Country = *r.CountryID
		}
		out[i] = PlaceUsage{Place: p, Usage: r.usage()}
	}
	return out, more, nil
}

// FindTags returns one page of the tags in use, in order, with their usage,
// and whether more follow. f.Kinds is ignored. The page's tags are found
// by skipping through the (tag, start_date, event_id) index, one descent a
// tag: O(limit), however many events each tag has.
func (s *Store) FindTags(ctx context.Context, f CatalogFilter) ([]TagUsage, bool, error) {
	limit := catalogLimit(f)
	var rows []catalogRow
	err := s.db.WithContext(ctx).Raw("WITH RECURSIVE t(tag) AS ("+
		"SELECT (SELECT min(tag) FROM event_tags WHERE tag > ?) "+
		"UNION ALL SELECT (SELECT min(et.tag) FROM event_tags et WHERE et.tag > t.tag) FROM t WHERE t.tag IS NOT NULL) "+
		"SELECT p.tag AS id, "+usageColumns("tag", "event_tags", "tag", "p.tag")+
		" FROM (SELECT tag FROM t WHERE tag IS NOT NULL LIMIT ?) p ORDER BY p.tag", f.After, limit+1).Scan(&rows).Error
	if err != nil {
		return nil, false, translate(err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]TagUsage, len(rows))
	for i, r := range rows {
		out[i] = TagUsage{Tag: r.ID, Usage: r.usage()}
	}
	return out, more, nil
}

func catalogIDs(rows []catalogRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}
