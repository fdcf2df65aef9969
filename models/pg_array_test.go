package models

import (
	"slices"
	"testing"
)

func TestParsePGArrays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{`{a,b-c,d}`, []string{"a", "b-c", "d"}},
		{`{"",x}`, []string{"", "x"}},
		{`{"a b","c,d","{e}","NULL","f\"g","h\\i","\"",caf` + "\u00e9" + `}`, []string{"a b", "c,d", "{e}", "NULL", `f"g`, `h\i`, `"`, "caf\u00e9"}},
		{"{\"line\nbreak\"}", []string{"line\nbreak"}},
	} {
		got, err := parsePGTextArray([]byte(c.in), nil)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parsePGTextArray(%s): got %q, %v, want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`{`, `{a,}`, `{NULL}`, `{"a}`, `{"a"b}`, `a,b`} {
		if got, err := parsePGTextArray([]byte(bad), nil); err == nil {
			t.Errorf("parsePGTextArray(%s): got %q, want an error", bad, got)
		}
	}
	if got, err := parsePGTextArray(nil, nil); err != nil || len(got) != 0 {
		t.Errorf("parsePGTextArray(NULL): got %q, %v, want nothing", got, err)
	}
	got, err := parsePGIntArray([]byte(`{3,-1,20}`), nil)
	if err != nil || !slices.Equal(got, []int{3, -1, 20}) {
		t.Errorf("parsePGIntArray: got %v, %v, want [3 -1 20]", got, err)
	}
	for _, bad := range []string{`{1,,2}`, `{x}`, `{1`, `{--1}`} {
		if got, err := parsePGIntArray([]byte(bad), nil); err == nil {
			t.Errorf("parsePGIntArray(%s): got %v, want an error", bad, got)
		}
	}
}
