package models

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Editorial holds what the editorial rules (seed/EDITORIAL.md) check an
// event against: the declared tag vocabulary, the names of places and the
// full text of sources. Every write of an event (the seed loader, the API,
// an import) applies it in the store's one write path (putEvent).
type Editorial struct {
	// Tags is the declared tag vocabulary.
	Tags []string
	// PlaceNames maps a place id to every name it answers to (its name and
	// aliases).
	PlaceNames map[string][]string
	// SourceText returns the normalized full text of a source (see
	// NormalizeSourceText), if it is known; quotes must be verbatim in it.
	SourceText func(id string) (string, bool)
}

// CheckEvent checks an event against the editorial rules that can be
// checked mechanically, and returns a *ValidationError naming every rule
// it breaks, each by the JSON Pointer of the field of the event's write
// document (EventDoc) that breaks it. The event's citations must carry
// their sources' publication dates. The rules:
//
//   - every event has at least one citation with a quote, verbatim in the
//     source's text when the text is known, and no Markdown in it;
//   - an event with status occurred does not end after its latest source
//     was published;
//   - each end of the date that no quote gives (neither its year nor, for a
//     month or a day, its month's name appears in a quote) is marked
//     approximate or uncertain in the EDTF, or a citation note names its
//     year, saying where it comes from, before any outside context (a
//     year known only from outside the source never makes a date);
//   - a date marked uncertain ("?") says so in its display date;
//   - every place of the event is named (by its name or an alias) in one of
//     its quotes or notes;
//   - every tag is in the declared vocabulary.
//
// The store's write path (putEvent) runs the same rules on every write,
// after Event.validate, which already requires the quotes.
func (ed Editorial) CheckEvent(e Event) error {
	v := &ValidationError{In: InBody}
	if len(e.Citations) == 0 {
		v.Add("/sources", "every event needs at least one quote")
	}
	for i, c := range e.Citations {
		if strings.TrimSpace(c.Quote) == "" {
			v.Add(pointer("/sources", i, "quote"), "citation %d has no quote", i)
		}
	}
	ed.check(e, v)
	return v.Err()
}

// check adds to v every editorial rule e breaks but the presence of
// quotes.
func (ed Editorial) check(e Event, v *ValidationError) {
	var published Date
	for i, c := range e.Citations {
		if r := MarkdownResidue(c.Quote); r != "" {
			v.Add(pointer("/sources", i, "quote"), "the quote contains Markdown (%q); quote the normalized source text", r)
		}
		if ed.SourceText != nil && strings.TrimSpace(c.Quote) != "" {
			if text, ok := ed.SourceText(c.Source.ID); ok && !strings.Contains(text, c.Quote) {
				v.Add(pointer("/sources", i, "quote"), "the quote %q is not in the text of source %s; quote it verbatim",
					c.Quote, c.Source.ID)
			}
		}
		if published.Before(c.Source.Published) {
			published = c.Source.Published
		}
	}
	if e.Status == StatusOccurred && !published.IsZero() && published.Before(e.Span.End) {
		v.Add("/date", "an occurred event ends on %s, after its source was published (%s); end it at the publication date or change its status",
			e.Span.End, published)
	}
	ed.checkDate(e, v)
	for i, p := range e.Places {
		if !e.names(ed.PlaceNames[p.ID]) {
			v.Add(pointer("/places", i, "id"), "place %q is named in none of the event's quotes or notes (a place is where the event happened, named by the source)", p.ID)
		}
	}
	for i, tag := range e.Tags {
		if ValidSlug(tag) && !slices.Contains(ed.Tags, tag) {
			v.Add(pointer("/tags", i, ""), "%q is not in the declared tag vocabulary", tag)
		}
	}
}

// checkDate checks that each end of the event's date is given by a quote,
// hedged in the EDTF, or explained by a note.
func (ed Editorial) checkDate(e Event, v *ValidationError) {
	uncertain := false
	for _, raw := range strings.Split(e.Span.EDTF, "/") {
		p, err := parsePoint(raw)
		if err != nil {
			continue // Validate reports a bad date
		}
		uncertain = uncertain || p.uncertain
		if p.approximate || p.uncertain || e.quotes(pointWords(p)...) {
			continue
		}
		year := strconv.Itoa(p.start.Year)
		if !e.notedFromSource(year) {
			v.Add("/date", "%q is in no quote: mark it approximate (~) or uncertain (?), or say in a note where %s comes from",
				raw, year)
		}
	}
	if uncertain && !strings.Contains(e.DisplayDate, "?") && !strings.Contains(e.DisplayDate, "probably") {
		v.Add("/display_date", "%q does not say that the date %q is uncertain", e.DisplayDate, e.Span.EDTF)
	}
}

// pointWords are the words of a date any one of which, found in a quote,
// shows that the quote gives the date: the year (or the decade, "1990s"),
// and the month's name for a month or a day.
func pointWords(p point) []string {
	if p.precision == PrecisionDecade {
		return []string{strconv.Itoa(p.start.Year) + "s"}
	}
	words := []string{strconv.Itoa(p.start.Year)}
	if p.precision == PrecisionMonth || p.precision == PrecisionDay {
		words = append(words, p.start.Month.String())
	}
	return words
}

// quotes reports whether any of the words appears in one of e's quotes.
func (e Event) quotes(words ...string) bool {
	for _, c := range e.Citations {
		for _, w := range words {
			if strings.Contains(c.Quote, w) {
				return true
			}
		}
	}
	return false
}

// outsideContext opens the part of a citation note that gives context from
// outside the source ("Outside context (not used in the date): …"), which
// seed/EDITORIAL.md forbids to use in a date.
const outsideContext = "Outside context"

// notedFromSource reports whether s appears in one of e's citation notes
// before its outside context, if any.
func (e Event) notedFromSource(s string) bool {
	for _, c := range e.Citations {
		note, _, _ := strings.Cut(c.Note, outsideContext)
		if strings.Contains(note, s) {
			return true
		}
	}
	return false
}

// names reports whether one of names appears in a quote or a note of e,
// starting a word: Oman is not named by "Romania", while "Russian" still
// names Russia.
func (e Event) names(names []string) bool {
	for _, n := range names {
		if n == "" {
			continue
		}
		for _, c := range e.Citations {
			if startsWord(c.Quote, n) || startsWord(c.Note, n) {
				return true
			}
		}
	}
	return false
}

// startsWord reports whether s occurs in text where no letter or digit
// comes just before it.
func startsWord(text, s string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], s)
		if j < 0 {
			return false
		}
		at := i + j
		if prev, _ := utf8.DecodeLastRuneInString(text[:at]); at == 0 || !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[at:])
		i = at + size
	}
}

// CheckVocabulary checks a tag vocabulary against the catalog: a tag names
// a topic, so it never repeats an event type, an actor id or a place id
// (those have filters of their own), and it is a valid slug.
func CheckVocabulary(tags []string, actors []Actor, places []Place) error {
	v := &ValidationError{}
	reserved := map[string]string{}
	for _, t := range EventTypes {
		reserved[t] = "an event type"
	}
	for _, a := range actors {
		reserved[a.ID] = "an actor"
	}
	for _, p := range places {
		reserved[p.ID] = "a place"
	}
	seen := map[string]bool{}
	for _, tag := range tags {
		switch {
		case !ValidSlug(tag):
			v.Add("tags", "%q is not a valid tag", tag)
		case seen[tag]:
			v.Add("tags", "%q is declared twice", tag)
		case reserved[tag] != "":
			v.Add("tags", "%q is %s; a tag names a topic", tag, reserved[tag])
		}
		seen[tag] = true
	}
	return v.Err()
}

// CheckNames checks that no name or alias (compared case-folded, as
// filters compare them) is shared by two different actors, or two
// different places, or an actor and a place with different ids (an actor
// and a place with the same id, such as the state and the country Russia,
// are one entity).
func CheckNames(actors []Actor, places []Place) error {
	v := &ValidationError{}
	owner := map[string]string{}
	add := func(kind, id string, names []string) {
		for _, n := range names {
			key := strings.ToLower(strings.TrimSpace(n))
			if key == "" {
				v.Add(kind, "%s %q has an empty alias", kind, id)
				continue
			}
			if prev, ok := owner[key]; ok && prev != id {
				v.Add(kind, "%q names both %q and %q; an alias must name one entity", n, prev, id)
				continue
			}
			owner[key] = id
		}
	}
	for _, a := range actors {
		add("actors", a.ID, append([]string{a.ID, a.Name}, a.Aliases...))
	}
	for _, p := range places {
		add("places", p.ID, append([]string{p.ID, p.Name}, p.Aliases...))
	}
	return v.Err()
}

// CheckSource checks that a source names only known fields as filled in
// from outside it.
func CheckSource(s Source) error {
	for _, f := range s.OutsideFields {
		if !slices.Contains(SourceFields, f) {
			return Invalid("outside_fields", "%q is not one of %v", f, SourceFields)
		}
	}
	if s.Title == "" {
		return Invalid("title", "a source needs a title")
	}
	return nil
}
