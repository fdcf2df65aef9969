package models

import (
	"regexp"
	"time"
)

// Vocabularies. They are closed sets: the API rejects values outside them.
var (
	// EventTypes is the documented vocabulary of event types.
	// Each is described in openapi.yaml (EventType) and seed/EDITORIAL.md.
	EventTypes = []string{"summit", "meeting", "exercise", "decision", "statement", "appointment",
		"membership", "conflict", "plan", "report", "reform", "proposal", "operation",
		"orientation", "development", "cooperation", "inaction", "dispute"}
	// EventStatuses says whether an event happened as of its source.
	EventStatuses = []string{StatusOccurred, StatusOngoing, StatusPlanned, StatusNotImplemented}
	// ActorKinds is the vocabulary of actor kinds.
	ActorKinds = []string{"organization", "state", "person", "body"}
	// PlaceKinds is the vocabulary of place kinds.
	PlaceKinds = []string{"city", "country", "region"}
)

// Event statuses.
const (
	StatusOccurred       = "occurred"
	StatusOngoing        = "ongoing"         // begun and not finished, as of the source
	StatusPlanned        = "planned"         // announced for a later date, as of the source
	StatusNotImplemented = "not_implemented" // decided, not carried out as of the source
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,127}$`)

// ValidSlug reports whether s is a valid id: lowercase letters, digits and
// hyphens, starting with a letter or digit, at most 128 characters.
func ValidSlug(s string) bool { return slugPattern.MatchString(s) }

// Timeline is a named collection of events drawn from its sources.
type Timeline struct {
	ID          string
	Title       string
	Description string
	Sources     []Source
	EventCount  int
	StartDate   Date // zero when the timeline has no events
	EndDate     Date
}

// Source is a document that events cite. Its fields say what the source
// says about itself; a field it does not give is empty, and the names of
// fields filled in from elsewhere are listed in OutsideFields.
type Source struct {
	ID                 string
	Title              string
	Author             string
	AuthorAffiliations []string
	Publisher          string
	Issue              string // issue or number of the periodical, as the source prints it
	Published          Date
	URL                string
	Note               string
	// OutsideFields names the fields (such as "publisher") whose values come
	// from outside the source itself, so a citation can say so.
	OutsideFields []string
}

// SourceFields are the names of the Source fields that OutsideFields may list.
var SourceFields = []string{"title", "author", "author_affiliations", "publisher", "issue", "published_date", "url"}

// Actor is an organization, state, person or body that takes part in events.
type Actor struct {
	ID      string
	Name    string
	Kind    string
	Aliases []string
}

// Place is a city, country or region where events happen.
type Place struct {
	ID      string
	Name    string
	Kind    string
	Country string // id of the country place, for cities and regions
	Aliases []string
}

// EventActor is an actor with its role in one event.
type EventActor struct {
	Actor
	Role string
}

// Citation ties an event to a source with the exact quote that supports it.
type Citation struct {
	Source Source
	Quote  string
	Note   string
}

// Event is one dated happening on a timeline.
type Event struct {
	ID          string
	Timeline    string
	Title       string
	Summary     string
	Span        Span
	DisplayDate string
	Type        string
	Status      string
	Actors      []EventActor
	Places      []Place
	Tags        []string
	Citations   []Citation
	UpdatedAt   time.Time
	// Rank is the event's search rank when it was listed by relevance (see
	// EventFilter.Relevance), and 0 otherwise.
	Rank float64
	// RetractedAt is set only on the tombstone of a retracted event, which
	// an export sends with EventFilter.IncludeRetracted: then only ID,
	// Timeline and RetractedAt are filled in.
	RetractedAt time.Time
}

// Key returns the event's position in a listing, the key that continues
// the listing after it.
func (e Event) Key() EventKey {
	rank := e.Rank
	return EventKey{StartDate: e.Span.Start, ID: e.ID, Rank: &rank}
}

// Validate checks the event's own fields and returns a *ValidationError
// naming each bad one by its JSON Pointer in an EventDoc.
func (e *Event) Validate() error {
	v := &ValidationError{In: InBody}
	e.validate(v, true)
	return v.Err()
}
