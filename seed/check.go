package seed

import (
	"fmt"
	"sync"

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

// editorial is what the file's events are checked against when they are
// written: the tag vocabulary it declares and the source texts the seed
// ships. The names of places come from the database (the loader saves
// them before the events).
func (f *File) editorial() models.Editorial {
	ed := models.Editorial{SourceText: SourceText}
	for _, t := range f.Tags {
		ed.Tags = append(ed.Tags, t.ID)
	}
	return ed
}

// Editorial returns the editorial rules of the embedded seed: its declared
// tag vocabulary and the texts of its sources. A store opened with it
// (models.Config.Editorial) checks every event written through the API or
// an import against the same vocabulary and texts as the seed's own events.
func Editorial() models.Editorial {
	return embedded()
}

var embedded = sync.OnceValue(func() models.Editorial {
	f, err := Parse(CSTO)
	if err != nil {
		panic(err) // TestSeed* load the embedded file
	}
	return f.editorial()
})

// check applies the editorial rules (seed/EDITORIAL.md) that concern the
// whole file: the tag vocabulary and the names of the catalog, and that
// every citation names a source of the file. Every event is checked
// against the rest when it is written (models.Editorial.CheckEvent, in the
// store's write path), so that the seed and the API obey one code.
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
	for i, p := range f.Places {
		places[i] = models.Place{ID: p.ID, Name: p.Name, Kind: p.Kind, Aliases: p.Aliases}
	}
	if err := models.CheckVocabulary(f.editorial().Tags, actors, places); err != nil {
		return fmt.Errorf("seed: tag vocabulary: %w", err)
	}
	if err := models.CheckNames(actors, places); err != nil {
		return fmt.Errorf("seed: names: %w", err)
	}
	for _, e := range events {
		for _, c := range e.Citations {
			if _, ok := sources[c.Source.ID]; !ok {
				return fmt.Errorf("event %s: unknown source %q", e.ID, c.Source.ID)
			}
		}
	}
	return nil
}
