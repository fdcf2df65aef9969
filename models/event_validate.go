package models

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on the text of an event, generous for any real event.
const (
	maxTitleRunes   = 300
	maxSummaryRunes = 5000
	maxQuoteRunes   = 5000
)

// pointer builds a JSON Pointer such as /actors/2/role.
func pointer(base string, i int, field string) string {
	p := base + "/" + strconv.Itoa(i)
	if field != "" {
		p += "/" + field
	}
	return p
}

// validate adds to v every rule e breaks, each named by the JSON Pointer of
// the field of an EventDoc that holds it. The seed and the API run the same
// rules. checkSpan is false when the date could not be parsed (and is
// reported already).
func (e *Event) validate(v *ValidationError, checkSpan bool) {
	if !ValidSlug(e.ID) {
		v.Add("/id", "%q is not a valid id (lowercase letters, digits and hyphens, at most 128)", e.ID)
	}
	if !ValidSlug(e.Timeline) {
		v.Add("/timeline", "%q is not a valid timeline id", e.Timeline)
	}
	text := func(field, s string, required bool, limit int) {
		switch {
		case required && strings.TrimSpace(s) == "":
			v.Add(field, "must not be empty")
		case utf8.RuneCountInString(s) > limit:
			v.Add(field, "is longer than %d characters", limit)
		}
	}
	text("/title", e.Title, true, maxTitleRunes)
	text("/summary", e.Summary, false, maxSummaryRunes)
	text("/display_date", e.DisplayDate, false, maxTitleRunes)
	if checkSpan && (e.Span.Start.IsZero() || e.Span.End.IsZero() || e.Span.End.Before(e.Span.Start)) {
		v.Add("/date", "needs a start and an end that is not before it")
	}
	if !slices.Contains(EventTypes, e.Type) {
		v.Add("/type", "%q is not one of %s", e.Type, strings.Join(EventTypes, ", "))
	}
	if !slices.Contains(EventStatuses, e.Status) {
		v.Add("/status", "%q is not one of %s", e.Status, strings.Join(EventStatuses, ", "))
	}
	if len(e.Citations) == 0 {
		v.Add("/sources", "every event needs at least one source with a quote")
	}
	seen := map[string]bool{}
	for i, c := range e.Citations {
		if !ValidSlug(c.Source.ID) {
			v.Add(pointer("/sources", i, "source_id"), "%q is not a valid source id", c.Source.ID)
		}
		text(pointer("/sources", i, "quote"), c.Quote, true, maxQuoteRunes)
	}
	for i, a := range e.Actors {
		switch {
		case !ValidSlug(a.ID):
			v.Add(pointer("/actors", i, "id"), "%q is not a valid actor id", a.ID)
		case seen["a:"+a.ID]:
			v.Add(pointer("/actors", i, "id"), "actor %q is listed twice", a.ID)
		}
		seen["a:"+a.ID] = true
		if strings.TrimSpace(a.Role) == "" {
			v.Add(pointer("/actors", i, "role"), "must not be empty: say what the actor did")
		}
		if a.Kind != "" && !slices.Contains(ActorKinds, a.Kind) {
			v.Add(pointer("/actors", i, "kind"), "%q is not one of %s", a.Kind, strings.Join(ActorKinds, ", "))
		}
	}
	for i, p := range e.Places {
		switch {
		case !ValidSlug(p.ID):
			v.Add(pointer("/places", i, "id"), "%q is not a valid place id", p.ID)
		case seen["p:"+p.ID]:
			v.Add(pointer("/places", i, "id"), "place %q is listed twice", p.ID)
		}
		seen["p:"+p.ID] = true
		if p.Kind != "" && !slices.Contains(PlaceKinds, p.Kind) {
			v.Add(pointer("/places", i, "kind"), "%q is not one of %s", p.Kind, strings.Join(PlaceKinds, ", "))
		}
	}
	for i, tag := range e.Tags {
		switch {
		case !ValidSlug(tag):
			v.Add(pointer("/tags", i, ""), "%q is not a valid tag (lowercase letters, digits and hyphens)", tag)
		case seen["t:"+tag]:
			v.Add(pointer("/tags", i, ""), "tag %q is listed twice", tag)
		}
		seen["t:"+tag] = true
	}
}
