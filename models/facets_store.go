package models

import (
	"context"
	"database/sql"
	"sort"

	"gorm.io/gorm"
)

// FacetCount is how many matching events have one value of a facet. Name
// is the display name of an actor or place, empty for other facets.
type FacetCount struct {
	Value string `gorm:"column:value"`
	Name  string `gorm:"column:name"`
	Count int    `gorm:"column:count"`
}

// Facets counts the events matching a filter by each of their dimensions,
// for drawing filter chips. Every count is over the events that match the
// whole filter, the facet's own dimension included.
type Facets struct {
	// Events is the number of matching events.
	Events int
	// Years counts as CountEventsByYear does: an event in every year it
	// overlaps (or, with Within, the one year that holds it).
	Years []YearCount
	// Types, Statuses, Actors, Places and Tags list every value that at
	// least one matching event has, most frequent first, then by value.
	Types, Statuses, Actors, Places, Tags []FacetCount
}

// facetQueries are the per-value counts, each the SELECT list, joins and
// GROUP BY of one facet over events e; constants.
var facetQueries = []struct{ name, selectJoin, group string }{
	{"type", "SELECT e.type AS value, '' AS name, count(*) AS count FROM events e", "e.type"},
	{"status", "SELECT e.status AS value, '' AS name, count(*) AS count FROM events e", "e.status"},
	{"actor", "SELECT a.id AS value, a.name AS name, count(*) AS count FROM events e " +
		"JOIN event_actors fa ON fa.event_id = e.id JOIN actors a ON a.id = fa.actor_id", "a.id, a.name"},
	{"place", "SELECT p.id AS value, p.name AS name, count(*) AS count FROM events e " +
		"JOIN event_places fp ON fp.event_id = e.id JOIN places p ON p.id = fp.place_id", "p.id, p.name"},
	{"tag", "SELECT ft.tag AS value, '' AS name, count(*) AS count FROM events e " +
		"JOIN event_tags ft ON ft.event_id = e.id", "ft.tag"},
}

// CountFacets counts the events matching f by year, type, status, actor,
// place and tag, all in one snapshot so that the counts agree with each
// other. Paging and sorting fields of f are ignored.
func (s *Store) CountFacets(ctx context.Context, f EventFilter) (Facets, error) {
	f.After, f.Relevance, f.Descending = nil, false, false
	f, err := s.resolveNames(ctx, f)
	if err != nil {
		return Facets{}, err
	}
	opts := &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	if s.dialect == DialectSQLite {
		opts = nil // one SQLite transaction is already a snapshot under WAL
	}
	var out Facets
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ts := &Store{db: tx, dialect: s.dialect}
		years, total, err := ts.CountEventsByYear(ctx, f)
		if err != nil {
			return err
		}
		out.Events, out.Years = total, years
		for _, q := range facetQueries {
			w := ts.where(f)
			ts.indexHint(w, f)
			counts := []FacetCount{}
			if err := tx.Raw(q.selectJoin+" WHERE "+w.String()+" GROUP BY "+q.group, w.args...).
				Scan(&counts).Error; err != nil {
				return ts.searchError(err)
			}
			sort.Slice(counts, func(i, j int) bool {
				if counts[i].Count != counts[j].Count {
					return counts[i].Count > counts[j].Count
				}
				return counts[i].Value < counts[j].Value
			})
			switch q.name {
			case "type":
				out.Types = counts
			case "status":
				out.Statuses = counts
			case "actor":
				out.Actors = counts
			case "place":
				out.Places = counts
			default:
				out.Tags = counts
			}
		}
		return nil
	}, opts)
	if err != nil {
		return Facets{}, translate(err)
	}
	return out, nil
}
