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
// The summary of each is the same count over the whole dataset, from the
// counts that migration 0011 keeps (see counts_store.go).
var facetQueries = []struct{ name, selectJoin, group, summary string }{
	{"type", "SELECT e.type AS value, '' AS name, count(*) AS count FROM events e", "e.type", valueCounts("type")},
	{"status", "SELECT e.status AS value, '' AS name, count(*) AS count FROM events e", "e.status", valueCounts("status")},
	{"actor", "SELECT a.id AS value, a.name AS name, count(*) AS count FROM events e " +
		"JOIN event_actors fa ON fa.event_id = e.id JOIN actors a ON a.id = fa.actor_id", "a.id, a.name",
		"SELECT a.id AS value, a.name AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf("actor") +
			" JOIN actors a ON a.id = u.key GROUP BY a.id, a.name HAVING SUM(u.n) > 0"},
	{"place", "SELECT p.id AS value, p.name AS name, count(*) AS count FROM events e " +
		"JOIN event_places fp ON fp.event_id = e.id JOIN places p ON p.id = fp.place_id", "p.id, p.name",
		"SELECT p.id AS value, p.name AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf("place") +
			" JOIN places p ON p.id = u.key GROUP BY p.id, p.name HAVING SUM(u.n) > 0"},
	{"tag", "SELECT ft.tag AS value, '' AS name, count(*) AS count FROM events e " +
		"JOIN event_tags ft ON ft.event_id = e.id", "ft.tag",
		"SELECT u.key AS value, '' AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf("tag") +
			" GROUP BY u.key HAVING SUM(u.n) > 0"},
}

// valueCounts counts all events by one of their fields (a constant kind
// of link_counts), with the pending deltas.
func valueCounts(kind string) string {
	return "SELECT u.key AS value, '' AS name, CAST(SUM(u.n) AS BIGINT) AS count FROM " + linkCountsOf(kind) +
		" GROUP BY u.key HAVING SUM(u.n) > 0"
}

// linkCountsOf is the link counts of one kind (a constant) with the
// pending deltas, as a subquery u of (key, n).
func linkCountsOf(kind string) string {
	return "(SELECT key, n FROM link_counts WHERE kind = '" + kind + "' UNION ALL " +
		"SELECT key, n FROM link_count_deltas WHERE kind = '" + kind + "') u"
}

// unfilteredFacets reports whether f selects every event, so that the
// facets are the kept counts.
func unfilteredFacets(f EventFilter) bool {
	return summarized(f) && len(f.Timelines) == 0 && len(f.Types) == 0 && len(f.Statuses) == 0 &&
		len(f.Years) == 0 && f.From.IsZero() && f.To.IsZero()
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
		unfiltered := unfilteredFacets(f)
		for _, q := range facetQueries {
			counts := []FacetCount{}
			if unfiltered {
				// The whole dataset: the kept counts, O(values).
				if err := tx.Raw(q.summary).Scan(&counts).Error; err != nil {
					return err
				}
			} else {
				w := ts.where(f)
				ts.indexHint(w, f)
				if err := tx.Raw(q.selectJoin+" WHERE "+w.String()+" GROUP BY "+q.group, w.args...).
					Scan(&counts).Error; err != nil {
					return ts.searchError(err)
				}
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
