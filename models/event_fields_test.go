package models

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEventFields(t *testing.T) {
	fs, err := ParseEventFields("fields", []string{"start_date", "title", "title"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"id", "title", "start_date"}, fs.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if fs.All() || fs.has(fieldActors) || fs.has(fieldSources) || !fs.Has("title") || fs.Has("summary") {
		t.Errorf("got %v, want id, title and start_date only", fs.Names())
	}
	if all, _ := ParseEventFields("fields", EventFieldNames); !all.All() {
		t.Errorf("every field named: got All() false, want true")
	}
	if !EventFields(0).All() || !EventFields(0).has(fieldTags) {
		t.Errorf("the zero EventFields: want every field")
	}

	_, err = ParseEventFields("fields", []string{"titel", "id", "dates", "titel"})
	var invalid *ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 1 || invalid.Fields[0].Field != "fields" {
		t.Fatalf("got %v, want one ValidationError on fields", err)
	}
	if r := invalid.Fields[0].Reason; !strings.Contains(r, `"titel", "dates"`) || strings.Count(r, "titel") != 1 {
		t.Errorf("got reason %q, want each unknown name once", r)
	}
	if _, err := ParseEventFields("fields", nil); err == nil {
		t.Errorf("no names: got no error, want one")
	}
}
