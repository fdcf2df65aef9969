package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// encodeSamples are strings that take every branch of the encoders: JSON
// and CSV escapes, formula prefixes, leading spaces, invalid UTF-8, the
// separators JSON escapes and the spaces CSV quotes.
var encodeSamples = []string{"", "plain", `quo"te`, `back\slash`, "line\nbreak", "cr\rlf\r\n", "\ttab", "\b\f\x00\x1f\x7f",
	"<a href='x'>&amp;</a>", "comma, here", `\.`, `\`, " lead", "\u00a0nbsp", "\u3000ideo", "\u2028sep\u2029",
	"=SUM(A1)", "+1", "-2", "@x", "\r=", "caf\u00e9 \u041e\u0414\u041a\u0411", "bad \xff\xfe utf8", "\xe2\x80", "emoji \U0001F600",
	"'already", "a; b"}

// randomString draws a short string of bytes the samples mix: ASCII,
// controls, quotes, multi-byte runes and broken ones.
func randomString(r *rand.Rand) string {
	parts := []string{"a", "Z", " ", ",", ";", `"`, `\`, "\n", "\r", "\t", "\x01", "=", "-", "@", "+", "'", "<", "&",
		"\u00e9", "\u2028", "\u2029", "\u00a0", "\xff", "\xe2\x80", "\U0001F600", "."}
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	samples := slices.Clone(encodeSamples)
	for range 5000 {
		samples = append(samples, randomString(r))
	}
	for _, s := range samples {
		var want bytes.Buffer
		if err := jsonEncode(&want, s); err != nil {
			t.Fatal(err)
		}
		got := string(appendJSONString(nil, s)) + "\n"
		if got != want.String() {
			t.Errorf("appendJSONString(%q): got %q, want %q", s, got, want.String())
		}
	}
}

// sampleEvents returns events whose every string field is drawn from the
// samples, with and without relations, aliases, countries and dates.
func sampleEvents() []models.Event {
	r := rand.New(rand.NewPCG(3, 4))
	str := func() string {
		if r.IntN(2) == 0 {
			return encodeSamples[r.IntN(len(encodeSamples))]
		}
		return randomString(r)
	}
	list := func() []string {
		if r.IntN(3) == 0 {
			return nil
		}
		var l []string
		for range r.IntN(3) {
			l = append(l, str())
		}
		return l
	}
	var out []models.Event
	for i := range 400 {
		e := models.Event{ID: "e-" + strconv.Itoa(i) + str(), Timeline: str(), Title: str(), Summary: str(),
			Span: models.Span{Start: models.Date{Year: 1 + r.IntN(2100), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)},
				End:       models.Date{Year: 1900 + r.IntN(200), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)},
				Precision: models.Precision(str()), Approximate: r.IntN(2) == 0, EDTF: str()},
			DisplayDate: str(), Type: str(), Status: str(), Tags: list(),
			UpdatedAt: time.Date(2000+r.IntN(30), 1, 2, 3, 4, 5, r.IntN(3)*123456789, time.UTC)}
		for range r.IntN(3) {
			// The same ids recur with the same content, as in one snapshot.
			k := r.IntN(5)
			a := models.Actor{ID: "actor-" + strconv.Itoa(k), Name: encodeSamples[k*3], Kind: "state"}
			if k%2 == 0 {
				a.Aliases = []string{encodeSamples[k], "alias"}
			}
			e.Actors = append(e.Actors, models.EventActor{Actor: a, Role: str()})
			p := models.Place{ID: "place-" + strconv.Itoa(k), Name: encodeSamples[k*5], Kind: "city"}
			if k%2 == 1 {
				p.Country = "country-" + encodeSamples[k]
			}
			e.Places = append(e.Places, p)
			k = k % 3
			so := models.Source{ID: "source-" + strconv.Itoa(k), Title: encodeSamples[k*2], Author: "author"}
			if k == 1 {
				so.Publisher, so.Issue, so.URL = "pub", encodeSamples[k+3], "https://example.org/?a=1&b=<2>"
				so.Published = models.Date{Year: 2001, Month: 2, Day: 3}
				so.AuthorAffiliations, so.OutsideFields = []string{"aff"}, []string{"publisher"}
			}
			e.Citations = append(e.Citations, models.Citation{Source: so, Quote: str(), Note: str()})
		}
		out = append(out, e)
	}
	return out
}

func TestEventEncoderMatchesEncodingJSON(t *testing.T) {
	enc := newEventEncoder()
	for _, e := range sampleEvents() {
		var want bytes.Buffer
		if err := jsonEncode(&want, newEventJSON(e)); err != nil {
			t.Fatal(err)
		}
		got := string(enc.appendEvent(nil, &e))
		if diff := cmp.Diff(want.String(), got); diff != "" {
			t.Fatalf("event %q (-want +got):\n%s", e.ID, diff)
		}
	}
}

// csvSafe is the cell csv.Writer is given: a formula prefix defused with
// an apostrophe (see appendCSVCell).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvReference writes e's row as encoding/csv does, the reference for
// csvExporter.
func csvReference(w *csv.Writer, e models.Event, keep []int, retracted bool) error {
	if !e.RetractedAt.IsZero() {
		row := make([]string, len(csvHeader))
		row[0], row[1] = csvSafe(e.ID), csvSafe(e.Timeline)
		return w.Write(append(project(row, keep), csvSafe(e.RetractedAt.UTC().Format(time.RFC3339Nano))))
	}
	var actors, actorIDs, places, placeIDs, quotes, sources []string
	for _, a := range e.Actors {
		actors, actorIDs = append(actors, a.Name), append(actorIDs, a.ID)
	}
	for _, p := range e.Places {
		places, placeIDs = append(places, p.Name), append(placeIDs, p.ID)
	}
	for _, c := range e.Citations {
		quotes = append(quotes, c.Quote)
		if !slices.Contains(sources, c.Source.ID) {
			sources = append(sources, c.Source.ID)
		}
	}
	join := func(s []string) string { return strings.Join(s, "; ") }
	row := []string{e.ID, e.Timeline, e.Title, e.Summary, e.Span.Start.String(), e.Span.End.String(),
		string(e.Span.Precision), strconv.FormatBool(e.Span.Approximate), e.DisplayDate, e.Span.EDTF, e.Type, e.Status,
		join(actors), join(actorIDs), join(places), join(placeIDs), join(e.Tags), join(quotes), join(sources),
		e.UpdatedAt.UTC().Format(time.RFC3339)}
	row = project(row, keep)
	if retracted {
		row = append(row, "")
	}
	for i := range row {
		row[i] = csvSafe(row[i])
	}
	return w.Write(row)
}

func TestCSVExporterMatchesEncodingCSV(t *testing.T) {
	events := sampleEvents()
	events = append(events, models.Event{ID: "gone", Timeline: "=t", RetractedAt: time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)})
	sparse, err := models.ParseEventFields("fields", []string{"id", "title", "actors", "sources", "updated_at"})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := models.ParseEventFields("fields", models.EventFieldNames)
	for _, fields := range []models.EventFields{all, sparse} {
		for _, retracted := range []bool{false, true} {
			keep := csvColumns(fields)
			var want bytes.Buffer
			ref := csv.NewWriter(&want)
			ref.UseCRLF = true
			header := project(csvHeader, keep)
			if retracted {
				header = append(slices.Clip(header), "retracted_at")
			}
			if err := ref.Write(header); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			bw := bufio.NewWriter(&got)
			x := &csvExporter{w: bw, keep: keep, retracted: retracted}
			if err := x.begin(); err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if !e.RetractedAt.IsZero() && !retracted {
					continue
				}
				if err := csvReference(ref, e, keep, retracted); err != nil {
					t.Fatal(err)
				}
				if err := x.write(e); err != nil {
					t.Fatal(err)
				}
			}
			ref.Flush()
			if err := bw.Flush(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("keep %v, retracted %v (-want +got):\n%s", keep, retracted, diff)
			}
		}
	}
}
