package models

import (
	"context"
	"slices"
	"strings"
)

// NameKey folds a name the way actor_names and place_names store it: lower
// case, inner runs of space made one space, trimmed. The folding is done
// here rather than in SQL because SQLite's lower() and PostgreSQL's under
// the C locale leave Cyrillic alone, and ОДКБ must find the CSTO.
func NameKey(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// nameKeys returns the distinct keys of names, in order, without empties.
func nameKeys(names ...string) []string {
	var keys []string
	for _, n := range names {
		if k := NameKey(n); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// nameTable describes where the names of actors or places live. Its fields
// are constants, never user input.
type nameTable struct {
	names, owner, entities, links, linkOwner string
}

var (
	actorNames = nameTable{names: "actor_names", owner: "actor_id", entities: "actors", links: "event_actors", linkOwner: "actor_id"}
	placeNames = nameTable{names: "place_names", owner: "place_id", entities: "places", links: "event_places", linkOwner: "place_id"}
)

// replaceNames makes id answer to exactly its id, name and aliases.
func (s *Store) replaceNames(ctx context.Context, t nameTable, id string, names []string) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec("DELETE FROM "+t.names+" WHERE "+t.owner+" = ?", id).Error; err != nil {
		return err
	}
	for _, k := range nameKeys(append([]string{id}, names...)...) {
		if err := db.Exec("INSERT INTO "+t.names+" (name_key, "+t.owner+") VALUES (?, ?)", k, id).Error; err != nil {
			return err
		}
	}
	return nil
}

// lookupNames returns the ids of the actors or places that answer to any of
// values, by id or by name, case-insensitively. Ids are also looked up in
// the entity table itself, so that rows written without the store (bulk
// loads) are still found by id.
func (s *Store) lookupNames(ctx context.Context, t nameTable, values []string) ([]string, error) {
	keys := nameKeys(values...)
	ids := []string{}
	err := s.db.WithContext(ctx).Raw("SELECT "+t.owner+" AS id FROM "+t.names+" WHERE name_key IN ? UNION "+
		"SELECT id FROM "+t.entities+" WHERE id IN ? ORDER BY 1", keys, keys).Scan(&ids).Error
	return ids, translate(err)
}

// NamedIDs returns, for each of values that answers to an actor (kind
// "actor") or a place (kind "place"), by id, name or alias, the ids it
// answers to: what the filter actor=values or place=values matches.
func (s *Store) NamedIDs(ctx context.Context, kind string, values []string) (map[string][]string, error) {
	t := actorNames
	if kind == "place" {
		t = placeNames
	}
	keys := nameKeys(values...)
	if len(keys) == 0 {
		return map[string][]string{}, nil
	}
	var rows []struct{ Key, ID string }
	err := s.db.WithContext(ctx).Raw("SELECT name_key AS key, "+t.owner+" AS id FROM "+t.names+" WHERE name_key IN ? UNION "+
		"SELECT id, id FROM "+t.entities+" WHERE id IN ? ORDER BY 1, 2", keys, keys).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := map[string][]string{}
	for _, v := range values {
		k := NameKey(v)
		for _, r := range rows {
			if r.Key == k && !slices.Contains(out[v], r.ID) {
				out[v] = append(out[v], r.ID)
			}
		}
	}
	return out, nil
}

// nameCondition is the SQL condition "the event links to an actor (or
// place) answering to one of these names" when the names were not resolved
// to ids beforehand.
func nameCondition(t nameTable, values []string) (string, []any) {
	keys := nameKeys(values...)
	return "e.id IN (SELECT l.event_id FROM " + t.links + " l WHERE l." + t.linkOwner + " IN (" +
		"SELECT n." + t.owner + " FROM " + t.names + " n WHERE n.name_key IN ? UNION " +
		"SELECT x.id FROM " + t.entities + " x WHERE x.id IN ?))", []any{keys, keys}
}

// resolveNames turns the actor and place names of f into ids, so that the
// event queries filter on literal ids: the planner then knows how common
// each one is. A name that answers to nothing leaves an empty list, which
// matches no event.
func (s *Store) resolveNames(ctx context.Context, f EventFilter) (EventFilter, error) {
	if f.resolved {
		return f, nil
	}
	var err error
	if len(f.Actors) > 0 {
		if f.actorIDs, err = s.lookupNames(ctx, actorNames, f.Actors); err != nil {
			return f, err
		}
	}
	if len(f.Places) > 0 {
		if f.placeIDs, err = s.lookupNames(ctx, placeNames, f.Places); err != nil {
			return f, err
		}
	}
	f.resolved = true
	return f, nil
}

// aliases returns the other names of the given actors or places, in order.
// table and column are constants chosen by the caller, never user input.
func (s *Store) aliases(ctx context.Context, table, column string, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ Owner, Alias string }
	err := s.db.WithContext(ctx).Raw("SELECT "+column+" AS owner, alias FROM "+table+
		" WHERE "+column+" IN ? ORDER BY "+column+", position", ids).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.Alias)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
