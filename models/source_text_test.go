package models

import "testing"

func TestNormalizeSourceText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"link", "Russian Foreign Minister [Lavrov declared](#) that “the CSTO's potential”.",
			"Russian Foreign Minister Lavrov declared that “the CSTO's potential”.\n"},
		{"emphasis", "under the umbrella of *Battle Brotherhood*. **Siarhei Bohdan**",
			"under the umbrella of Battle Brotherhood. Siarhei Bohdan\n"},
		{"heading", "## CSTO: IN SEARCH OF *RAISONS D'ÊTRE*\n\nText.", "CSTO: IN SEARCH OF RAISONS D'ÊTRE\n\nText.\n"},
		{"page break with header", "a single list of\n\n# 11, 29.06.2020\n\norganizations that", "a single list of organizations that\n"},
		{"page break with a year", "in Astana in November\n\n# 11, 29.06.2020\n\n2018, it was decided", "in Astana in November 2018, it was decided\n"},
		{"page break without header", "issues of international\n\nsecurity, engagement", "issues of international security, engagement\n"},
		{"paragraphs stay apart", "It ends here.\n\n\n\nanother paragraph", "It ends here.\n\nanother paragraph\n"},
		{"capital after a break", "the CSTO\n\nThe next", "the CSTO\n\nThe next\n"},
		{"quotes and dashes kept", "«x» — ‘y’ \"z\" 2016-2020", "«x» — ‘y’ \"z\" 2016-2020\n"},
		{"trailing blanks", "line one  \nline two\t", "line one\nline two\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeSourceText(tt.in); got != tt.want {
				t.Errorf("NormalizeSourceText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := NormalizeSourceText(tt.want); got != tt.want {
				t.Errorf("not idempotent: NormalizeSourceText(%q) = %q", tt.want, got)
			}
		})
	}
}

func TestMarkdownResidue(t *testing.T) {
	for in, want := range map[string]string{
		"[Lavrov declared](#) that": "[Lavrov declared]",
		"see](#)":                   "](",
		"of *Battle Brotherhood*":   "*",
		"# 11, 29.06.2020":          "#",
		"No. 11 and “quotes”":       "",
	} {
		if got := MarkdownResidue(in); got != want {
			t.Errorf("MarkdownResidue(%q) = %q, want %q", in, got, want)
		}
	}
}
