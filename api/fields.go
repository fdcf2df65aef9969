package api

import (
	"bytes"
	"errors"

	"github.com/csto-timeline/timeline/models"
)

// fields reads the sparse fieldset of an event listing, fields=a,b (or
// repeated): the zero EventFields, every field, when absent. Every unknown
// name is reported at once, in one error on fields.
func (p *params) fields() models.EventFields {
	if _, ok := p.values["fields"]; !ok {
		return 0
	}
	names := p.list("fields", func(string) error { return nil })
	if names == nil {
		return 0 // p.list has recorded why
	}
	fs, err := models.ParseEventFields("fields", names)
	var invalid *models.ValidationError
	if errors.As(err, &invalid) {
		p.errs.Fields = append(p.errs.Fields, invalid.Fields...)
	}
	return fs
}

// sparseEventJSON is an event with only the fields of a sparse fieldset,
// in canonical order.
type sparseEventJSON struct {
	e      eventJSON
	fields models.EventFields
}

func newSparseEventJSON(e models.Event, fields models.EventFields) sparseEventJSON {
	return sparseEventJSON{e: newEventJSON(e), fields: fields}
}

// MarshalJSON writes the object field by field, each value as jsonEncode
// writes it (no HTML escaping), so a field reads the same whether it comes
// alone or with all the others.
func (v sparseEventJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range v.fields.Names() {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := jsonEncode(&b, name); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // jsonEncode ends each value with "\n"
		b.WriteByte(':')
		if err := jsonEncode(&b, v.e.field(name)); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// field returns the value of the field named as in models.EventFieldNames.
func (e *eventJSON) field(name string) any {
	switch name {
	case "id":
		return e.ID
	case "timeline":
		return e.Timeline
	case "title":
		return e.Title
	case "summary":
		return e.Summary
	case "start_date":
		return e.StartDate
	case "end_date":
		return e.EndDate
	case "date_precision":
		return e.DatePrecision
	case "approximate":
		return e.Approximate
	case "display_date":
		return e.DisplayDate
	case "edtf":
		return e.EDTF
	case "type":
		return e.Type
	case "status":
		return e.Status
	case "actors":
		return e.Actors
	case "places":
		return e.Places
	case "tags":
		return e.Tags
	case "sources":
		return e.Sources
	case "updated_at":
		return e.UpdatedAt
	}
	panic("api: event field " + name + " has no value") // EventFieldNames and this switch disagree
}

// csvFieldOf names the event field a CSV column comes from, where the
// column's name is not the field's own.
var csvFieldOf = map[string]string{"actor_ids": "actors", "place_ids": "places", "quotes": "sources", "source_ids": "sources"}

// csvColumns returns the indexes in csvHeader of the columns a fieldset
// keeps, in csvHeader's order; nil keeps them all.
func csvColumns(fields models.EventFields) []int {
	if fields.All() {
		return nil
	}
	var keep []int
	for i, col := range csvHeader {
		field := col
		if f, ok := csvFieldOf[col]; ok {
			field = f
		}
		if fields.Has(field) {
			keep = append(keep, i)
		}
	}
	return keep
}

// project returns the cells of row at keep (all of them when keep is nil).
func project(row []string, keep []int) []string {
	if keep == nil {
		return row
	}
	out := make([]string, len(keep))
	for i, k := range keep {
		out[i] = row[k]
	}
	return out
}
