package api

import (
	"errors"
	"net/url"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// FuzzParams parses arbitrary query strings as /v1/events does. Whatever
// the input, parsing never panics; it either yields a filter within every
// documented bound or a validation error that is answered 400 and names
// each bad parameter.
func FuzzParams(f *testing.F) {
	for _, q := range []string{"", "year=2019", "year=2019,2020&type=summit,meeting&sort=-date&limit=5",
		"from=2019-06&to=2020", "from=0001&to=9999-12-31", "actor=sergey-lavrov&place=bishkek&tag=a&tag=b",
		"status=not_implemented", "limit=500", "limit=0", "limit=%2B5", "yaer=2019", "from=2019-02-30",
		"to=2019&from=2020", "year=0000", "tag=,", "q=summit", "timeline=csto&timeline=csto"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, reason := malformedQuery(raw); reason != "" {
			return // limitRequest answers 400 before any handler parses it
		}
		values, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("?%s: got %v from url.ParseQuery after malformedQuery let it through", raw, err)
		}
		p := newParams(values, append([]string{"sort", "limit", "cursor"}, filterParams...)...)
		fl := p.filter()
		limit := p.limit()
		if err := p.err(); err != nil {
			var v *models.ValidationError
			if !errors.As(err, &v) || len(v.Fields) == 0 {
				t.Fatalf("?%s: got error %v, want a *models.ValidationError", raw, err)
			}
			for _, fe := range v.Fields {
				if fe.Field == "" || fe.Reason == "" {
					t.Fatalf("?%s: got field error %+v, want a name and a reason", raw, fe)
				}
			}
			if got := problemFor(err).Status; got != 400 {
				t.Fatalf("?%s: got status %d, want 400", raw, got)
			}
			return
		}
		if limit < 1 || limit > maxLimit {
			t.Fatalf("?%s: got limit %d, want 1 to %d", raw, limit, maxLimit)
		}
		for name, n := range map[string]int{"timeline": len(fl.Timelines), "year": len(fl.Years), "type": len(fl.Types),
			"status": len(fl.Statuses), "actor": len(fl.Actors), "place": len(fl.Places), "tag": len(fl.Tags)} {
			if n > maxListValues {
				t.Fatalf("?%s: got %d values of %s, want at most %d", raw, n, name, maxListValues)
			}
		}
		for _, y := range fl.Years {
			if y < 1 || y > 9999 {
				t.Fatalf("?%s: got year %d, want 1 to 9999", raw, y)
			}
		}
		for _, d := range []models.Date{fl.From, fl.To} {
			if !d.IsZero() && (d.Year < 1 || d.Year > 9999) {
				t.Fatalf("?%s: got date %s, want years 1 to 9999", raw, d)
			}
		}
		if !fl.From.IsZero() && !fl.To.IsZero() && fl.To.Before(fl.From) {
			t.Fatalf("?%s: got to %s before from %s, want a 400", raw, fl.To, fl.From)
		}
	})
}
