package models

// EventDoc is an event as an editor writes it: the date as EDTF (from which
// the server derives the span), and linked records by id, with what it
// takes to create one that does not exist yet. Revisions store it, a PATCH
// is merged into it, and a PUT of a revision's document restores that
// revision.
type EventDoc struct {
	ID          string        `json:"id"`
	Timeline    string        `json:"timeline"`
	Title       string        `json:"title"`
	Summary     string        `json:"summary"`
	Date        string        `json:"date"`
	DisplayDate string        `json:"display_date,omitempty"`
	Type        string        `json:"type"`
	Status      string        `json:"status"`
	Actors      []ActorRef    `json:"actors"`
	Places      []PlaceRef    `json:"places"`
	Tags        []string      `json:"tags"`
	Sources     []CitationDoc `json:"sources"`
}

// ActorRef links an actor to an event with its role. Name, Kind and
// Aliases are read only when the actor does not exist: they create it.
type ActorRef struct {
	ID      string   `json:"id"`
	Role    string   `json:"role"`
	Name    string   `json:"name,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
}

// PlaceRef links a place to an event. Name, Kind, Country and Aliases are
// read only when the place does not exist: they create it.
type PlaceRef struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Country string   `json:"country,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
}

// CitationDoc cites a source with the exact quote that supports the event.
// Title and the fields after it are read only when the source does not
// exist: they create it.
type CitationDoc struct {
	SourceID      string `json:"source_id"`
	Quote         string `json:"quote"`
	Note          string `json:"note,omitempty"`
	Title         string `json:"title,omitempty"`
	Author        string `json:"author,omitempty"`
	Publisher     string `json:"publisher,omitempty"`
	PublishedDate string `json:"published_date,omitempty"`
	URL           string `json:"url,omitempty"`
}

// DocOf returns the document that writes e. Its display date is left out
// when it is the one the EDTF date gives anyway, so that changing the date
// of the document changes the display too.
func DocOf(e Event) EventDoc {
	d := EventDoc{ID: e.ID, Timeline: e.Timeline, Title: e.Title, Summary: e.Summary, Date: e.Span.EDTF,
		Type: e.Type, Status: e.Status, Actors: []ActorRef{}, Places: []PlaceRef{}, Tags: append([]string{}, e.Tags...),
		Sources: []CitationDoc{}}
	if e.DisplayDate != e.Span.Display() {
		d.DisplayDate = e.DisplayDate
	}
	for _, a := range e.Actors {
		d.Actors = append(d.Actors, ActorRef{ID: a.ID, Role: a.Role})
	}
	for _, p := range e.Places {
		d.Places = append(d.Places, PlaceRef{ID: p.ID})
	}
	for _, c := range e.Citations {
		d.Sources = append(d.Sources, CitationDoc{SourceID: c.Source.ID, Quote: c.Quote, Note: c.Note})
	}
	return d
}

// Event derives the event d describes: its span from the EDTF date, with
// the parser the seed uses, and its display date unless d gives one. It
// checks every rule an event obeys and returns a *ValidationError naming
// each bad field by its JSON Pointer. Whether linked records exist is the
// store's to check.
func (d EventDoc) Event() (Event, error) {
	v := &ValidationError{In: InBody}
	e := Event{ID: d.ID, Timeline: d.Timeline, Title: d.Title, Summary: d.Summary, DisplayDate: d.DisplayDate,
		Type: d.Type, Status: d.Status, Tags: d.Tags}
	if span, err := ParseEDTF(d.Date); err != nil {
		v.Add("/date", "%v", err)
	} else {
		e.Span = span
		if e.DisplayDate == "" {
			e.DisplayDate = span.Display()
		}
	}
	for _, a := range d.Actors {
		e.Actors = append(e.Actors, EventActor{Actor: Actor{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: a.Aliases}, Role: a.Role})
	}
	for _, p := range d.Places {
		e.Places = append(e.Places, Place(p))
	}
	for i, c := range d.Sources {
		src := Source{ID: c.SourceID, Title: c.Title, Author: c.Author, Publisher: c.Publisher, URL: c.URL}
		if c.PublishedDate != "" {
			p, err := ParseDate(c.PublishedDate)
			if err != nil {
				v.Add(pointer("/sources", i, "published_date"), "%q is not a date (YYYY-MM-DD)", c.PublishedDate)
			}
			src.Published = p
		}
		e.Citations = append(e.Citations, Citation{Source: src, Quote: c.Quote, Note: c.Note})
	}
	e.validate(v, d.Date != "" && len(v.Fields) == 0)
	return e, v.Err()
}
