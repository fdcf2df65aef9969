package models

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Markdown a source text arrives with, and how NormalizeSourceText
// reads it.
var (
	// mdLink is an inline link: its words are kept, its target dropped.
	mdLink = regexp.MustCompile(`\[([^\]\n]*)\]\([^)\n]*\)`)
	// mdEmphasis is text between one to three asterisks on one line.
	mdEmphasis = regexp.MustCompile(`\*{1,3}([^*\n]+?)\*{1,3}`)
	// mdHeading is the marker of a heading line.
	mdHeading = regexp.MustCompile(`(?m)^#{1,6}[ \t]+`)
	// pageHeader is a running page header such as "# 11, 29.06.2020" (issue
	// number and date), which the source's metadata records instead.
	pageHeader = regexp.MustCompile(`(?m)^#[ \t]+\d+,[ \t]+\d{2}\.\d{2}\.\d{4}[ \t]*$`)
	// blankRun is a paragraph break, however many empty lines it takes.
	blankRun = regexp.MustCompile(`\n[ \t]*(\n[ \t]*)+`)
)

// NormalizeSourceText turns a source that arrives as Markdown into the
// plain prose that quotes are checked against and served from: the words
// stay exactly as written, the markup goes. In order, it
//
//   - drops running page headers ("# 11, 29.06.2020"), whose issue number
//     and date belong to the source's metadata;
//   - rejoins a sentence that a page break cut in two: a paragraph that ends
//     without closing punctuation and is followed by one that begins with a
//     lowercase letter or a digit is the same paragraph, joined by a space;
//   - keeps the words of a link and drops its target ("[Lavrov declared](#)"
//     becomes "Lavrov declared");
//   - drops emphasis asterisks ("*Battle Brotherhood*") and heading markers;
//   - ends every line without trailing blanks, keeps one empty line between
//     paragraphs and trims the text.
//
// Quotation marks, apostrophes, dashes and spelling are never changed, so a
// quote copied from the normalized text is the article's wording verbatim.
func NormalizeSourceText(raw string) string {
	s := strings.ReplaceAll(raw, "\r\n", "\n")
	s = pageHeader.ReplaceAllString(s, "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	s = blankRun.ReplaceAllString(s, "\n\n")
	s = rejoinBrokenParagraphs(strings.TrimSpace(s))
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdHeading.ReplaceAllString(s, "")
	s = mdEmphasis.ReplaceAllString(s, "$1")
	return s + "\n"
}

// rejoinBrokenParagraphs joins paragraphs that a page break split mid-sentence.
func rejoinBrokenParagraphs(s string) string {
	paras := strings.Split(s, "\n\n")
	out := paras[:1]
	for _, p := range paras[1:] {
		prev := out[len(out)-1]
		if continues(prev, p) {
			out[len(out)-1] = prev + " " + p
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, "\n\n")
}

// continues reports whether next carries on the sentence that prev leaves
// open: prev is prose (not a heading or a list item) ending without closing
// punctuation, and next starts in lowercase or with a digit.
func continues(prev, next string) bool {
	if prev == "" || next == "" || strings.HasPrefix(prev, "#") || strings.HasPrefix(prev, "- ") ||
		strings.Contains(prev[strings.LastIndex(prev, "\n")+1:], "**") {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(prev)
	if strings.ContainsRune(".!?:;\"”’)*", last) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(next)
	return unicode.IsLower(first) || unicode.IsDigit(first)
}

// markdownResidue finds what NormalizeSourceText removes: link syntax,
// emphasis asterisks, heading markers.
var markdownResidue = regexp.MustCompile(`\]\(|\[[^\]]*\]|\*|(?m)^#`)

// MarkdownResidue returns the first piece of Markdown markup left in s, or
// "" when s is plain prose.
func MarkdownResidue(s string) string {
	return markdownResidue.FindString(s)
}
