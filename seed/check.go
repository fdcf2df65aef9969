package seed

import (
	"fmt"

	"github.com/csto-timeline/timeline/models"
)

// sources converts the file's sources, by id.
func (f *File) sources() (map[string]models.Source, error) {
	out := make(map[string]models.Source, len(f.Sources))
	for _, s := range f.Sources {
		src := models.Source{ID: s.ID, Title: s.Title, Author: s.Author, AuthorAffiliations: s.AuthorAffiliations,
			Publisher: s.Publisher, Issue: s.Issue, URL: s.URL, OutsideFields: s.OutsideFields, Note: s.Note}
		if s.Published != "" {
			d, err := models.ParseDate(s.Published)
			if err != nil {
				return nil, fmt.Errorf("source %s: published: %w", s.ID, err)
			}
			src.Published = d
		}
		if err := models.CheckSource(src); err != nil {
			return nil, fmt.Errorf("source %s: %w", s.ID, err)
		}
		out[s.ID] = src
	}
	return out, nil
}

// check applies the editorial rules (seed/EDITORIAL.md) to the whole file:
// the tag vocabulary and the names of the catalog, then every event against
// its sources' texts and dates. It names the first event that breaks a rule,
// with every rule it breaks.
func (f *File) check(events []models.Event) error {
	sources, err := f.sources()
	if err != nil {
		return err
	}
	actors := make([]models.Actor, len(f.Actors))
	for i, a := range f.Actors {
		actors[i] = models.Actor{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: a.Aliases}
	}
	places := make([]models.Place, len(f.Places))
	ed := models.Editorial{PlaceNames: map[string][]string{}, SourceText: SourceText}
	for i, p := range f.Places {
		places[i] = models.Place{ID: p.ID, Name: p.Name, Kind: p.Kind, Aliases: p.Aliases}
		ed.PlaceNames[p.ID] = append([]string{p.Name}, p.Aliases...)
	}
	for _, t := range f.Tags {
		ed.Tags = append(ed.Tags, t.ID)
	}
	if err := models.CheckVocabulary(ed.Tags, actors, places); err != nil {
		return fmt.Errorf("seed: tag vocabulary: %w", err)
	}
	if err := models.CheckNames(actors, places); err != nil {
		return fmt.Errorf("seed: names: %w", err)
	}
	for _, e := range events {
		for i := range e.Citations {
			src, ok := sources[e.Citations[i].Source.ID]
			if !ok {
				return fmt.Errorf("event %s: unknown source %q", e.ID, e.Citations[i].Source.ID)
			}
			e.Citations[i].Source = src
		}
		if err := ed.CheckEvent(e); err != nil {
			return fmt.Errorf("event %s: %w", e.ID, err)
		}
	}
	return nil
}
