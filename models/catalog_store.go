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

// findCatalog reads one page of actors or places (t.entities, a constant)
// with their usage: the page is chosen on the (kind, id) or primary key
// index first, then only its rows are joined to their events.
func (s *Store) findCatalog(ctx context.Context, t nameTable, columns string, f CatalogFilter, id string) ([]catalogRow, bool, error) {
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
	query := "SELECT " + columns + ", count(e.id) AS event_count, min(e.start_date) AS start_date, " +
		"max(e.end_date) AS end_date FROM (SELECT * FROM " + t.entities + " x WHERE " + w.String() +
		" ORDER BY x.id LIMIT ?) x LEFT JOIN " + t.links + " l ON l." + t.linkOwner + " = x.id " +
		"LEFT JOIN events e ON e.id = l.event_id GROUP BY " + columns + " ORDER BY x.id"
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
	rows, more, err := s.findCatalog(ctx, actorNames, "x.id, x.name, x.kind", f, id)
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
	rows, more, err := s.findCatalog(ctx, placeNames, "x.id, x.name, x.kind, x.country_id", f, id)
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
// and whether more follow. f.Kinds is ignored.
func (s *Store) FindTags(ctx context.Context, f CatalogFilter) ([]TagUsage, bool, error) {
	w := &sqlWhere{}
	if f.After != "" {
		w.add("et.tag > ?", f.After)
	}
	limit := catalogLimit(f)
	var rows []catalogRow
	err := s.db.WithContext(ctx).Raw("SELECT et.tag AS id, count(*) AS event_count, min(e.start_date) AS start_date, "+
		"max(e.end_date) AS end_date FROM event_tags et JOIN events e ON e.id = et.event_id WHERE "+w.String()+
		" GROUP BY et.tag ORDER BY et.tag LIMIT ?", append(w.args, limit+1)...).Scan(&rows).Error
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
