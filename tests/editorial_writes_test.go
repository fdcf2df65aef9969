package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
)

// editorialBreach is one editorial rule broken in a write: the body's
// replacements and what the 422 must say, by JSON Pointer.
type editorialBreach struct {
	name     string
	old, new string
	pointer  string
	reason   string
}

// editorialBreaches break each rule of seed/EDITORIAL.md that the code
// checks, in newEventBody (dated 26 May 2020, in Russia, tagged test-tag,
// quoting Lavrov verbatim).
var editorialBreaches = []editorialBreach{
	{"misquote", lavrovQuote, "On May 26, Russian Foreign Minister Lavrov said that",
		"/sources/0/quote", "not in the text of source bohdan-2020-csto"},
	{"markdown in a quote", lavrovQuote, "On May 26, Russian Foreign Minister [Lavrov declared](#) that",
		"/sources/0/quote", "Markdown"},
	{"no quote", `"quote": "` + lavrovQuote + `"`, `"quote": ""`, "/sources/0/quote", "must not be empty"},
	{"no source", `[{"source_id": "bohdan-2020-csto", "quote": "` + lavrovQuote + `"}]`, `[]`, "/sources", "quote"},
	{"occurred after publication", `"date": "2020-05-26"`, `"date": "2020-05-26/2020-07~"`,
		"/date", "after its source was published"},
	{"date in no quote", `"date": "2020-05-26"`, `"date": "2019-06-26"`, "/date", `"2019-06-26" is in no quote`},
	{"uncertain date displayed as certain", `"date": "2020-05-26"`, `"date": "2020-05-26?", "display_date": "26 May 2020"`,
		"/display_date", "uncertain"},
	{"place named nowhere", `"places": [{"id": "russia"}]`, `"places": [{"id": "russia"}, {"id": "astana"}]`,
		"/places/1/id", `place "astana" is named in none`},
	{"undeclared tag", `"tags": ["test-tag"]`, `"tags": ["test-tag", "terrorism"]`, "/tags/1", "vocabulary"},
}

// TestWriteEditorialRules: every editorial rule the seed obeys is enforced
// on every write path by the same code. A POST, a PUT, a PATCH and an
// import that break a rule are 422 problems naming the field by its JSON
// Pointer, and write nothing; one write that breaks them all is told of
// all at once; a source whose text is unknown still needs a quote that
// gives the date and names the place, but no verbatim match.
func TestWriteEditorialRules(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			b.write(t, "POST", "/v1/events", key, jsonType, newEventBody("editorial-base", "Base")).wantStatus(t, 201)
			for _, c := range editorialBreaches {
				good := newEventBody("editorial-"+strings.ReplaceAll(c.name, " ", "-"), "Breach")
				if !strings.Contains(good, c.old) {
					t.Fatalf("%s: newEventBody has no %s", c.name, c.old)
				}
				bad := strings.Replace(good, c.old, c.new, 1)
				r := b.write(t, "POST", "/v1/events", key, jsonType, bad)
				wantEditorial(t, "POST "+c.name, r, "", c.pointer, c.reason)
				if got := b.get(t, "/v1/events/editorial-"+strings.ReplaceAll(c.name, " ", "-")); got.status != http.StatusNotFound {
					t.Errorf("%s: a refused write left the event (GET answers %d)", c.name, got.status)
				}
				base := b.get(t, "/v1/events/editorial-base")
				put := strings.Replace(newEventBody("editorial-base", "Base"), c.old, c.new, 1)
				r = b.write(t, "PUT", "/v1/events/editorial-base", key, jsonType, put, "If-Match", base.etag())
				wantEditorial(t, "PUT "+c.name, r, "", c.pointer, c.reason)
				// The NDJSON import reads the export's shape: the date is "edtf".
				line := strings.Replace(strings.ReplaceAll(bad, "\n", " "), `"date": `, `"edtf": `, 1)
				_, r = b.importFile(t, key, "csto", "", ndjsonType, line+"\n")
				wantEditorial(t, "import "+c.name, r, "line 1: ", c.pointer, c.reason)
			}
			base := b.get(t, "/v1/events/editorial-base")
			r := b.write(t, "PATCH", "/v1/events/editorial-base", key, mergeType,
				`{"tags": ["terrorism"], "date": "2019-06-26", "places": [{"id": "astana"}]}`, "If-Match", base.etag())
			wantEditorial(t, "PATCH", r, "", "/tags/0", "vocabulary")
			wantEditorial(t, "PATCH", r, "", "/date", "in no quote")
			wantEditorial(t, "PATCH", r, "", "/places/0/id", "astana")

			// A year the note knows only from outside the source gives no date.
			outside := strings.Replace(strings.Replace(newEventBody("editorial-outside", "Outside"), `"date": "2020-05-26"`, `"date": "2019-06-26"`, 1),
				`"quote": "`+lavrovQuote+`"`, `"quote": "`+lavrovQuote+`", "note": "Outside context (not used in the date): 26 June 2019."`, 1)
			wantEditorial(t, "date from outside context", b.write(t, "POST", "/v1/events", key, jsonType, outside), "", "/date", `"2019-06-26" is in no quote`)
			b.write(t, "POST", "/v1/events", key, jsonType, strings.Replace(outside, "Outside context (not used in the date)", "From the desk's records", 1)).
				wantStatus(t, http.StatusCreated)

			all := newEventBody("editorial-all", "All at once")
			for _, c := range editorialBreaches {
				if c.name != "no quote" && c.name != "no source" && c.name != "markdown in a quote" &&
					c.name != "date in no quote" && c.name != "occurred after publication" {
					all = strings.Replace(all, c.old, c.new, 1)
				}
			}
			r = b.write(t, "POST", "/v1/events", key, jsonType, all)
			for _, c := range editorialBreaches {
				if strings.Contains(all, c.new) {
					wantEditorial(t, "all at once", r, "", c.pointer, c.reason)
				}
			}

			// A source with no known text: any wording, but a quote still.
			b.deskSource(t)
			desk := strings.Replace(newEventBody("editorial-desk", "Desk"), `"source_id": "bohdan-2020-csto", "quote": "`+lavrovQuote+`"`,
				`"source_id": "desk-notes", "quote": "In May 2020 the desk heard of it in Russia."`, 1)
			b.write(t, "POST", "/v1/events", key, jsonType, desk).wantStatus(t, 201)
			r = b.write(t, "POST", "/v1/events", key, jsonType,
				strings.Replace(strings.Replace(desk, "editorial-desk", "editorial-desk-2", 1), "In May 2020 the desk heard of it in Russia.", "", 1))
			wantEditorial(t, "desk source without a quote", r, "", "/sources/0/quote", "must not be empty")
			r = b.write(t, "POST", "/v1/events", key, jsonType,
				strings.Replace(strings.Replace(desk, "editorial-desk", "editorial-desk-3", 1), `"2020-05-26"`, `"2018-03-01"`, 1))
			wantEditorial(t, "desk source, date in no quote", r, "", "/date", "in no quote")
		})
	}
}

// wantEditorial fails unless r is a 422 naming prefix+pointer with a
// reason that contains reason.
func wantEditorial(t *testing.T, what string, r response, prefix, pointer, reason string) {
	t.Helper()
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("%s: got status %d, want 422; body %s", what, r.status, truncate(string(r.body)))
		return
	}
	p := wantProblem(t, what, r, http.StatusUnprocessableEntity, "invalid-body")
	for _, f := range p.InvalidParams {
		if f.Name == prefix+pointer && strings.Contains(f.Reason, reason) {
			return
		}
	}
	t.Errorf("%s: got invalid_params %+v, want %s%s with a reason containing %q", what, p.InvalidParams, prefix, pointer, reason)
}

// TestWriteNamesAreUnique: names are names (rule 7) on every write path,
// as the seed loader requires of a file (models.CheckNames). A name or
// alias that already names another actor or place, of either catalog and
// in any case, is a 422 naming the field, whether the record is written
// alone (POST, PATCH), created inside an event write or by an import; an
// actor and a place with one id (the state and the country Russia) are one
// entity and may share names.
func TestWriteNamesAreUnique(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			post := func(path, body string) response { return b.write(t, "POST", path, admin, jsonType, body) }
			wantEditorial(t, "actor named like a place", post("/v1/actors", `{"id": "moscow-city-hall", "name": "Moscow", "kind": "body"}`),
				"", "/name", `already names place "moscow"`)
			wantEditorial(t, "place aliased like an actor", post("/v1/places",
				`{"id": "csto-seat", "name": "CSTO seat", "kind": "city", "country": "russia", "aliases": ["odkb"]}`),
				"", "/aliases/0", `already names actor "csto"`)
			wantEditorial(t, "actor aliased like an actor", post("/v1/actors",
				`{"id": "s-lavrov", "name": "S. V. Lavrov", "kind": "person", "aliases": ["LAVROV"]}`),
				"", "/aliases/0", `already names actor "sergey-lavrov"`)

			russia := b.get(t, "/v1/actors/russia")
			r := b.write(t, "PATCH", "/v1/actors/russia", admin, mergeType, `{"aliases": ["Russian Federation", "Россия", "Moscow"]}`,
				"If-Match", russia.etag())
			wantEditorial(t, "PATCH actor with a place's alias", r, "", "/aliases/2", `already names place "moscow"`)
			b.write(t, "PATCH", "/v1/actors/russia", admin, mergeType, `{"aliases": ["Russian Federation", "Россия", "RF"]}`,
				"If-Match", russia.etag()).wantStatus(t, http.StatusOK)

			inline := strings.Replace(newEventBody("names-inline", "Inline"), `{"id": "csto", "role": "speaker"}`,
				`{"id": "bishkek-mayor", "role": "speaker", "name": "bishkek", "kind": "body"}`, 1)
			wantEditorial(t, "event creating an actor named like a place", post("/v1/events", inline),
				"", "/actors/0/name", `already names place "bishkek"`)
			withPlace := strings.Replace(newEventBody("names-import", "Import"), `"places": [{"id": "russia"}]`,
				`"places": [{"id": "russia"}, {"id": "putin-town", "name": "putin", "kind": "city", "country": "russia"}]`, 1)
			withPlace = strings.Replace(withPlace, `"quote": "`+lavrovQuote+`"`, `"quote": "`+lavrovQuote+`", "note": "Places: putin."`, 1)
			line := strings.Replace(strings.ReplaceAll(withPlace, "\n", " "), `"date": `, `"edtf": `, 1)
			_, r = b.importFile(t, admin, "csto", "", ndjsonType, line+"\n")
			wantEditorial(t, "import creating a place named like an actor", r, "line 1: ", "/places/1/name", `already names actor "vladimir-putin"`)
			// Two records created by one write are checked against each
			// other too.
			twins := strings.Replace(newEventBody("names-twins", "Twins"), `"places": [{"id": "russia"}]`,
				`"places": [{"id": "russia"}, {"id": "twin-place", "name": "Twin Name", "kind": "city", "country": "russia"}]`, 1)
			twins = strings.Replace(twins, `{"id": "csto", "role": "speaker"}`,
				`{"id": "twin-actor", "role": "speaker", "name": "Twin Name", "kind": "body"}`, 1)
			twins = strings.Replace(twins, `"quote": "`+lavrovQuote+`"`, `"quote": "`+lavrovQuote+`", "note": "Places: Twin Name."`, 1)
			wantEditorial(t, "event creating an actor and a place of one name", post("/v1/events", twins),
				"", "/places/1/name", `also names "twin-actor", which this write creates`)
			for _, id := range []string{"/v1/actors/moscow-city-hall", "/v1/places/csto-seat", "/v1/actors/bishkek-mayor", "/v1/places/putin-town",
				"/v1/actors/twin-actor", "/v1/places/twin-place"} {
				if got := b.get(t, id); got.status != http.StatusNotFound {
					t.Errorf("%s: a refused write left it (GET answers %d)", id, got.status)
				}
			}
		})
	}
}

// TestWriteIDsAreNotTags: a tag never repeats an actor or a place id (rule
// 8), on every write that creates one, as CheckVocabulary requires of a
// seed file: an actor or place whose id is a declared tag is a 422 naming
// its id, and is not created.
func TestWriteIDsAreNotTags(t *testing.T) {
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			admin := b.newKey(t, models.ScopeTimelinesAdmin, "", 0)
			post := func(path, body string) response { return b.write(t, "POST", path, admin, jsonType, body) }
			wantEditorial(t, "actor", post("/v1/actors", `{"id": "peacekeeping", "name": "Peacekeepers", "kind": "body"}`),
				"", "/id", "tag of the declared vocabulary")
			wantEditorial(t, "place", post("/v1/places", `{"id": "central-asia", "name": "Central Asia", "kind": "region"}`),
				"", "/id", "tag of the declared vocabulary")
			inline := strings.Replace(newEventBody("tag-ids-inline", "Inline"), `"places": [{"id": "russia"}]`,
				`"places": [{"id": "russia"}, {"id": "covid-19", "name": "Covid ward", "kind": "region"}]`, 1)
			inline = strings.Replace(inline, `"quote": "`+lavrovQuote+`"`, `"quote": "`+lavrovQuote+`", "note": "Places: Covid ward."`, 1)
			wantEditorial(t, "event creating a place", post("/v1/events", inline), "", "/places/1/id", "tag of the declared vocabulary")
			for _, path := range []string{"/v1/actors/peacekeeping", "/v1/places/central-asia", "/v1/places/covid-19"} {
				if got := b.get(t, path); got.status != http.StatusNotFound {
					t.Errorf("%s: a refused write left it (GET answers %d)", path, got.status)
				}
			}
		})
	}
}

// TestImportEditorialWithinBatch: an import checks each row against the
// place names and source dates as the rows before it in the same batch
// left them (an import reads them once per batch): a place and a source
// that the first row creates are then known by their stored names and
// date, not by what a later row says of them. Each broken rule is a 422
// naming the row and the field.
func TestImportEditorialWithinBatch(t *testing.T) {
	line := func(id, date, place, source, quote string) string {
		return `{"id":"` + id + `","title":"Harbour","summary":"","edtf":"` + date + `","type":"statement","status":"occurred",` +
			`"tags":["test-tag"],"actors":[{"id":"csto","role":"speaker"}],"places":[` + place + `],` +
			`"sources":[{` + source + `,"quote":"` + quote + `"}]}`
	}
	create := line("harbour-a", "2020-02-10",
		`{"id":"port-atlantis","name":"Port Atlantis","kind":"city"}`,
		`"source_id":"harbour-log","title":"Harbour log","published_date":"2020-03-01"`,
		"In February 2020 ships came to Port Atlantis.")
	byID := line("harbour-b", "2020-01-15", `{"id":"port-atlantis"}`, `"source_id":"harbour-log"`,
		"In January 2020 Port Atlantis froze.")
	// The place exists: the name this row gives it is not one of its names.
	otherName := line("harbour-c", "2020-01-20", `{"id":"port-atlantis","name":"Elsewhere Bay","kind":"city"}`,
		`"source_id":"harbour-log"`, "In January 2020 Elsewhere Bay froze.")
	// The source exists, published 2020-03-01: an occurred event may not
	// end later, whatever date this row claims for the source.
	afterSource := line("harbour-d", "2020-04-10", `{"id":"port-atlantis"}`,
		`"source_id":"harbour-log","title":"Harbour log","published_date":"2021-01-01"`,
		"In April 2020 Port Atlantis opened.")
	for _, b := range freshBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			key := b.newKey(t, models.ScopeEventsWrite, "", 0)
			_, r := b.importFile(t, key, "csto", "", ndjsonType, strings.Join([]string{create, byID, otherName, afterSource}, "\n")+"\n")
			wantEditorial(t, "another name", r, "line 3: ", "/places/0/id", `place "port-atlantis" is named in none`)
			wantEditorial(t, "after the source", r, "line 4: ", "/date", "after its source was published (2020-03-01)")
			if r.status == http.StatusUnprocessableEntity {
				p := wantProblem(t, "batch", r, http.StatusUnprocessableEntity, "invalid-body")
				for _, f := range p.InvalidParams {
					if strings.HasPrefix(f.Name, "line 1: ") || strings.HasPrefix(f.Name, "line 2: ") {
						t.Errorf("got %s: %s, want lines 1 and 2 accepted", f.Name, f.Reason)
					}
				}
			}
			if got := b.get(t, "/v1/events/harbour-a"); got.status != http.StatusNotFound {
				t.Errorf("a refused import left harbour-a (GET answers %d)", got.status)
			}
			rep, r := b.importFile(t, key, "csto", "", ndjsonType, create+"\n"+byID+"\n")
			wantReport(t, "the good rows", r, rep, 2, 2, 0, 0, 0)
			// In a later import the place and source are read as stored.
			_, r = b.importFile(t, key, "csto", "", ndjsonType, afterSource+"\n"+otherName+"\n")
			wantEditorial(t, "later: after the source", r, "line 1: ", "/date", "after its source was published (2020-03-01)")
			wantEditorial(t, "later: another name", r, "line 2: ", "/places/0/id", `place "port-atlantis" is named in none`)
		})
	}
}
