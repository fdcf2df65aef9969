package tests

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// servedEvent is an event as the API serves it, with what the editorial
// rules look at.
type servedEvent struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	StartDate   string   `json:"start_date"`
	EndDate     string   `json:"end_date"`
	DisplayDate string   `json:"display_date"`
	EDTF        string   `json:"edtf"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	Tags        []string `json:"tags"`
	Places      []struct {
		ID string `json:"id"`
	} `json:"places"`
	Sources []struct {
		SourceID           string   `json:"source_id"`
		Title              string   `json:"title"`
		Author             string   `json:"author"`
		AuthorAffiliations []string `json:"author_affiliations"`
		Publisher          *string  `json:"publisher"`
		Issue              *string  `json:"issue"`
		PublishedDate      *string  `json:"published_date"`
		URL                *string  `json:"url"`
		OutsideFields      []string `json:"outside_fields"`
		Quote              string   `json:"quote"`
		Note               string   `json:"note"`
	} `json:"sources"`
}

type nameEntry struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Aliases []string `json:"aliases"`
}

// servedEvents reads every event of the backend, following links.next.
func (b *backend) servedEvents(t *testing.T) []servedEvent {
	t.Helper()
	var out []servedEvent
	for path := "/v1/events?limit=500"; path != ""; {
		r := b.get(t, path)
		r.wantStatus(t, http.StatusOK)
		var p struct {
			Data  []servedEvent `json:"data"`
			Links struct {
				Next *string `json:"next"`
			} `json:"links"`
		}
		r.decode(t, &p)
		out = append(out, p.Data...)
		path = ""
		if p.Links.Next != nil {
			path = *p.Links.Next
		}
	}
	return out
}

// catalogNames reads one catalog list (actors or places) whole.
func (b *backend) catalogNames(t *testing.T, list string) []nameEntry {
	t.Helper()
	r := b.get(t, "/v1/"+list+"?limit=500")
	r.wantStatus(t, http.StatusOK)
	var p struct {
		Data []nameEntry `json:"data"`
	}
	r.decode(t, &p)
	return p.Data
}

// toModel turns a served event back into the domain type the editorial
// checks take.
func (e servedEvent) toModel(t *testing.T) models.Event {
	t.Helper()
	span, err := models.ParseEDTF(e.EDTF)
	if err != nil {
		t.Fatalf("%s: edtf %q: %v", e.ID, e.EDTF, err)
	}
	if span.Start.String() != e.StartDate || span.End.String() != e.EndDate {
		t.Errorf("%s: got start %s end %s, want %s and %s from edtf %q", e.ID, e.StartDate, e.EndDate, span.Start, span.End, e.EDTF)
	}
	m := models.Event{ID: e.ID, Title: e.Title, Summary: e.Summary, Span: span, DisplayDate: e.DisplayDate,
		Type: e.Type, Status: e.Status, Tags: e.Tags}
	for _, p := range e.Places {
		m.Places = append(m.Places, models.Place{ID: p.ID})
	}
	for _, s := range e.Sources {
		src := models.Source{ID: s.SourceID, Title: s.Title}
		if s.PublishedDate != nil {
			if src.Published, err = models.ParseDate(*s.PublishedDate); err != nil {
				t.Fatalf("%s: published_date: %v", e.ID, err)
			}
		}
		m.Citations = append(m.Citations, models.Citation{Source: src, Quote: s.Quote, Note: s.Note})
	}
	return m
}

// declaredTags is the seed's tag vocabulary.
func declaredTags(t *testing.T) []string {
	t.Helper()
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, tag := range f.Tags {
		tags = append(tags, tag.ID)
	}
	return tags
}

// TestEditorialRules checks the served data against the editorial rules of
// seed/EDITORIAL.md that a machine can check: every event has a quote,
// verbatim in the source's normalized text and free of Markdown; no
// occurred event ends after its source was published; a date no quote
// gives is hedged or explained in a note; an uncertain date says so; every
// place is named in a quote or note; every tag is declared; no alias names
// two entities.
func TestEditorialRules(t *testing.T) {
	tags := declaredTags(t)
	forEachBackend(t, func(t *testing.T, b *backend) {
		var actors []models.Actor
		for _, a := range b.catalogNames(t, "actors") {
			actors = append(actors, models.Actor{ID: a.ID, Name: a.Name, Kind: a.Kind, Aliases: a.Aliases})
		}
		ed := models.Editorial{Tags: tags, PlaceNames: map[string][]string{}, SourceText: seed.SourceText}
		var places []models.Place
		for _, p := range b.catalogNames(t, "places") {
			places = append(places, models.Place{ID: p.ID, Name: p.Name, Kind: p.Kind, Aliases: p.Aliases})
			ed.PlaceNames[p.ID] = append([]string{p.Name}, p.Aliases...)
		}
		if err := models.CheckNames(actors, places); err != nil {
			t.Errorf("names: %v", err)
		}
		if err := models.CheckVocabulary(tags, actors, places); err != nil {
			t.Errorf("tag vocabulary: %v", err)
		}
		events := b.servedEvents(t)
		if len(events) != 45 {
			t.Errorf("got %d events, want the 45 of the edited seed", len(events))
		}
		for _, e := range events {
			if err := ed.CheckEvent(e.toModel(t)); err != nil {
				t.Errorf("%s: %v", e.ID, err)
			}
		}
	})
}

// TestCitationsCarryThePublication checks that a citation says what the
// article says about itself (issue, date, the author's affiliations), that
// a field the article does not give is null rather than "", and that no
// field is marked as added from outside.
func TestCitationsCarryThePublication(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *backend) {
		r := b.get(t, "/v1/events/csto-2019-10-battle-brotherhood")
		r.wantStatus(t, http.StatusOK)
		var raw struct {
			Sources []map[string]any `json:"sources"`
		}
		r.decode(t, &raw)
		if len(raw.Sources) == 0 {
			t.Fatal("no sources")
		}
		got := raw.Sources[0]
		want := map[string]any{
			"source_id": "bohdan-2020-csto", "title": "CSTO: In Search of Raisons d'Être", "author": "Siarhei Bohdan",
			"author_affiliations": []any{
				"Fellow, Friedrich Meinecke Institute of History, Freie Universität Berlin",
				"Expert Council member, Minsk Dialogue Council on International Relations (Germany-Belarus)"},
			"publisher": nil, "issue": "11", "published_date": "2020-06-29", "url": nil, "outside_fields": []any{},
		}
		for k, v := range want {
			if diff := cmp.Diff(v, got[k]); diff != "" {
				t.Errorf("sources[0].%s (-want +got):\n%s", k, diff)
			}
		}
		var tl struct {
			Sources []map[string]any `json:"sources"`
		}
		r = b.get(t, "/v1/timelines/csto")
		r.wantStatus(t, http.StatusOK)
		r.decode(t, &tl)
		if len(tl.Sources) != 1 || tl.Sources[0]["issue"] != "11" || tl.Sources[0]["url"] != nil || tl.Sources[0]["publisher"] != nil {
			t.Errorf("got timeline sources %v, want the article with issue 11 and null url and publisher", tl.Sources)
		}
	})
}

// TestEditorialAddedEvents checks that statements the first seed lacked are
// served, with the dates the article supports.
func TestEditorialAddedEvents(t *testing.T) {
	want := map[string][3]string{ // id: start, end, status
		"csto-c1990-origins":                        {"1990-01-01", "1990-12-31", "occurred"},
		"csto-membership-losses":                    {"1990-01-01", "2020-06-29", "occurred"},
		"csto-uzbekistan-withdrawals":               {"1990-01-01", "2020-06-29", "occurred"},
		"csto-2020-06-sco-overlap":                  {"2020-06-29", "2020-06-29", "occurred"},
		"csto-2020-azerbaijan-membership-hints":     {"2019-01-01", "2020-06-29", "occurred"},
		"csto-2016-model-acts-programme":            {"2016-01-01", "2020-12-31", "ongoing"},
		"csto-2016-secretary-general-disputes":      {"2016-01-01", "2020-04-30", "occurred"},
		"csto-2020-zas-appointment":                 {"2020-01-01", "2020-04-30", "occurred"},
		"csto-2020-05-kyrgyz-tajik-border-skirmish": {"2020-05-21", "2020-05-31", "occurred"},
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		for id, w := range want {
			r := b.get(t, "/v1/events/"+id)
			r.wantStatus(t, http.StatusOK)
			var e servedEvent
			r.decode(t, &e)
			if got := [3]string{e.StartDate, e.EndDate, e.Status}; got != w {
				t.Errorf("%s: got %v, want %v", id, got, w)
			}
		}
		got := ids(b.events(t, "status=ongoing").Data)
		if !cmp.Equal(got, []string{"csto-2016-model-acts-programme"}) {
			t.Errorf("status=ongoing: got %v, want the model-acts programme", got)
		}
	})
}

// TestSourceTextIsNormalized checks that the text quotes are checked
// against is the normalized original the repository ships, and that the
// normalization keeps every word while dropping the Markdown.
func TestSourceTextIsNormalized(t *testing.T) {
	raw, err := os.ReadFile("../seed/sources/bohdan-2020-csto.md")
	if err != nil {
		t.Fatalf("read the original article: %v", err)
	}
	text, ok := seed.SourceText("bohdan-2020-csto")
	if !ok {
		t.Fatal("seed/sources/bohdan-2020-csto.txt is not embedded")
	}
	if got := models.NormalizeSourceText(string(raw)); got != text {
		t.Fatalf("seed/sources/bohdan-2020-csto.txt is not NormalizeSourceText of the .md beside it; regenerate it")
	}
	if r := models.MarkdownResidue(text); r != "" {
		t.Errorf("the normalized text still has Markdown %q", r)
	}
	for _, words := range []string{
		"Lavrov declared that",
		"The completion of work to make a single list of organizations that the CSTO countries recognize as terrorist",
		"under the umbrella of Battle Brotherhood.",
		"At the CSTO summit in Astana in November 2018, it was decided",
		"Expert Council member, Minsk Dialogue Council on International Relations (Germany-Belarus)",
	} {
		if !strings.Contains(text, words) {
			t.Errorf("the normalized text lacks %q", words)
		}
	}
	if strings.Contains(text, "29.06.2020") {
		t.Error("the normalized text keeps the running page header")
	}
}

// TestSeedRejectsEditorialBreaches edits the seed to break each rule in
// turn: the loader refuses the file, names the event or list and the rule,
// and writes nothing.
func TestSeedRejectsEditorialBreaches(t *testing.T) {
	cases := []struct {
		name, event, old, new, want string
	}{
		{"markdown in a quote", "csto-2020-05-26-lavrov-biosecurity", `quote: "On May 26, Russian Foreign Minister Lavrov declared that`,
			`quote: "On May 26, Russian Foreign Minister [Lavrov declared](#) that`, "Markdown"},
		{"misquote", "csto-2002-activation", `quote: "Up until 2002, the organization existed almost exclusively on paper.`,
			`quote: "Up until 2002, the organization existed only on paper.`, "not in the text"},
		{"occurred after publication", "csto-2013-pa-observers-serbia-afghanistan", `date: "2013/2020-06-29"`,
			`date: "2013/2020-06"`, "after its source was published"},
		{"date in no quote", "csto-2000s-iran-participation", `date: "200X"`, `date: "2005"`, "is in no quote"},
		{"date from outside context", "csto-2016-secretary-general-disputes", `date: "2016/2020-04~"`, `date: "2016/2018"`,
			`"2018" is in no quote`},
		{"uncertain date displayed as certain", "csto-2020-duma-pandemic-ideas", `display_date: "probably 2020, before 26 May"`,
			`display_date: "2020, before 26 May"`, "uncertain"},
		{"place named nowhere", "csto-2017-un-missions-south-sudan-chad", "places: []", "places: [astana]", "astana"},
		{"undeclared tag", "csto-2017-un-missions-south-sudan-chad", "tags: [peacekeeping]", "tags: [peacekeeping, terrorism]",
			"vocabulary"},
		{"no quote", "csto-2021-peacekeeping-operations", "    sources:\n      - source: bohdan-2020-csto\n        quote: \"As Stanislau Zas said in May, starting in 2021, it is planned to begin practical peacekeeping operations.\"\n        note: \"Announced by Zas in May 2020; planned as of the June 2020 article.\"\n",
			"    sources: []\n", "quote"},
		{"tag that is an actor", "", "  - id: training\n", "  - id: nato\n    description: \"NATO.\"\n  - id: training\n", "actor"},
		{"shared alias", "", `aliases: ["Russian Federation", "Россия"]`, `aliases: ["Russian Federation", "Россия", "Moscow"]`, "Moscow"},
	}
	backends := freshBackends(t)
	for _, c := range cases {
		edited := editSeed(t, c.event, c.old, c.new)
		for _, b := range backends {
			before := snapshotEvents(t, b.store)
			_, err := seed.Load(context.Background(), b.store, edited)
			if err == nil || !strings.Contains(err.Error(), c.want) || (c.event != "" && !strings.Contains(err.Error(), c.event)) {
				t.Errorf("%s, %s: got %v, want an error naming %q and %q", c.name, b.name, err, c.event, c.want)
			}
			if diff := cmp.Diff(before, snapshotEvents(t, b.store)); diff != "" {
				t.Errorf("%s, %s: a refused load changed events (-before +after):\n%s", c.name, b.name, diff)
			}
		}
	}
}

// editSeed replaces the first old after the event's entry (or in the whole
// file when event is "") with new.
func editSeed(t *testing.T, event, old, new string) []byte {
	t.Helper()
	start := 0
	if event != "" {
		start = bytes.Index(seed.CSTO, []byte("  - id: "+event+"\n"))
		if start < 0 {
			t.Fatalf("no event %s in the seed", event)
		}
	}
	i := bytes.Index(seed.CSTO[start:], []byte(old))
	if i < 0 {
		t.Fatalf("no %q after %s in the seed", old, event)
	}
	i += start
	out := slices.Concat(seed.CSTO[:i], []byte(new), seed.CSTO[i+len(old):])
	return out
}

// TestEditorialPolicyListsVocabularies keeps seed/EDITORIAL.md and the
// OpenAPI description in step with the vocabularies the code enforces:
// every declared tag and every event type is documented, and nothing else.
func TestEditorialPolicyListsVocabularies(t *testing.T) {
	policy, err := os.ReadFile("../seed/EDITORIAL.md")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(policy), "\n") {
		if strings.HasPrefix(line, "| `") {
			rows[strings.Trim(strings.SplitN(line, "|", 3)[1], " `")] = true
		}
	}
	want := append(declaredTags(t), models.EventTypes...)
	for _, name := range want {
		if !rows[name] {
			t.Errorf("seed/EDITORIAL.md has no row for %q", name)
		}
		delete(rows, name)
	}
	for name := range rows {
		t.Errorf("seed/EDITORIAL.md documents %q, which is neither a declared tag nor an event type", name)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				EventType struct {
					Description string   `yaml:"description"`
					Enum        []string `yaml:"enum"`
				} `yaml:"EventType"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	eventType := doc.Components.Schemas.EventType
	if diff := cmp.Diff(models.EventTypes, eventType.Enum); diff != "" {
		t.Errorf("openapi.yaml: EventType enum (-models.EventTypes +spec):\n%s", diff)
	}
	var described []string
	for _, m := range regexp.MustCompile("(?m)^\\* `([a-z_]+)`: \\S").FindAllStringSubmatch(eventType.Description, -1) {
		described = append(described, m[1])
	}
	if diff := cmp.Diff(models.EventTypes, described); diff != "" {
		t.Errorf("openapi.yaml: the types EventType's description documents (-models.EventTypes +described):\n%s", diff)
	}
}
