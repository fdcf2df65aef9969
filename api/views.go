package api

import (
	"time"

	"github.com/csto-timeline/timeline/models"
)

// The JSON shapes of the API. They are kept apart from the domain types so
// that the wire format changes only on purpose; openapi.yaml describes them.

type eventJSON struct {
	ID            string           `json:"id"`
	Timeline      string           `json:"timeline"`
	Title         string           `json:"title"`
	Summary       string           `json:"summary"`
	StartDate     string           `json:"start_date"`
	EndDate       string           `json:"end_date"`
	DatePrecision string           `json:"date_precision"`
	Approximate   bool             `json:"approximate"`
	DisplayDate   string           `json:"display_date"`
	EDTF          string           `json:"edtf"`
	Type          string           `json:"type"`
	Status        string           `json:"status"`
	Actors        []eventActorJSON `json:"actors"`
	Places        []placeJSON      `json:"places"`
	Tags          []string         `json:"tags"`
	Sources       []citationJSON   `json:"sources"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

type eventActorJSON struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Aliases []string `json:"aliases"`
	Role    string   `json:"role"`
}

type placeJSON struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	Country *string `json:"country"`
}

// publicationJSON is what a source says about its own publication. A field
// the source does not give is null (never ""), and outside_fields names the
// fields the editors filled in from elsewhere.
type publicationJSON struct {
	Title              string   `json:"title"`
	Author             string   `json:"author"`
	AuthorAffiliations []string `json:"author_affiliations"`
	Publisher          *string  `json:"publisher"`
	Issue              *string  `json:"issue"`
	PublishedDate      *string  `json:"published_date"`
	URL                *string  `json:"url"`
	OutsideFields      []string `json:"outside_fields"`
}

func newPublicationJSON(s models.Source) publicationJSON {
	return publicationJSON{Title: s.Title, Author: s.Author, AuthorAffiliations: nonNilList(s.AuthorAffiliations),
		Publisher: optional(s.Publisher), Issue: optional(s.Issue), PublishedDate: optional(s.Published.String()),
		URL: optional(s.URL), OutsideFields: nonNilList(s.OutsideFields)}
}

type citationJSON struct {
	SourceID string `json:"source_id"`
	publicationJSON
	Quote string `json:"quote"`
	Note  string `json:"note"`
}

type sourceJSON struct {
	ID string `json:"id"`
	publicationJSON
	Note string `json:"note"`
}

type timelineJSON struct {
	ID          string       `json:"id"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	EventCount  int          `json:"event_count"`
	StartDate   *string      `json:"start_date"`
	EndDate     *string      `json:"end_date"`
	Sources     []sourceJSON `json:"sources"`
}

type listLinks struct {
	Self string `json:"self"`
}

// pageLinks are the links of a paged list; next is null on the last page.
type pageLinks struct {
	Self string  `json:"self"`
	Next *string `json:"next"`
}

func newEventJSON(e models.Event) eventJSON {
	out := eventJSON{
		ID: e.ID, Timeline: e.Timeline, Title: e.Title, Summary: e.Summary,
		StartDate: e.Span.Start.String(), EndDate: e.Span.End.String(), DatePrecision: string(e.Span.Precision),
		Approximate: e.Span.Approximate, DisplayDate: e.DisplayDate, EDTF: e.Span.EDTF,
		Type: e.Type, Status: e.Status, Tags: e.Tags, UpdatedAt: e.UpdatedAt,
		Actors: make([]eventActorJSON, len(e.Actors)), Places: make([]placeJSON, len(e.Places)),
		Sources: make([]citationJSON, len(e.Citations)),
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	for i, a := range e.Actors {
		aliases := a.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		out.Actors[i] = eventActorJSON{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: aliases, Role: a.Role}
	}
	for i, p := range e.Places {
		out.Places[i] = placeJSON{ID: p.ID, Name: p.Name, Kind: p.Kind, Country: optional(p.Country)}
	}
	for i, c := range e.Citations {
		out.Sources[i] = citationJSON{SourceID: c.Source.ID, publicationJSON: newPublicationJSON(c.Source),
			Quote: c.Quote, Note: c.Note}
	}
	return out
}

func newTimelineJSON(t models.Timeline) timelineJSON {
	out := timelineJSON{ID: t.ID, Title: t.Title, Description: t.Description, EventCount: t.EventCount,
		StartDate: optional(t.StartDate.String()), EndDate: optional(t.EndDate.String()),
		Sources: make([]sourceJSON, len(t.Sources))}
	for i, s := range t.Sources {
		out.Sources[i] = sourceJSON{ID: s.ID, publicationJSON: newPublicationJSON(s), Note: s.Note}
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNilList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
