package models

import (
	"context"
	"slices"
	"strings"
	"time"
)

// knownLinks holds which timelines, actors, places and sources exist, read
// for many events at once (an import's batch) so that resolveLinks asks
// the database once per batch instead of once per event. A nil
// *knownLinks asks each time.
type knownLinks struct {
	// tables maps a table to the ids looked up in it, true for those that
	// exist.
	tables map[string]map[string]bool
	// placeNames and published are what the editorial rules read of the
	// places and sources in tables that exist: each place's name and
	// aliases, each source's publication date (see readEditorial).
	placeNames map[string][]string
	published  map[string]Date
	// texts holds the source texts read (Editorial.SourceText), by id.
	texts map[string]sourceText
}

type sourceText struct {
	text  string
	known bool
}

// linkTables are the tables an event links to.
var linkTables = []string{"timelines", "actors", "places", "sources"}

// prefetchLinks reads which of the records that events link to exist.
func (s *Store) prefetchLinks(ctx context.Context, docs []EventDoc) (*knownLinks, error) {
	ids := map[string][]string{}
	for _, d := range docs {
		ids["timelines"] = append(ids["timelines"], d.Timeline)
		for _, a := range d.Actors {
			ids["actors"] = append(ids["actors"], a.ID)
		}
		for _, p := range d.Places {
			ids["places"] = append(ids["places"], p.ID, p.Country)
		}
		for _, c := range d.Sources {
			ids["sources"] = append(ids["sources"], c.SourceID)
		}
	}
	k := &knownLinks{tables: map[string]map[string]bool{}}
	for _, table := range linkTables {
		found, err := s.existingIDs(ctx, table, dedupeIDs(ids[table]))
		if err != nil {
			return nil, err
		}
		for _, id := range ids[table] {
			if !found[id] {
				found[id] = false // looked up: known not to exist
			}
		}
		k.tables[table] = found
	}
	var places, sources []string
	for id, ok := range k.tables["places"] {
		if ok {
			places = append(places, id)
		}
	}
	for id, ok := range k.tables["sources"] {
		if ok {
			sources = append(sources, id)
		}
	}
	var err error
	if k.placeNames, k.published, err = s.readEditorial(ctx, places, sources); err != nil {
		return nil, err
	}
	k.texts = map[string]sourceText{}
	return k, nil
}

// editorial returns readEditorial's answer for placeIDs and sourceIDs:
// from k when it has looked them all up, else from the database.
func (k *knownLinks) editorial(ctx context.Context, s *Store, placeIDs, sourceIDs []string) (map[string][]string, map[string]Date, error) {
	if k != nil && k.looked("places", placeIDs) && k.looked("sources", sourceIDs) {
		return k.placeNames, k.published, nil
	}
	return s.readEditorial(ctx, placeIDs, sourceIDs)
}

// looked reports whether k has looked up every one of ids in table.
func (k *knownLinks) looked(table string, ids []string) bool {
	for _, id := range ids {
		if _, ok := k.tables[table][id]; !ok {
			return false
		}
	}
	return true
}

// sourceText returns text, reading each source's text once for k.
func (k *knownLinks) sourceText(text func(id string) (string, bool)) func(id string) (string, bool) {
	if k == nil || text == nil {
		return text
	}
	return func(id string) (string, bool) {
		t, ok := k.texts[id]
		if !ok {
			t.text, t.known = text(id)
			k.texts[id] = t
		}
		return t.text, t.known
	}
}

// existingIDs returns which of ids are in table (a constant).
func (s *Store) existingIDs(ctx context.Context, table string, ids []string) (map[string]bool, error) {
	m := map[string]bool{}
	if len(ids) == 0 {
		return m, nil
	}
	found := []string{}
	cond, arg := s.idsIn("id", ids)
	if err := s.db.WithContext(ctx).Raw("SELECT id FROM "+table+" WHERE "+cond, arg).Scan(&found).Error; err != nil {
		return nil, err
	}
	for _, id := range found {
		m[id] = true
	}
	return m, nil
}

// existing returns which of ids are in table: from k when it has looked
// them all up, else from the database. The map is the caller's own.
func (k *knownLinks) existing(ctx context.Context, s *Store, table string, ids []string) (map[string]bool, error) {
	if k != nil {
		m := map[string]bool{}
		all := true
		for _, id := range ids {
			exists, known := k.tables[table][id]
			all = all && known
			m[id] = exists
		}
		if all {
			return m, nil
		}
	}
	return s.existingIDs(ctx, table, ids)
}

// created notes that resolveLinks has created id in table.
func (k *knownLinks) created(table, id string) {
	if k != nil {
		k.tables[table][id] = true
	}
}

// resolveLinks checks that what event e links to exists, or can be created
// from what the write says of it, and creates it: an unknown actor, place
// or source with a name (a title for a source) is created, one without is
// an error naming its field. known, when not nil, says what exists (see
// knownLinks). Errors about the write go to v; the returned error is the
// database's.
func (s *Store) resolveLinks(ctx context.Context, e *Event, v *ValidationError, known *knownLinks) error {
	if ValidSlug(e.Timeline) {
		timelines, err := known.existing(ctx, s, "timelines", []string{e.Timeline})
		if err != nil {
			return err
		}
		if !timelines[e.Timeline] {
			v.Add("/timeline", "no timeline has the id %q", e.Timeline)
		}
	}
	existing := func(table string, ids []string) (map[string]bool, error) {
		return known.existing(ctx, s, table, ids)
	}
	// claim checks the names of the actors and places this write creates
	// against each other, as checkNames checks them against the database
	// (which holds none of them yet): a name or alias, or an id, that one
	// new record takes cannot name another.
	claimed := map[string]string{}
	claim := func(id, at, name string, aliases []string) {
		take := func(field, n string) {
			key := NameKey(n)
			if key == "" {
				return
			}
			if other, ok := claimed[key]; ok && other != id {
				v.Add(field, "%q also names %q, which this write creates; names and aliases are unique", n, other)
				return
			}
			claimed[key] = id
		}
		take(at+"/id", id)
		take(at+"/name", name)
		for i, a := range aliases {
			take(pointer(at+"/aliases", i, ""), a)
		}
	}
	var ids []string
	for _, a := range e.Actors {
		ids = append(ids, a.ID)
	}
	actors, err := existing("actors", ids)
	if err != nil {
		return err
	}
	var newActors []Actor
	for i, a := range e.Actors {
		if actors[a.ID] || !ValidSlug(a.ID) {
			continue
		}
		if strings.TrimSpace(a.Name) == "" {
			v.Add(pointer("/actors", i, "id"), "no actor has the id %q; give its name and kind to create it", a.ID)
			continue
		}
		if !slices.Contains(ActorKinds, a.Kind) {
			v.Add(pointer("/actors", i, "kind"), "to create actor %q, give a kind: one of %s", a.ID, strings.Join(ActorKinds, ", "))
		}
		s.checkNotTag(v, pointer("/actors", i, "id"), a.ID)
		if err := s.checkNames(ctx, a.ID, pointer("/actors", i, ""), a.Name, a.Aliases, v); err != nil {
			return err
		}
		claim(a.ID, pointer("/actors", i, ""), a.Name, a.Aliases)
		newActors = append(newActors, a.Actor)
		actors[a.ID] = true
	}
	ids = ids[:0]
	for _, p := range e.Places {
		ids = append(ids, p.ID, p.Country)
	}
	places, err := existing("places", ids)
	if err != nil {
		return err
	}
	var newPlaces []Place
	for i, p := range e.Places {
		if places[p.ID] || !ValidSlug(p.ID) {
			continue
		}
		if strings.TrimSpace(p.Name) == "" {
			v.Add(pointer("/places", i, "id"), "no place has the id %q; give its name and kind to create it", p.ID)
			continue
		}
		if !slices.Contains(PlaceKinds, p.Kind) {
			v.Add(pointer("/places", i, "kind"), "to create place %q, give a kind: one of %s", p.ID, strings.Join(PlaceKinds, ", "))
		}
		s.checkNotTag(v, pointer("/places", i, "id"), p.ID)
		if p.Country != "" && !places[p.Country] {
			v.Add(pointer("/places", i, "country"), "no place has the id %q", p.Country)
		}
		if err := s.checkNames(ctx, p.ID, pointer("/places", i, ""), p.Name, p.Aliases, v); err != nil {
			return err
		}
		claim(p.ID, pointer("/places", i, ""), p.Name, p.Aliases)
		newPlaces = append(newPlaces, p)
		places[p.ID] = true
	}
	ids = ids[:0]
	for _, c := range e.Citations {
		ids = append(ids, c.Source.ID)
	}
	sources, err := existing("sources", ids)
	if err != nil {
		return err
	}
	var newSources []Source
	for i, c := range e.Citations {
		if sources[c.Source.ID] || !ValidSlug(c.Source.ID) {
			continue
		}
		if strings.TrimSpace(c.Source.Title) == "" {
			v.Add(pointer("/sources", i, "source_id"), "no source has the id %q; give its title to create it", c.Source.ID)
			continue
		}
		newSources = append(newSources, c.Source)
		sources[c.Source.ID] = true
	}
	if len(v.Fields) > 0 {
		return nil
	}
	for _, a := range newActors {
		if _, err := s.SaveActor(ctx, a); err != nil {
			return err
		}
		known.created("actors", a.ID)
	}
	for _, p := range newPlaces {
		if _, err := s.SavePlace(ctx, p); err != nil {
			return err
		}
		known.created("places", p.ID)
		if known != nil {
			known.placeNames[p.ID] = append([]string{p.Name}, p.Aliases...)
		}
	}
	for _, src := range newSources {
		if _, err := s.SaveSource(ctx, src); err != nil {
			return err
		}
		known.created("sources", src.ID)
		if known != nil {
			known.published[src.ID] = src.Published
		}
	}
	return nil
}

// checkNames adds to v each of name and aliases that already names an
// actor or a place with another id than id: names and aliases are unique
// across both catalogs (an actor and a place with one id, such as the state
// and the country Russia, are one entity), as CheckNames requires of a seed
// file, so that a name means one thing and a filter by it finds one
// record. at is the JSON Pointer of the record.
func (s *Store) checkNames(ctx context.Context, id, at, name string, aliases []string, v *ValidationError) error {
	check := func(field, n string) error {
		key := NameKey(n)
		if key == "" {
			return nil
		}
		for _, t := range []nameTable{actorNames, placeNames} {
			var owners []string
			if err := s.db.WithContext(ctx).Raw("SELECT "+t.owner+" FROM "+t.names+" WHERE name_key = ? AND "+t.owner+" <> ?",
				key, id).Scan(&owners).Error; err != nil {
				return err
			}
			if len(owners) > 0 {
				v.Add(field, "%q already names %s %q; names and aliases are unique", n, strings.TrimSuffix(t.entities, "s"), owners[0])
				return nil
			}
		}
		return nil
	}
	if err := check(at+"/name", name); err != nil {
		return err
	}
	for i, a := range aliases {
		if err := check(pointer(at+"/aliases", i, ""), a); err != nil {
			return err
		}
	}
	return nil
}

// checkNotTag adds to v the id of a new actor or place that is a tag of the
// declared vocabulary: a tag names a topic and never repeats an actor or a
// place id (seed/EDITORIAL.md, rule 8), as CheckVocabulary requires of a
// seed file, so that there are never two ways to ask for one thing.
func (s *Store) checkNotTag(v *ValidationError, field, id string) {
	if slices.Contains(s.editorial.Tags, id) {
		v.Add(field, "%q is a tag of the declared vocabulary; an actor or place id never repeats a tag", id)
	}
}

// bumpLinkedEvents moves the version and the time of change of every event
// that shows actor or place id: an event's representation embeds their
// names, so its validators must move when they do.
func (s *Store) bumpLinkedEvents(ctx context.Context, t nameTable, id string) error {
	return s.db.WithContext(ctx).Exec("UPDATE events SET version = version + 1, updated_at = ? WHERE id IN (SELECT event_id FROM "+
		t.links+" WHERE "+t.linkOwner+" = ?)", time.Now().UTC(), id).Error
}
