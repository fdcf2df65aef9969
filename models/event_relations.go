package models

import (
	"context"
)

// loadRelations fills the actors, places, tags and citations of events with
// one query each, whatever the number of events.
func (s *Store) loadRelations(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]string, len(events))
	index := make(map[string]*Event, len(events))
	for i := range events {
		ids[i] = events[i].ID
		index[ids[i]] = &events[i]
		events[i].Actors, events[i].Places, events[i].Tags, events[i].Citations =
			[]EventActor{}, []Place{}, []string{}, []Citation{}
	}
	db := s.db.WithContext(ctx)

	var actors []struct {
		EventID, ID, Name, Kind, Role string
	}
	if err := db.Raw(`SELECT ea.event_id AS event_id, a.id AS id, a.name AS name, a.kind AS kind, ea.role AS role
		FROM event_actors ea JOIN actors a ON a.id = ea.actor_id
		WHERE ea.event_id IN ? ORDER BY ea.event_id, ea.position`, ids).Scan(&actors).Error; err != nil {
		return translate(err)
	}
	actorIDs := make([]string, 0, len(actors))
	for _, a := range actors {
		actorIDs = append(actorIDs, a.ID)
	}
	aliases, err := s.aliases(ctx, "actor_aliases", "actor_id", actorIDs)
	if err != nil {
		return err
	}
	for _, a := range actors {
		e := index[a.EventID]
		e.Actors = append(e.Actors, EventActor{Actor: Actor{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: nonNil(aliases[a.ID])}, Role: a.Role})
	}

	var places []struct {
		EventID, ID, Name, Kind string
		CountryID               *string
	}
	if err := db.Raw(`SELECT ep.event_id AS event_id, p.id AS id, p.name AS name, p.kind AS kind, p.country_id AS country_id
		FROM event_places ep JOIN places p ON p.id = ep.place_id
		WHERE ep.event_id IN ? ORDER BY ep.event_id, ep.position`, ids).Scan(&places).Error; err != nil {
		return translate(err)
	}
	for _, p := range places {
		e := index[p.EventID]
		pl := Place{ID: p.ID, Name: p.Name, Kind: p.Kind}
		if p.CountryID != nil {
			pl.Country = *p.CountryID
		}
		e.Places = append(e.Places, pl)
	}

	var tags []struct{ EventID, Tag string }
	if err := db.Raw(`SELECT event_id, tag FROM event_tags WHERE event_id IN ? ORDER BY event_id, position`, ids).
		Scan(&tags).Error; err != nil {
		return translate(err)
	}
	for _, t := range tags {
		index[t.EventID].Tags = append(index[t.EventID].Tags, t.Tag)
	}

	var cites []struct {
		EventID, Quote, Note string
		Src                  sourceRow `gorm:"embedded"`
	}
	if err := db.Raw(`SELECT c.event_id AS event_id, c.quote AS quote, c.note AS note, `+sourceColumns+`
		FROM citations c JOIN sources s ON s.id = c.source_id
		WHERE c.event_id IN ? ORDER BY c.event_id, c.position`, ids).Scan(&cites).Error; err != nil {
		return translate(err)
	}
	for _, c := range cites {
		e := index[c.EventID]
		e.Citations = append(e.Citations, Citation{Source: c.Src.source(), Quote: c.Quote, Note: c.Note})
	}
	return nil
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
