package models

import (
	"strings"
	"testing"
)

func TestEditorialCheckEvent(t *testing.T) {
	text := "In 2017, Moscow tried to dispatch the CSTO forces. Azerbaijan has recently been making cautious hints."
	ed := Editorial{
		Tags:       []string{"peacekeeping"},
		PlaceNames: map[string][]string{"moscow": {"Moscow"}, "chad": {"Chad"}, "oman": {"Oman"}},
		SourceText: func(id string) (string, bool) { return text, id == "src" },
	}
	published := Date{2020, 6, 29}
	event := func(edtf, display, status, quote, note string, places []string, tags ...string) Event {
		span, err := ParseEDTF(edtf)
		if err != nil {
			t.Fatal(err)
		}
		e := Event{ID: "e", Span: span, DisplayDate: display, Status: status, Tags: tags,
			Citations: []Citation{{Source: Source{ID: "src", Published: published}, Quote: quote, Note: note}}}
		for _, p := range places {
			e.Places = append(e.Places, Place{ID: p})
		}
		return e
	}
	const q17 = "In 2017, Moscow tried to dispatch the CSTO forces."
	const qAz = "Azerbaijan has recently been making cautious hints."
	tests := []struct {
		name string
		e    Event
		want string // "" when the event passes
	}{
		{"good", event("2017", "2017", StatusOccurred, q17, "", []string{"moscow"}, "peacekeeping"), ""},
		{"no quote", Event{ID: "e", Span: Span{EDTF: "2017"}, Status: StatusOccurred}, "at least one quote"},
		{"misquote", event("2017", "2017", StatusOccurred, "In 2017, Moscow sent the CSTO forces.", "", nil), "not in the text"},
		{"markdown", event("2017", "2017", StatusOccurred, "In 2017, [Moscow](#) tried", "", nil), "Markdown"},
		{"ends after publication", event("2017/2020-06", "", StatusOccurred, q17, "until June 2020", nil), "after its source was published"},
		{"planned may end later", event("2017/2021", "", StatusPlanned, q17, "2021 per the note", nil), ""},
		{"ongoing may end later", event("2017/2020", "", StatusOngoing, q17, "Targets run to 2020.", nil), ""},
		{"date in no quote", event("2018", "2018", StatusOccurred, q17, "", nil), `"2018" is in no quote`},
		{"date explained by a note", event("2018", "2018", StatusOccurred, q17, "Dated 2018 by the context.", nil), ""},
		{"inferred and marked", event("2019?/2020-06-29", "probably 2019 – 29 June 2020", StatusOccurred, qAz, "as of 29 June 2020", nil), ""},
		{"inferred, displayed as certain", event("2019?/2020-06-29", "2019 – 29 June 2020", StatusOccurred, qAz, "as of 29 June 2020", nil), "uncertain"},
		{"place named nowhere", event("2017", "2017", StatusOccurred, q17, "", []string{"chad"}), `place "chad"`},
		{"place named in a note", event("2017", "2017", StatusOccurred, q17, "Aimed at Chad.", []string{"chad"}), ""},
		{"place inside a word", event("2017", "2017", StatusOccurred, q17, "Aimed at Romania.", []string{"oman"}), `place "oman"`},
		{"place starting a word", event("2017", "2017", StatusOccurred, q17, "Aimed at the Omani forces.", []string{"oman"}), ""},
		{"place starting a later word", event("2017", "2017", StatusOccurred, q17, "Romania, then Omani forces.", []string{"oman"}), ""},
		{"undeclared tag", event("2017", "2017", StatusOccurred, q17, "", nil, "terrorism"), "vocabulary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ed.CheckEvent(tt.e)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestEditorialNamesAndVocabulary(t *testing.T) {
	actors := []Actor{{ID: "russia", Name: "Russia", Aliases: []string{"Russian Federation"}}, {ID: "csto", Name: "CSTO"}}
	places := []Place{{ID: "russia", Name: "Russia", Aliases: []string{"Russian Federation"}}, {ID: "moscow", Name: "Moscow"}}
	if err := CheckNames(actors, places); err != nil {
		t.Errorf("the state and the country Russia share names: got %v, want none", err)
	}
	actors[0].Aliases = append(actors[0].Aliases, "moscow")
	if err := CheckNames(actors, places); err == nil || !strings.Contains(err.Error(), `"moscow" names both "russia" and "moscow"`) {
		t.Errorf("got %v, want Moscow named twice", err)
	}
	if err := CheckVocabulary([]string{"peacekeeping", "covid-19"}, actors, places); err != nil {
		t.Errorf("got %v, want none", err)
	}
	for tag, want := range map[string]string{"csto": "an actor", "moscow": "a place", "summit": "an event type", "Bad Tag": "not a valid"} {
		if err := CheckVocabulary([]string{tag}, actors, places); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("tag %q: got %v, want %q", tag, err, want)
		}
	}
}
