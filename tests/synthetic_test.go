package tests

import (
	"context"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// addEvent saves a synthetic event on the csto timeline. It cites the
// source desk-notes, whose text is unknown, with a note that names the
// years of its date, as the editorial rules ask of every write.
func addEvent(t *testing.T, s *models.Store, id, edtf, typ string) {
	t.Helper()
	span, err := models.ParseEDTF(edtf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveSource(context.Background(), models.Source{ID: "desk-notes", Title: "Desk notes"}); err != nil {
		t.Fatal(err)
	}
	e := models.Event{ID: id, Timeline: "csto", Title: "Synthetic " + id, Span: span, DisplayDate: span.Display(),
		Type: typ, Status: models.StatusOccurred, Tags: []string{"synthetic"},
		Citations: []models.Citation{{Source: models.Source{ID: "desk-notes"}, Quote: "synthetic test event",
			Note: "Dated " + edtf + " for the test."}}}
	if _, err := s.SaveEvent(context.Background(), e); err != nil {
		t.Fatalf("save %s: %v", id, err)
	}
}

// TestPrecisionAgainstRanges: a year-precision event counts as overlapping
// any part of its year, a day-precision one only its day.
func TestPrecisionAgainstRanges(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			addEvent(t, b.store, "syn-year-2019", "2019", "report")
			addEvent(t, b.store, "syn-day-2019-03-15", "2019-03-15", "report")
			addEvent(t, b.store, "syn-month-2019-06", "2019-06", "report")
			addEvent(t, b.store, "syn-long-2010-2019", "2010/2019-02", "report")
			cases := []struct {
				query string
				want  []string
			}{
				{"from=2019-06", []string{"syn-year-2019", "syn-month-2019-06"}},
				{"from=2019-06-30&to=2019-06-30", []string{"syn-year-2019", "syn-month-2019-06"}},
				{"from=2019-07-01&to=2019-12", []string{"syn-year-2019"}},
				{"to=2019-03-14", []string{"syn-long-2010-2019", "syn-year-2019"}},
				{"from=2019-03-15&to=2019-03-15", []string{"syn-year-2019", "syn-day-2019-03-15"}},
				{"from=2019-03", []string{"syn-year-2019", "syn-day-2019-03-15", "syn-month-2019-06"}},
				{"year=2019", []string{"syn-long-2010-2019", "syn-year-2019", "syn-day-2019-03-15", "syn-month-2019-06"}},
				{"year=2015", []string{"syn-long-2010-2019"}},
				{"from=2019-02-28&to=2019-02-28", []string{"syn-long-2010-2019", "syn-year-2019"}},
				{"from=2019-03-01&to=2019-03-01", []string{"syn-year-2019"}},
				{"year=2018,2020", []string{"syn-long-2010-2019"}},
				{"year=2020", nil},
			}
			for _, c := range cases {
				got := ids(b.events(t, "tag=synthetic&limit=500&"+c.query).Data)
				if diff := cmp.Diff(c.want, got, cmpEmpty); diff != "" {
					t.Errorf("?%s (-want +got):\n%s", c.query, diff)
				}
			}
		})
	}
}

var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// TestPagingStableUnderInserts: events inserted before the cursor while a
// client pages do not shift later pages; events after it appear.
func TestPagingStableUnderInserts(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			before := ids(b.events(t, "limit=500").Data)
			first := b.events(t, "limit=10")
			if first.Links.Next == nil {
				t.Fatal("want a second page")
			}
			// One event lands before the cursor, one after it.
			addEvent(t, b.store, "syn-early", "1980", "report")
			addEvent(t, b.store, "syn-late", "2030", "report")
			var rest []eventDoc
			path := *first.Links.Next
			for {
				r := b.get(t, path)
				r.wantStatus(t, 200)
				var p eventPage
				r.decode(t, &p)
				rest = append(rest, p.Data...)
				if p.Links.Next == nil {
					break
				}
				path = *p.Links.Next
			}
			got := append(ids(first.Data), ids(rest)...)
			want := append(append([]string{}, before...), "syn-late")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paged listing (-want +got):\n%s", diff)
			}
			u, _ := url.Parse(*first.Links.Next)
			if u.Query().Get("limit") != "10" {
				t.Errorf("got next link %q, want it to keep limit=10", *first.Links.Next)
			}
		})
	}
}
