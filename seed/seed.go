// Package seed holds the curated timeline data, embedded in the binary, and
// its idempotent loader: loading twice changes nothing, editing an event in
// the file and loading again updates it, and events missing from the file
// are reported, never deleted.
package seed

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/csto-timeline/timeline/models"
)

// CSTO is the curated dataset for the CSTO article.
//
//go:embed csto.yaml
var CSTO []byte

// sourceTexts holds the full text of sources, named <source id>.txt, so
// that every quote can be checked against the document it cites. Each is
// the normalized prose (models.NormalizeSourceText) of the original beside
// it, <source id>.md, as the source arrived.
//
//go:embed sources/*.txt
var sourceTexts embed.FS

// SourceText returns the normalized full text of a source, if the seed
// ships it.
func SourceText(id string) (string, bool) {
	b, err := sourceTexts.ReadFile("sources/" + id + ".txt")
	return string(b), err == nil
}

// File is the reviewable seed format.
type File struct {
	Timeline struct {
		ID          string   `yaml:"id"`
		Title       string   `yaml:"title"`
		Description string   `yaml:"description"`
		Sources     []string `yaml:"sources"`
	} `yaml:"timeline"`
	Sources []struct {
		ID                 string   `yaml:"id"`
		Title              string   `yaml:"title"`
		Author             string   `yaml:"author"`
		AuthorAffiliations []string `yaml:"author_affiliations"`
		Publisher          string   `yaml:"publisher"`
		Issue              string   `yaml:"issue"`
		Published          string   `yaml:"published"`
		URL                string   `yaml:"url"`
		OutsideFields      []string `yaml:"outside_fields"`
		Note               string   `yaml:"note"`
	} `yaml:"sources"`
	// Tags is the declared tag vocabulary: every tag an event uses is here.
	Tags []struct {
		ID          string `yaml:"id"`
		Description string `yaml:"description"`
	} `yaml:"tags"`
	Actors []struct {
		ID      string   `yaml:"id"`
		Name    string   `yaml:"name"`
		Kind    string   `yaml:"kind"`
		Aliases []string `yaml:"aliases"`
	} `yaml:"actors"`
	Places []struct {
		ID      string   `yaml:"id"`
		Name    string   `yaml:"name"`
		Kind    string   `yaml:"kind"`
		Country string   `yaml:"country"`
		Aliases []string `yaml:"aliases"`
	} `yaml:"places"`
	Events []FileEvent `yaml:"events"`
}

// FileEvent is one event as written in the seed file. Its date is an EDTF
// string from which start, end, precision and display date are derived.
type FileEvent struct {
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	Summary     string `yaml:"summary"`
	Date        string `yaml:"date"`
	DisplayDate string `yaml:"display_date"`
	Type        string `yaml:"type"`
	Status      string `yaml:"status"`
	Actors      []struct {
		ID   string `yaml:"id"`
		Role string `yaml:"role"`
	} `yaml:"actors"`
	Places  []string `yaml:"places"`
	Tags    []string `yaml:"tags"`
	Sources []struct {
		Source string `yaml:"source"`
		Quote  string `yaml:"quote"`
		Note   string `yaml:"note"`
	} `yaml:"sources"`
}

// Parse decodes a seed file strictly: unknown keys are errors.
func Parse(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return &f, nil
}

// Report says what a load did.
type Report struct {
	Created, Updated, Unchanged int
	// Orphans are events of the timeline that are in the database but not in
	// the file. The loader leaves them in place: removing an event is a
	// deliberate act, not a side effect of editing the file.
	Orphans []string
}

// Load writes the seed file into the store in one transaction: all of it
// lands or none of it does. Its events take the store's one write path,
// checked by the editorial rules against the tag vocabulary this file
// declares (see File.editorial), like every write through the API.
func Load(ctx context.Context, store *models.Store, data []byte) (Report, error) {
	f, err := Parse(data)
	if err != nil {
		return Report{}, err
	}
	events, err := f.events()
	if err != nil {
		return Report{}, err
	}
	if err := f.check(events); err != nil {
		return Report{}, err
	}
	var rep Report
	count := func(r models.SaveResult) {
		switch r {
		case models.Created:
			rep.Created++
		case models.Updated:
			rep.Updated++
		default:
			rep.Unchanged++
		}
	}
	err = store.WithEditorial(f.editorial()).InTx(ctx, func(tx *models.Store) error {
		// Two seeds at once (two processes starting on one database)
		// take turns: the second finds the first's rows.
		if err := tx.LockExclusive(ctx); err != nil {
			return err
		}
		sources, err := f.sources()
		if err != nil {
			return err
		}
		for _, fs := range f.Sources {
			src := sources[fs.ID]
			r, err := tx.SaveSource(ctx, src)
			if err != nil {
				return fmt.Errorf("source %s: %w", src.ID, err)
			}
			count(r)
		}
		for _, a := range f.Actors {
			r, err := tx.SaveActor(ctx, models.Actor{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: a.Aliases})
			if err != nil {
				return fmt.Errorf("actor %s: %w", a.ID, err)
			}
			count(r)
		}
		// Countries first: cities and regions refer to them.
		places := append(f.Places[:0:0], f.Places...)
		sort.SliceStable(places, func(i, j int) bool { return places[i].Country == "" && places[j].Country != "" })
		for _, p := range places {
			r, err := tx.SavePlace(ctx, models.Place{ID: p.ID, Name: p.Name, Kind: p.Kind, Country: p.Country, Aliases: p.Aliases})
			if err != nil {
				return fmt.Errorf("place %s: %w", p.ID, err)
			}
			count(r)
		}
		tl := models.Timeline{ID: f.Timeline.ID, Title: f.Timeline.Title, Description: f.Timeline.Description}
		for _, id := range f.Timeline.Sources {
			src, ok := sources[id]
			if !ok {
				return fmt.Errorf("timeline %s: unknown source %q", tl.ID, id)
			}
			tl.Sources = append(tl.Sources, src)
		}
		r, err := tx.SaveTimeline(ctx, tl)
		if err != nil {
			return fmt.Errorf("timeline %s: %w", tl.ID, err)
		}
		count(r)
		inFile := map[string]bool{}
		for _, e := range events {
			inFile[e.ID] = true
			for i := range e.Citations {
				src, ok := sources[e.Citations[i].Source.ID]
				if !ok {
					return fmt.Errorf("event %s: unknown source %q", e.ID, e.Citations[i].Source.ID)
				}
				e.Citations[i].Source = src
			}
			r, err := tx.SaveEvent(ctx, e)
			if err != nil {
				return fmt.Errorf("event %s: %w", e.ID, err)
			}
			count(r)
		}
		ids, err := tx.EventIDs(ctx, tl.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !inFile[id] {
				rep.Orphans = append(rep.Orphans, id)
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}

// events converts the file's events, checking ids and dates.
func (f *File) events() ([]models.Event, error) {
	seen := map[string]bool{}
	out := make([]models.Event, 0, len(f.Events))
	for _, fe := range f.Events {
		if seen[fe.ID] {
			return nil, fmt.Errorf("event %s: duplicate id", fe.ID)
		}
		seen[fe.ID] = true
		span, err := models.ParseEDTF(fe.Date)
		if err != nil {
			return nil, fmt.Errorf("event %s: date: %w", fe.ID, err)
		}
		display := fe.DisplayDate
		if display == "" {
			display = span.Display()
		}
		e := models.Event{ID: fe.ID, Timeline: f.Timeline.ID, Title: fe.Title, Summary: fe.Summary, Span: span,
			DisplayDate: display, Type: fe.Type, Status: fe.Status, Tags: fe.Tags}
		for _, a := range fe.Actors {
			e.Actors = append(e.Actors, models.EventActor{Actor: models.Actor{ID: a.ID}, Role: a.Role})
		}
		for _, p := range fe.Places {
			e.Places = append(e.Places, models.Place{ID: p})
		}
		for _, s := range fe.Sources {
			e.Citations = append(e.Citations, models.Citation{Source: models.Source{ID: s.Source}, Quote: s.Quote, Note: s.Note})
		}
		out = append(out, e)
	}
	return out, nil
}
