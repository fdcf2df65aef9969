package models

import (
	"strings"
	"testing"
)

func TestParseSearchQuery(t *testing.T) {
	cases := []struct {
		in, canonical, match string
		excludeOnly          []string
	}{
		{in: "Lavrov terrorist", canonical: `"lavrov" "terrorist"`, match: `("lavrov" AND "terrorist")`},
		{in: `"single list" -Putin`, canonical: `"single list" -"putin"`, match: `(("single list") NOT "putin")`},
		{in: "lavrov or putin terrorist", canonical: `"lavrov" or "putin" "terrorist"`,
			match: `("lavrov") OR ("putin" AND "terrorist")`},
		{in: "lavrov OR", canonical: `"lavrov"`, match: `("lavrov")`},
		{in: "or lavrov", canonical: `"lavrov"`, match: `("lavrov")`},
		{in: `"or" lavrov`, canonical: `"lavrov"`, match: `("lavrov")`},
		{in: "-lavrov", canonical: `-"lavrov"`, excludeOnly: []string{`"lavrov"`}},
		{in: "-lavrov -zas or csto", canonical: `-"lavrov" -"zas" or "csto"`, match: `("csto")`,
			excludeOnly: []string{`"lavrov" OR "zas"`}},
		{in: "the", canonical: ""},
		{in: `"" - -- ... "the of"`, canonical: ""},
		{in: "lavrov -the", canonical: `"lavrov"`, match: `("lavrov")`},
		{in: `CSTO's`, canonical: `"csto's"`, match: `("csto")`},
		{in: `"the list of organizations"`, canonical: `"the list of organizations"`, match: `("list of organizations")`},
		{in: `NEAR(a b) lavrov*`, canonical: `"near(a" "b)" "lavrov*"`, match: `("near" AND "b" AND "lavrov")`},
		{in: `"unclosed  PHRASE`, canonical: `"unclosed phrase"`, match: `("unclosed phrase")`},
		{in: `a"b c"d`, canonical: `"b c" "d"`, match: `("b c" AND "d")`},
		{in: "ОДКБ", canonical: `"одкб"`, match: `("одкб")`},
	}
	for _, c := range cases {
		q, err := ParseSearchQuery(c.in)
		if err != nil {
			t.Errorf("ParseSearchQuery(%q): %v", c.in, err)
			continue
		}
		if got := q.String(); got != c.canonical {
			t.Errorf("ParseSearchQuery(%q).String(): got %s, want %s", c.in, got, c.canonical)
		}
		if got, want := q.MatchesNothing(), c.canonical == ""; got != want {
			t.Errorf("ParseSearchQuery(%q).MatchesNothing(): got %t, want %t", c.in, got, want)
		}
		match, excludeOnly := q.fts5()
		if match != c.match || strings.Join(excludeOnly, "|") != strings.Join(c.excludeOnly, "|") {
			t.Errorf("ParseSearchQuery(%q).fts5(): got %s %q, want %s %q", c.in, match, excludeOnly, c.match, c.excludeOnly)
		}
	}
}

func TestParseSearchQueryRejects(t *testing.T) {
	for _, in := range []string{"", "   ", strings.Repeat("x", MaxSearchLength+1), "a\x00b", "a\tb", "\xff"} {
		if _, err := ParseSearchQuery(in); err == nil {
			t.Errorf("ParseSearchQuery(%q): got no error, want one", in)
		}
	}
	if _, err := ParseSearchQuery(strings.Repeat("ж", MaxSearchLength)); err != nil {
		t.Errorf("ParseSearchQuery(200 characters): %v", err)
	}
}

func TestNameKey(t *testing.T) {
	for in, want := range map[string]string{
		"ОДКБ": "одкб", "  Kyrgyz   Republic ": "kyrgyz republic", "CSTO": "csto", "Tajik–Afghan border": "tajik–afghan border",
	} {
		if got := NameKey(in); got != want {
			t.Errorf("NameKey(%q): got %q, want %q", in, got, want)
		}
	}
}
