package api

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// TestFieldsCoverEveryColumn checks that every CSV column and every JSON
// property of an event is one of models.EventFieldNames, so that no
// fieldset can leave a column or a property unreachable.
func TestFieldsCoverEveryColumn(t *testing.T) {
	for _, col := range csvHeader {
		field := col
		if f, ok := csvFieldOf[col]; ok {
			field = f
		}
		if !slices.Contains(models.EventFieldNames, field) {
			t.Errorf("CSV column %q comes from %q, not an event field", col, field)
		}
	}
	// The canonical order is the full representation's.
	var props []string
	typ := reflect.TypeFor[eventJSON]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		props = append(props, name)
	}
	if !slices.Equal(props, models.EventFieldNames) {
		t.Errorf("got event fields %v, want the JSON properties in order %v", models.EventFieldNames, props)
	}
	var e eventJSON
	for _, name := range models.EventFieldNames {
		_ = e.field(name) // panics on a name the switch does not know
	}
	all, _ := models.ParseEventFields("fields", models.EventFieldNames)
	if got := csvColumns(all); got != nil {
		t.Errorf("every field: got columns %v, want nil (all)", got)
	}
}
