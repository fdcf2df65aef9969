package models

import (
	"slices"
	"strings"
)

// EventFields is a set of an event's fields, by their names in the API
// (see EventFieldNames): the sparse fieldset a client asks for with
// fields=. The zero value means every field. A relation (actors, places,
// tags, sources) outside the set is not loaded at all, so a page that
// asks for none of them is one statement.
type EventFields uint32

// EventFieldNames lists an event's fields in their canonical order, the
// order of the JSON representation and of the CSV columns. id is always
// part of a sparse fieldset: it names the event, and a client paging or
// linking needs it.
var EventFieldNames = []string{"id", "timeline", "title", "summary", "start_date", "end_date", "date_precision",
	"approximate", "display_date", "edtf", "type", "status", "actors", "places", "tags", "sources", "updated_at"}

// Bits of the relations, which are what a fieldset changes in the store.
var (
	fieldActors  = fieldBit("actors")
	fieldPlaces  = fieldBit("places")
	fieldTags    = fieldBit("tags")
	fieldSources = fieldBit("sources")
)

func fieldBit(name string) EventFields {
	i := slices.Index(EventFieldNames, name)
	if i < 0 {
		panic("models: unknown event field " + name)
	}
	return 1 << i
}

// ParseEventFields returns the set of the named fields plus id. Names may
// repeat and come in any order. Every unknown name is reported in one
// *ValidationError on param; no names at all is an error too.
func ParseEventFields(param string, names []string) (EventFields, error) {
	fs := fieldBit("id")
	var unknown []string
	for _, n := range names {
		i := slices.Index(EventFieldNames, n)
		if i < 0 {
			if !slices.Contains(unknown, n) {
				unknown = append(unknown, n)
			}
			continue
		}
		fs |= 1 << i
	}
	switch {
	case len(unknown) == 1:
		return 0, Invalid(param, "unknown field %q; the fields are %s", unknown[0], strings.Join(EventFieldNames, ", "))
	case len(unknown) > 1:
		quoted := make([]string, len(unknown))
		for i, n := range unknown {
			quoted[i] = `"` + n + `"`
		}
		return 0, Invalid(param, "unknown fields %s; the fields are %s", strings.Join(quoted, ", "),
			strings.Join(EventFieldNames, ", "))
	case len(names) == 0:
		return 0, Invalid(param, "names no field; the fields are %s", strings.Join(EventFieldNames, ", "))
	}
	return fs, nil
}

// All reports whether fs holds every field (the zero value does).
func (fs EventFields) All() bool { return fs == 0 || fs == 1<<len(EventFieldNames)-1 }

// Has reports whether fs holds the named field.
func (fs EventFields) Has(name string) bool {
	i := slices.Index(EventFieldNames, name)
	return i >= 0 && (fs.All() || fs&(1<<i) != 0)
}

// Names returns the fields of fs in canonical order.
func (fs EventFields) Names() []string {
	var out []string
	for i, n := range EventFieldNames {
		if fs.All() || fs&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func (fs EventFields) has(bit EventFields) bool { return fs.All() || fs&bit != 0 }
